"""What every stage does around its own work, in-process and in a worker alike.

Enter the job in the ledger (skipping closed ones and counting attempts), run the work, and turn
a failure into a retry or a dead letter. Nothing a stage raises escapes as a lost message.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import InterfaceError, OperationalError

from shared.errors import PermanentError, Postponed, TransientError
from shared.ledger import Ledger
from shared.liveness import Claim, step_claim
from shared.models import Article, CleanPage, DeadLetter, FetchJob, Payload, RawPage
from shared.observability import DEAD_LETTERS, STAGE_OUTCOMES, timed

log = logging.getLogger("copydesk.stage")

STAGES = ("fetch", "clean", "extract", "store")
NEXT_STAGE = {"fetch": "clean", "clean": "extract", "extract": "store"}
STAGE_INPUT: dict[str, type[Payload]] = {
    "discover": FetchJob, "fetch": FetchJob, "clean": RawPage, "extract": CleanPage,
    "store": Article,
}
# Infrastructure trouble: the same message will succeed once the service is back.
# A stage that overran its soft time limit (stuck on a database that went away, say) is tried
# again like any infrastructure trouble; the attempt cap still ends a page that always overruns.
RETRYABLE: tuple[type[BaseException], ...] = (
    TransientError, OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError,
    SoftTimeLimitExceeded,
)

P = TypeVar("P", bound=Payload)
R = TypeVar("R")


def job_of(payload: Payload) -> tuple[str, str, str]:
    """(job_id, url, source) of any stage payload."""
    if isinstance(payload, CleanPage):
        payload = payload.raw
    if isinstance(payload, FetchJob | RawPage | Article):
        return payload.job_id, payload.url, payload.source
    raise TypeError(f"not a stage payload: {type(payload).__name__}")


def run_step(stage: str, payload: P, work: Callable[[P], R], ledger: Ledger,
             claim: Claim | None = None) -> R | None:
    """Run one stage's work on a payload; None when the job is closed or was dead-lettered,
    or when the step was given to another worker meanwhile (`claim`, lost: see the sweeper).

    Transient failures are raised again for the caller to retry, until the ledger's attempt cap
    makes them a dead letter. Anything else unexpected becomes a dead letter at once.
    """
    job_id, url, source = job_of(payload)
    context = {"job_id": job_id, "url": url, "stage": stage, "source": source}
    begin = ledger.begin(job_id, stage, claim)
    if not begin.proceed:
        log.info("job already closed or its message replaced, skipping", extra=context)
        STAGE_OUTCOMES.labels(stage, "skipped").inc()
        return None

    def dead(reason: str, message: str) -> None:
        log.warning("dead letter: %s: %s", reason, message, extra=context)
        STAGE_OUTCOMES.labels(stage, "dead").inc()
        DEAD_LETTERS.labels(stage, reason).inc()
        ledger.dead_letter(DeadLetter(job_id=job_id, url=url, source=source, stage=stage,
                                      reason=reason, message=message, attempts=begin.attempts))

    if begin.attempts > ledger.max_attempts:
        dead("too_many_attempts", f"{stage} was started {begin.attempts - 1} times without ending")
        return None
    try:
        started = time.perf_counter()
        with timed(stage), step_claim(claim):
            result = work(payload)
        if isinstance(result, Payload) and stage in NEXT_STAGE \
                and not ledger.handoff(job_id, stage, NEXT_STAGE[stage], claim):
            # Too late: the sweeper found this step stuck and gave it to another worker.
            log.warning("%s result dropped: the step was given to another worker", stage,
                        extra=context)
            STAGE_OUTCOMES.labels(stage, "superseded").inc()
            return None
        STAGE_OUTCOMES.labels(stage, "ok").inc()
        log.info("%s done in %.0f ms", stage, 1000 * (time.perf_counter() - started),
                 extra=context)
        return result
    except Postponed as error:
        waited = ledger.release(job_id, stage)  # waiting for a host is no attempt of the job
        if waited > ledger.max_wait and not error.ours:  # a host saying "later" for ever
            dead(error.reason, f"still told to wait after {waited}: {error}")
            return None
        log.info("postponed %.0fs: %s", error.delay, error, extra=context)
        STAGE_OUTCOMES.labels(stage, "postponed").inc()
        raise
    except PermanentError as error:
        dead(error.reason, error.message)
    except RETRYABLE as error:
        if begin.attempts >= ledger.max_attempts:
            reason = error.reason if isinstance(error, TransientError) else "infrastructure"
            dead(reason, f"gave up after {begin.attempts} attempts: {error}")
            return None
        log.info("will retry: %s", error, extra=context)
        STAGE_OUTCOMES.labels(stage, "retry").inc()
        raise
    except Exception as error:  # a bug or a page no rule foresaw: record it, keep the worker
        log.exception("unexpected failure", extra=context)
        dead("internal_error", f"{type(error).__name__}: {error}")
    return None
