"""Worker liveness: every worker process keeps a heartbeat key in Redis while it lives.

A job's step carries the id of the process working on it (shared/ledger.py, the claim); the
sweeper gives the steps of processes whose heartbeat is gone to another worker within seconds,
where the job's lease alone would wait a quarter of an hour.
"""

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import redis
from redis.exceptions import RedisError

log = logging.getLogger("copydesk.liveness")

HEARTBEAT_KEY = "copydesk:worker:"
LAST_BEAT_KEY = "copydesk:last-beat:"
# Per worker main process: the messages it has taken from the broker and not yet finished
# (task id -> job id). A message waiting in a worker's memory for its countdown
# has no step begun in the ledger; if the worker dies, this is how the sweeper finds its job.
RESERVED_KEY = "copydesk:reserved:"
# Steps done per stage per minute (status's "done/min"): counted by the workers' tasks, read by
# status without importing Celery.
DONE_KEY = "copydesk:done"
# A beat every 5 s and a key that lives 20 s: three beats may be missed (a busy Redis, a pause
# of the process) before the worker counts as dead.
BEAT_SECONDS = 5.0
TTL_SECONDS = 20

_current: str | None = None
_main: str | None = None  # the worker main process's id, inherited by its pool children


@dataclass(frozen=True)
class Claim:
    """Who works on a job's step: a worker process, and the message it works from."""

    worker: str
    task_id: str


# The claim of the step running in this thread (or task): jobs it accepts are named after it.
_step_claim: ContextVar[Claim | None] = ContextVar("copydesk_step_claim", default=None)


@contextmanager
def step_claim(claim: Claim | None) -> Iterator[None]:
    """Run a step's work under its claim (see current_claim)."""
    token = _step_claim.set(claim)
    try:
        yield
    finally:
        _step_claim.reset(token)


def current_claim() -> Claim | None:
    """The claim of the step under way here; the ledger gives it to the jobs the step accepts,
    so that, were the worker killed before their messages left, the sweeper finds them."""
    return _step_claim.get()


def new_worker_id(stage: str) -> str:
    """An id unique to this process: its stage, host and pid."""
    return f"{stage}@{socket.gethostname()}:{os.getpid()}"


def current_worker() -> str | None:
    """This process's worker id, once its heartbeat runs (None in-process: no Redis)."""
    return _current


def start_heartbeat(client: redis.Redis, stage: str, parent_pid: int | None = None) -> str:
    """Beat for this process from a daemon thread; its worker id.

    A pool child passes its parent's pid: once the parent is gone (SIGKILLed, say) the child
    stops beating, so that the jobs it holds go to a live worker rather than wait for it.
    """
    global _current, _main
    worker = new_worker_id(stage)
    _current = worker
    if parent_pid is None:
        _main = worker
    value = json.dumps({"stage": stage, "host": socket.gethostname(), "pid": os.getpid(),
                        "started": time.time()})
    beat(client, worker, value)
    thread = threading.Thread(target=_beat_forever, args=(client, worker, value, parent_pid),
                              name="copydesk-heartbeat", daemon=True)
    thread.start()
    return worker


def beat(client: redis.Redis, worker: str, value: str) -> None:
    """One heartbeat: the key of `worker`, alive for TTL_SECONDS more, and the time of this
    beat, kept for a day (when it died, the sweeper knows it was alive until then)."""
    with client.pipeline(transaction=False) as pipe:
        pipe.set(HEARTBEAT_KEY + worker, value, ex=TTL_SECONDS)
        pipe.set(LAST_BEAT_KEY + worker, time.time(), ex=24 * 3600)
        pipe.execute()


def last_beats(client: redis.Redis, workers: Collection[str]) -> dict[str, float]:
    """The time (epoch seconds) of the last beat of each of `workers`, where one is known."""
    names = list(workers)
    values = client.mget([LAST_BEAT_KEY + name for name in names]) if names else []
    return {name: float(value) for name, value in zip(names, values, strict=True)
            if value is not None}


def _beat_forever(client: redis.Redis, worker: str, value: str, parent_pid: int | None) -> None:
    while parent_pid is None or os.getppid() == parent_pid:
        time.sleep(BEAT_SECONDS)
        try:
            beat(client, worker, value)
        except RedisError as error:  # Redis away for a moment: beat again next time
            log.warning("heartbeat failed: %s", error)
    log.warning("worker %s lost its parent: heartbeat stopped", worker)


def live_workers(client: redis.Redis) -> dict[str, dict[str, Any]]:
    """Every worker whose heartbeat is fresh, with its stage, host and pid."""
    keys = list(client.scan_iter(match=HEARTBEAT_KEY + "*", count=500))
    values = client.mget(keys) if keys else []
    workers = {}
    for key, value in zip(keys, values, strict=True):
        if value is not None:
            name = key.decode() if isinstance(key, bytes) else str(key)
            workers[name.removeprefix(HEARTBEAT_KEY)] = json.loads(value)
    return workers


def stage_of(worker: str) -> str:
    """The stage a worker id names (the part before '@')."""
    return worker.partition("@")[0]


def main_worker() -> str | None:
    """The id of this worker's main process (the one that takes messages from the broker)."""
    return _main


def note_reserved(client: redis.Redis, worker: str, task_id: str, job_id: str,
                  ttl: int) -> None:
    """Remember that `worker` holds a message of `job_id` (until note_finished)."""
    key = RESERVED_KEY + worker
    with client.pipeline(transaction=False) as pipe:
        pipe.hset(key, task_id, job_id)
        pipe.expire(key, ttl)
        pipe.execute()


def note_finished(client: redis.Redis, worker: str, task_id: str) -> None:
    client.hdel(RESERVED_KEY + worker, task_id)


def reserved_by_dead(client: redis.Redis, live: Collection[str]) -> dict[str, list[tuple[str,
                                                                                          str]]]:
    """Per dead worker, the (task_id, job_id) of the messages it held when it died."""
    found: dict[str, list[tuple[str, str]]] = {}
    for key in client.scan_iter(match=RESERVED_KEY + "*", count=500):
        name = _text(key)
        worker = name.removeprefix(RESERVED_KEY)
        if worker in live:
            continue
        found[worker] = [(_text(task_id), _text(job_id))
                         for task_id, job_id in client.hgetall(name).items()]
    return found


def forget(client: redis.Redis, worker: str) -> None:
    """Drop a dead worker's reservations, once the sweeper has sent their jobs again."""
    client.delete(RESERVED_KEY + worker)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# Kombu's Redis transport keeps a queue's messages in the list of its name, and in one list per
# priority step besides: a queue's depth is the sum of them.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def queue_depth(client: redis.Redis, queue: str) -> int:
    """Messages waiting in `queue`, over all its priority lists."""
    return sum(int(client.llen(queue + suffix)) for suffix in _PRIORITY_SUFFIXES)


def queue_empty(client: redis.Redis, queue: str) -> bool:
    """Whether no message waits in `queue`."""
    return queue_depth(client, queue) == 0


def reserved_jobs(client: redis.Redis) -> set[str]:
    """The jobs of every message a worker holds (waiting for its countdown, say)."""
    jobs: set[str] = set()
    for key in client.scan_iter(match=RESERVED_KEY + "*", count=500):
        jobs.update(_text(value) for value in client.hvals(key))
    return jobs
