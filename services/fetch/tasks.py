"""Celery adapters of the fetch service: discover sources, fetch pages."""

import time
from functools import lru_cache

from celery import shared_task

from services.fetch.client import HttpClient
from services.fetch.factory import make_client
from services.fetch.stage import discover_and_accept, fetch_and_keep, run_slot, source_job
from shared import runtime
from shared.celery_app import (
    DISCOVER_TASK,
    REVISIT_TASK,
    SOURCE_RUN_TASK,
    deliver,
    send,
    task_options,
)
from shared.models import FetchJob, Payload, RawPage
from shared.revisits import due_revisits
from shared.settings import get_settings

OPTIONS = task_options(get_settings().max_attempts)


@lru_cache(maxsize=1)
def client() -> HttpClient:
    """One HTTP client per worker process; rate limits and robots.txt shared through Redis."""
    return make_client(get_settings(), runtime.redis_client())


def _fetch(job: FetchJob) -> RawPage | None:
    return fetch_and_keep(job, client(), runtime.ledger())


def _discover(job: FetchJob) -> list[Payload]:
    return discover_and_accept(job, client(), runtime.ledger())


@shared_task(name="fetch", **OPTIONS)
def fetch_task(message: str) -> None:
    deliver("fetch", message, _fetch)


@shared_task(name=DISCOVER_TASK, **OPTIONS)
def discover_task(message: str) -> None:
    for payload in deliver("discover", message, _discover) or []:
        send("fetch" if isinstance(payload, FetchJob) else "clean", payload)


@shared_task(name=REVISIT_TASK, ignore_result=True)
def revisit_task() -> int:
    """Fetch again the live blogs whose next visit is due."""
    jobs = due_revisits(runtime.ledger())
    for job in jobs:
        send("fetch", job)
    return len(jobs)


@shared_task(name=SOURCE_RUN_TASK, ignore_result=True)
def source_run_task(name: str, location: str, period: float, cron: str) -> bool:
    """A scheduled run of a source; runs from two beats in one slot start it once."""
    slot = run_slot(period, cron, time.time())
    key = f"copydesk:run:{name}:{slot}"
    if not runtime.redis_client().set(key, "1", nx=True, ex=7 * 86400):
        return False
    send(DISCOVER_TASK, source_job(name, location, runtime.ledger()))
    return True
