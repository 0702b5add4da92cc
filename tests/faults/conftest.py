"""Fixtures of the fault tests: each test gets its own redis-server, database and bulk site."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.bulk_site import BulkSite
from tests.support.services import RedisServer, postgres_database

PAGES = 300


@pytest.fixture
def site() -> Iterator[BulkSite]:
    # A little delay per page so that fetching, too, is still going on when a fault strikes.
    with BulkSite(PAGES, delay=0.02) as running:
        yield running


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop(kill=True)


@pytest.fixture
def database() -> Iterator[str]:
    with postgres_database() as url:
        yield url
