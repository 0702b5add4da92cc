"""run_step: closed jobs skipped, failures become retries or dead letters, attempts capped."""

from collections.abc import Callable
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


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'waits.db'}"
    migrate(url)
    return url


def always(error: Postponed) -> Callable[[FetchJob], None]:
    """A fetch step that is postponed every time it runs."""
    def work(_: FetchJob) -> None:
        raise error
    return work


def postponed(times: int, payload: FetchJob, work: Callable[[FetchJob], None],
              ledger: Ledger) -> list[tuple[str, str, int]]:
    """Run a step that is always postponed `times` times; the letters that leaves."""
    for _ in range(times):
        with pytest.raises(Postponed):
            run_step("fetch", payload, work, ledger)
    return letters(ledger)


HOST_SAYS_LATER = always(Postponed("http_429", "429 Too Many Requests; retry after 60s", 60.0))


def test_a_postponement_costs_no_attempt_until_the_job_is_too_old(url: str) -> None:
    patient = Ledger(session_factory(url), max_attempts=2, max_wait_seconds=3600)
    payload = job(patient)
    # More than max_attempts: waiting for a host is no attempt.
    assert postponed(5, payload, HOST_SAYS_LATER, patient) == []
    # Past the age limit (0 s here) the host's "later" is no longer believed: a dead letter.
    impatient = Ledger(session_factory(url), max_attempts=2, max_wait_seconds=0)
    assert run_step("fetch", payload, HOST_SAYS_LATER, impatient) is None
    assert letters(impatient) == [("fetch", "http_429", 1)]


def test_our_own_rate_limit_is_waited_out_however_long(url: str) -> None:
    impatient = Ledger(session_factory(url), max_attempts=2, max_wait_seconds=0)
    backlog = always(Postponed("rate_limited", "news.example is busy", 30.0, ours=True))
    assert postponed(3, job(impatient), backlog, impatient) == []
