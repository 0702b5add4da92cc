"""Fault 1b: with the shipped settings (a 900 s lease, a 1,200 s visibility timeout), SIGKILL
the worker of each stage in turn, main process and pool children, while it works on jobs:
the jobs it held are sent again once its heartbeat is gone, and close within 90 s of the kill.
The killed workers' messages, given back later by Redis, then do nothing."""

import time
from pathlib import Path

import pytest
import redis
from kombu import Connection
from sqlalchemy import func, select

from shared.db import Job
from tests.faults.accounting import assert_exactly_once
from tests.faults.conftest import PAGES
from tests.faults.harness import STAGES, FaultRun, report
from tests.support.bulk_site import BulkSite
from tests.support.services import RedisServer

RECOVERY_LIMIT = 90.0
LOST_AFTER = 240.0


def held_by(run: FaultRun, stage: str) -> set[str]:
    """Open article jobs a worker of `stage` is working on (in a step)."""
    with run.db.connect() as db:
        return set(db.scalars(select(Job.id).where(Job.status == "open", Job.stage != "discover",
                                                   Job.worker.like(f"{stage}@%"),
                                                   Job.claimed_at.is_not(None))))


def open_jobs(run: FaultRun) -> list[tuple[object, ...]]:
    """What the jobs left open look like (for the failure message)."""
    with run.db.connect() as db:
        rows = db.execute(select(Job.id, Job.url, Job.stage, Job.attempts, Job.worker,
                                 Job.task_id, Job.claimed_at, Job.superseded, Job.updated_at)
                          .where(Job.status == "open"))
        return [tuple(row) for row in rows]


def sitemap_read(run: FaultRun) -> bool:
    with run.db.connect() as db:
        return bool(db.scalar(select(func.count()).select_from(Job).where(
            Job.stage == "discover", Job.status != "open")))


def still_open(run: FaultRun, job_ids: set[str]) -> int:
    with run.db.connect() as db:
        return int(db.scalar(select(func.count()).select_from(Job).where(
            Job.id.in_(job_ids), Job.status == "open")) or 0)


def kill_while_holding(run: FaultRun, stage: str) -> tuple[float, set[str]]:
    """Wait until the stage's worker holds a job, SIGKILL it and start another one; the kill's
    time and the jobs the killed worker held. A step of clean or extract takes milliseconds:
    when it ended between the look and the kill, the new worker is killed in turn."""
    for _ in range(5):
        run.wait(lambda: bool(held_by(run, stage)), f"{stage} holding a job", timeout=120)
        killed_at = time.monotonic()
        run.kill_worker(stage)
        held = held_by(run, stage)  # no new worker yet: these were the dead one's
        run.start_worker(stage)
        if held:
            break
    return killed_at, held


def give_back_unacked(redis_url: str) -> int:
    """What Redis does after the visibility timeout: put every unacknowledged message back on
    its queue (kombu's own restore), here at once rather than in 20 minutes."""
    tags = redis.Redis.from_url(redis_url).hkeys("unacked")
    with Connection(redis_url) as connection:
        channel = connection.default_channel
        for tag in tags:
            channel.qos.restore_by_tag(tag.decode(), leftmost=True)  # type: ignore[union-attr]
    return len(tags)


@pytest.mark.slow
def test_dead_workers_jobs_close_within_90s_with_default_settings(
        tmp_path: Path, site: BulkSite, redis: RedisServer, database: str) -> None:
    run = FaultRun(tmp_path, site, worker_database_url=database, check_database_url=database,
                   redis_url=redis.url, shorten=False).start()
    try:
        run.submit()
        # The fetch worker may be killed while it still sends the sitemap's jobs on: those
        # jobs carry its name in the ledger, and are swept like its own steps.
        run.wait(lambda: sitemap_read(run), "the sitemap read")
        kills = {stage: kill_while_holding(run, stage) for stage in STAGES}
        recovery: dict[str, float] = {}
        for stage, (killed_at, held) in kills.items():
            assert held, f"the {stage} worker held no job when killed"
            try:
                run.wait(lambda held=held: still_open(run, held) == 0,  # type: ignore[misc]
                         f"the jobs the {stage} worker held", timeout=RECOVERY_LIMIT + 30)
            except AssertionError as error:
                raise AssertionError(f"{open_jobs(run)}\n{error}") from None
            recovery[stage] = time.monotonic() - killed_at
        last_kill = max(killed_at for killed_at, _ in kills.values())
        # The rest is the backlog the kills left, worked off on a busy machine; anything the
        # kills lost would wait for the 900 s lease, long after this gives up.
        try:
            run.wait_closed(PAGES, timeout=LOST_AFTER)
        except AssertionError as error:
            raise AssertionError(f"{open_jobs(run)}\n{error}") from None
        closed_after_last_kill = time.monotonic() - last_kill
        # The killed workers' messages come back, as Redis would hand them out 20 minutes on.
        restored = give_back_unacked(redis.url)
        time.sleep(5)
        run.wait_closed(PAGES, timeout=30)
        tally = assert_exactly_once(database)
        report("liveness", tally, **{f"{stage}_recovered_s": seconds
                                     for stage, seconds in recovery.items()},
               held=" ".join(f"{stage}:{len(held)}" for stage, (_, held) in kills.items()),
               all_closed_after_last_kill_s=closed_after_last_kill, late_copies=restored)
        assert all(seconds <= RECOVERY_LIMIT for seconds in recovery.values()), recovery
        assert tally.articles == PAGES and not tally.dead
    finally:
        run.stop()
