"""Every hostile case against a real local server doing the hostile thing: one reason each.

The server here is this module's own (the fixture site does not drip, bomb or lie in every
way needed); `LocalServer` is reused by the other fetch integration tests.
"""

import contextlib
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import brotli
import pytest

from services.fetch.client import FetchLimits, HttpClient
from services.fetch.discover import discover
from services.fetch.fetch import fetch
from services.fetch.ratelimit import MemoryRateLimiter
from services.fetch.robots import MemoryRobotsCache, RobotsPolicy
from services.fetch.steps import fetch_and_keep
from shared import runtime
from shared.errors import PermanentError, StageError, TransientError
from shared.models import FetchJob
from shared.settings import Settings
from shared.stage import run_step

Route = Callable[[BaseHTTPRequestHandler], None]
PAGE = b"<html><head><title>Fine</title></head><body><p>A fine page.</p></body></html>"
CAP = 256 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A burst of parallel fetches overflowed the default backlog of 5 at times; a dropped SYN
    # is retried by the client's kernel after 1 s, past a short connect timeout.
    request_queue_size = 128


class LocalServer:
    """A threaded HTTP/1.1 server on a loopback port, its routes given as functions."""

    def __init__(self, routes: dict[str, Route], host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this, Nagle and delayed
            # ACKs stall every response by 40 ms.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                # The client giving up on a hostile route is what the test wants.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def do_GET(self) -> None:
                server.hits.append(self.path)
                (server.routes.get(self.path.split("?", 1)[0]) or not_found)(self)

        self.httpd = _Server((host, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.host = host

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> "LocalServer":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"",
            headers: dict[str, str] | None = None) -> None:
    handler.send_response(status)
    headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
    for name, value in headers.items():
        handler.send_header(name, value)
    if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def not_found(handler: BaseHTTPRequestHandler) -> None:
    respond(handler, 404, b"<p>no</p>")


def page(body: bytes = PAGE, content_type: str = "text/html; charset=utf-8",
         **headers: str) -> Route:
    return lambda h: respond(h, 200, body, {"Content-Type": content_type, **headers})


def status(code: int, **headers: str) -> Route:
    return lambda h: respond(h, code, b"<p>status</p>", {k.replace("_", "-"): v
                                                        for k, v in headers.items()})


def redirect(location: str, code: int = 302) -> Route:
    return lambda h: respond(h, code, b"", {"Location": location})


def drip(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "10000")
    h.end_headers()
    for _ in range(10000):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.05)  # each read succeeds well within the read timeout


def drip_headers(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(1000):
        h.wfile.write(b"X-Slow: y\r\n")
        h.wfile.flush()
        time.sleep(0.05)


def endless_chunks(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<p>" + b"x" * 65536 + b"</p>"
    for _ in range(200):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


ZEROS = b"\0" * (40 * 1024 * 1024)
GZIP_BOMB = gzip.compress(ZEROS, 9)
BROTLI_BOMB = brotli.compress(ZEROS, quality=5)
BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/hostname">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>"""
# The entity declaration spelled in UTF-7 ("+ADw-" is "<"): no "<!ENTITY" in the bytes.
UTF7_ENTITY = b"""<?xml version="1.0" encoding="UTF-7"?>
+ADw-!DOCTYPE rss +AFs-+ADw-!ENTITY x SYSTEM +ACI-file:///etc/hostname+ACI-+AD4-+AF0-+AD4-
<rss version="2.0"><channel><title>t</title><item><link>http://127.0.0.1/a/&x;</link>
</item></channel></rss>"""
UTF7_PLAIN = b"""<?xml version="1.0" encoding="utf-7"?><rss version="2.0"><channel>
<title>t</title><item><link>http://127.0.0.1/a/story-1</link></item></channel></rss>"""
# Python's punycode codec decodes this in about 2 s (quadratic): no page may choose it.
PUNYCODE_BODY = b"x-" + b"9a" * 120_000
CP1252_PAGE = ("<html><body><p>« L'été à Noël », a déclaré la maire – même où "
               "l'œuvre naïve…</p></body></html>").encode("cp1252")


def sitemap_index(children: list[str]) -> bytes:
    return ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            'sitemap/0.9">' + "".join(f"<sitemap><loc>{child}</loc></sitemap>"
                                      for child in children) + "</sitemapindex>").encode()


def urlset(*paths: str) -> bytes:
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>http://127.0.0.1/{path}</loc></url>" for path in paths)
            + "</urlset>").encode()


def slow(seconds: float, route: Route) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        route(handler)
    return answer


BIG_FEED = ('<rss version="2.0"><channel><title>t</title>' + "".join(
    f"<item><link>http://127.0.0.1/a/story-{n}</link></item>" for n in range(20_000))
    + "</channel></rss>").encode()


def routes() -> dict[str, Route]:
    return {
        "/ok": page(),
        "/drip": drip,
        "/drip-headers": drip_headers,
        "/huge": page(b"x" * (CAP + 1)),
        "/endless": endless_chunks,
        "/gzip-bomb": page(GZIP_BOMB, **{"Content-Encoding": "gzip"}),
        "/br-bomb": page(BROTLI_BOMB, **{"Content-Encoding": "br"}),
        "/loop": redirect("/loop"),
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a", 301),
        **{f"/chain/{n}": redirect(f"/chain/{n + 1}") for n in range(10)},
        "/to-private": redirect("http://10.0.0.1/admin"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-mapped": redirect("http://[::ffff:10.0.0.1]/"),
        "/to-ftp": redirect("ftp://example.com/file"),
        "/doc.pdf": page(b"%PDF-1.7 ...", "application/pdf"),
        "/image.png": page(b"\x89PNG\r\n\x1a\n....", "image/png"),
        "/pdf-unlabelled": page(b"%PDF-1.7 ...", "application/octet-stream"),
        "/png-as-html": page(b"\x89PNG\r\n\x1a\n....", "text/html"),
        "/bad-charset": page(CP1252_PAGE, "text/html; charset=utf-8"),
        "/punycode": page(PUNYCODE_BODY, "text/html; charset=punycode"),
        "/xml-bomb.xml": page(BILLION_LAUGHS, "application/rss+xml"),
        "/xxe.xml": page(XXE, "application/xml"),
        "/utf7-entity.xml": page(UTF7_ENTITY, "application/rss+xml"),
        "/utf7-plain.xml": page(UTF7_PLAIN, "application/rss+xml"),
        "/missing": status(404), "/gone": status(410), "/forbidden": status(403),
        "/error": status(500), "/unavailable": status(503, retry_after="2"),
        "/busy": status(429, retry_after="3"),
        "/robots.txt": page(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/private/page": page(),
        "/notes.txt": page("Plain words, première ligne.\n\nSecond paragraph.".encode(),
                           "text/plain; charset=utf-8"),
        "/ascii-art": page(b"just some bytes that are no markup", "application/octet-stream"),
        "/index-60.xml": page(sitemap_index([f"/child/{n}.xml" for n in range(60)]),
                              "application/xml"),
        **{f"/child/{n}.xml": page(urlset(f"child-{n}"), "application/xml") for n in range(60)},
        "/slow-index.xml": page(sitemap_index([f"/slow/{n}.xml" for n in range(10)]),
                                "application/xml"),
        **{f"/slow/{n}.xml": slow(1.0, page(urlset(f"slow-{n}"), "application/xml"))
           for n in range(10)},
        "/big-feed.xml": page(BIG_FEED, "application/rss+xml"),
    }


@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    with LocalServer(routes()) as server:
        yield server


@pytest.fixture(scope="module")
def client() -> HttpClient:
    # Loopback is private: only the test server's network is exempted from the guard.
    limits = FetchLimits(connect_timeout=1.0, read_timeout=1.0, deadline=1.5,
                         max_body_bytes=CAP, max_redirects=5,
                         allowed_networks=("127.0.0.0/8",))
    return HttpClient(limits)


def reason_of(client: HttpClient, url: str) -> tuple[type[StageError], str]:
    with pytest.raises(StageError) as error:
        client.get(url)
    kind = PermanentError if isinstance(error.value, PermanentError) else TransientError
    return kind, error.value.reason


@pytest.mark.parametrize(("path", "kind", "reason"), [
    ("/missing", PermanentError, "http_404"),
    ("/gone", PermanentError, "http_410"),
    ("/forbidden", PermanentError, "http_403"),
    ("/error", TransientError, "http_500"),
    ("/unavailable", TransientError, "http_503"),
    ("/drip", PermanentError, "timeout"),  # its budget spent: no second try
    ("/drip-headers", PermanentError, "timeout"),
    ("/huge", PermanentError, "too_large"),
    ("/endless", PermanentError, "too_large"),
    ("/gzip-bomb", PermanentError, "too_large"),
    ("/br-bomb", PermanentError, "too_large"),
    ("/loop", PermanentError, "redirect_loop"),
    ("/loop-a", PermanentError, "redirect_loop"),
    ("/chain/0", PermanentError, "too_many_redirects"),
    ("/to-private", PermanentError, "refused_address"),
    ("/to-metadata", PermanentError, "refused_address"),
    ("/to-mapped", PermanentError, "refused_address"),
    ("/to-ftp", PermanentError, "bad_scheme"),
    ("/doc.pdf", PermanentError, "not_html"),
    ("/image.png", PermanentError, "not_html"),
    ("/pdf-unlabelled", PermanentError, "not_html"),
    ("/png-as-html", PermanentError, "not_html"),
    ("/ascii-art", PermanentError, "not_html"),
])
def test_hostile_url_gets_its_reason(client: HttpClient, site: LocalServer, path: str,
                                     kind: type[StageError], reason: str) -> None:
    started = time.monotonic()
    assert reason_of(client, site.url(path)) == (kind, reason)
    assert time.monotonic() - started < 3.0  # the deadline held
    assert client.get(site.url("/ok")).content == PAGE  # and the client goes on


def test_the_gzip_bomb_is_stopped_at_the_cap_not_after(client: HttpClient,
                                                       site: LocalServer) -> None:
    assert len(GZIP_BOMB) < CAP < len(ZEROS)  # a small download that would decode huge
    assert reason_of(client, site.url("/gzip-bomb"))[1] == "too_large"


def test_loopback_is_refused_by_default(site: LocalServer) -> None:
    guarded = HttpClient(FetchLimits(deadline=2))
    assert reason_of(guarded, site.url("/ok")) == (PermanentError, "refused_address")
    assert reason_of(guarded, f"http://localhost:{site.port}/ok")[1] == "refused_address"
    hits = len(site.hits)
    reason_of(guarded, site.url("/ok"))
    assert len(site.hits) == hits  # refused before any connection


def test_private_networks_can_be_allowed(site: LocalServer) -> None:
    open_client = HttpClient(FetchLimits(allow_private_networks=True, deadline=2))
    assert open_client.get(site.url("/ok")).status == 200


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd",
                                 "javascript:alert(1)", "gopher://example.com/"])
def test_only_http_and_https(client: HttpClient, url: str) -> None:
    assert reason_of(client, url) == (PermanentError, "bad_scheme")


def test_nothing_listening_is_a_connection_error(client: HttpClient) -> None:
    with LocalServer({}) as closed:
        url = closed.url("/")
    assert reason_of(client, url) == (TransientError, "connection_error")


def test_a_lying_charset_is_decoded_by_detection(client: HttpClient, site: LocalServer) -> None:
    job = FetchJob(job_id="j", url=site.url("/bad-charset"), source="test")
    raw = fetch(job, client)
    assert "« L'été à Noël », a déclaré la maire – même où l'œuvre naïve…" in raw.body
    assert raw.encoding == "cp1252"


def test_a_charset_outside_the_encoding_standard_is_not_used(client: HttpClient,
                                                               site: LocalServer) -> None:
    started = time.monotonic()
    raw = fetch(FetchJob(job_id="j", url=site.url("/punycode"), source="t"), client)
    assert (raw.encoding, raw.body) == ("utf-8", PUNYCODE_BODY.decode("ascii"))
    assert time.monotonic() - started < 1


def test_text_plain_is_a_plain_text_page(client: HttpClient, site: LocalServer) -> None:
    raw = fetch(FetchJob(job_id="j", url=site.url("/notes.txt"), source="t"), client)
    assert raw.content_type == "text/plain"
    assert raw.body.startswith("Plain words, première ligne.")


@pytest.mark.parametrize("path", ["/xml-bomb.xml", "/xxe.xml", "/utf7-entity.xml",
                                  "/utf7-plain.xml"])
def test_xml_bombs_and_external_entities(client: HttpClient, site: LocalServer,
                                         path: str) -> None:
    with pytest.raises(PermanentError) as error:
        discover(site.url(path), client)
    assert error.value.reason == "xml_unsafe"


def test_429_retry_after_slows_the_host(site: LocalServer) -> None:
    limiter = MemoryRateLimiter(rate=100.0, max_wait=1.0)
    polite = HttpClient(FetchLimits(deadline=2, allowed_networks=("127.0.0.0/8",)), limiter)
    assert reason_of(polite, site.url("/busy")) == (TransientError, "http_429")
    # Retry-After: 3 pushed the host's next slot out beyond the limiter's max wait.
    assert reason_of(polite, site.url("/ok")) == (TransientError, "rate_limited")


def test_robots_disallowed(site: LocalServer) -> None:
    limits = FetchLimits(deadline=2, allowed_networks=("127.0.0.0/8",))
    polite = HttpClient(limits, robots=RobotsPolicy(MemoryRobotsCache(), limits.user_agent))
    assert reason_of(polite, site.url("/private/page")) == (PermanentError, "robots_disallowed")
    assert polite.get(site.url("/ok")).status == 200
    assert site.hits.count("/robots.txt") >= 1


@pytest.mark.parametrize(("path", "reason"), [
    ("/missing", "http_404"), ("/doc.pdf", "not_html"), ("/huge", "too_large"),
    ("/loop", "redirect_loop"), ("/to-private", "refused_address"),
])
def test_permanent_failures_become_dead_letters(client: HttpClient, site: LocalServer,
                                                tmp_path: Path, path: str,
                                                reason: str) -> None:
    ledger = runtime.ledger(Settings(database_url=f"sqlite:///{tmp_path / 'fetch.db'}"))
    url = site.url(path)
    job_id = ledger.accept(url, "hostile")
    assert job_id is not None
    job = FetchJob(job_id=job_id, url=url, source="hostile")
    assert run_step("fetch", job, lambda j: fetch_and_keep(j, client, ledger), ledger) is None
    assert ledger.statuses([job_id])["dead"] == 1
    with ledger.session() as session:
        from shared.db import DeadLetterRecord

        letter = session.query(DeadLetterRecord).filter_by(job_id=job_id).one()
        assert (letter.reason, letter.stage) == (reason, "fetch")


def discovery_client(**limits: Any) -> HttpClient:
    return HttpClient(FetchLimits(connect_timeout=1.0, read_timeout=2.0, deadline=3.0,
                                  allowed_networks=("127.0.0.0/8",), **limits))


def test_a_sitemap_index_of_sixty_children_reads_the_first_fifty(site: LocalServer) -> None:
    found = discover(site.url("/index-60.xml"), discovery_client())
    assert [item.url for item in found.urls] == [f"http://127.0.0.1/child-{n}" for n in range(50)]
    assert "/child/50.xml" not in site.hits


def test_slow_children_are_read_at_once_and_within_the_budget(site: LocalServer) -> None:
    # One after another (before 1aae9e2), ten children answering in 1 s each took 10 s; with
    # the default limits (4 at once) they take 3 s, with 10 at once 1 s.
    started = time.monotonic()
    found = discover(site.url("/slow-index.xml"), discovery_client())
    elapsed = time.monotonic() - started
    assert elapsed < 7 and len(found.urls) == 10, (elapsed, len(found.urls))
    started = time.monotonic()
    found = discover(site.url("/slow-index.xml"), discovery_client(sitemap_concurrency=10))
    assert time.monotonic() - started < 5 and len(found.urls) == 10
    started = time.monotonic()
    found = discover(site.url("/slow-index.xml"),
                     discovery_client(sitemap_concurrency=2, discovery_budget=2.5))
    elapsed = time.monotonic() - started
    assert elapsed < 4 and 2 <= len(found.urls) <= 6, (elapsed, len(found.urls))


def test_a_source_naming_twenty_thousand_urls_keeps_the_cap(site: LocalServer) -> None:
    # The default cap first: before 1aae9e2 all 20,000 were kept.
    assert len(discover(site.url("/big-feed.xml"), discovery_client()).urls) == 10_000
    found = discover(site.url("/big-feed.xml"), discovery_client(max_source_urls=1000))
    assert len(found.urls) == 1000 and found.urls[0].url == "http://127.0.0.1/a/story-0"
