"""Per-host rate limits shared by every fetch worker: a token bucket per host.

The bucket is kept in GCRA form (one 'theoretical arrival time' per host: the same limits as a
token bucket of `burst` tokens, one more every `interval`). One atomic Lua call takes a token
if there is one now, or says how long until the next; the caller sleeps that long and asks
again. Tokens are granted at the moment of asking, never reserved ahead: a thread that wakes
late from a reservation (64 threads on 2 cores oversleep by tens of ms) would send its request
right on top of the next slot's, and the host would see two requests at once.

Slots are spaced a little wider than 1/rate (WINDOW_SLACK): a request leaves a few ms after
its grant, and without the slack the fence post (rate+1 grants span exactly one second) plus
that jitter lets a host see rate+1 requests in a one-second window (measured: bench/fetch).

RedisRateLimiter serves all worker processes, with time from Redis itself so workers' clocks
need not agree; MemoryRateLimiter is its twin for the embedded mode.
"""

import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import redis

from shared.errors import TransientError

DAY = 86400
WINDOW_SLACK = 0.05  # slots as if a second lasted 1.05 s: absorbs 50 ms of send jitter


class RateLimiter(Protocol):
    """What the HTTP client needs from a rate limiter."""

    def acquire(self, host: str) -> float:
        """Block until `host` may get a request; return the seconds waited."""
        ...

    def penalize(self, host: str, seconds: float) -> None:
        """Send nothing to `host` for `seconds` (a 429 or 503 with Retry-After)."""
        ...

    def slow_down(self, host: str, interval: float) -> None:
        """Space requests to `host` at least `interval` seconds apart (robots Crawl-delay)."""
        ...


class _Limits:
    """The configured spacing per host, and the wait loop both limiters share."""

    def __init__(self, rate: float, host_rates: Mapping[str, float] | None, burst: int,
                 max_wait: float) -> None:
        self.interval = (1 + WINDOW_SLACK) / rate
        self.host_intervals = {h.lower(): (1 + WINDOW_SLACK) / r
                               for h, r in (host_rates or {}).items()}
        self.burst = max(1, burst)
        self.max_wait = max_wait

    def interval_for(self, host: str) -> float:
        return self.host_intervals.get(host.lower(), self.interval)

    def wait_for_token(self, host: str, take: Callable[[], float]) -> float:
        """Ask `take` (0: got one; else seconds to the next token) until a token comes."""
        started = time.monotonic()
        while True:
            wait = take()
            if wait <= 0:
                return time.monotonic() - started
            waited = time.monotonic() - started
            if waited + wait > self.max_wait:
                raise TransientError("rate_limited", f"{host} is busy for {wait:.1f}s more")
            # A little jitter, so waiters for one host do not all ask at the same instant.
            time.sleep(wait + random.uniform(0, 0.002))


# KEYS: arrival time, crawl-delay interval. ARGV: interval, burst.
# Returns (as a string: Lua numbers become integers in replies) 0, or seconds to wait.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = math.max(tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[2]) or '0'))
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = tat - now - (tonumber(ARGV[2]) - 1) * interval
if wait > 0 then return tostring(wait) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX',
           math.ceil((tat + interval - now) * 1000) + 1000)
return '0'
"""
_PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local target = now + tonumber(ARGV[1])
if target > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(target), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""


class RedisRateLimiter:
    """The shared limiter: every worker process takes its tokens from one Redis."""

    def __init__(self, client: redis.Redis, rate: float = 1.0, *,
                 host_rates: Mapping[str, float] | None = None, burst: int = 1,
                 max_wait: float = 10.0, prefix: str = "copydesk:rate:") -> None:
        self.redis = client
        self.limits = _Limits(rate, host_rates, burst, max_wait)
        self.prefix = prefix
        self._take = client.register_script(_TAKE)
        self._penalize = client.register_script(_PENALIZE)

    def acquire(self, host: str) -> float:
        keys = [self.prefix + host, self.prefix + host + ":interval"]
        args = [self.limits.interval_for(host), self.limits.burst]
        return self.limits.wait_for_token(host, lambda: float(self._take(keys=keys, args=args)))

    def penalize(self, host: str, seconds: float) -> None:
        self._penalize(keys=[self.prefix + host], args=[seconds])

    def slow_down(self, host: str, interval: float) -> None:
        self.redis.set(self.prefix + host + ":interval", interval, ex=DAY)


class MemoryRateLimiter:
    """The same limiter for one process (the embedded mode): a lock instead of Redis."""

    def __init__(self, rate: float = 1.0, *, host_rates: Mapping[str, float] | None = None,
                 burst: int = 1, max_wait: float = 10.0) -> None:
        self.limits = _Limits(rate, host_rates, burst, max_wait)
        self._arrival: dict[str, float] = {}
        self._slower: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, host: str) -> float:
        return self.limits.wait_for_token(host, lambda: self._take(host))

    def _take(self, host: str) -> float:
        with self._lock:
            now = time.monotonic()
            interval = max(self.limits.interval_for(host), self._slower.get(host, 0.0))
            tat = max(self._arrival.get(host, 0.0), now)
            wait = tat - now - (self.limits.burst - 1) * interval
            if wait > 0:
                return wait
            self._arrival[host] = tat + interval
            return 0.0

    def penalize(self, host: str, seconds: float) -> None:
        with self._lock:
            target = time.monotonic() + seconds
            self._arrival[host] = max(self._arrival.get(host, 0.0), target)

    def slow_down(self, host: str, interval: float) -> None:
        with self._lock:
            self._slower[host] = interval
