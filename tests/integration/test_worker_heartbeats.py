"""Worker heartbeats in Redis: the main process and every prefork child beat, `copydesk status`
counts them per stage, and they stop when the main process is SIGKILLed (children too)."""

import json
import os
import signal
from pathlib import Path

import redis

from shared.liveness import HEARTBEAT_KEY, TTL_SECONDS, live_workers
from tests.support.services import RedisServer
from tests.support.workers import Workers, copydesk, environment, wait_for


def test_heartbeats_per_process_and_their_end(tmp_path: Path, redis_server: RedisServer,
                                              redis_db: redis.Redis) -> None:
    env = environment(f"sqlite:///{tmp_path / 'copydesk.db'}", redis_server.url)
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
    finally:
        workers.stop_all()
