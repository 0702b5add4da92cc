"""Celery adapter of the clean service."""

from functools import cache

from celery import shared_task

from services.clean.clean import clean
from services.clean.redis_furniture import RedisFurniture, shared_index
from shared.celery_app import deliver, task_options
from shared.models import CleanPage, RawPage
from shared.settings import get_settings


@cache
def _furniture() -> RedisFurniture:
    # In Redis, not in the worker: every clean worker learns from the pages all of them saw,
    # and a page redelivered to another worker meets the same counts.
    return shared_index()


def _clean(raw: RawPage) -> CleanPage:
    return clean(raw, _furniture())


@shared_task(name="clean", **task_options(get_settings().max_attempts))
def clean_task(message: str) -> None:
    deliver("clean", message, _clean)
