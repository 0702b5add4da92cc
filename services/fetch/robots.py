"""robots.txt per RFC 9309 (parsed by protego), cached for every worker, Crawl-delay honoured.

A 4xx robots.txt allows everything; a 5xx or unreachable one disallows everything for a while
(RFC 9309 2.3.1.3-4); a good one is kept for a day. The cache holds the verdict as text, so the
Redis cache serves all workers, and each process keeps the parsed form of what it last saw.
"""

import threading
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

import redis
from protego import Protego

from services.fetch.ratelimit import RateLimiter
from shared.errors import PermanentError, Postponed, StageError, TransientError

DAY = 86400.0
ALLOW_ALL, DISALLOW_ALL, RULES = "allow", "disallow", "rules"
LOCAL_TTL = 60.0  # how long a process trusts the verdict it last read from the shared cache
MAX_CRAWL_DELAY = 60.0  # a site asking for more would take days to read: cap the spacing
# A robots.txt fetch: the body's bytes, or a StageError saying why there are none.
RobotsFetch = Callable[[str], bytes]


class RobotsCache(Protocol):
    """Where robots verdicts are kept between fetches."""

    def get(self, origin: str) -> str | None: ...

    def put(self, origin: str, record: str, ttl: float) -> None: ...


class MemoryRobotsCache:
    """The cache of one process (the embedded mode)."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, origin: str) -> str | None:
        with self._lock:
            expires, record = self._items.get(origin, (0.0, ""))
        return record if expires > time.monotonic() else None

    def put(self, origin: str, record: str, ttl: float) -> None:
        with self._lock:
            self._items[origin] = (time.monotonic() + ttl, record)


class RedisRobotsCache:
    """The cache shared by all workers."""

    def __init__(self, client: redis.Redis, prefix: str = "copydesk:robots:") -> None:
        self.redis = client
        self.prefix = prefix

    def get(self, origin: str) -> str | None:
        value = self.redis.get(self.prefix + origin)
        if isinstance(value, bytes):
            value = value.decode("utf-8")
        return value if isinstance(value, str) else None

    def put(self, origin: str, record: str, ttl: float) -> None:
        self.redis.set(self.prefix + origin, record, ex=max(1, int(ttl)))


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match against: 'copydesk' in 'copydesk/0.1 (+url)'."""
    return user_agent.split("/", 1)[0].split()[0] if user_agent.strip() else "*"


class RobotsPolicy:
    """Says whether a URL may be fetched, fetching and caching robots.txt when needed."""

    def __init__(self, cache: RobotsCache, user_agent: str,
                 rate_limiter: RateLimiter | None = None, *, ttl: float = DAY,
                 error_ttl: float = 900.0) -> None:
        self.cache = cache
        self.token = product_token(user_agent)
        self.rate_limiter = rate_limiter
        self.ttl = ttl
        self.error_ttl = error_ttl
        self._parsed: dict[str, tuple[str, Protego]] = {}
        self._recent: dict[str, tuple[float, str]] = {}

    def check(self, url: str, fetch: RobotsFetch) -> None:
        """Return if `url` may be fetched; raise robots_disallowed, or robots_unavailable."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        record = self._cached(origin)
        if record is None:
            record = self._refresh(origin, parts.hostname or "", fetch)
        if record == ALLOW_ALL:
            return
        if record == DISALLOW_ALL:
            raise TransientError("robots_unavailable", f"{origin}/robots.txt is unreachable")
        if not self._rules(origin, record).can_fetch(url, self.token):
            raise PermanentError("robots_disallowed", f"robots.txt disallows {url}")

    def _cached(self, origin: str) -> str | None:
        # A verdict this process saw a moment ago saves a cache round trip per request.
        recent = self._recent.get(origin)
        if recent is not None and recent[0] > time.monotonic():
            return recent[1]
        record = self.cache.get(origin)
        if record is not None:
            self._remember(origin, record)
        return record

    def _remember(self, origin: str, record: str) -> None:
        if len(self._recent) > 10_000:
            self._recent.clear()  # a bound, not an LRU: the shared cache still has them
        self._recent[origin] = (time.monotonic() + LOCAL_TTL, record)

    def _rules(self, origin: str, record: str) -> Protego:
        seen = self._parsed.get(origin)
        if seen is not None and seen[0] == record:
            return seen[1]
        rules = Protego.parse(record.split("\n", 1)[1])
        if len(self._parsed) > 10_000:
            self._parsed.clear()  # a bound, not an LRU: re-parsing is cheap
        self._parsed[origin] = (record, rules)
        return rules

    def _refresh(self, origin: str, host: str, fetch: RobotsFetch) -> str:
        record, ttl = self._verdict(origin, fetch)
        self.cache.put(origin, record, ttl)
        self._remember(origin, record)
        if record.startswith(RULES) and self.rate_limiter is not None:
            delay = self._rules(origin, record).crawl_delay(self.token)
            if delay:
                self.rate_limiter.slow_down(host, min(float(delay), MAX_CRAWL_DELAY))
        return record

    def _verdict(self, origin: str, fetch: RobotsFetch) -> tuple[str, float]:
        try:
            body = fetch(origin + "/robots.txt")
        except Postponed as error:
            if error.reason == "rate_limited":
                raise  # our own limiter said "later": nothing is known about the site yet
            return DISALLOW_ALL, self.error_ttl  # a 429 or 503 asking us to wait
        except TransientError:
            return DISALLOW_ALL, self.error_ttl  # 5xx, 429, timeout, unreachable
        except PermanentError as error:
            if error.reason in ("refused_address", "bad_scheme"):
                raise  # the page itself is out of bounds: say so, not 'robots'
            return ALLOW_ALL, self.ttl  # 4xx, or no robots.txt we could read: unavailable
        except StageError:
            return DISALLOW_ALL, self.error_ttl
        return RULES + "\n" + body.decode("utf-8", errors="replace"), self.ttl
