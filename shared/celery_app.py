"""The Celery app factory: the delivery guarantees copydesk relies on, set in one place."""

import logging
import time
from collections.abc import Callable
from typing import Any

from celery import Celery, current_app
from pydantic import ValidationError

from shared import runtime
from shared.codec import decode, encode
from shared.models import Payload
from shared.settings import Settings
from shared.stage import NEXT_STAGE, RETRYABLE, STAGE_INPUT, STAGES, run_step

log = logging.getLogger("copydesk.worker")
DONE_KEY = "copydesk:done"

# Queues beyond the four stages: source expansion runs beside fetch, upkeep beside store.
DISCOVER_TASK = "discover"
SOURCE_RUN_TASK = "source_run"
SWEEP_TASK = "sweep"
REVISIT_TASK = "revisit"


def make_app(settings: Settings) -> Celery:
    """A Celery app on Redis with late acks, one message prefetched and no result backend."""
    app = Celery("copydesk", broker=settings.redis_url)
    routes = {stage: {"queue": stage} for stage in STAGES}
    routes[DISCOVER_TASK] = {"queue": "fetch"}
    routes[SOURCE_RUN_TASK] = {"queue": "fetch"}
    routes[SWEEP_TASK] = {"queue": "store"}
    routes[REVISIT_TASK] = {"queue": "fetch"}
    app.conf.update(
        task_routes=routes,
        task_default_queue="fetch",
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        # A message is acknowledged only once its task has finished, and a worker holds one
        # message at a time, so a killed worker's message goes back to the queue.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(1, settings.task_time_limit - 10),
        # Redis redelivers an unacknowledged message after this; it must outlast any task.
        broker_transport_options={"visibility_timeout": settings.task_time_limit * 4},
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        worker_send_task_events=True,
        task_send_sent_event=True,
        include=[
            "services.fetch.tasks", "services.clean.tasks",
            "services.extract.tasks", "services.store.tasks",
        ],
    )
    return app


def task_options(max_attempts: int) -> dict[str, Any]:
    """Retry policy of a stage task: backoff with jitter, for infrastructure trouble only."""
    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": RETRYABLE,
        "retry_backoff": 2,
        "retry_backoff_max": 120,
        "retry_jitter": True,
        # The ledger's attempt cap decides when to give up; this is only a backstop.
        "max_retries": max_attempts + 2,
    }


def send(stage: str, payload: Payload) -> None:
    """Put a payload on a stage's queue."""
    current_app.send_task(stage, args=[encode(payload)], queue=stage)


def deliver(stage: str, message: str, work: Callable[[Any], Any]) -> Any:
    """The body of every stage task: decode, run the step, send the result on."""
    try:
        payload = decode(STAGE_INPUT[stage], message)
    except (ValidationError, ValueError) as error:
        # No job can be named from an unreadable message; its job stays open in the ledger,
        # and the sweeper re-enqueues it from there.
        log.error("unreadable %s message dropped: %s", stage, error)
        return None
    result = run_step(stage, payload, work, runtime.ledger())
    if isinstance(result, Payload) and stage in NEXT_STAGE:
        send(NEXT_STAGE[stage], result)
    count_done(stage)
    return result


def count_done(stage: str) -> None:
    """Count a finished message in this minute's per-stage counter (for `copydesk status`)."""
    key = f"{DONE_KEY}:{stage}:{int(time.time() // 60)}"
    pipe = runtime.redis_client().pipeline()
    pipe.incr(key)
    pipe.expire(key, 3600)
    pipe.execute()
