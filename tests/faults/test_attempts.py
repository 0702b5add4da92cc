"""The ledger's attempt count under the paths the fault tests take, without processes.

A stage that keeps dying on a job reaches the cap, whether Celery redelivers its message or the
sweeper restarts the job from its kept raw page; a job sent round again because a later stage
was down does not.
"""

from pathlib import Path

import pytest

from shared.db import Job, migrate, session_factory
from shared.ledger import Ledger
from shared.models import RawPage
from shared.sweeper import restart_point

CAP = 3


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    return Ledger(session_factory(url), lease_seconds=60, max_attempts=CAP)


def accepted(ledger: Ledger, stage: str = "fetch") -> str:
    job_id = ledger.accept("https://news.example/a/1", "test", stage=stage)
    assert job_id
    return job_id


def job(ledger: Ledger, job_id: str) -> Job:
    with ledger.session() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def keep_raw(ledger: Ledger, job_id: str) -> None:
    ledger.keep_raw(RawPage(job_id=job_id, source="test", url="https://news.example/a/1",
                            final_url="https://news.example/a/1", body="<p>text</p>"))


def test_a_stage_that_keeps_dying_is_counted_to_the_cap(ledger: Ledger) -> None:
    job_id = accepted(ledger)
    ledger.begin(job_id, "fetch")
    ledger.handoff(job_id, "fetch", "clean")
    counts = [ledger.begin(job_id, "clean").attempts for _ in range(CAP + 1)]
    assert counts == [1, 2, 3, 4]


def test_sweeps_while_a_later_stage_is_down_count_nothing(ledger: Ledger) -> None:
    job_id = accepted(ledger)
    ledger.begin(job_id, "fetch")
    keep_raw(ledger, job_id)
    ledger.handoff(job_id, "fetch", "clean")
    for _ in range(CAP * 3):  # clean works, extract never takes the message, the sweeper resends
        assert restart_point(ledger, job(ledger, job_id))[0] == "clean"
        assert ledger.begin(job_id, "clean").attempts == 1
        ledger.handoff(job_id, "clean", "extract")
    assert job(ledger, job_id).attempts == 0


def test_a_later_stage_that_keeps_dying_is_capped_through_restarts(ledger: Ledger) -> None:
    job_id = accepted(ledger)
    ledger.begin(job_id, "fetch")
    keep_raw(ledger, job_id)
    ledger.handoff(job_id, "fetch", "clean")
    ledger.begin(job_id, "clean")
    ledger.handoff(job_id, "clean", "extract")
    counts = []
    for _ in range(CAP + 1):  # extract dies each time; the sweeper restarts from clean
        counts.append(ledger.begin(job_id, "extract").attempts)
        assert restart_point(ledger, job(ledger, job_id))[0] == "clean"
        ledger.begin(job_id, "clean")
        ledger.handoff(job_id, "clean", "extract")
    assert counts == [1, 2, 3, 4]


def test_a_fetched_job_restarts_from_its_raw_page(ledger: Ledger) -> None:
    job_id = accepted(ledger)
    ledger.begin(job_id, "fetch")
    assert restart_point(ledger, job(ledger, job_id))[0] == "fetch"
    keep_raw(ledger, job_id)
    assert restart_point(ledger, job(ledger, job_id))[0] == "clean"


def test_a_source_job_restarts_at_discovery(ledger: Ledger) -> None:
    job_id = accepted(ledger, stage="discover")
    assert restart_point(ledger, job(ledger, job_id))[0] == "discover"
    assert ledger.begin(job_id, "discover").attempts == 1


def test_keeping_a_raw_page_twice_updates_it(ledger: Ledger) -> None:
    job_id = accepted(ledger)
    keep_raw(ledger, job_id)
    keep_raw(ledger, job_id)
    assert ledger.raw_page(job_id) is not None
