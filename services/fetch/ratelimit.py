"""Per-host rate limits shared by every fetch worker: a token bucket per host.

The bucket is kept in GCRA form (one 'theoretical arrival time' per host, the same limits as a
token bucket of `burst` tokens refilled every `interval`), so one atomic Lua call both decides
and reserves the caller's slot: the caller then sleeps until its slot, with no polling and in
arrival order. The Redis limiter serves all worker processes; MemoryRateLimiter is its twin
for the embedded mode. Time comes from Redis itself, so workers' clocks need not agree.
"""

import threading
import time
from collections.abc import Mapping
from typing import Protocol

import redis

from shared.errors import TransientError

DAY = 86400


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
    """The configured spacing per host, shared by both limiters."""

    def __init__(self, rate: float, host_rates: Mapping[str, float] | None, burst: int,
                 max_wait: float) -> None:
        self.interval = 1.0 / rate
        self.host_intervals = {h.lower(): 1.0 / r for h, r in (host_rates or {}).items()}
        self.burst = max(1, burst)
        self.max_wait = max_wait

    def interval_for(self, host: str) -> float:
        return self.host_intervals.get(host.lower(), self.interval)

    def refuse(self, host: str, wait: float) -> TransientError:
        return TransientError("rate_limited", f"{host} is busy for {wait:.1f}s more")


# KEYS: arrival time, crawl-delay interval. ARGV: interval, burst, max wait.
# Returns the wait as a string (Lua numbers become integers in replies); negative: refused.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = math.max(tonumber(ARGV[1]), tonumber(redis.call('GET', KEYS[2]) or '0'))
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = math.max(0, tat - now - (tonumber(ARGV[2]) - 1) * interval)
if wait > tonumber(ARGV[3]) then return tostring(-wait) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX',
           math.ceil((tat + interval - now) * 1000) + 1000)
return tostring(wait)
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
    """The shared limiter: every worker process reserves its slots in one Redis."""

    def __init__(self, client: redis.Redis, rate: float = 1.0, *,
                 host_rates: Mapping[str, float] | None = None, burst: int = 1,
                 max_wait: float = 10.0, prefix: str = "copydesk:rate:") -> None:
        self.redis = client
        self.limits = _Limits(rate, host_rates, burst, max_wait)
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._penalize = client.register_script(_PENALIZE)

    def acquire(self, host: str) -> float:
        keys = [self.prefix + host, self.prefix + host + ":interval"]
        args = [self.limits.interval_for(host), self.limits.burst, self.limits.max_wait]
        wait = float(self._acquire(keys=keys, args=args))
        if wait < 0:
            raise self.limits.refuse(host, -wait)
        if wait:
            time.sleep(wait)
        return wait

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
        with self._lock:
            now = time.monotonic()
            interval = max(self.limits.interval_for(host), self._slower.get(host, 0.0))
            tat = max(self._arrival.get(host, 0.0), now)
            wait = max(0.0, tat - now - (self.limits.burst - 1) * interval)
            if wait > self.limits.max_wait:
                raise self.limits.refuse(host, wait)
            self._arrival[host] = tat + interval
        if wait:
            time.sleep(wait)
        return wait

    def penalize(self, host: str, seconds: float) -> None:
        with self._lock:
            target = time.monotonic() + seconds
            self._arrival[host] = max(self._arrival.get(host, 0.0), target)

    def slow_down(self, host: str, interval: float) -> None:
        with self._lock:
            self._slower[host] = interval
