"""Fixtures of the integration tests."""

from collections.abc import Iterator

import pytest
import redis

from tests.support.fixture_server import FixtureSite
from tests.support.services import RedisServer


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    """The fixture news site on a loopback port, one server per test module."""
    with FixtureSite() as running:
        yield running


@pytest.fixture
def redis_db(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """The session's own redis-server, emptied around each test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.flushdb()
