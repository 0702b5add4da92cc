"""Each source kind discovered over real HTTP, recognised from what comes back; 304s."""

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import pytest

from services.fetch.client import FetchLimits, HttpClient
from services.fetch.discover import discover, sitemaps_from_robots
from services.fetch.feeds import FoundUrl
from services.fetch.fetch import fetch
from shared.models import FetchJob
from tests.integration.test_fetch_hostile import LocalServer, Route, page, respond


def story(n: int) -> str:
    return f"/2024/05/{n:02d}/story-number-{n}-about-the-war"


RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Story one</title><link>{{base}}{story(1)}</link>
<pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate></item>
<item><title>Story two</title><link>{{base}}{story(2)}?utm_source=rss</link></item>
</channel></rss>"""
ATOM = f"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Story three</title><link href="{{base}}{story(3)}"/>
<updated>2024-05-03T10:00:00Z</updated></entry></feed>"""
JSON_FEED = f"""{{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
{{"id": "4", "url": "{{base}}{story(4)}", "title": "Story four"}}]}}"""
INDEX = """<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap-news.xml</loc></sitemap>
<sitemap><loc>{base}/sitemap-archive.xml.gz</loc><lastmod>2019-01-01</lastmod></sitemap>
<sitemap><loc>{base}/sitemap_index.xml</loc></sitemap>
</sitemapindex>"""
NEWS = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{{base}}{story(5)}</loc><news:news>
<news:publication><news:name>Fixture Times</news:name><news:language>en</news:language>
</news:publication><news:publication_date>2024-05-05T08:00:00Z</news:publication_date>
<news:title>Story five</news:title></news:news></url></urlset>"""
ARCHIVE = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/2019/01/01/an-old-archived-story-here</loc><lastmod>2019-01-01</lastmod></url>
</urlset>"""
HOME = f"""<!doctype html><html><head><title>Fixture Times</title>
<link rel="alternate" type="application/rss+xml" href="/feeds/rss.xml">
</head><body><nav><a href="/world">World</a><a href="/tag/war">War</a></nav>
<main><a href="{story(6)}">Story six</a><a href="{story(1)}">Story one again</a>
<a href="/author/ann">Ann</a><a href="/world">World</a></main></body></html>"""
ARTICLE = """<!doctype html><html><head><meta property="og:type" content="article">
<title>Story</title></head><body><article><p>Words.</p></article></body></html>"""


def conditional(body: bytes, content_type: str, etag: str) -> Route:
    def serve(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == etag:
            respond(h, 304, b"", {"ETag": etag})
        else:
            respond(h, 200, body, {"Content-Type": content_type, "ETag": etag,
                                   "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"})
    return serve


@pytest.fixture(scope="module")
def site() -> Iterator[LocalServer]:
    server = LocalServer({})
    base = f"http://127.0.0.1:{server.port}"

    def doc(text: str) -> bytes:
        return text.replace("{base}", base).encode()

    server.routes.update({
        "/feeds/rss.xml": conditional(doc(RSS), "application/rss+xml", '"rss-1"'),
        "/feeds/atom.xml": page(doc(ATOM), "application/atom+xml"),
        "/feed.json": page(doc(JSON_FEED), "application/feed+json"),
        "/feeds/mislabelled": page(doc(RSS), "text/html"),
        "/sitemap_index.xml": page(doc(INDEX), "application/xml"),
        "/sitemap-news.xml": page(doc(NEWS), "text/xml"),
        "/sitemap-archive.xml.gz": page(gzip.compress(doc(ARCHIVE)), "application/x-gzip"),
        "/robots.txt": page(doc("User-agent: *\nAllow: /\nSitemap: {base}/sitemap_index.xml\n"
                                "Sitemap: {base}/sitemap-news.xml\n"), "text/plain"),
        "/": page(doc(HOME)),
        story(1): conditional(doc(ARTICLE), "text/html", '"story-1"'),
    })
    with server:
        yield server


@pytest.fixture(scope="module")
def client() -> HttpClient:
    return HttpClient(FetchLimits(deadline=5, allowed_networks=("127.0.0.0/8",)))


def paths(urls: tuple[FoundUrl, ...]) -> list[str]:
    return [found.url.split(":", 2)[2].split("/", 1)[1] for found in urls]


def test_rss(client: HttpClient, site: LocalServer) -> None:
    found = discover(site.url("/feeds/rss.xml"), client)
    assert found.kind == "rss"
    assert paths(found.urls) == [story(1)[1:], story(2)[1:]]  # tracking parameter dropped
    assert found.urls[0].hints["title"] == "Story one"
    assert (found.etag, found.page) == ('"rss-1"', None)


def test_atom(client: HttpClient, site: LocalServer) -> None:
    found = discover(site.url("/feeds/atom.xml"), client)
    assert (found.kind, paths(found.urls)) == ("atom", [story(3)[1:]])


def test_json_feed(client: HttpClient, site: LocalServer) -> None:
    found = discover(site.url("/feed.json"), client)
    assert (found.kind, paths(found.urls)) == ("jsonfeed", [story(4)[1:]])


def test_kind_comes_from_the_bytes_not_the_label(client: HttpClient, site: LocalServer) -> None:
    assert discover(site.url("/feeds/mislabelled"), client).kind == "rss"


def test_sitemap_index_to_news_and_gzipped_sitemaps(client: HttpClient,
                                                    site: LocalServer) -> None:
    found = discover(site.url("/sitemap_index.xml"), client)
    assert found.kind == "sitemap_index"
    assert paths(found.urls) == [story(5)[1:], "2019/01/01/an-old-archived-story-here"]
    assert found.urls[0].hints == {"title": "Story five", "published": "2024-05-05T08:00:00Z",
                                   "site_name": "Fixture Times", "language": "en"}


def test_since_skips_old_sitemaps_and_entries(client: HttpClient, site: LocalServer) -> None:
    hits = site.hits.count("/sitemap-archive.xml.gz")
    found = discover(site.url("/sitemap_index.xml"), client,
                     since=datetime(2024, 1, 1, tzinfo=UTC))
    assert paths(found.urls) == [story(5)[1:]]
    assert site.hits.count("/sitemap-archive.xml.gz") == hits  # not even fetched


def test_robots_sitemap_lines(client: HttpClient, site: LocalServer) -> None:
    assert sitemaps_from_robots(site.url("/some/page"), client) == [
        site.url("/sitemap_index.xml"), site.url("/sitemap-news.xml")]
    found = discover(site.url("/robots.txt"), client)
    assert found.kind == "sitemap_index"
    assert story(5)[1:] in paths(found.urls)


def test_home_page_links_and_feeds(client: HttpClient, site: LocalServer) -> None:
    found = discover(site.url("/"), client)
    assert found.kind == "home"
    assert found.feeds == (site.url("/feeds/rss.xml"),)
    # The feed's entries first (titles and dates), then the page's own article links.
    assert paths(found.urls) == [story(1)[1:], story(2)[1:], story(6)[1:]]
    assert found.urls[0].hints["title"] == "Story one"


def test_an_article_page_is_itself_the_find(client: HttpClient, site: LocalServer) -> None:
    found = discover(site.url(story(1)), client)
    assert (found.kind, found.urls) == ("page", ())
    assert found.page is not None and b"Words." in found.page.content


def test_conditional_get_on_a_feed(client: HttpClient, site: LocalServer) -> None:
    first = discover(site.url("/feeds/rss.xml"), client)
    second = discover(site.url("/feeds/rss.xml"), client, etag=first.etag,
                      last_modified=first.last_modified)
    assert (second.kind, second.urls, second.etag) == ("unchanged", (), '"rss-1"')


def test_conditional_get_on_a_page(client: HttpClient, site: LocalServer) -> None:
    job = FetchJob(job_id="j", url=site.url(story(1)), source="t")
    first = fetch(job, client)
    assert (first.status, first.etag) == (200, '"story-1"')
    second = fetch(job, client, etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.body, second.etag) == (304, "", '"story-1"')
