"""The claim on a job's step: the sweeper takes it from dead or stuck workers, once, and the
old message is refused when it comes back; the attempt count stays."""

from datetime import timedelta
from pathlib import Path

import pytest

from shared.db import DeadLetterRecord, Job, migrate, session_factory
from shared.ledger import Ledger
from shared.liveness import Claim
from shared.models import FetchJob, Payload, RawPage, utcnow
from shared.stage import run_step
from shared.sweeper import sweep_orphans

STUCK = timedelta(seconds=360)
URL = "https://news.example/a"


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    return Ledger(session_factory(url), lease_seconds=900, max_attempts=3)


def new_job(ledger: Ledger) -> FetchJob:
    job_id = ledger.accept(URL, "test")
    assert job_id
    return FetchJob(job_id=job_id, url=URL, source="test")


def row(ledger: Ledger, job_id: str) -> Job:
    with ledger.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


class Sent(list[tuple[str, Payload]]):
    def __call__(self, stage: str, payload: Payload) -> None:
        self.append((stage, payload))


def test_a_dead_workers_step_is_sent_again_and_its_old_message_refused(ledger: Ledger) -> None:
    job = new_job(ledger)
    assert ledger.begin(job.job_id, "fetch", Claim("fetch@h:1", "task-1")).attempts == 1
    sent = Sent()
    assert sweep_orphans(ledger, sent, live={"fetch@h:2"}, stuck_after=STUCK) == 1
    assert [stage for stage, _ in sent] == ["fetch"]  # nothing kept: fetch again
    assert sweep_orphans(ledger, sent, live=set(), stuck_after=STUCK) == 0  # once only
    # Redis gives the dead worker's message back later: it does nothing.
    assert not ledger.begin(job.job_id, "fetch", Claim("fetch@h:2", "task-1")).proceed
    # The sweeper's message runs, and counts as the second start of the same stage.
    again = ledger.begin(job.job_id, "fetch", Claim("fetch@h:2", "task-2"))
    assert again.proceed and again.attempts == 2


def test_a_live_workers_steps_are_left_alone(ledger: Ledger) -> None:
    running, finished = new_job(ledger), new_job(ledger)
    ledger.begin(running.job_id, "fetch", Claim("fetch@h:1", "t1"))
    ledger.begin(finished.job_id, "fetch", Claim("fetch@h:1", "t2"))
    assert ledger.handoff(finished.job_id, "fetch", "clean", Claim("fetch@h:1", "t2"))
    assert row(ledger, finished.job_id).claimed_at is None
    assert sweep_orphans(ledger, Sent(), live={"fetch@h:1"}, stuck_after=STUCK) == 0


def test_a_job_handed_on_by_a_worker_killed_before_sending_is_found(ledger: Ledger) -> None:
    job = new_job(ledger)
    ledger.begin(job.job_id, "fetch", Claim("fetch@h:1", "t1"))
    ledger.handoff(job.job_id, "fetch", "clean", Claim("fetch@h:1", "t1"))
    # Killed before its message to clean left: nothing else knows of the job.
    sent = Sent()
    assert sweep_orphans(ledger, sent, live=set(), stuck_after=STUCK) == 1
    assert [stage for stage, _ in sent] == ["fetch"]
    # Once the next stage began, the job is that worker's.
    ledger.begin(job.job_id, "fetch", Claim("fetch@h:2", "t3"))
    ledger.handoff(job.job_id, "fetch", "clean", Claim("fetch@h:2", "t3"))
    ledger.begin(job.job_id, "clean", Claim("clean@h:3", "t4"))
    assert sweep_orphans(ledger, Sent(), live={"clean@h:3"}, stuck_after=STUCK) == 0


def test_a_step_restarts_from_the_kept_raw_page(ledger: Ledger) -> None:
    job = new_job(ledger)
    ledger.begin(job.job_id, "fetch")
    ledger.keep_raw(RawPage(job_id=job.job_id, url=URL, final_url=URL, source="test",
                            body="<p>x</p>"))
    ledger.handoff(job.job_id, "fetch", "clean")
    ledger.begin(job.job_id, "extract", Claim("extract@h:1", "t1"))
    sent = Sent()
    sweep_orphans(ledger, sent, live=set(), stuck_after=STUCK)
    assert [(stage, type(payload).__name__) for stage, payload in sent] == [("clean", "RawPage")]


def test_a_stuck_step_is_sent_again_and_its_late_result_dropped(ledger: Ledger) -> None:
    job = new_job(ledger)
    stuck = Claim("fetch@h:1", "t1")
    ledger.begin(job.job_id, "fetch", stuck)
    later = utcnow() + STUCK + timedelta(seconds=1)
    sent = Sent()
    # Its heartbeat is fresh, but the step is older than the time limit and the grace.
    assert sweep_orphans(ledger, sent, live={"fetch@h:1"}, stuck_after=STUCK, now=later) == 1
    assert ledger.begin(job.job_id, "fetch", Claim("fetch@h:2", "t2")).proceed
    # The stuck worker wakes up: its result does not go on (the replacement's will).
    assert not ledger.handoff(job.job_id, "fetch", "clean", stuck)
    assert row(ledger, job.job_id).stage == "fetch"
    assert ledger.handoff(job.job_id, "fetch", "clean", Claim("fetch@h:2", "t2"))


def test_run_step_drops_the_result_of_a_step_taken_away(ledger: Ledger) -> None:
    job = new_job(ledger)
    claim = Claim("fetch@h:1", "t1")

    def slow_work(payload: FetchJob) -> FetchJob:
        # While this step runs, the sweeper finds it stuck and sends it again.
        later = utcnow() + STUCK + timedelta(seconds=1)
        sweep_orphans(ledger, Sent(), live={"fetch@h:1"}, stuck_after=STUCK, now=later)
        return payload

    assert run_step("fetch", job, slow_work, ledger, claim=claim) is None
    assert run_step("fetch", job, lambda p: p, ledger, claim=Claim("fetch@h:1", "t2")) == job


def test_a_page_that_kills_every_worker_ends_as_too_many_attempts(ledger: Ledger) -> None:
    job = new_job(ledger)
    for attempt in range(1, ledger.max_attempts + 1):
        ledger.begin(job.job_id, "fetch", Claim(f"fetch@h:{attempt}", f"t{attempt}"))
        assert sweep_orphans(ledger, Sent(), live=set(), stuck_after=STUCK) == 1  # it died
    last = Claim("fetch@h:99", "t99")
    assert run_step("fetch", job, lambda p: p, ledger, claim=last) is None
    with ledger.session() as session:
        letters = [(r.reason, r.attempts) for r in session.query(DeadLetterRecord)]
    assert letters == [("too_many_attempts", ledger.max_attempts + 1)]


def test_reopen_gives_dead_letters_back_as_open_jobs(ledger: Ledger) -> None:
    job = new_job(ledger)
    ledger.begin(job.job_id, "fetch")
    run_step("fetch", job, lambda p: 1 / 0, ledger)
    assert row(ledger, job.job_id).status == "dead"
    reopened = ledger.reopen("internal_error")
    assert [j.id for j in reopened] == [job.job_id]
    again = row(ledger, job.job_id)
    assert (again.status, again.attempts) == ("open", 0)
    assert again.lease_until.replace(tzinfo=None) > utcnow().replace(tzinfo=None) \
        + timedelta(seconds=800)
    assert ledger.reopen("internal_error") == []


def test_jobs_a_dead_workers_step_accepted_are_sent_by_the_sweeper(ledger: Ledger) -> None:
    feed = new_job(ledger)
    claim = Claim("fetch@h:1", "t1")

    def discover(_: FetchJob) -> list[str]:
        return [ledger.accept(f"https://news.example/{n}", "test") or "" for n in range(3)]

    accepted = run_step("discover", feed, discover, ledger, claim=claim)
    assert accepted and all(row(ledger, job_id).worker == "fetch@h:1" for job_id in accepted)
    ledger.close(feed.job_id, "expanded")
    # Killed before the three messages were sent: the sweeper sends them.
    sent = Sent()
    assert sweep_orphans(ledger, sent, live=set(), stuck_after=STUCK) == 3
    assert sorted(payload.job_id for _, payload in sent) == sorted(accepted)  # type: ignore


def test_jobs_handed_on_well_before_the_last_heartbeat_are_left_to_their_message(
        ledger: Ledger) -> None:
    sent_long_ago, just_handed = new_job(ledger), new_job(ledger)
    for job, task in ((sent_long_ago, "t1"), (just_handed, "t2")):
        ledger.begin(job.job_id, "fetch", Claim("fetch@h:1", task))
        ledger.handoff(job.job_id, "fetch", "clean", Claim("fetch@h:1", task))
    with ledger.session() as session:  # the first was handed on a minute before the last beat
        stored = session.get(Job, sent_long_ago.job_id)
        assert stored is not None
        stored.updated_at = utcnow() - timedelta(seconds=60)
    sent = Sent()
    last_beat = {"fetch@h:1": utcnow()}
    assert sweep_orphans(ledger, sent, live=set(), stuck_after=STUCK, last_beat=last_beat) == 1
    assert [payload.job_id for _, payload in sent] == [just_handed.job_id]  # type: ignore


def test_once_a_feeds_messages_are_sent_its_jobs_are_no_longer_its_workers(
        ledger: Ledger) -> None:
    feed = new_job(ledger)

    def discover(_: FetchJob) -> list[str]:
        return [ledger.accept(f"https://news.example/{n}", "test") or "" for n in range(3)]

    run_step("discover", feed, discover, ledger, claim=Claim("fetch@h:1", "t1"))
    ledger.messages_sent("t1")
    assert sweep_orphans(ledger, Sent(), live=set(), stuck_after=STUCK) == 1  # the feed's own
