"""The in-memory rate limiter and the robots policy (with a robots.txt fetch function)."""

import time

import pytest

from services.fetch.ratelimit import MemoryRateLimiter
from services.fetch.robots import MemoryRobotsCache, RobotsPolicy, product_token
from shared.errors import PermanentError, Postponed, StageError, TransientError


def test_requests_to_one_host_are_spaced() -> None:
    limiter = MemoryRateLimiter(rate=20.0)
    start = time.monotonic()
    for _ in range(5):
        limiter.acquire("a.example")
    assert time.monotonic() - start >= 0.19
    start = time.monotonic()
    limiter.acquire("b.example")  # another host has its own bucket
    assert time.monotonic() - start < 0.05


def test_per_host_rates() -> None:
    limiter = MemoryRateLimiter(rate=1.0, host_rates={"fast.example": 1000.0})
    start = time.monotonic()
    limiter.acquire("slow.example")
    for _ in range(10):
        limiter.acquire("fast.example")
    assert time.monotonic() - start < 0.1


def test_a_late_slot_holder_does_not_crowd_the_next() -> None:
    limiter = MemoryRateLimiter(rate=10.0)
    limiter.acquire("a.example")  # claimed now; the next slot is ~0.1 s on
    assert limiter._reserve("a.example") > 0.05  # a thread reserves it...
    time.sleep(0.2)  # ...and oversleeps; meanwhile another claims at once:
    assert limiter._claim("a.example") == 0.0
    assert limiter._claim("a.example") > 0.05  # so the late one must wait again


def test_a_wait_beyond_the_bound_is_refused() -> None:
    limiter = MemoryRateLimiter(rate=1.0, max_wait=0.5)
    limiter.acquire("a.example")
    with pytest.raises(TransientError) as error:
        limiter.acquire("a.example")
    assert error.value.reason == "rate_limited"


def test_penalize_and_slow_down() -> None:
    limiter = MemoryRateLimiter(rate=100.0, max_wait=5)
    limiter.penalize("a.example", 0.3)
    assert limiter.acquire("a.example") >= 0.25
    limiter.slow_down("b.example", 0.2)
    limiter.acquire("b.example")
    assert limiter.acquire("b.example") >= 0.15


ROBOTS = b"""User-agent: *
Disallow: /private/

User-agent: copydesk
Disallow: /no-bots/
Crawl-delay: 2
"""


class Site:
    """A robots.txt fetch function that counts its calls."""

    def __init__(self, body: bytes | StageError) -> None:
        self.body = body
        self.calls = 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        if isinstance(self.body, StageError):
            raise self.body
        return self.body


def test_robots_rules_for_our_token_and_crawl_delay() -> None:
    limiter = MemoryRateLimiter(rate=100.0, max_wait=10)
    policy = RobotsPolicy(MemoryRobotsCache(), "copydesk/0.1 (+https://x)", limiter)
    site = Site(ROBOTS)
    policy.check("https://n.example/private/x", site)  # our group replaces the * group
    with pytest.raises(PermanentError, match="robots_disallowed"):
        policy.check("https://n.example/no-bots/x", site)
    assert site.calls == 1  # cached
    assert limiter._slower["n.example"] == 2.0


def test_robots_4xx_allows_all_and_5xx_disallows_for_a_while() -> None:
    cache = MemoryRobotsCache()
    policy = RobotsPolicy(cache, "copydesk/0.1")
    policy.check("https://a.example/x", Site(PermanentError("http_404")))
    with pytest.raises(TransientError, match="robots_unavailable"):
        policy.check("https://b.example/x", Site(TransientError("http_503")))
    with pytest.raises(TransientError, match="robots_unavailable"):
        policy.check("https://b.example/y", Site(ROBOTS))  # still within the error TTL


def test_refused_address_is_not_a_robots_verdict() -> None:
    policy = RobotsPolicy(MemoryRobotsCache(), "copydesk")
    with pytest.raises(PermanentError, match="refused_address"):
        policy.check("https://c.example/x", Site(PermanentError("refused_address")))


def test_product_token() -> None:
    assert product_token("copydesk/0.1 (+https://x)") == "copydesk"
    assert product_token("MyBot") == "MyBot"


def test_a_refusal_says_how_long_the_host_is_busy() -> None:
    limiter = MemoryRateLimiter(rate=100.0, max_wait=1.0)
    limiter.penalize("a.example", 4.0)
    assert 2.8 < limiter.busy_for("a.example") <= 3.0  # beyond the 1 s a thread may wait
    assert limiter.busy_for("b.example") == 0.0
    with pytest.raises(Postponed) as error:
        limiter.acquire("a.example")
    assert error.value.reason == "rate_limited" and 2.8 < error.value.delay <= 3.0


def test_a_source_rate_replaces_the_default_for_its_host() -> None:
    limiter = MemoryRateLimiter(rate=1000.0)
    limiter.set_rate("slow.example", 10.0)
    start = time.monotonic()
    for _ in range(3):
        limiter.acquire("slow.example")
    assert time.monotonic() - start >= 0.2  # 10/s, not the default 1000/s
    limiter.slow_down("slow.example", 0.3)  # Crawl-delay still wins when slower
    limiter.acquire("slow.example")
    start = time.monotonic()
    limiter.acquire("slow.example")
    assert time.monotonic() - start >= 0.25


def test_our_own_rate_limit_on_robots_txt_is_no_verdict() -> None:
    # The limiter refusing the robots.txt request says nothing about the site: no verdict is
    # cached (a cached "unreachable" would fail every page of the host for a while).
    policy = RobotsPolicy(MemoryRobotsCache(), "copydesk/0.1")

    def busy(url: str) -> bytes:
        raise Postponed("rate_limited", "host busy", 5.0)

    with pytest.raises(Postponed):
        policy.check("https://n.example/a", busy)
    policy.check("https://n.example/a", lambda url: b"User-agent: *\nAllow: /\n")

    def asks_to_wait(url: str) -> bytes:
        raise Postponed("http_503", "503; retry after 60s", 60.0)

    with pytest.raises(TransientError, match="robots_unavailable"):  # RFC 9309: 5xx disallows
        policy.check("https://m.example/a", asks_to_wait)
