"""A source's own rate and 'since', from its job's hints to the shared limiter and discovery:
the fixture site's sitemap index over HTTP, a real redis-server, a SQLite ledger."""

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from services.fetch.discover import discover
from services.fetch.factory import make_client
from services.fetch.options import RATE, SINCE
from services.fetch.ratelimit import RedisRateLimiter
from services.fetch.steps import discover_and_accept, source_job
from shared import runtime
from shared.models import FetchJob
from shared.settings import Settings
from shared.sweeper import restart_point
from tests.support.fixture_server import FixtureSite


def test_a_source_rate_spaces_its_host_for_every_worker(redis_db: redis.Redis) -> None:
    one = RedisRateLimiter(redis_db, rate=1000.0)
    other = RedisRateLimiter(redis.Redis(connection_pool=redis_db.connection_pool), rate=1000.0)
    one.set_rate("slow.example", 10.0)
    started = time.monotonic()
    for _ in range(4):
        other.acquire("slow.example")  # another worker sees the source's rate
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    for _ in range(4):
        other.acquire("fast.example")  # other hosts keep the default
    assert time.monotonic() - started < 0.1


def test_busy_for_says_when_a_host_is_beyond_reach(redis_db: redis.Redis) -> None:
    limiter = RedisRateLimiter(redis_db, rate=100.0, max_wait=1.0)
    limiter.penalize("a.example", 3.0)
    assert 1.8 < limiter.busy_for("a.example") <= 2.0
    assert limiter.busy_for("b.example") == 0.0


def test_hints_reach_discovery_and_the_limiter(site: FixtureSite, redis_db: redis.Redis,
                                               tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.db'}", host_rate=500.0,
                        allow_private_networks=True)
    ledger = runtime.ledger(settings)
    client = make_client(settings, redis_db)
    since = datetime(2024, 11, 15, tzinfo=UTC)
    everything = discover(site.url("/sitemap_index.xml"), client).urls
    recent = {found.url for found in everything if found.lastmod is None or found.lastmod >= since}
    assert recent and len(recent) < len(everything)  # the filter has something to drop

    job = source_job("courier", site.url("/sitemap_index.xml"), ledger,
                     {RATE: "25", SINCE: "2024-11-15"})
    assert restart_point(ledger, ledger.expired(datetime.now(UTC) + timedelta(days=1))[0])[0] \
        == "discover"  # a lost message is sent round as the source it is
    accepted = discover_and_accept(job, client, ledger)
    assert {payload.url for payload in accepted if isinstance(payload, FetchJob)} == recent
    assert float(redis_db.get("copydesk:rate:127.0.0.1:own") or 0) == pytest.approx(1.05 / 25)
