"""Per-process resources built once from the settings: database sessions, ledger, Redis."""

from functools import lru_cache

import redis
from sqlalchemy.orm import sessionmaker

from shared.db import migrate, session_factory
from shared.ledger import Ledger
from shared.settings import Settings, get_settings


@lru_cache(maxsize=4)
def _migrated_sessions(url: str) -> sessionmaker:
    migrate(url)
    return session_factory(url)


def sessions(settings: Settings | None = None) -> sessionmaker:
    """Sessions on the configured database, migrated to the newest schema on first use."""
    return _migrated_sessions((settings or get_settings()).database_url)


def ledger(settings: Settings | None = None) -> Ledger:
    settings = settings or get_settings()
    return Ledger(sessions(settings), settings.job_lease_seconds, settings.max_attempts,
                  settings.max_wait_seconds)


@lru_cache(maxsize=4)
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, health_check_interval=30, socket_timeout=10)


def redis_client(settings: Settings | None = None) -> redis.Redis:
    """The Redis connection pool of this process."""
    return _redis((settings or get_settings()).redis_url)
