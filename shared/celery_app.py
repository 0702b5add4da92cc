"""The Celery app factory: the delivery guarantees copydesk relies on, set in one place."""

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from celery import Celery, current_app, current_task, uuid
from celery.exceptions import SoftTimeLimitExceeded
from kombu.transport import redis as kombu_redis
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError

from shared import runtime
from shared.codec import decode, encode
from shared.liveness import DONE_KEY, Claim, current_worker
from shared.models import Payload
from shared.observability import STAGE_OUTCOMES
from shared.settings import Settings
from shared.stage import (
    NEXT_STAGE,
    RETRY_POLICY,
    RETRYABLE,
    STAGE_INPUT,
    STAGES,
    job_of,
    run_step,
)

log = logging.getLogger("copydesk.worker")
TAKEN_KEY = "copydesk:taken"
# The app's setting for the duplicate-delivery test hook (settings.debug_publish_copies).
PUBLISH_COPIES = "copydesk_publish_copies"
# The app's setting for the kill test hook (settings.debug_kill_at).
KILL_AT = "copydesk_debug_kill_at"
# The app's setting for how long a host may ask us to wait (settings.patience).
PATIENCE = "copydesk_patience"
# A stage that overran its soft time limit (stuck on a database that went away, say) is tried
# again like any infrastructure trouble; the attempt cap still ends a page that always overruns.
WORKER_RETRYABLE = (*RETRYABLE, SoftTimeLimitExceeded)

# Queues beyond the four stages: source expansion runs beside fetch, upkeep beside store.
DISCOVER_TASK = "discover"
SOURCE_RUN_TASK = "source_run"
SWEEP_TASK = "sweep"
REVISIT_TASK = "revisit"


class _Channel(kombu_redis.Channel):
    """A Redis channel that says "connection error" once its connection is gone.

    When the broker connection is lost, Celery 5.7 collects the connection (dropping the
    transport's client) and carries on using the old channel: closing it returns the unacked
    messages, a failed retry rejects its message. kombu then builds a client from the missing
    connection, raises AttributeError, and the worker stops with "Unrecoverable error" (seen in
    tests/faults on Redis restarts). Raised as a connection error instead, Celery logs it and
    reconnects; the messages stay in Redis's unacked set, which gives them back after the
    visibility timeout, and the sweeper re-enqueues their jobs in any case.
    """

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous)


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport, with the channel above."""

    Channel = _Channel


def make_app(settings: Settings) -> Celery:
    """A Celery app on Redis with late acks, one message prefetched and no result backend."""
    app = Celery("copydesk", broker=settings.redis_url)
    if urlsplit(settings.redis_url).scheme in ("redis", "rediss"):
        app.conf.broker_transport = f"{__name__}:RedisTransport"
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
        # Task events (three Redis publishes a task) only while a monitor asks for them:
        # Flower switches them on over remote control when it starts.
        worker_send_task_events=False,
        task_send_sent_event=False,
        include=[
            "services.fetch.tasks", "services.clean.tasks",
            "services.extract.tasks", "services.store.tasks",
        ],
    )
    app.conf[PUBLISH_COPIES] = max(1, settings.debug_publish_copies)
    app.conf[KILL_AT] = settings.debug_kill_at
    app.conf[PATIENCE] = settings.patience
    return app


def task_options(max_attempts: int) -> dict[str, Any]:
    """Retry policy of a stage task: backoff with jitter, for infrastructure trouble only."""
    return {
        "acks_late": True,
        "reject_on_worker_lost": True,
        "autoretry_for": WORKER_RETRYABLE,
        **RETRY_POLICY.celery_options(),
        # The ledger's attempt cap decides when to give up; this is only a backstop.
        "max_retries": max_attempts + 2,
    }


def send(task: str, payload: Payload) -> None:
    """Put a payload on the queue its task is routed to (discover goes to fetch's queue).

    Under the duplicate-delivery test hook, the same message (one task id) is published twice.
    """
    message, task_id = encode(payload), uuid()
    for _ in range(current_app.conf.get(PUBLISH_COPIES, 1)):
        current_app.send_task(task, args=[message], task_id=task_id)


def deliver(stage: str, message: str, work: Callable[[Any], Any]) -> Any:
    """The body of every stage task: decode, run the step, send the result on."""
    try:
        payload = decode(STAGE_INPUT[stage], message)
    except (ValidationError, ValueError) as error:
        # No job can be named from an unreadable message; its job stays open in the ledger,
        # and the sweeper re-enqueues it from there.
        log.error("unreadable %s message dropped: %s", stage, error)
        return None
    if second_copy(current_task.request):
        log.info("second copy of a %s message skipped", stage)
        STAGE_OUTCOMES.labels(stage, "duplicate").inc()
        return None
    policy = replace(RETRY_POLICY, patience=current_app.conf.get(PATIENCE, RETRY_POLICY.patience))
    result = run_step(stage, payload, kill_hook(stage, work), runtime.ledger(), WORKER_RETRYABLE,
                      policy, claim_of(current_task.request))
    if isinstance(result, Payload) and stage in NEXT_STAGE:
        send(NEXT_STAGE[stage], result)
    count_done(stage)
    return result


def claim_of(request: Any) -> Claim | None:
    """This process's claim on the step the message `request` starts (None without a
    heartbeat: a task run eagerly, or a process that is no worker)."""
    worker, task_id = current_worker(), getattr(request, "id", None)
    return Claim(worker, task_id) if worker and task_id else None


def second_copy(request: Any) -> bool:
    """Whether this message was taken before: a publisher (or a test) sent it twice.

    Every stage message has its own task id, so the first worker to take an id marks it in
    Redis and a second copy is skipped; without that each stage would double the copies of the
    next. A retry (retries > 0) or a redelivery after its worker died is no copy: it runs, and
    the ledger counts it as an attempt. If the mark is lost (Redis restarted), the copy runs and
    the ledger still keeps the result single.
    """
    if not getattr(request, "id", None) or request.retries \
            or (request.delivery_info or {}).get("redelivered"):
        return False
    ttl = int(current_app.conf.broker_transport_options.get("visibility_timeout", 3600))
    return not runtime.redis_client().set(f"{TAKEN_KEY}:{request.id}", 1, nx=True, ex=ttl)


def count_done(stage: str) -> None:
    """Count a finished message in this minute's per-stage counter (for `copydesk status`)."""
    key = f"{DONE_KEY}:{stage}:{int(time.time() // 60)}"
    pipe = runtime.redis_client().pipeline()
    pipe.incr(key)
    pipe.expire(key, 3600)
    pipe.execute()


def kill_hook(stage: str, work: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`work`, or, under the fault-test setting debug_kill_at = "STAGE:TEXT", `work` that kills
    its own process (SIGKILL) on a URL containing TEXT: a page that kills its worker every time."""
    wanted, _, text = str(current_app.conf.get(KILL_AT) or "").partition(":")
    if not text or wanted != stage:
        return work

    def killing(payload: Any) -> Any:
        if text in job_of(payload)[1]:
            log.warning("debug_kill_at matched %s: killing this process", job_of(payload)[1])
            os.kill(os.getpid(), signal.SIGKILL)
        return work(payload)

    return killing
