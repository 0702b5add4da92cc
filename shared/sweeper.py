"""The sweeper: re-enqueue jobs left open past their lease, so a lost message costs only time,
and at once the steps of workers that died (their heartbeat is gone) or got stuck."""

import logging
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime, timedelta

import redis

from shared.db import Job
from shared.ledger import Ledger
from shared.liveness import (
    forget,
    last_beats,
    live_workers,
    queue_empty,
    reserved_by_dead,
    reserved_jobs,
)
from shared.models import FetchJob, Payload, utcnow
from shared.records import as_utc

log = logging.getLogger("copydesk.sweeper")


def restart_point(ledger: Ledger, job: Job) -> tuple[str, Payload]:
    """The earliest stage an open job can start again from, and the payload to send there."""
    fetch_job = FetchJob(job_id=job.id, url=job.url, source=job.source, hints=job.hints or {})
    if job.stage == "discover":
        return "discover", fetch_job
    # A kept raw page means fetch finished, whatever stage the job reached after it: restart
    # from there rather than download again (and count a fetch attempt for nothing).
    raw = ledger.raw_page(job.id)
    return ("clean", raw) if raw is not None else ("fetch", fetch_job)


def sweep(ledger: Ledger, send: Callable[[str, Payload], None], limit: int = 1000) -> int:
    """Send every expired open job back to the earliest stage it can restart from."""
    count = 0
    for job in ledger.expired(limit=limit):
        send(*restart_point(ledger, job))
        ledger.renew(job.id)
        count += 1
    if count:
        log.warning("re-enqueued %d jobs left open past their lease", count)
    return count


# A step this much longer than the task time limit is stuck: a prefork child past the limit is
# killed by Celery (and found dead), but a thread cannot be killed, and waits on for ever.
STUCK_GRACE = timedelta(seconds=60)
# A message is sent milliseconds after its job is handed on: one handed on this long before
# its worker's last heartbeat has left (the margin covers clocks a little apart, too).
SENT_BY = timedelta(seconds=5)


def sweep_workers(ledger: Ledger, send: Callable[[str, Payload], None], client: redis.Redis,
                  me: str | None, task_time_limit: float) -> int:
    """The liveness pass of the sweeper, run by worker `me`.

    Without its own heartbeat in Redis, the sweeping worker cannot tell dead workers from a
    Redis that lost its keys (restarted without AOF): it leaves the pass to the next sweep.
    """
    live = live_workers(client)
    if me is not None and me not in live:
        log.warning("own heartbeat missing (Redis restarted?): liveness pass skipped")
        return 0
    held = {job.worker for job in ledger.held() if job.worker and job.worker not in live}
    beats = {worker: datetime.fromtimestamp(at, UTC)
             for worker, at in last_beats(client, held).items()}
    count = sweep_orphans(ledger, send, live, timedelta(seconds=task_time_limit) + STUCK_GRACE,
                          last_beat=beats)
    for worker, messages in reserved_by_dead(client, live).items():
        count += sweep_reserved(ledger, send, worker, messages)
        forget(client, worker)
    return count + sweep_lost(ledger, send, client)


# A job handed on this long ago, its stage's queue empty and no worker holding its message:
# the message was lost (a worker killed between taking it from Redis and noting it).
LOST_AFTER = timedelta(seconds=45)
QUEUES = ("fetch", "clean", "extract", "store")


def sweep_lost(ledger: Ledger, send: Callable[[str, Payload], None], client: redis.Redis,
               now: datetime | None = None) -> int:
    """Send again the jobs whose message is nowhere: not in their queue, not held."""
    empty = [queue for queue in QUEUES if queue_empty(client, queue)]
    if not empty:
        return 0
    waiting = ledger.waiting(empty, (now or utcnow()) - LOST_AFTER)
    held = reserved_jobs(client) if waiting else set()
    count = 0
    for job in waiting:
        if job.id not in held and ledger.resend(job):
            send(*restart_point(ledger, job))
            count += 1
    if count:
        log.warning("re-enqueued %d jobs whose message was lost", count)
    return count


def sweep_reserved(ledger: Ledger, send: Callable[[str, Payload], None], worker: str,
                   messages: list[tuple[str, str]]) -> int:
    """Send again the jobs of the messages a dead worker held without a step begun."""
    count = 0
    for task_id, job_id in messages:
        job = ledger.supersede_message(job_id, task_id)
        if job is not None:
            send(*restart_point(ledger, job))
            count += 1
    if count:
        log.warning("re-enqueued %d jobs whose messages %s held when it died", count, worker)
    return count


def sweep_orphans(ledger: Ledger, send: Callable[[str, Payload], None], live: Collection[str],
                  stuck_after: timedelta, now: datetime | None = None,
                  last_beat: Mapping[str, datetime] | None = None) -> int:
    """Send again the steps held by a worker that is gone (no heartbeat) or stuck (a step
    older than `stuck_after`); their old message is refused if it ever comes back.

    A job the dead worker had handed on (or accepted from a feed) waits for its next step:
    its message left, unless the worker died right after. Those handed on well before its
    last heartbeat (`last_beat`) are left to their message; the others are sent again.
    The attempt count stays: a page that kills its worker every time still ends as a
    too_many_attempts dead letter.
    """
    now, last_beat = now or utcnow(), last_beat or {}
    count = 0
    for job in ledger.held():
        claimed = as_utc(job.claimed_at)
        stuck = claimed is not None and now - claimed > stuck_after
        if job.worker in live and not stuck:
            continue
        handed_on, alive_until = as_utc(job.updated_at), last_beat.get(job.worker or "")
        if claimed is None and handed_on and alive_until and handed_on < alive_until - SENT_BY:
            continue
        if not ledger.supersede(job):
            continue
        log.warning("job %s: %s %s, sent again", job.id, job.worker,
                    "is stuck" if stuck else "is gone", extra={"job_id": job.id})
        send(*restart_point(ledger, job))
        count += 1
    if count:
        log.warning("re-enqueued %d jobs held by dead or stuck workers", count)
    return count
