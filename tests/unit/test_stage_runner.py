"""run_step: closed jobs skipped, failures become retries or dead letters, attempts capped."""

from pathlib import Path

import pytest

from shared.db import migrate, session_factory
from shared.errors import PermanentError, Postponed, TransientError
from shared.ledger import Ledger
from shared.models import FetchJob
from shared.stage import run_step


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    return Ledger(session_factory(url), lease_seconds=60, max_attempts=3)


def job(ledger: Ledger) -> FetchJob:
    job_id = ledger.accept("https://news.example/a", "test")
    assert job_id
    return FetchJob(job_id=job_id, url="https://news.example/a", source="test")


def letters(ledger: Ledger) -> list[tuple[str, str, int]]:
    from shared.db import DeadLetterRecord

    with ledger.session() as session:
        return [(r.stage, r.reason, r.attempts) for r in session.query(DeadLetterRecord)]


def test_success_returns_the_result(ledger: Ledger) -> None:
    assert run_step("fetch", job(ledger), lambda j: j.url, ledger) == "https://news.example/a"


def test_permanent_error_is_a_dead_letter(ledger: Ledger) -> None:
    def fail(_: FetchJob) -> None:
        raise PermanentError("http_404", "404 Not Found")

    assert run_step("fetch", job(ledger), fail, ledger) is None
    assert letters(ledger) == [("fetch", "http_404", 1)]


def test_transient_error_is_raised_until_the_cap(ledger: Ledger) -> None:
    payload = job(ledger)

    def fail(_: FetchJob) -> None:
        raise TransientError("http_503", "Service Unavailable")

    for _ in range(2):
        with pytest.raises(TransientError):
            run_step("fetch", payload, fail, ledger)
    assert run_step("fetch", payload, fail, ledger) is None
    assert letters(ledger) == [("fetch", "http_503", 3)]


def test_unexpected_exception_is_a_dead_letter_not_a_crash(ledger: Ledger) -> None:
    def bug(_: FetchJob) -> None:
        raise ZeroDivisionError("boom")

    assert run_step("clean", job(ledger), bug, ledger) is None
    assert letters(ledger) == [("clean", "internal_error", 1)]


def test_closed_job_is_skipped(ledger: Ledger) -> None:
    payload = job(ledger)
    ledger.close(payload.job_id, "stored")
    calls: list[str] = []
    assert run_step("store", payload, calls.append, ledger) is None
    assert calls == []


def test_a_job_that_never_ends_is_capped(ledger: Ledger) -> None:
    payload = job(ledger)
    for _ in range(3):  # three deliveries whose worker died before run_step returned
        ledger.begin(payload.job_id, "extract")
    assert run_step("extract", payload, lambda j: "never", ledger) is None
    assert letters(ledger) == [("extract", "too_many_attempts", 4)]


def test_a_postponement_costs_no_attempt_until_the_job_is_too_old(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    patient = Ledger(session_factory(url), max_attempts=2, max_wait_seconds=3600)
    payload = job(patient)

    def host_says_later(_: FetchJob) -> None:
        raise Postponed("http_429", "429 Too Many Requests; retry after 60s", 60.0)

    for _ in range(5):  # more than max_attempts: waiting for a host is no attempt
        with pytest.raises(Postponed):
            run_step("fetch", payload, host_says_later, patient)
    assert letters(patient) == []
    # Past the age limit (0 s here) the host's "later" is no longer believed: a dead letter.
    impatient = Ledger(session_factory(url), max_attempts=2, max_wait_seconds=0)
    assert run_step("fetch", payload, host_says_later, impatient) is None
    assert letters(impatient) == [("fetch", "http_429", 1)]


def test_our_own_rate_limit_is_waited_out_however_long(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    migrate(url)
    impatient = Ledger(session_factory(url), max_attempts=2, max_wait_seconds=0)
    payload = job(impatient)

    def backlog(_: FetchJob) -> None:
        raise Postponed("rate_limited", "news.example is busy for 30.0s", 30.0, ours=True)

    for _ in range(3):
        with pytest.raises(Postponed):
            run_step("fetch", payload, backlog, impatient)
    assert letters(impatient) == []
