"""Celery adapter of the extract service."""

from celery import shared_task

from services.extract.extract import extract
from shared.celery_app import deliver, task_options
from shared.settings import get_settings


@shared_task(name="extract", **task_options(get_settings().max_attempts))
def extract_task(message: str) -> None:
    deliver("extract", message, extract)
