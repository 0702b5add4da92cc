"""Celery adapter of the clean service."""

from celery import shared_task

from services.clean.clean import clean
from shared.celery_app import deliver, task_options
from shared.models import CleanPage, RawPage
from shared.settings import get_settings


def _clean(raw: RawPage) -> CleanPage:
    return clean(raw)


@shared_task(name="clean", **task_options(get_settings().max_attempts))
def clean_task(message: str) -> None:
    deliver("clean", message, _clean)
