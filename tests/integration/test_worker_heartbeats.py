"""Worker heartbeats in Redis: the main process and every prefork child beat, `copydesk status`
counts them per stage, and they stop when the main process is SIGKILLed (children too); a step
the killed worker held then shows in status as held by a dead worker."""

import json
import os
import signal
from pathlib import Path

import redis

from shared.db import session_factory
from shared.ledger import Ledger
from shared.liveness import HEARTBEAT_KEY, TTL_SECONDS, Claim, live_workers
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
