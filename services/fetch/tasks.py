"""Celery adapters of the fetch service: discover sources, fetch pages."""

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from celery import Task, shared_task

from services.fetch.client import HttpClient
from services.fetch.factory import make_client
from services.fetch.steps import discover_and_accept, fetch_and_keep, source_job
from shared import runtime
from shared.celery_app import (
    DISCOVER_TASK,
    REVISIT_TASK,
    SOURCE_RUN_TASK,
    deliver,
    send,
    task_options,
)
from shared.codec import decode
from shared.errors import Postponed
from shared.models import FetchJob, Payload, RawPage
from shared.revisits import due_revisits
from shared.settings import get_settings
from shared.stage import RETRY_POLICY, entry_stage

log = logging.getLogger("copydesk.fetch")
OPTIONS = task_options(get_settings().max_attempts)


@lru_cache(maxsize=1)
def client() -> HttpClient:
    """One HTTP client per worker process; rate limits and robots.txt shared through Redis."""
    return make_client(get_settings(), runtime.redis_client())


def _fetch(job: FetchJob) -> RawPage | None:
    return fetch_and_keep(job, client(), runtime.ledger())


def _discover(job: FetchJob) -> list[Payload]:
    return discover_and_accept(job, client(), runtime.ledger())


def polite_deliver(task: Task, stage: str, message: str, work: Callable[[Any], Any]) -> Any:
    """deliver(), unless the job's host is busy: then the message goes back on the queue for
    later, before the ledger counts an attempt, since waiting for a host is no failure of the
    page. A host found busy during the work (a 429, a 503 with Retry-After, a slot taken
    meanwhile) also sends the message back after the pause the host asked for."""
    busy = _busy_for(message)
    if busy > 0:
        _put_back(task, stage, message, busy)
        return None
    try:
        return deliver(stage, message, work)
    except Postponed as error:
        _put_back(task, stage, message, error.delay)
        return None


def _busy_for(message: str) -> float:
    limiter = client().rate_limiter
    try:
        host = urlsplit(decode(FetchJob, message).url).hostname
    except ValueError:  # pydantic's ValidationError too: deliver() reports the bad message
        return 0.0
    return limiter.busy_for(host) if limiter is not None and host else 0.0


def _put_back(task: Task, stage: str, message: str, delay: float) -> None:
    # A new message, not a retry: retries count towards the task's max_retries backstop.
    # Jitter spreads the jobs of one busy host so they do not all come back in one herd.
    countdown = RETRY_POLICY.postpone(delay)
    log.info("%s: host busy, message put back for %.1fs", stage, countdown)
    task.apply_async(args=[message], countdown=countdown)


@shared_task(bind=True, name="fetch", **OPTIONS)
def fetch_task(self: Task, message: str) -> None:
    polite_deliver(self, "fetch", message, _fetch)


@shared_task(bind=True, name=DISCOVER_TASK, **OPTIONS)
def discover_task(self: Task, message: str) -> None:
    for payload in polite_deliver(self, "discover", message, _discover) or []:
        send(entry_stage(payload), payload)
    runtime.ledger().messages_sent(self.request.id)  # the sweeper need not send them again


@shared_task(name=REVISIT_TASK, ignore_result=True)
def revisit_task() -> int:
    """Fetch again the live blogs whose next visit is due."""
    jobs = due_revisits(runtime.ledger())
    for job in jobs:
        send("fetch", job)
    return len(jobs)


@shared_task(name=SOURCE_RUN_TASK, ignore_result=True)
def source_run_task(name: str, location: str, hints: dict[str, str] | None = None) -> None:
    """A scheduled run of a source; beat sends one per (source, slot) (copydesk.schedule)."""
    send(DISCOVER_TASK, source_job(name, location, runtime.ledger(), hints))
