"""Settings, read once at the edge (environment, prefix COPYDESK_, and .env) and passed inward."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set; plain values, no behaviour."""

    model_config = SettingsConfigDict(env_prefix="COPYDESK_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///copydesk.db"
    redis_url: str = "redis://localhost:6379/0"
    allow_private_networks: bool = False
    # Comma-separated networks (CIDR) the address guard lets through while it refuses every
    # other private address: an intranet mirror an operator trusts, a test's loopback site.
    allowed_networks: str = ""
    user_agent: str = "copydesk/0.1 (+https://github.com/copydesk/copydesk)"
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    fetch_deadline: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    # Discovery of one source: its whole time in seconds (the source and every child sitemap),
    # the child sitemaps it reads (several at once, the host rate still binding) and the
    # article URLs it may register.
    discovery_budget: float = 120.0
    max_sitemaps: int = 50
    sitemap_concurrency: int = 4
    max_source_urls: int = 10_000
    # Politeness: requests per second to one host, shared by all fetch workers.
    host_rate: float = 1.0
    # A job left open this long (seconds) is re-enqueued by the sweeper.
    job_lease_seconds: int = 900
    # A job that has been attempted this many times becomes a dead letter.
    max_attempts: int = 5
    # A job whose host keeps asking us to wait (429, 503 with Retry-After) is given up on, as a
    # dead letter with the host's status, once it is this old (seconds since it was accepted).
    max_wait_seconds: int = 24 * 3600
    task_time_limit: int = 300
    # A host whose Retry-After (429, 503) asks for a longer pause than this (seconds) is given
    # up on at once: its page is a dead letter with the host's status. Shorter pauses are
    # waited out, by the workers and by `copydesk run` alike.
    patience: float = 300.0
    # `copydesk run`: downloads in flight at once (one per host), and processes for the CPU
    # stages (0: one per core; 1: none, all in the run's own process).
    run_fetch_threads: int = 64
    run_processes: int = 0
    # How often (seconds) beat runs the sweeper: it re-enqueues jobs left open past their lease,
    # and those of workers whose heartbeat is gone. A dead worker's jobs go again within
    # the heartbeat TTL (20 s) plus this, which keeps recovery well under a minute.
    sweep_seconds: float = 10.0
    # The clean stage learns a site's furniture from its most recent pages: between this many
    # and twice as many, so the index stays bounded however long a site is followed, and a new
    # template line counts against recent pages, not against every page the site ever had.
    furniture_window: int = 1000
    sources_file: str = "sources.toml"
    log_json: bool = False
    # Workers serve Prometheus metrics on this port (0: off).
    metrics_port: int = 0
    # Bearer token for `copydesk serve`'s writes (submit, retry, replay); empty: writes are off.
    api_token: str = ""
    # Fault-test hooks, off unless set; never set them in production.
    # "STAGE:TEXT": a worker process running STAGE on a URL containing TEXT kills itself.
    debug_kill_at: str = ""
    # Publish every stage message this many times (2: every message is delivered twice).
    debug_publish_copies: int = 1


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
