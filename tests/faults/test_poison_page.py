"""Fault 5: a page that kills its clean worker every time ends as a dead letter after N tries."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.accounting import assert_exactly_once, tally
from tests.faults.harness import FaultRun, report
from tests.support.bulk_site import POISON_PATH, BulkSite
from tests.support.services import RedisServer

PAGES = 100
MAX_ATTEMPTS = 3


@pytest.fixture
def poisoned_site() -> Iterator[BulkSite]:
    with BulkSite(PAGES, poison=True) as running:
        yield running


def test_poison_page_becomes_a_dead_letter(tmp_path: Path, poisoned_site: BulkSite,
                                           redis: RedisServer, database: str) -> None:
    run = FaultRun(tmp_path, poisoned_site, worker_database_url=database,
                   check_database_url=database, redis_url=redis.url,
                   COPYDESK_DEBUG_KILL_AT=f"clean:{POISON_PATH}",
                   COPYDESK_MAX_ATTEMPTS=str(MAX_ATTEMPTS)).start()
    try:
        run.submit()
        poison = poisoned_site.url(POISON_PATH)
        dead_after = run.wait(lambda: poison in tally(database).dead_urls, "the poison letter")
        total = run.wait_closed(PAGES + 1)
        result = assert_exactly_once(database)
        kills = run.log_count("debug_kill_at matched")
        report("poison-page", result, seconds=total, poison_dead_after=dead_after,
               worker_kills=kills)
        assert result.dead == {"too_many_attempts": 1}
        assert result.articles == PAGES
        assert kills == MAX_ATTEMPTS
    finally:
        run.stop()
