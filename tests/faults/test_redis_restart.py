"""Fault 2: Redis killed and started again mid-run, with AOF and with no persistence at all."""

import time
from pathlib import Path

import pytest

from tests.faults.accounting import assert_exactly_once
from tests.faults.conftest import PAGES
from tests.faults.harness import FaultRun, report
from tests.support.bulk_site import BulkSite
from tests.support.services import RedisServer

DOWN_SECONDS = 3.0


@pytest.mark.slow
@pytest.mark.parametrize("appendonly", [True, False], ids=["aof", "no-persistence"])
def test_redis_restart_mid_run(tmp_path: Path, site: BulkSite, database: str,
                               appendonly: bool) -> None:
    redis = RedisServer(tmp_path / "redis", appendonly=appendonly).start()
    run = FaultRun(tmp_path, site, worker_database_url=database, check_database_url=database,
                   redis_url=redis.url).start()
    try:
        run.submit()
        run.wait(lambda: run.closed() >= PAGES // 3, "a third of the jobs closed")
        closed_at_fault = run.closed()
        redis.stop(kill=True)  # SIGKILL: with AOF everysec up to a second of writes is lost
        time.sleep(DOWN_SECONDS)
        redis.start()
        back = run.elapsed()
        total = run.wait_closed(PAGES)
        tally = assert_exactly_once(database)
        name = "redis-restart-" + ("aof" if appendonly else "no-persistence")
        report(name, tally, seconds=total, recovered_after_restart=total - back,
               closed_at_fault=closed_at_fault, swept=run.swept())
        assert tally.articles == PAGES and not tally.dead
    finally:
        run.stop()
        redis.stop(kill=True)
