"""Worker heartbeats in Redis: the main process and every prefork child beat, `copydesk status`
counts them per stage, and they stop when the main process is SIGKILLed (children too); a step
the killed worker held then shows in status as held by a dead worker. A live worker stuck in a
step past the task time limit loses the step to the sweeper's liveness pass."""

import json
import os
import signal
from datetime import timedelta
from pathlib import Path

import redis

from shared.db import Job, migrate, session_factory
from shared.ledger import Ledger
from shared.liveness import HEARTBEAT_KEY, TTL_SECONDS, Claim, beat, live_workers
from shared.models import Payload, utcnow
from shared.settings import Settings
from shared.sweeper import STUCK_GRACE, sweep_workers
from tests.support.services import RedisServer
from tests.support.workers import Workers, copydesk, environment, wait_for


def test_heartbeats_per_process_and_their_end(tmp_path: Path, redis_server: RedisServer,
                                              redis_db: redis.Redis) -> None:
    database_url = f"sqlite:///{tmp_path / 'copydesk.db'}"
    env = environment(database_url, redis_server.url)
    workers = Workers(env, tmp_path)
    process = workers.start("clean", "--concurrency", "2")
    try:
        wait_for(lambda: len(live_workers(redis_db)) == 3, 60, "three clean heartbeats")
        beating = live_workers(redis_db)
        assert {info["stage"] for info in beating.values()} == {"clean"}
        assert process.pid in {info["pid"] for info in beating.values()}
        assert 0 < int(redis_db.ttl(HEARTBEAT_KEY + next(iter(beating)))) <= TTL_SECONDS
        report = json.loads(copydesk("status", "--json", env=env, cwd=tmp_path).stdout)
        assert report["workers"]["live"]["clean"] == 3
        assert report["workers"]["held_by_dead"] == 0
        # The main process alone is killed: its children see their parent gone and stop too.
        os.kill(process.pid, signal.SIGKILL)
        wait_for(lambda: not live_workers(redis_db), TTL_SECONDS + 15, "the heartbeats to end")
        # A clean step the killed main process had begun (no beat runs here to sweep it).
        dead = next(worker for worker, info in beating.items() if info["pid"] == process.pid)
        ledger = Ledger(session_factory(database_url), lease_seconds=900, max_attempts=3)
        job_id = ledger.accept("https://news.example/a", "test")
        assert job_id
        ledger.begin(job_id, "fetch")
        ledger.handoff(job_id, "fetch", "clean")
        assert ledger.begin(job_id, "clean", Claim(dead, "task-1")).proceed
        report = json.loads(copydesk("status", "--json", env=env, cwd=tmp_path).stdout)
        assert report["workers"]["live"]["clean"] == 0
        assert report["workers"]["held_by_dead"] == 1
        assert report["workers"]["dead_holders"] == {dead: 1}
        text = copydesk("status", env=env, cwd=tmp_path).stdout
        assert "live workers: fetch 0, clean 0" in text
        assert "jobs held by dead workers: 1" in text
    finally:
        workers.stop_all()


def test_the_sweeper_takes_a_step_from_a_stuck_worker(tmp_path: Path,
                                                      redis_db: redis.Redis) -> None:
    """A worker alive (its heartbeat fresh in Redis) whose step began longer ago than the
    shipped task time limit plus the grace: the sweep pass gives the step to another worker
    and the stuck one's result is refused; a step younger than that is left alone."""
    limit = Settings.model_fields["task_time_limit"].default  # the shipped 300 s
    database_url = f"sqlite:///{tmp_path / 'copydesk.db'}"
    migrate(database_url)
    ledger = Ledger(session_factory(database_url), lease_seconds=900, max_attempts=3)
    stuck, busy = Claim("fetch@h:1", "task-1"), Claim("fetch@h:1", "task-2")
    beat(redis_db, stuck.worker, json.dumps({"stage": "fetch", "host": "h", "pid": 1}))
    jobs = {}
    for claim, age in ((stuck, STUCK_GRACE.total_seconds() + 1), (busy, 0)):
        job_id = ledger.accept(f"https://news.example/{claim.task_id}", "test")
        assert job_id and ledger.begin(job_id, "fetch", claim).proceed
        with ledger.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.claimed_at = utcnow() - timedelta(seconds=limit + age)
        jobs[claim.task_id] = job_id
    sent: list[tuple[str, Payload]] = []
    count = sweep_workers(ledger, lambda stage, payload: sent.append((stage, payload)),
                          redis_db, None, limit)
    assert count == 1 and [stage for stage, _ in sent] == ["fetch"]
    assert getattr(sent[0][1], "job_id", None) == jobs[stuck.task_id]
    assert stuck.worker in live_workers(redis_db)  # it was alive all along
    # The stuck step ends at last: its result is not sent on; the new message's is.
    assert not ledger.handoff(jobs[stuck.task_id], "fetch", "clean", stuck)
    again = Claim("fetch@h:2", "task-3")
    assert ledger.begin(jobs[stuck.task_id], "fetch", again).proceed
    assert ledger.handoff(jobs[stuck.task_id], "fetch", "clean", again)
