"""The shared rate limiter and robots cache on a real Redis, and the client under many threads."""

import itertools
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from services.fetch.client import FetchLimits, HttpClient
from services.fetch.factory import make_client
from services.fetch.pool import fetch_many, interleave_hosts
from services.fetch.ratelimit import RedisRateLimiter
from services.fetch.robots import RedisRobotsCache, RobotsPolicy
from shared.errors import PermanentError, TransientError
from shared.settings import Settings
from tests.integration.test_fetch_hostile import PAGE, LocalServer, page


def another_worker(client: redis.Redis) -> redis.Redis:
    """A second connection to the same Redis, as another worker process would have."""
    pool = redis.ConnectionPool(**client.connection_pool.connection_kwargs)
    return redis.Redis(connection_pool=pool)


def test_two_workers_share_one_bucket(redis_db: redis.Redis) -> None:
    # Two limiters on their own connections stand for two worker processes.
    workers = [RedisRateLimiter(another_worker(redis_db), rate=20.0) for _ in range(2)]
    stamps: list[float] = []

    def work(limiter: RedisRateLimiter) -> None:
        for _ in range(5):
            limiter.acquire("news.example")
            stamps.append(time.monotonic())

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps.sort()
    assert stamps[-1] - stamps[0] >= 9 * 0.05 - 0.01  # ten slots, 50 ms apart
    assert min(b - a for a, b in itertools.pairwise(stamps)) > 0.03


def test_waits_beyond_the_bound_are_refused_and_not_reserved(redis_db: redis.Redis) -> None:
    limiter = RedisRateLimiter(redis_db, rate=1.0, max_wait=0.5)
    limiter.acquire("a.example")
    with pytest.raises(TransientError, match="rate_limited"):
        limiter.acquire("a.example")
    limiter.acquire("b.example")  # other hosts are not held up


def test_penalty_and_crawl_delay_reach_every_worker(redis_db: redis.Redis) -> None:
    first = RedisRateLimiter(redis_db, rate=100.0, max_wait=5)
    second = RedisRateLimiter(another_worker(redis_db), rate=100.0, max_wait=5)
    first.penalize("a.example", 0.4)
    assert second.acquire("a.example") >= 0.3
    first.slow_down("b.example", 0.3)
    second.acquire("b.example")
    assert second.acquire("b.example") >= 0.2


def test_robots_verdict_is_shared_through_redis(redis_db: redis.Redis) -> None:
    calls = Counter[str]()

    def robots(url: str) -> bytes:
        calls[url] += 1
        return b"User-agent: *\nDisallow: /private/\n"

    one = RobotsPolicy(RedisRobotsCache(redis_db), "copydesk/0.1")
    two = RobotsPolicy(RedisRobotsCache(another_worker(redis_db)), "copydesk/0.1")
    one.check("https://n.example/a", robots)
    with pytest.raises(PermanentError, match="robots_disallowed"):
        two.check("https://n.example/private/b", robots)
    assert calls == {"https://n.example/robots.txt": 1}
    assert 0 < redis_db.ttl("copydesk:robots:https://n.example") <= 86400


def test_many_threads_one_client() -> None:
    routes = {f"/p/{n}": page(PAGE + str(n).encode()) for n in range(200)}
    with LocalServer(routes) as site:
        client = HttpClient(FetchLimits(deadline=10, allowed_networks=("127.0.0.0/8",)))
        with ThreadPoolExecutor(32) as pool:
            bodies = list(pool.map(lambda n: client.get(site.url(f"/p/{n}")).content,
                                   range(200)))
    assert bodies == [PAGE + str(n).encode() for n in range(200)]


def test_the_workers_client_is_polite(redis_db: redis.Redis) -> None:
    routes = {"/robots.txt": page(b"User-agent: *\nDisallow: /no/\nCrawl-delay: 0.2\n",
                                  "text/plain"), "/ok": page(), "/no/x": page()}
    settings = Settings(host_rate=50.0, allow_private_networks=True)
    with LocalServer(routes) as site:
        client = make_client(settings, redis_db)
        with pytest.raises(PermanentError, match="robots_disallowed"):
            client.get(site.url("/no/x"))
        started = time.monotonic()
        for _ in range(3):
            client.get(site.url("/ok"))
        assert time.monotonic() - started >= 0.35  # Crawl-delay beat the 50/s host rate
    assert site.hits.count("/robots.txt") == 1


def test_robots_txt_is_part_of_the_first_visit_and_pages_keep_their_interval(
        redis_db: redis.Redis) -> None:
    routes = {"/robots.txt": page(b"User-agent: *\nAllow: /\n", "text/plain"),
              "/a": page(), "/b": page()}
    settings = Settings(host_rate=1.0, allow_private_networks=True)
    with LocalServer(routes) as site:
        client = make_client(settings, redis_db)
        started = time.monotonic()
        client.get(site.url("/a"))
        first = time.monotonic() - started
        client.get(site.url("/b"))
        second = time.monotonic() - started
    assert site.hits == ["/robots.txt", "/a", "/b"]
    assert first < 0.5  # robots.txt took no page slot: the first page went at once
    assert second >= 1.0  # the second page waited the host's whole interval (1/s)


def test_fetch_many_yields_every_outcome() -> None:
    routes = {f"/p/{n}": page(PAGE) for n in range(50)}
    with LocalServer(routes) as site:
        client = HttpClient(FetchLimits(deadline=5, allowed_networks=("127.0.0.0/8",)))
        urls = [site.url(f"/p/{n}") for n in range(50)] + [site.url("/missing")]
        outcomes = dict(fetch_many(urls, client, workers=8))
    assert set(outcomes) == set(urls)
    missing = outcomes.pop(site.url("/missing"))
    assert isinstance(missing, PermanentError) and missing.reason == "http_404"
    assert all(not isinstance(o, Exception) and o.content == PAGE for o in outcomes.values())


def test_interleave_hosts() -> None:
    urls = ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://b/2"]
    assert interleave_hosts(urls) == ["http://a/1", "http://b/1", "http://c/1", "http://a/2",
                                      "http://b/2", "http://a/3"]
