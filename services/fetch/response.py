"""One HTTP response into a Download: status verdicts, the capped body, network errors.

The body is read in chunks as they arrive (read1: a drip-fed byte never waits for a full
buffer), undone from its Content-Encoding against the cap, and checked against the deadline
between chunks; the deadline watchdog wakes a read that blocks.
"""

import email.utils
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from services.fetch.charset import decode_bytes
from services.fetch.content import header_charset, media_type, refuse_by_label, settle_type
from services.fetch.deadline import Guard
from services.fetch.decompress import TooLarge, decode_stream
from shared.errors import PermanentError, Postponed, StageError, TransientError

REDIRECTS = frozenset({301, 302, 303, 307, 308})
TRANSIENT_4XX = frozenset({408, 425, 429})
CHUNK = 64 * 1024
DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER = 60.0, 3600.0


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


def status_error(response: requests.Response) -> StageError | None:
    """The error a status means (http_<code>), or None for 2xx, 304 and redirects."""
    status = response.status_code
    if status < 300 or status == 304 or status in REDIRECTS:
        return None
    reason, message = f"http_{status}", f"{status} {response.reason or ''}".strip()
    wait = retry_after(response)
    if wait is not None:  # the server asked for a pause: no failure of the page
        return Postponed(reason, f"{message}; retry after {wait:.0f}s", wait)
    if status >= 500 or status in TRANSIENT_4XX:
        return TransientError(reason, message)
    return PermanentError(reason, message)


def retry_after(response: requests.Response) -> float | None:
    """How long a 429, or a 503 that says so, asks us to stay away."""
    value = response.headers.get("retry-after")
    if response.status_code == 429 or (response.status_code == 503 and value):
        return parse_retry_after(value)
    return None


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


def read_download(url: str, final_url: str, response: requests.Response, guard: Guard, *,
                  cap: int, filtered: bool) -> Download:
    """Read the body (unless 304) and describe it; refuse unwanted types when `filtered`."""
    headers = {key.lower(): value for key, value in response.headers.items()}
    media = media_type(headers.get("content-type"))
    check_type = filtered and response.status_code != 304
    try:
        if check_type:
            refuse_by_label(media)
        content = _body(response, headers, guard, cap)
        if check_type:
            media = settle_type(media, content[:1024])
    except BaseException:
        response.close()  # a half-read connection must not go back to the pool
        raise
    response.raw.release_conn()
    return Download(url=url, final_url=final_url, status=response.status_code,
                    headers=headers, content=content, content_type=media,
                    declared_charset=header_charset(headers.get("content-type")),
                    etag=headers.get("etag"), last_modified=headers.get("last-modified"))


def _body(response: requests.Response, headers: dict[str, str], guard: Guard, cap: int) -> bytes:
    length = headers.get("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise TooLarge(cap)  # said so up front: not one byte read
    return decode_stream(_chunks(response, guard), headers.get("content-encoding", ""), cap)


def _chunks(response: requests.Response, guard: Guard) -> Iterator[bytes]:
    try:
        while True:
            if guard.remaining() <= 0:
                raise PermanentError("timeout", "the body did not finish before the deadline")
            data = response.raw.read1(CHUNK, decode_content=False)
            if not data:
                break
            yield data
    except (Urllib3Error, OSError, ValueError) as error:
        raise network_error(error, guard) from error
    if guard.fired:  # the watchdog cut the socket: the body ended early, not complete
        raise PermanentError("timeout", "the body did not finish before the deadline")


def network_error(error: BaseException, guard: Guard) -> StageError:
    """What a failed exchange means: timeout, tls_error or connection_error."""
    if guard.fired or guard.remaining() <= 0:
        # The server kept the connection busy for the page's whole budget (it drips): trying
        # again would spend that budget again, so the page ends here.
        return PermanentError("timeout", "no complete answer before the deadline")
    if isinstance(error, requests.Timeout | socket.timeout) or "timed out" in str(error):
        return TransientError("timeout", str(error))
    if isinstance(error, requests.exceptions.SSLError):
        return PermanentError("tls_error", str(error))
    return TransientError("connection_error", f"{type(error).__name__}: {error}")
