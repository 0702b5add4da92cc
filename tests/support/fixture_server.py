"""The fixture news site over HTTP: tests/fixtures/site's files plus hostile endpoints.

    with FixtureSite() as site:
        requests.get(site.url("/feeds/rss.xml"))
        site.hits.count("/feeds/rss.xml")   # 1
        site.set_override("/live/storm-helga-north-coast", new_html)  # a page that changed

Static files are served with {BASE} replaced by the base URL the client asked for (its Host
header, else the server's own), a Content-Type per extension (feeds by their root element),
an ETag and a Last-Modified, and 304 answers to If-None-Match and If-Modified-Since.
`/path` serves path.html or path/index.html. The /hostile/ paths misbehave on purpose; the
manifest (tests/fixtures/site/_expected/manifest.json) names the reason each should fail with.

    python -m tests.support.fixture_server --port 8000     # serve it by hand
"""

import argparse
import contextlib
import gzip
import hashlib
import itertools
import json
import re
import signal
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

SITE_ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "site"
PLACEHOLDER = b"{BASE}"
HTML = "text/html; charset=utf-8"
# Static files all claim this modification time, so answers never depend on a checkout's mtimes.
STATIC_LAST_MODIFIED = datetime(2024, 11, 16, 23, 0, tzinfo=UTC)
HUGE_BYTES = 30 * 1024 * 1024
SLOW_SECONDS = 60
BOMB_MIB = 1024  # decoded size of /hostile/gzip-bomb, in MiB
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
TYPES = {".html": HTML, ".htm": HTML, ".txt": "text/plain; charset=utf-8",
         ".json": "application/json", ".gz": "application/x-gzip", ".png": "image/png",
         ".jpg": "image/jpeg", ".css": "text/css; charset=utf-8"}


class Hit(NamedTuple):
    """One request as the server saw it; `time` is time.monotonic() at its arrival."""

    path: str
    query: str
    time: float
    client: str
    method: str
    user_agent: str


class HitLog:
    """A thread-safe record of every request, in arrival order."""

    def __init__(self) -> None:
        self._hits: list[Hit] = []
        self._lock = threading.Lock()

    def add(self, hit: Hit) -> None:
        with self._lock:
            self._hits.append(hit)

    def snapshot(self) -> list[Hit]:
        with self._lock:
            return list(self._hits)

    def count(self, path: str) -> int:
        """Requests for one path (query strings ignored)."""
        return sum(hit.path == path for hit in self.snapshot())

    def paths(self) -> list[str]:
        return [hit.path for hit in self.snapshot()]

    def since(self, moment: float) -> list[Hit]:
        return [hit for hit in self.snapshot() if hit.time >= moment]

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.snapshot())


@dataclass
class Reply:
    """An answer: a body of bytes, or chunks to stream (chunked unless a length is given)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None  # Content-Length for a streamed body


@dataclass(frozen=True)
class Override:
    body: bytes
    content_type: str
    status: int
    last_modified: datetime


class FixtureSite:
    """The fixture site on a ThreadingHTTPServer in a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, root: Path | None = None,
                 delay: float = 0.0) -> None:
        self.root = (root or SITE_ROOT).resolve()
        self.delay = delay  # seconds to wait before every answer (benchmarks)
        self.hits = HitLog()
        self._overrides: dict[str, Override] = {}
        self._flaky_seen: set[str] = set()
        self._cache: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server = _Server((host, port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="fixture-site", daemon=True)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        host = str(host)
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def start(self) -> "FixtureSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: end streams and delays, close open connections, join the thread."""
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> "FixtureSite":
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    # ------------------------------------------------------------------ test hooks

    def set_override(self, path: str, content: bytes | str,
                     content_type: str = HTML, status: int = 200) -> None:
        """Serve `content` at `path` from now on ({BASE} is replaced as in static files)."""
        body = content.encode("utf-8") if isinstance(content, str) else content
        path = "/" + path.lstrip("/")
        with self._lock:
            # Each change gets a later Last-Modified (whole seconds), so If-Modified-Since sees it.
            previous = self._overrides.get(path)
            moment = datetime.now(UTC).replace(microsecond=0)
            floor = max(STATIC_LAST_MODIFIED, previous.last_modified if previous else moment)
            moment = max(moment, floor + timedelta(seconds=1))
            self._overrides[path] = Override(body, content_type, status, moment)

    def clear_overrides(self) -> None:
        with self._lock:
            self._overrides.clear()

    def reset_flaky(self) -> None:
        """Make /hostile/flaky fail once more for every query string."""
        with self._lock:
            self._flaky_seen.clear()

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The site's _expected/manifest.json."""
        data: dict[str, Any] = json.loads(
            (self.root / "_expected" / "manifest.json").read_text("utf-8"))
        return data

    # ------------------------------------------------------------------ answers

    def respond(self, target: str, headers: Any) -> Reply:
        """The reply to a GET of `target` (path and query) with these request headers."""
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        base = self._base_for(headers.get("Host"))
        with self._lock:
            override = self._overrides.get(path)
        if override:
            body = override.body.replace(PLACEHOLDER, base.encode())
            return _conditional(Reply(override.status, {"Content-Type": override.content_type},
                                      body), headers, override.last_modified)
        if path.startswith("/hostile/"):
            reply = self._hostile(path, parts.query, base)
            if reply is not None:
                return reply
        file = self._file_for(path)
        if file is None:
            return _not_found()
        return _conditional(Reply(200, {"Content-Type": _content_type(file)},
                                  self._static(file, base)), headers, STATIC_LAST_MODIFIED)

    def _base_for(self, host: str | None) -> str:
        """The client's idea of our base URL: links then work under any name or address."""
        if host and _HOST.fullmatch(host):
            return f"http://{host}"
        return self.base_url

    def _file_for(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if any(part.startswith((".", "_")) for part in relative.split("/") if part):
            return None  # _expected/ and dot files are not part of the site
        if not relative or relative.endswith("/"):
            candidates = [relative + "index.html"]
        elif Path(relative).suffix:
            candidates = [relative]
        else:
            candidates = [relative + ".html", relative + "/index.html"]
        for candidate in candidates:
            file = (self.root / candidate).resolve()
            if file.is_file() and self.root in file.parents:
                return file
        return None

    def _static(self, file: Path, base: str) -> bytes:
        key = (str(file), base)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        data = file.read_bytes()
        if file.suffix == ".gz":  # the placeholder sits inside the compressed stream
            data = gzip.compress(gzip.decompress(data).replace(PLACEHOLDER, base.encode()),
                                 mtime=0)
        elif _content_type(file) != "image/png":
            data = data.replace(PLACEHOLDER, base.encode())
        with self._lock:
            self._cache[key] = data
        return data

    def _hostile(self, path: str, query: str, base: str) -> Reply | None:
        name = path.removeprefix("/hostile/")
        if name == "missing":
            return _not_found()
        if name == "error":
            return Reply(500, {"Content-Type": HTML},
                         b"<html><body><h1>Internal Server Error</h1></body></html>")
        if name in ("loop", "loop2"):
            other = "loop2" if name == "loop" else "loop"
            return Reply(302, {"Location": f"{base}/hostile/{other}"})
        if name == "redirect-to-private":
            return Reply(302, {"Location": "http://10.0.0.1/"})
        if name == "doc.pdf":
            return Reply(200, {"Content-Type": "application/pdf"}, FAKE_PDF)
        if name == "image.png":
            return Reply(200, {"Content-Type": "image/png"}, tiny_png())
        if name == "huge":
            return Reply(200, {"Content-Type": HTML}, self._huge())
        if name == "slow":
            return Reply(200, {"Content-Type": HTML}, self._drip(), length=SLOW_SECONDS)
        if name == "drip-forever":
            return Reply(200, {"Content-Type": HTML}, self._drip(forever=True))
        if name == "retry-after-hour":
            return Reply(503, {"Content-Type": HTML, "Retry-After": "3600"},
                         b"<html><body><h1>Down for maintenance</h1></body></html>")
        if name == "gzip-bomb":
            return Reply(200, {"Content-Type": HTML, "Content-Encoding": "gzip"}, gzip_bomb())
        if name == "xml-bomb.xml":
            return Reply(200, {"Content-Type": "application/rss+xml"},
                         XML_BOMB.replace(PLACEHOLDER, base.encode()))
        if name == "flaky":
            with self._lock:
                first = query not in self._flaky_seen
                self._flaky_seen.add(query)
            if first:
                return Reply(503, {"Content-Type": HTML, "Retry-After": "1"},
                             b"<html><body><h1>Service Unavailable</h1></body></html>")
        return None  # bad-charset and a recovered flaky are static pages

    def _huge(self) -> Iterator[bytes]:
        """30 MB of HTML, 64 KB at a time."""
        head = b"<!DOCTYPE html><html><head><title>County show winners</title></head><body>"
        line = b"<p>Best in show: a very large marrow, grown on an allotment by the river.</p>\n"
        chunk = line * (65536 // len(line))
        sent = len(head)
        yield head
        while sent < HUGE_BYTES and not self._stopping.is_set():
            piece = chunk[:HUGE_BYTES - sent]
            sent += len(piece)
            yield piece

    def _drip(self, forever: bool = False) -> Iterator[bytes]:
        """One byte a second for a minute (or for ever, chunked): `<html>` and spaces, never
        a whole page in time."""
        text = b"<html>".ljust(SLOW_SECONDS, b" ")
        for byte in itertools.cycle(text) if forever else text:
            if self._stopping.wait(1):
                return
            yield bytes([byte])


def _not_found() -> Reply:
    return Reply(404, {"Content-Type": HTML},
                 b"<html><body><h1>Page not found</h1><p>Sorry, we could not find that page."
                 b"</p></body></html>")


def _content_type(file: Path) -> str:
    if file.suffix == ".xml":  # feeds announce themselves by their root element
        head = file.read_bytes()[:1024]
        if b"<rss" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
        return "application/xml"
    return TYPES.get(file.suffix, "application/octet-stream")


def _conditional(reply: Reply, headers: Any, last_modified: datetime) -> Reply:
    """Add validators to a 200 with a body, and turn it into a 304 when the client has it."""
    if reply.status != 200 or not isinstance(reply.body, bytes):
        return reply
    etag = '"' + hashlib.sha1(reply.body).hexdigest()[:20] + '"'
    reply.headers.update({"ETag": etag, "Last-Modified": format_datetime(last_modified, True)})
    if _fresh(headers, etag, last_modified):
        return Reply(304, {"ETag": etag, "Last-Modified": reply.headers["Last-Modified"]})
    return reply


def _fresh(headers: Any, etag: str, last_modified: datetime) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since:
        try:
            moment = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return last_modified <= moment
    return False


# ---------------------------------------------------------------------- hostile bodies

FAKE_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")

_LAUGHS = "".join(
    f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">\n' for n in range(1, 10))
XML_BOMB = f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [
<!ENTITY lol0 "lol">
{_LAUGHS}]>
<rss version="2.0">
<channel>
<title>&lol9;</title>
<link>{{BASE}}/</link>
<description>Partner feed: regional headlines</description>
<item><title>&lol9;</title><link>{{BASE}}/hostile/missing</link></item>
</channel>
</rss>
""".encode()

_bomb_lock = threading.Lock()
_bomb: list[bytes] = []


def gzip_bomb() -> bytes:
    """A gzip stream of about 1 MB that decodes to 1 GiB of zeros, built once.

    One MiB of zeros is deflated once, ending on a full flush so the block can be repeated
    as it is; the trailer carries the CRC and size of the whole GiB.
    """
    with _bomb_lock:
        if not _bomb:
            zeros = bytes(1 << 20)
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            block = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
            final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
            crc = 0
            for _ in range(BOMB_MIB):
                crc = zlib.crc32(zeros, crc)
            header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
            trailer = struct.pack("<II", crc, (BOMB_MIB << 20) & 0xFFFFFFFF)
            _bomb.append(header + block * BOMB_MIB + final + trailer)
        return _bomb[0]


def tiny_png() -> bytes:
    """A valid 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xcc\x33\x00")) + chunk(b"IEND", b""))


# ---------------------------------------------------------------------- HTTP plumbing

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open many connections at once



def _handler(site: FixtureSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "MeridianCourier/1.0"
        disable_nagle_algorithm = True  # headers and body leave in separate writes
        timeout = 30  # an idle keep-alive connection gives its thread back after this

        def setup(self) -> None:
            super().setup()
            with site._lock:
                site._connections.add(self.connection)

        def finish(self) -> None:
            with site._lock:
                site._connections.discard(self.connection)
            with contextlib.suppress(OSError):  # the client went away first
                super().finish()

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(head_only=False)

        def do_HEAD(self) -> None:
            self._answer(head_only=True)

        def _answer(self, head_only: bool) -> None:
            parts = urlsplit(self.path)
            site.hits.add(Hit(unquote(parts.path) or "/", parts.query, time.monotonic(),
                              self.client_address[0], self.command,
                              self.headers.get("User-Agent", "")))
            if site.delay and site._stopping.wait(site.delay):
                self.close_connection = True
                return
            reply = site.respond(self.path, self.headers)
            try:
                self._send(reply, head_only)
            except OSError:  # the client gave up (as fetchers should) or stopped reading
                self.close_connection = True

        def _send(self, reply: Reply, head_only: bool) -> None:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            body = reply.body
            chunked = not isinstance(body, bytes) and reply.length is None
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
            elif reply.length is not None:
                self.send_header("Content-Length", str(reply.length))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if head_only:
                return
            if isinstance(body, bytes):
                self.wfile.write(body)
                return
            for piece in body:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                self.wfile.flush()
            if site._stopping.is_set():
                self.close_connection = True
            elif chunked:
                self.wfile.write(b"0\r\n\r\n")

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the fixture news site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--root", type=Path, default=SITE_ROOT)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())  # docker stop, kill
    with FixtureSite(args.host, args.port, args.root, args.delay) as site:
        print(f"The Meridian Courier at {site.base_url}/ (Ctrl-C to stop)", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()


if __name__ == "__main__":
    main()
