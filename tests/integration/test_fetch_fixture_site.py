"""The fetch service against the project's fixture news site: each source kind, each hostile URL."""

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from services.fetch.client import FetchLimits, HttpClient, decode_body
from services.fetch.discover import discover, sitemaps_from_robots
from services.fetch.fetch import fetch
from shared.errors import PermanentError, StageError, TransientError
from shared.models import FetchJob

fixture_server = pytest.importorskip("tests.support.fixture_server")


@pytest.fixture(scope="module")
def site() -> Iterator[Any]:
    with fixture_server.FixtureSite(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> HttpClient:
    # Short limits: the hostile endpoints must fail fast; 4 MB is far below /hostile/huge.
    return HttpClient(FetchLimits(connect_timeout=2, read_timeout=2, deadline=3,
                                  max_body_bytes=4 * 1024 * 1024, max_redirects=5,
                                  allowed_networks=("127.0.0.0/8", "::1/128")))


def on_site(site: Any, urls: list[str]) -> bool:
    host = urlsplit(site.base_url).hostname
    return bool(urls) and all(urlsplit(url).hostname == host for url in urls)


@pytest.mark.parametrize(("path", "kind"), [
    ("/feeds/rss.xml", "rss"), ("/feeds/atom.xml", "atom"),
    ("/sitemap_index.xml", "sitemap_index"), ("/", "home"),
])
def test_source_kinds(client: HttpClient, site: Any, path: str, kind: str) -> None:
    found = discover(site.url(path), client)
    assert found.kind == kind
    assert on_site(site, [item.url for item in found.urls])


def test_feed_entries_carry_titles(client: HttpClient, site: Any) -> None:
    found = discover(site.url("/feeds/rss.xml"), client)
    assert all(item.hints.get("title") for item in found.urls)


def test_home_page_advertises_its_feeds(client: HttpClient, site: Any) -> None:
    assert discover(site.url("/"), client).feeds


def test_robots_names_sitemaps(client: HttpClient, site: Any) -> None:
    assert sitemaps_from_robots(site.base_url, client)


def test_an_article_fetches_and_revalidates(client: HttpClient, site: Any) -> None:
    first_url = discover(site.url("/feeds/rss.xml"), client).urls[0].url
    job = FetchJob(job_id="j", url=first_url, source="fixture")
    page = fetch(job, client)
    assert page.status == 200 and page.body
    if page.etag or page.last_modified:
        again = fetch(job, client, etag=page.etag, last_modified=page.last_modified)
        assert again.status == 304 and again.body == ""


@pytest.mark.parametrize(("path", "kind", "reasons"), [
    ("/hostile/missing", PermanentError, {"http_404"}),
    ("/hostile/error", TransientError, {"http_500"}),
    ("/hostile/loop", PermanentError, {"redirect_loop", "too_many_redirects"}),
    ("/hostile/doc.pdf", PermanentError, {"not_html"}),
    ("/hostile/image.png", PermanentError, {"not_html"}),
    ("/hostile/huge", PermanentError, {"too_large"}),
    ("/hostile/gzip-bomb", PermanentError, {"too_large"}),
    # A drip: a stalled read is worth another try (transient), a spent deadline is not
    # (permanent); which comes first depends on the machine's load, the reason does not.
    ("/hostile/slow", StageError, {"timeout"}),
    ("/hostile/redirect-to-private", PermanentError, {"refused_address"}),
    ("/hostile/flaky", TransientError, {"http_503"}),
])
def test_hostile_urls(client: HttpClient, site: Any, path: str, kind: type[StageError],
                      reasons: set[str]) -> None:
    with pytest.raises(kind) as error:
        client.get(site.url(path))
    assert error.value.reason in reasons


def test_xml_bomb(client: HttpClient, site: Any) -> None:
    with pytest.raises(PermanentError) as error:
        discover(site.url("/hostile/xml-bomb.xml"), client)
    assert error.value.reason == "xml_unsafe"


def test_bad_charset_decodes_without_replacement_characters(client: HttpClient,
                                                            site: Any) -> None:
    text, encoding = decode_body(client.get(site.url("/hostile/bad-charset")))
    assert "\ufffd" not in text
    assert encoding != "utf-8"
