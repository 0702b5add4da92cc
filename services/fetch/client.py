"""The fetch service's HTTP client: one bounded, guarded, polite GET at a time, many threads.

Thread-safe: no per-request state lives on the client, and the one PinnedAdapter's urllib3
pools are made for sharing between threads (no requests Session: its cookie jar is not).
"""

import email.utils
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from services.fetch.addresses import resolve
from services.fetch.charset import decode_bytes
from services.fetch.content import header_charset, media_type, refuse_by_label, settle_type
from services.fetch.deadline import Guard, guarded
from services.fetch.decompress import TooLarge, decode_stream
from services.fetch.ratelimit import RateLimiter
from services.fetch.robots import RobotsPolicy
from services.fetch.transport import Pin, PinnedAdapter, PinnedRequest
from services.fetch.urls import normalize_url
from shared.errors import PermanentError, StageError, TransientError

DEFAULT_USER_AGENT = "copydesk/0.1 (+https://github.com/copydesk/copydesk)"
ACCEPT = ("text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
          "application/feed+json,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
TRANSIENT_4XX = frozenset({408, 425, 429})
DEFAULT_PORTS = {"http": 80, "https": 443}
CHUNK = 64 * 1024
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB
DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER = 60.0, 3600.0


@dataclass(frozen=True)
class FetchLimits:
    """How long, how much and where one fetch may go."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    deadline: float = 30.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_private_networks: bool = False
    allowed_networks: tuple[str, ...] = ()  # CIDRs exempt from the address guard

    @classmethod
    def from_settings(cls, settings: Any) -> "FetchLimits":
        return cls(user_agent=settings.user_agent, connect_timeout=settings.connect_timeout,
                   read_timeout=settings.read_timeout, deadline=settings.fetch_deadline,
                   max_body_bytes=settings.max_body_bytes, max_redirects=settings.max_redirects,
                   allow_private_networks=settings.allow_private_networks)


@dataclass(frozen=True)
class Download:
    """What came back: the decoded body (Content-Encoding undone) and what the server said."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    content_type: str = ""
    declared_charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None


def decode_body(download: Download) -> tuple[str, str]:
    """The body as text, and the encoding used: header, then meta, then detection."""
    return decode_bytes(download.content, download.declared_charset)


class HttpClient:
    """GET with the address guard, robots.txt, the host rate limit, caps and a deadline."""

    def __init__(self, limits: FetchLimits | None = None, rate_limiter: RateLimiter | None = None,
                 robots: RobotsPolicy | None = None, *, pool_size: int = 64) -> None:
        self.limits = limits or FetchLimits()
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
        seen = {normalize_url(url)}
        current = url
        for _ in range(self.limits.max_redirects + 1):
            response = self._send(current, headers, guard, polite)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                return self._download(url, current, response, guard, cap, filtered)
            response.close()
            current = urljoin(current, location.strip())
            if normalize_url(current) in seen:
                raise PermanentError("redirect_loop", f"{url} redirects back to {current}")
            seen.add(normalize_url(current))
        raise PermanentError("too_many_redirects",
                             f"{url}: more than {self.limits.max_redirects} redirects")

    def _send(self, url: str, headers: dict[str, str], guard: Guard,
              polite: bool) -> requests.Response:
        request, pin = self._prepare(url, headers)
        if polite and self.robots is not None:
            self.robots.check(url, lambda robots_url: self._robots_body(robots_url, guard))
        if self.rate_limiter is not None:
            guard.postpone(self.rate_limiter.acquire(pin.host))
        remaining = guard.remaining()
        if remaining <= 0:
            raise TransientError("timeout", f"deadline of {self.limits.deadline}s passed")
        timeout = (min(self.limits.connect_timeout, remaining),
                   min(self.limits.read_timeout, remaining))
        try:
            response = self._adapter.send(request, stream=True, timeout=timeout, verify=True,
                                          proxies={})
        except (requests.RequestException, Urllib3Error, OSError) as error:
            raise self._network_error(error, guard) from error
        self._check_status(response, pin.host)
        return response

    def _prepare(self, url: str, headers: dict[str, str]) -> tuple[PinnedRequest, Pin]:
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
        ip = resolve(host, port, allow_private=self.limits.allow_private_networks,
                     allowed_networks=self.limits.allowed_networks)
        bracketed = f"[{host}]" if ":" in host else host
        request.headers["Host"] = bracketed if port == DEFAULT_PORTS[scheme] \
            else f"{bracketed}:{port}"
        request.pin = Pin(scheme=scheme, host=host, port=port, ip=ip)
        return request, request.pin

    def _robots_body(self, robots_url: str, guard: Guard) -> bytes:
        headers = self._headers(None, None)
        return self._follow(robots_url, headers, guard, polite=False, cap=ROBOTS_MAX_BYTES,
                            filtered=False).content

    def _check_status(self, response: requests.Response, host: str) -> None:
        status = response.status_code
        if status < 300 or status == 304 or status in REDIRECTS:
            return
        response.close()
        reason, message = f"http_{status}", f"{status} {response.reason or ''}".strip()
        retry_after = response.headers.get("retry-after")
        if status == 429 or (status == 503 and retry_after):
            wait = parse_retry_after(retry_after)
            if self.rate_limiter is not None:
                self.rate_limiter.penalize(host, wait)
            raise TransientError(reason, f"{message}; retry after {wait:.0f}s")
        if status >= 500 or status in TRANSIENT_4XX:
            raise TransientError(reason, message)
        raise PermanentError(reason, message)

    def _download(self, url: str, final_url: str, response: requests.Response, guard: Guard,
                  cap: int, filtered: bool) -> Download:
        cap = cap or self.limits.max_body_bytes
        headers = {key.lower(): value for key, value in response.headers.items()}
        media = media_type(headers.get("content-type"))
        try:
            content = self._body(response, headers, guard, cap, filtered and
                                 response.status_code != 304)
            if filtered and response.status_code != 304:
                media = settle_type(media, content[:1024])
        except BaseException:
            response.close()  # a half-read connection must not go back to the pool
            raise
        response.raw.release_conn()
        return Download(url=url, final_url=final_url, status=response.status_code,
                        headers=headers, content=content, content_type=media,
                        declared_charset=header_charset(headers.get("content-type")),
                        etag=headers.get("etag"), last_modified=headers.get("last-modified"))

    def _body(self, response: requests.Response, headers: dict[str, str], guard: Guard,
              cap: int, filtered: bool) -> bytes:
        if filtered:
            refuse_by_label(media_type(headers.get("content-type")))
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise TooLarge(cap)
        return decode_stream(self._chunks(response, guard), headers.get("content-encoding", ""),
                             cap)

    def _chunks(self, response: requests.Response, guard: Guard) -> Iterator[bytes]:
        try:
            while True:
                if guard.remaining() <= 0:
                    raise TransientError("timeout", f"body not done in {self.limits.deadline}s")
                data = response.raw.read1(CHUNK, decode_content=False)
                if not data:
                    break
                yield data
        except (Urllib3Error, OSError, ValueError) as error:
            raise self._network_error(error, guard) from error
        if guard.fired:  # the watchdog cut the socket: the body ended early, not complete
            raise TransientError("timeout", f"body not done in {self.limits.deadline}s")

    def _network_error(self, error: BaseException, guard: Guard) -> StageError:
        if guard.fired or guard.remaining() <= 0:
            return TransientError("timeout", f"no complete answer in {self.limits.deadline}s")
        if isinstance(error, requests.Timeout | socket.timeout) or "timed out" in str(error):
            return TransientError("timeout", str(error))
        if isinstance(error, requests.exceptions.SSLError):
            return PermanentError("tls_error", str(error))
        return TransientError("connection_error", f"{type(error).__name__}: {error}")


def parse_retry_after(value: str | None) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), bounded."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)
