"""The fetch service's HTTP client: one bounded, guarded, polite GET at a time, many threads.

Thread-safe: no per-request state lives on the client, and the one PinnedAdapter's urllib3
pools are made for sharing between threads (no requests Session: its cookie jar is not).
"""

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError

from services.fetch.addresses import resolve
from services.fetch.deadline import Guard, guarded
from services.fetch.ratelimit import RateLimiter
from services.fetch.response import (
    REDIRECTS,
    Download,
    decode_body,
    network_error,
    read_download,
    retry_after,
    status_error,
)
from services.fetch.robots import RobotsPolicy
from services.fetch.transport import Pin, PinnedAdapter, PinnedRequest
from services.fetch.urls import normalize_url
from shared.errors import PermanentError
from shared.settings import Settings

# Download and decode_body are part of this module's interface (the contract names them here).
__all__ = ["Download", "FetchLimits", "HttpClient", "decode_body"]

DEFAULT_USER_AGENT = "copydesk/0.1 (+https://github.com/copydesk/copydesk)"
ACCEPT = ("text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
          "application/feed+json,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1")
DEFAULT_PORTS = {"http": 80, "https": 443}
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB


@dataclass(frozen=True)
class FetchLimits:
    """How long, how much and where one fetch may go; how long and how far one discovery."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    deadline: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDRs exempt from the address guard
    discovery_budget: float = 120.0
    max_sitemaps: int = 50
    sitemap_concurrency: int = 4
    max_source_urls: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> "FetchLimits":
        return cls(user_agent=settings.user_agent, connect_timeout=settings.connect_timeout,
                   read_timeout=settings.read_timeout, deadline=settings.fetch_deadline,
                   max_body_bytes=settings.max_body_bytes, max_redirects=settings.max_redirects,
                   allow_private_networks=settings.allow_private_networks,
                   allowed_networks=tuple(network.strip() for network in
                                          settings.allowed_networks.split(",") if network.strip()),
                   discovery_budget=settings.discovery_budget, max_sitemaps=settings.max_sitemaps,
                   sitemap_concurrency=settings.sitemap_concurrency,
                   max_source_urls=settings.max_source_urls)


class HttpClient:
    """GET with the address guard, robots.txt, the host rate limit, caps and a deadline."""

    def __init__(self, limits: FetchLimits | None = None, rate_limiter: RateLimiter | None = None,
                 robots: RobotsPolicy | None = None, *, pool_size: int = 64,
                 verify: bool | str = True) -> None:
        self.limits = limits or FetchLimits()
        self.verify = verify  # True, or a CA bundle path (an intranet's own CA, a test's)
        self.rate_limiter = rate_limiter
        self.robots = robots
        self._adapter = PinnedAdapter(pool_connections=256, pool_maxsize=pool_size)

    def get(self, url: str, *, etag: str | None = None,
            last_modified: str | None = None) -> Download:
        """Download `url`, following redirects; raise PermanentError/TransientError."""
        headers = self._headers(etag, last_modified)
        with guarded(self.limits.deadline) as guard:
            return self._follow(url, headers, guard, polite=True)

    def close(self) -> None:
        self._adapter.close()

    def _headers(self, etag: str | None, last_modified: str | None) -> dict[str, str]:
        headers = {"User-Agent": self.limits.user_agent, "Accept": ACCEPT,
                   "Accept-Encoding": "gzip, deflate, br"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _follow(self, url: str, headers: dict[str, str], guard: Guard, *, polite: bool,
                cap: int = 0, filtered: bool = True) -> Download:
        seen: set[str] = set()  # the chain's URLs, normalised once a redirect comes (rare)
        current = url
        for _ in range(self.limits.max_redirects + 1):
            response = self._send(current, headers, guard, polite)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                return read_download(url, current, response, guard,
                                     cap=cap or self.limits.max_body_bytes, filtered=filtered)
            response.close()
            seen.add(normalize_url(current))
            current = urljoin(current, location.strip())
            if normalize_url(current) in seen:
                raise PermanentError("redirect_loop", f"{url} redirects back to {current}")
        raise PermanentError("too_many_redirects",
                             f"{url}: more than {self.limits.max_redirects} redirects")

    def _send(self, url: str, headers: dict[str, str], guard: Guard,
              polite: bool) -> requests.Response:
        request, pins = self._prepare(url, headers)
        if polite and self.robots is not None:
            self.robots.check(url, lambda robots_url: self._robots_body(robots_url, guard))
        # The host's interval spaces its pages. robots.txt, the small file the protocol has
        # every crawler read first, is part of the first page's visit (as Nutch and
        # StormCrawler fetch it), so a new host's first page does not wait a whole interval.
        if polite and self.rate_limiter is not None:
            guard.postpone(self.rate_limiter.acquire(pins[0].host))
        response = self._connect_and_send(request, pins, guard)
        failure = status_error(response)
        if failure is not None:
            response.close()
            wait = retry_after(response)
            if wait is not None and self.rate_limiter is not None:
                self.rate_limiter.penalize(pins[0].host, wait)  # every worker slows down
            raise failure
        return response

    def _connect_and_send(self, request: PinnedRequest, pins: list[Pin],
                          guard: Guard) -> requests.Response:
        """Send to the first vetted address that accepts a connection."""
        for attempt, pin in enumerate(pins, 1):
            remaining = guard.remaining()
            if remaining <= 0:
                raise PermanentError("timeout", f"deadline of {self.limits.deadline}s passed")
            timeout = (min(self.limits.connect_timeout, remaining),
                       min(self.limits.read_timeout, remaining))
            request.pin = pin
            try:
                return self._adapter.send(request, stream=True, timeout=timeout,
                                          verify=self.verify, proxies={})
            except (requests.RequestException, Urllib3Error, OSError) as error:
                if attempt < len(pins) and _could_not_connect(error):
                    continue  # nothing was sent: the next address may answer
                raise network_error(error, guard) from error
        raise AssertionError("resolve() returns at least one address")

    def _prepare(self, url: str, headers: dict[str, str]) -> tuple[PinnedRequest, list[Pin]]:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise PermanentError("bad_scheme", f"only http and https are fetched, not {url!r}")
        request = PinnedRequest()
        try:
            request.prepare(method="GET", url=url, headers=headers)
            parts = urlsplit(request.url or "")
            host, port = parts.hostname or "", parts.port or DEFAULT_PORTS[scheme]
        except (requests.RequestException, ValueError) as error:
            raise PermanentError("bad_url", f"{url!r}: {error}") from error
        if not host:
            raise PermanentError("bad_url", f"{url!r} has no host")
        addresses = resolve(host, port, allow_private=self.limits.allow_private_networks,
                            allowed_networks=self.limits.allowed_networks)
        bracketed = f"[{host}]" if ":" in host else host
        request.headers["Host"] = bracketed if port == DEFAULT_PORTS[scheme] \
            else f"{bracketed}:{port}"
        return request, [Pin(scheme=scheme, host=host, port=port, ip=ip) for ip in addresses]

    def _robots_body(self, robots_url: str, guard: Guard) -> bytes:
        headers = self._headers(None, None)
        return self._follow(robots_url, headers, guard, polite=False, cap=ROBOTS_MAX_BYTES,
                            filtered=False).content


def _could_not_connect(error: BaseException) -> bool:
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)
