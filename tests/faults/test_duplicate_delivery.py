"""Fault 4: every message delivered twice (each stage message published twice, one task id)."""

from pathlib import Path

import pytest

from tests.faults.accounting import assert_exactly_once
from tests.faults.conftest import PAGES
from tests.faults.harness import FaultRun, report
from tests.support.bulk_site import BulkSite
from tests.support.services import RedisServer


@pytest.mark.slow
def test_every_message_delivered_twice(tmp_path: Path, site: BulkSite, redis: RedisServer,
                                       database: str) -> None:
    run = FaultRun(tmp_path, site, worker_database_url=database, check_database_url=database,
                   redis_url=redis.url, COPYDESK_DEBUG_PUBLISH_COPIES="2").start()
    try:
        run.submit()
        total = run.wait_closed(PAGES)
        tally = assert_exactly_once(database)
        report("delivered-twice", tally, seconds=total, swept=run.swept(),
               second_copies_skipped=run.log_count("second copy of a"))
        assert tally.articles == PAGES and not tally.dead
        assert tally.jobs_per_url == 1
    finally:
        run.stop()
