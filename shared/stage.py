"""What every stage does around its own work, in-process and in a worker alike.

Enter the job in the ledger (skipping closed ones and counting attempts), run the work, and turn
a failure into a retry or a dead letter. Nothing a stage raises escapes as a lost message.

The envelope is two calls, enter() and settle(), so that the work between them may run
elsewhere (a thread or a process pool) while the ledger stays with the caller; run_step() is the
two around a call in this thread.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.errors import PermanentError, Postponed, TransientError
from shared.liveness import Claim, step_claim
from shared.models import Article, CleanPage, DeadLetter, FetchJob, Payload, RawPage
from shared.observability import DEAD_LETTERS, STAGE_OUTCOMES, timed

if TYPE_CHECKING:  # the ledger imports the stage table from here
    from shared.ledger import Ledger

log = logging.getLogger("copydesk.stage")

# The one stage table: (name, payload it takes, the stage its result goes to). Discover looks
# at a source and accepts jobs; it hands nothing on by itself (its jobs enter at entry_stage).
STAGE_TABLE: tuple[tuple[str, type[Payload], str | None], ...] = (
    ("discover", FetchJob, None),
    ("fetch", FetchJob, "clean"),
    ("clean", RawPage, "extract"),
    ("extract", CleanPage, "store"),
    ("store", Article, None),
)
STAGE_ORDER = {name: rank for rank, (name, _, _) in enumerate(STAGE_TABLE)}
STAGE_INPUT: dict[str, type[Payload]] = {name: kind for name, kind, _ in STAGE_TABLE}
NEXT_STAGE = {name: following for name, _, following in STAGE_TABLE if following}
STAGES = tuple(name for name in STAGE_ORDER if name != "discover")  # the four stage queues

# Infrastructure trouble: the same message will succeed once the service is back. A worker adds
# Celery's soft time limit to these (shared.celery_app), the one runner knows nothing of Celery.
RETRYABLE: tuple[type[BaseException], ...] = (
    TransientError, OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
)

P = TypeVar("P", bound=Payload)
R = TypeVar("R")
Outcome = Literal["ok", "skipped", "dead", "retry", "postponed"]


def entry_stage(payload: Payload) -> str:
    """The stage an accepted job's payload enters at: a URL is fetched, a page in hand cleaned."""
    return "fetch" if isinstance(payload, FetchJob) else "clean"


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed or postponed step is tried again: the workers and `copydesk run` alike.

    Backoff doubles from `base` up to `cap`, with full jitter (Celery's retry_backoff and
    retry_jitter). A host's own "later" (Retry-After, a busy rate limit) is waited out with a
    little jitter, at most `max_postpone` at a time: a worker's message put back waits in that
    worker's memory, and Redis would hand it out again after its visibility timeout.
    """

    base: float = 2.0
    cap: float = 120.0
    jitter: bool = True
    max_postpone: float = 300.0
    # A host asking for a longer pause than this (Retry-After) is given up on at once: the page
    # becomes a dead letter with the host's status (settings.patience).
    patience: float = 300.0

    def delay(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1 for the first retry)."""
        backoff = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return random.uniform(0, backoff) if self.jitter else backoff

    def postpone(self, delay: float) -> float:
        """Seconds to put a postponed step back for, when the host asked for `delay`."""
        spread = random.uniform(0.1, 1.0) * max(delay, 1.0) if self.jitter else 0.0
        return min(self.max_postpone, delay + spread)

    def celery_options(self) -> dict[str, Any]:
        """This policy as a Celery task's autoretry options."""
        return {"retry_backoff": int(self.base), "retry_backoff_max": int(self.cap),
                "retry_jitter": self.jitter}


RETRY_POLICY = RetryPolicy()


def job_of(payload: Payload) -> tuple[str, str, str]:
    """(job_id, url, source) of any stage payload."""
    if isinstance(payload, CleanPage):
        payload = payload.raw
    if isinstance(payload, FetchJob | RawPage | Article):
        return payload.job_id, payload.url, payload.source
    raise TypeError(f"not a stage payload: {type(payload).__name__}")


@dataclass(frozen=True)
class Entered:
    """A job let into a stage: who it is, and its attempt there."""

    stage: str
    job_id: str
    url: str
    source: str
    attempts: int
    started: float
    claim: Claim | None = None  # the worker and message working on it (None in-process)

    @property
    def context(self) -> dict[str, str]:
        return {"job_id": self.job_id, "url": self.url, "stage": self.stage,
                "source": self.source}


@dataclass(frozen=True)
class Settled(Generic[R]):
    """How a step ended: its result, or why there is none (and the error to try again on)."""

    outcome: Outcome
    result: R | None = None
    reason: str = ""
    message: str = ""
    error: BaseException | None = None


def enter(stage: str, payload: Payload, ledger: "Ledger",
          claim: Claim | None = None) -> Entered | Settled[Any]:
    """Let a job into `stage`: Entered, or Settled when it is closed, its message was replaced
    (the sweeper gave the step to another worker) or it is out of attempts."""
    job_id, url, source = job_of(payload)
    begin = ledger.begin(job_id, stage, claim)
    entered = Entered(stage, job_id, url, source, begin.attempts, time.perf_counter(), claim)
    if not begin.proceed:
        log.info("job already closed or its message replaced, skipping", extra=entered.context)
        STAGE_OUTCOMES.labels(stage, "skipped").inc()
        return Settled("skipped")
    if begin.attempts > ledger.max_attempts:
        return give_up(entered, ledger, "too_many_attempts",
                     f"{stage} was started {begin.attempts - 1} times without ending")
    return entered


def settle(entered: Entered, ledger: "Ledger", result: Any = None,
           error: BaseException | None = None,
           retryable: tuple[type[BaseException], ...] = RETRYABLE,
           policy: RetryPolicy = RETRY_POLICY) -> Settled[Any]:
    """Record how the work of an entered step ended: handed on, to retry, or a dead letter."""
    stage, context = entered.stage, entered.context
    if error is None:
        if isinstance(result, Payload) and stage in NEXT_STAGE \
                and not ledger.handoff(entered.job_id, stage, NEXT_STAGE[stage], entered.claim):
            # Too late: the sweeper found this step stuck and gave it to another worker.
            log.warning("%s result dropped: the step was given to another worker", stage,
                        extra=context)
            STAGE_OUTCOMES.labels(stage, "superseded").inc()
            return Settled("skipped")
        STAGE_OUTCOMES.labels(stage, "ok").inc()
        log.info("%s done in %.0f ms", stage, 1000 * (time.perf_counter() - entered.started),
                 extra=context)
        return Settled("ok", result)
    if isinstance(error, Postponed):
        waited = ledger.release(entered.job_id, stage)  # waiting for a host is no attempt
        if error.delay > policy.patience and not error.ours:
            return give_up(entered, ledger, error.reason,
                           f"{error}: longer than the patience of {policy.patience:.0f}s "
                           "(COPYDESK_PATIENCE)")
        if waited > ledger.max_wait and not error.ours:  # a host saying "later" for ever
            return give_up(entered, ledger, error.reason, f"still told to wait after {waited}: "
                                                        f"{error}")
        log.info("postponed %.0fs: %s", error.delay, error, extra=context)
        STAGE_OUTCOMES.labels(stage, "postponed").inc()
        return Settled("postponed", reason=error.reason, message=str(error), error=error)
    if isinstance(error, PermanentError):
        return give_up(entered, ledger, error.reason, error.message)
    if isinstance(error, retryable):
        if entered.attempts >= ledger.max_attempts:
            reason = error.reason if isinstance(error, TransientError) else "infrastructure"
            return give_up(entered, ledger, reason,
                         f"gave up after {entered.attempts} attempts: {error}")
        log.info("will retry: %s", error, extra=context)
        STAGE_OUTCOMES.labels(stage, "retry").inc()
        reason = error.reason if isinstance(error, TransientError) else "infrastructure"
        return Settled("retry", reason=reason, message=str(error), error=error)
    # A bug or a page no rule foresaw: record it, keep the worker.
    log.error("unexpected failure", extra=context, exc_info=error)
    return give_up(entered, ledger, "internal_error", f"{type(error).__name__}: {error}")


def give_up(entered: Entered, ledger: "Ledger", reason: str, message: str) -> Settled[Any]:
    """Make an entered job a dead letter with its reason."""
    log.warning("dead letter: %s: %s", reason, message, extra=entered.context)
    STAGE_OUTCOMES.labels(entered.stage, "dead").inc()
    DEAD_LETTERS.labels(entered.stage, reason).inc()
    ledger.dead_letter(DeadLetter(job_id=entered.job_id, url=entered.url, source=entered.source,
                                  stage=entered.stage, reason=reason, message=message,
                                  attempts=entered.attempts))
    return Settled("dead", reason=reason, message=message)


def run_step(stage: str, payload: P, work: Callable[[P], R], ledger: "Ledger",
             retryable: tuple[type[BaseException], ...] = RETRYABLE,
             policy: RetryPolicy = RETRY_POLICY, claim: Claim | None = None) -> R | None:
    """Run one stage's work on a payload; None when the job is closed or was dead-lettered,
    or when the step was given to another worker meanwhile (`claim`, lost: see the sweeper).

    Transient failures are raised again for the caller to retry, until the ledger's attempt cap
    makes them a dead letter. Anything else unexpected becomes a dead letter at once.
    """
    entered = enter(stage, payload, ledger, claim)
    if isinstance(entered, Settled):
        return None
    try:
        with timed(stage), step_claim(claim):
            result = work(payload)
    except Exception as error:
        settled = settle(entered, ledger, error=error, retryable=retryable, policy=policy)
    else:
        settled = settle(entered, ledger, result)
    if settled.error is not None:
        raise settled.error
    return settled.result
