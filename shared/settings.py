"""Settings, read once at the edge (environment, prefix COPYDESK_, and .env) and passed inward."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; plain values, no behaviour."""

    model_config = SettingsConfigDict(env_prefix="COPYDESK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///copydesk.db"
    redis_url: str = "redis://localhost:6379/0"
    allow_private_networks: bool = False
    user_agent: str = "copydesk/0.1 (+https://github.com/copydesk/copydesk)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    fetch_deadline: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    # Politeness: requests per second to one host, shared by all fetch workers.
    host_rate: float = 1.0
    # A job left open this long (seconds) is re-enqueued by the sweeper.
    job_lease_seconds: int = 900
    # A job that has been attempted this many times becomes a dead letter.
    max_attempts: int = 5
    task_time_limit: int = 300
    sources_file: str = "sources.toml"
    log_json: bool = False
    # Workers serve Prometheus metrics on this port (0: off).
    metrics_port: int = 0


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
