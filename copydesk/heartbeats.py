"""The liveness side of a worker: its heartbeats, and the messages it holds, kept in Redis."""

import os
from typing import Any

from celery.signals import task_postrun, task_received, worker_init, worker_process_init

from shared import runtime
from shared.codec import job_id_of
from shared.liveness import main_worker, note_finished, note_reserved, start_heartbeat
from shared.settings import get_settings


def connect(stage: str) -> None:
    """Beat from every process that runs tasks: the main one (thread pools run there) and each
    prefork child, which stops beating once its parent is gone; note the messages held."""
    parent = os.getpid()
    worker_init.connect(lambda **_: start_heartbeat(runtime.redis_client(), stage), weak=False)
    worker_process_init.connect(
        lambda **_: start_heartbeat(runtime.redis_client(), stage, parent), weak=False)
    task_received.connect(_received, weak=False)
    task_postrun.connect(_finished, weak=False)


def _received(request: Any = None, **_: Any) -> None:
    """A message taken from the broker (maybe to wait for its countdown here): note its job."""
    worker, args = main_worker(), getattr(request, "args", None)
    job_id = job_id_of(args[0]) if args and isinstance(args[0], str) else None
    if worker and job_id and request.id:
        ttl = get_settings().task_time_limit * 4  # the visibility timeout
        note_reserved(runtime.redis_client(), worker, request.id, job_id, ttl)


def _finished(task_id: str | None = None, state: str | None = None, **_: Any) -> None:
    # A retry is the same task id, published again: its new message keeps the note.
    worker = main_worker()
    if worker and task_id and state != "RETRY":
        note_finished(runtime.redis_client(), worker, task_id)
