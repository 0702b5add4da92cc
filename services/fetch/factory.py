"""The HTTP client as the services use it: robots.txt and the host rate limit switched on."""

from collections.abc import Mapping

import redis

from services.fetch.client import FetchLimits, HttpClient
from services.fetch.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from services.fetch.robots import MemoryRobotsCache, RedisRobotsCache, RobotsCache, RobotsPolicy
from shared.settings import Settings

# A worker thread sleeps this long at most for its host's next slot (nor longer than one fetch
# may take); past it the job is put back for later (rate_limited) and the thread serves other
# hosts meanwhile.
MAX_RATE_WAIT = 30.0


def make_client(settings: Settings, redis_client: redis.Redis | None = None, *,
                host_rates: Mapping[str, float] | None = None) -> HttpClient:
    """A polite client: limits and robots shared through Redis when given one (the workers),
    kept in this process otherwise (the embedded mode)."""
    limits = FetchLimits.from_settings(settings)
    max_wait = min(MAX_RATE_WAIT, settings.fetch_deadline)
    limiter: RateLimiter
    cache: RobotsCache
    if redis_client is not None:
        limiter = RedisRateLimiter(redis_client, settings.host_rate, host_rates=host_rates,
                                   max_wait=max_wait)
        cache = RedisRobotsCache(redis_client)
    else:
        limiter = MemoryRateLimiter(settings.host_rate, host_rates=host_rates,
                                    max_wait=max_wait)
        cache = MemoryRobotsCache()
    return HttpClient(limits, limiter, RobotsPolicy(cache, limits.user_agent, limiter))
