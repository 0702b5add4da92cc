"""Celery adapters of the store service: decode, call, close; plus the ledger sweeper."""

from celery import shared_task

from services.store.store import store_and_close
from shared import runtime
from shared.celery_app import SWEEP_TASK, deliver, send, task_options
from shared.liveness import current_worker
from shared.models import Article
from shared.settings import get_settings
from shared.sweeper import sweep, sweep_workers


def _store(article: Article) -> None:
    store_and_close(article, runtime.ledger())


@shared_task(name="store", **task_options(get_settings().max_attempts))
def store_task(message: str) -> None:
    deliver("store", message, _store)


@shared_task(name=SWEEP_TASK, ignore_result=True)
def sweep_task() -> int:
    ledger = runtime.ledger()
    return sweep(ledger, send) + sweep_workers(ledger, send, runtime.redis_client(),
                                               current_worker(), get_settings().task_time_limit)
