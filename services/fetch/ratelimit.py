"""Per-host rate limits shared by every fetch worker: one request per `interval` per host.

A token bucket of one token, in two steps, each one atomic Lua call:
- reserve: take the host's next free slot (GCRA: one 'theoretical arrival time' per host) and
  sleep until it, so waiters queue in order and each wakes alone, not in a herd;
- claim: on waking, go only if the host's last actual request is a full interval ago (else
  wait the rest). A thread that overslept its slot (64 threads on 2 cores oversleep by tens
  of ms) thus never sends on top of the next slot's request.

Slots are a little wider than 1/rate (WINDOW_SLACK): a request leaves a few ms after its
claim, and without the slack the fence post (rate+1 claims span exactly one second) plus that
jitter would let a host see rate+1 requests in some one-second window (bench/fetch).

RedisRateLimiter serves all worker processes, with time from Redis itself so workers' clocks
need not agree; MemoryRateLimiter is its twin for the embedded mode. A source may set its own
rate for its hosts (set_rate); Crawl-delay can only slow a host further.
"""

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

import redis

from shared.errors import Postponed

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

    def set_rate(self, host: str, rate: float) -> None:
        """Use `rate` requests per second for `host` instead of the default (a source's own)."""
        ...

    def busy_for(self, host: str) -> float:
        """Seconds before `host` has a slot within the wait bound (0: it has one now)."""
        ...


class _Limits:
    """The configured spacing per host, and the reserve-sleep-claim loop of both limiters."""

    def __init__(self, rate: float, host_rates: Mapping[str, float] | None,
                 max_wait: float) -> None:
        self.interval = (1 + WINDOW_SLACK) / rate
        self.host_intervals = {h.lower(): (1 + WINDOW_SLACK) / r
                               for h, r in (host_rates or {}).items()}
        self.max_wait = max_wait

    def interval_for(self, host: str) -> float:
        return self.host_intervals.get(host.lower(), self.interval)

    def beyond_reach(self, wait: float) -> float:
        return max(0.0, wait - self.max_wait)

    def wait_turn(self, host: str, reserve: Callable[[], float],
                  claim: Callable[[], float]) -> float:
        """Reserve a slot (negative: refused), sleep to it, claim it; the seconds waited."""
        started = time.monotonic()
        wait = reserve()
        while True:
            if wait < 0 or time.monotonic() - started + wait > self.max_wait:
                raise Postponed("rate_limited", f"{host} is busy for {abs(wait):.1f}s",
                                self.beyond_reach(abs(wait)), ours=True)
            if wait > 0:
                time.sleep(wait)
            wait = claim()
            if wait == 0:
                return time.monotonic() - started


_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local base = tonumber(redis.call('GET', KEYS[4]) or ARGV[1])
local interval = math.max(base, tonumber(redis.call('GET', KEYS[3]) or '0'))
"""
# KEYS: slot time, last claim, crawl-delay interval, the source's own interval.
# ARGV: interval, max wait.
# Replies are strings (Lua numbers become integers): the wait, negative when refused.
_RESERVE = _NOW + """
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
if tat - now > tonumber(ARGV[2]) then return tostring(now - tat) end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX',
           math.ceil((tat + interval - now) * 1000) + 1000)
return tostring(tat - now)
"""
_PEEK = _NOW + """
return tostring(math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now) - now)
"""
_CLAIM = _NOW + """
local wait = tonumber(redis.call('GET', KEYS[2]) or '0') + interval - now
if wait > 0 then return tostring(wait) end
redis.call('SET', KEYS[2], tostring(now), 'PX', math.ceil(interval * 1000) + 1000)
return '0'
"""
# ARGV: seconds. Both the next slot and the next claim move past the penalty.
_PENALIZE = _NOW + """
local target = now + tonumber(ARGV[2])
local ttl = math.ceil(tonumber(ARGV[2]) * 1000) + 1000
if target > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(target), 'PX', ttl)
end
if target - interval > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], tostring(target - interval), 'PX', ttl)
end
return 1
"""


class RedisRateLimiter:
    """The shared limiter: every worker process queues for its slots in one Redis."""

    def __init__(self, client: redis.Redis, rate: float = 1.0, *,
                 host_rates: Mapping[str, float] | None = None, max_wait: float = 10.0,
                 prefix: str = "copydesk:rate:") -> None:
        self.redis = client
        self.limits = _Limits(rate, host_rates, max_wait)
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._claim = client.register_script(_CLAIM)
        self._penalize = client.register_script(_PENALIZE)
        self._peek = client.register_script(_PEEK)

    def _keys(self, host: str) -> list[str]:
        return [self.prefix + host, self.prefix + host + ":last",
                self.prefix + host + ":interval", self.prefix + host + ":own"]

    def acquire(self, host: str) -> float:
        keys, interval = self._keys(host), self.limits.interval_for(host)
        return self.limits.wait_turn(
            host, lambda: float(self._reserve(keys=keys, args=[interval, self.limits.max_wait])),
            lambda: float(self._claim(keys=keys, args=[interval])))

    def penalize(self, host: str, seconds: float) -> None:
        self._penalize(keys=self._keys(host), args=[self.limits.interval_for(host), seconds])

    def slow_down(self, host: str, interval: float) -> None:
        self.redis.set(self._keys(host)[2], interval, ex=DAY)

    def set_rate(self, host: str, rate: float) -> None:
        # Renewed by every run of the source; a day covers the fetches that follow a run.
        self.redis.set(self._keys(host)[3], (1 + WINDOW_SLACK) / rate, ex=DAY)

    def busy_for(self, host: str) -> float:
        keys = self._keys(host)
        wait = float(self._peek(keys=keys, args=[self.limits.interval_for(host)]))
        return self.limits.beyond_reach(wait)


class MemoryRateLimiter:
    """The same limiter for one process (the embedded mode): a lock instead of Redis."""

    def __init__(self, rate: float = 1.0, *, host_rates: Mapping[str, float] | None = None,
                 max_wait: float = 10.0) -> None:
        self.limits = _Limits(rate, host_rates, max_wait)
        self._slots: dict[str, float] = {}
        self._claims: dict[str, float] = {}
        self._slower: dict[str, float] = {}
        self._own: dict[str, float] = {}
        self._lock = threading.Lock()

    def _interval(self, host: str) -> float:
        base = self._own.get(host, self.limits.interval_for(host))
        return max(base, self._slower.get(host, 0.0))

    def acquire(self, host: str) -> float:
        return self.limits.wait_turn(host, lambda: self._reserve(host),
                                     lambda: self._claim(host))

    def _reserve(self, host: str) -> float:
        with self._lock:
            now = time.monotonic()
            slot = max(self._slots.get(host, 0.0), now)
            if slot - now > self.limits.max_wait:
                return now - slot
            self._slots[host] = slot + self._interval(host)
            return slot - now

    def _claim(self, host: str) -> float:
        with self._lock:
            now = time.monotonic()
            wait = self._claims.get(host, -DAY) + self._interval(host) - now
            if wait > 0:
                return wait
            self._claims[host] = now
            return 0.0

    def penalize(self, host: str, seconds: float) -> None:
        with self._lock:
            target = time.monotonic() + seconds
            self._slots[host] = max(self._slots.get(host, 0.0), target)
            self._claims[host] = max(self._claims.get(host, -DAY),
                                     target - self._interval(host))

    def slow_down(self, host: str, interval: float) -> None:
        with self._lock:
            self._slower[host] = interval

    def set_rate(self, host: str, rate: float) -> None:
        with self._lock:
            self._own[host] = (1 + WINDOW_SLACK) / rate

    def busy_for(self, host: str) -> float:
        with self._lock:
            wait = self._slots.get(host, 0.0) - time.monotonic()
        return self.limits.beyond_reach(wait)
