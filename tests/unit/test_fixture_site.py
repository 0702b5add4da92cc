"""The fixture news site and its server: every path answers as the manifest says it will."""

import gzip
import importlib.util
import itertools
import json
import re
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import lxml.html
import pytest
import requests
from defusedxml import ElementTree
from defusedxml.common import EntitiesForbidden

from tests.support.fixture_server import FixtureSite

SITE = Path(__file__).resolve().parents[1] / "fixtures" / "site"
MANIFEST: dict[str, Any] = json.loads((SITE / "_expected" / "manifest.json").read_text("utf-8"))
RSS, ATOM = MANIFEST["site"]["rss"], MANIFEST["site"]["atom"]
INDEX = MANIFEST["site"]["sitemap_index"]
ARTICLES = [entry for entry in MANIFEST["articles"] if not entry.get("hostile")]
REASONS = {"ok", "http_404", "http_500", "redirect_loop", "not_html", "too_large", "timeout",
           "refused_address", "xml_unsafe", "robots_disallowed"}
NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
      "news": "http://www.google.com/schemas/sitemap-news/0.9",
      "atom": "http://www.w3.org/2005/Atom"}
# Paragraph classes that are site furniture, not the story (for the text comparisons).
FURNITURE = ("cookie", "support", "comments", "newsletter", "read-more", "byline", "dateline",
             "meta", "section-label", "wire-origin", "small-print")


@pytest.fixture(scope="module")
def site() -> Iterator[FixtureSite]:
    with FixtureSite(port=0) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def path_of(site: FixtureSite, url: str) -> str:
    assert url.startswith(site.base_url + "/"), url
    return url.removeprefix(site.base_url)


def xml(http: requests.Session, site: FixtureSite, path: str) -> Element:
    response = http.get(site.url(path), timeout=10)
    assert response.status_code == 200
    content = gzip.decompress(response.content) if path.endswith(".gz") else response.content
    assert b"{BASE}" not in content
    root: Element = ElementTree.fromstring(content)
    return root


def story_text(html: str) -> str:
    tree = lxml.html.document_fromstring(html)
    tests = " or ".join(f"contains(@class, '{name}')" for name in FURNITURE)
    paragraphs = tree.xpath(f"//body//p[not(ancestor-or-self::*[{tests}] or ancestor::header "
                            "or ancestor::footer or ancestor::aside or ancestor::nav)]")
    return "\n\n".join(p.text_content() for p in paragraphs)


def shingles(text: str) -> set[str]:
    words = re.findall(r"[^\W_]+", text.casefold())
    return {" ".join(words[i:i + 5]) for i in range(max(1, len(words) - 4))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


# --------------------------------------------------------------------------- the site

def test_the_committed_site_is_what_make_site_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_site", SITE.parent / "make_site.py")
    assert spec and spec.loader
    make_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_site)
    files = make_site.build()
    on_disk = {str(file.relative_to(SITE)) for file in SITE.rglob("*") if file.is_file()}
    assert on_disk == set(files)
    for name, content in files.items():
        saved = (SITE / name).read_bytes()
        if name.endswith(".gz"):  # compare what is inside: zlib builds may differ
            assert gzip.decompress(saved) == gzip.decompress(content), name
        else:
            want = content if isinstance(content, bytes) else content.encode("utf-8")
            assert saved == want, f"{name} differs; rerun tests/fixtures/make_site.py"


def test_manifest_names_every_path_once_with_a_known_outcome() -> None:
    expected = MANIFEST["expected"]
    assert set(expected.values()) <= REASONS
    assert len(ARTICLES) >= 60 + 3 + 2
    kinds = [entry["kind"] for entry in ARTICLES]
    assert kinds.count("live_blog") == 3 and kinds.count("duplicate") == 2
    assert {entry["path"] for entry in MANIFEST["articles"]} | {
        entry["path"] for entry in MANIFEST["hostile"]} == set(expected)
    listed = {path for kind in ("feeds", "sitemaps") for where, paths in MANIFEST[kind].items()
              if where != INDEX for path in paths}
    assert listed <= set(expected)


def test_hostile_paths_carry_the_agreed_reason_codes() -> None:
    assert {entry["path"]: entry["expected"] for entry in MANIFEST["hostile"]} == {
        "/hostile/missing": "http_404", "/hostile/error": "http_500",
        "/hostile/loop": "redirect_loop", "/hostile/loop2": "redirect_loop",
        "/hostile/doc.pdf": "not_html", "/hostile/huge": "too_large",
        "/hostile/slow": "timeout", "/hostile/gzip-bomb": "too_large",
        "/hostile/image.png": "not_html", "/hostile/redirect-to-private": "refused_address",
        "/hostile/bad-charset": "ok", "/hostile/xml-bomb.xml": "xml_unsafe",
        "/hostile/flaky": "ok", "/private/secret-article": "robots_disallowed"}
    rss_paths = set(MANIFEST["feeds"][RSS])
    assert {entry["path"] for entry in MANIFEST["hostile"]} - rss_paths == {"/hostile/loop2"}


def test_live_blogs_have_their_expected_entries() -> None:
    pages = sorted((SITE / "live").glob("*.html"))
    assert len(pages) == 3
    for page in pages:
        data = json.loads((SITE / "_expected" / "live" / f"{page.stem}.json").read_text("utf-8"))
        entries = data["entries"]
        assert 6 <= len(entries) <= 12
        body = lxml.html.document_fromstring(page.read_bytes()).xpath("//body")[0]
        shown = body.text_content()
        for entry in entries:
            assert set(entry) == {"headline", "author", "published_at", "text"}
            assert re.search(r"[+-]\d\d:\d\d$", entry["published_at"])
            assert entry["author"] in shown
            assert all(part in shown for part in entry["text"].split("\n\n"))


def test_duplicates_are_copies_of_their_originals() -> None:
    pairs = json.loads((SITE / "_expected" / "duplicates.json").read_text("utf-8"))
    assert pairs["duplicates"] == MANIFEST["duplicates"] and len(pairs["duplicates"]) == 2
    for original, copy in pairs["duplicates"]:
        first = (SITE / f"{original.lstrip('/')}.html").read_text("utf-8")
        second = (SITE / f"{copy.lstrip('/')}.html").read_text("utf-8")
        assert "This article first appeared in" in second
        assert jaccard(shingles(story_text(first)), shingles(story_text(second))) > 0.75


def test_articles_read_differently_from_each_other() -> None:
    copies = {tuple(pair) for pair in MANIFEST["duplicates"]}
    texts = {entry["path"]: shingles(story_text(
        (SITE / f"{entry['path'].lstrip('/')}.html").read_text("utf-8")))
        for entry in ARTICLES if entry["kind"] != "live_blog"}
    for (a, first), (b, second) in itertools.combinations(texts.items(), 2):
        if (a, b) not in copies and (b, a) not in copies:
            assert jaccard(first, second) < 0.1, (a, b)


# --------------------------------------------------------------------------- serving

def test_every_article_answers_with_links_to_this_server(http: requests.Session,
                                                         site: FixtureSite) -> None:
    for entry in ARTICLES:
        response = http.get(site.url(entry["path"]), timeout=10)
        assert response.status_code == 200, entry["path"]
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "{BASE}" not in response.text
        canonical = lxml.html.document_fromstring(response.content).xpath(
            "//link[@rel='canonical']/@href")
        assert canonical == [site.url(entry["path"])]


@pytest.mark.parametrize("path", ["/", "/world/", "/world", "/politics/", "/sport/",
                                  "/private/secret-article"])
def test_index_pages_and_folders(http: requests.Session, site: FixtureSite, path: str) -> None:
    response = http.get(site.url(path), timeout=10)
    assert response.status_code == 200 and "{BASE}" not in response.text


def test_home_page_advertises_both_feeds(http: requests.Session, site: FixtureSite) -> None:
    tree = lxml.html.document_fromstring(http.get(site.url("/"), timeout=10).content)
    feeds = {link.get("type"): link.get("href") for link in tree.xpath("//link[@rel='alternate']")}
    assert feeds == {"application/rss+xml": site.url(RSS),
                     "application/atom+xml": site.url(ATOM)}
    links = {path_of(site, href) for href in tree.xpath("//main//a/@href")
             if href.startswith(site.base_url + "/") and "/20" in href}
    assert set(MANIFEST["pages"]["/"]) - {"/"} >= links - {"/"}


@pytest.mark.parametrize(("path", "content_type"), [
    (RSS, "application/rss+xml"), (ATOM, "application/atom+xml"),
    (INDEX, "application/xml"), ("/sitemaps/news.xml", "application/xml"),
    ("/sitemaps/articles-old.xml.gz", "application/x-gzip"),
    ("/robots.txt", "text/plain; charset=utf-8"), ("/", "text/html; charset=utf-8"),
])
def test_content_types(http: requests.Session, site: FixtureSite, path: str,
                       content_type: str) -> None:
    assert http.get(site.url(path), timeout=10).headers["Content-Type"] == content_type


def test_feeds_list_the_manifest_paths(http: requests.Session, site: FixtureSite) -> None:
    items = xml(http, site, RSS).findall("./channel/item")
    assert [path_of(site, item.findtext("link") or "") for item in items] == \
        MANIFEST["feeds"][RSS]
    assert all(item.findtext("title") for item in items)
    entries = xml(http, site, ATOM).findall("atom:entry", NS)
    hrefs = [entry.find("atom:link[@rel='alternate']", NS) for entry in entries]
    assert [path_of(site, link.get("href", "")) for link in hrefs if link is not None] == \
        MANIFEST["feeds"][ATOM]
    assert len(set(MANIFEST["feeds"][RSS]) & set(MANIFEST["feeds"][ATOM])) >= 10


def test_sitemaps_list_the_manifest_paths(http: requests.Session, site: FixtureSite) -> None:
    index = [path_of(site, loc.text or "") for loc in xml(http, site, INDEX).iterfind(
        "sm:sitemap/sm:loc", NS)]
    assert index == MANIFEST["sitemaps"][INDEX]
    for path in index:
        urls = xml(http, site, path).findall("sm:url", NS)
        assert [path_of(site, url.findtext("sm:loc", "", NS)) for url in urls] == \
            MANIFEST["sitemaps"][path]
        if path.endswith("news.xml"):
            assert all(url.findtext("news:news/news:publication_date", None, NS) and
                       url.findtext("news:news/news:title", None, NS) for url in urls)
        else:
            assert all(url.findtext("sm:lastmod", None, NS) for url in urls)


def test_feeds_and_sitemaps_together_cover_every_article() -> None:
    listed = {path for kind in ("feeds", "sitemaps") for paths in MANIFEST[kind].values()
              for path in paths}
    assert {entry["path"] for entry in MANIFEST["articles"]} <= listed


def test_robots_txt(http: requests.Session, site: FixtureSite) -> None:
    robots = http.get(site.url("/robots.txt"), timeout=10).text
    assert "Disallow: /private/" in robots
    assert f"Sitemap: {site.url(INDEX)}" in robots


def test_expected_files_are_not_served(http: requests.Session, site: FixtureSite) -> None:
    assert http.get(site.url("/_expected/manifest.json"), timeout=10).status_code == 404
    assert http.get(site.url("/no/such/page"), timeout=10).status_code == 404


def test_static_files_revalidate_with_304(http: requests.Session, site: FixtureSite) -> None:
    path = ARTICLES[0]["path"]
    first = http.get(site.url(path), timeout=10)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    by_tag = http.get(site.url(path), headers={"If-None-Match": etag}, timeout=10)
    assert by_tag.status_code == 304 and by_tag.content == b"" and by_tag.headers["ETag"] == etag
    by_date = http.get(site.url(path), headers={"If-Modified-Since": modified}, timeout=10)
    assert by_date.status_code == 304
    older = http.get(site.url(path), headers={
        "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}, timeout=10)
    assert older.status_code == 200
    other = http.get(site.url(path), headers={"If-None-Match": '"other"',
                                               "If-Modified-Since": modified}, timeout=10)
    assert other.status_code == 200  # If-None-Match decides when both are sent


def test_head_answers_without_a_body(http: requests.Session, site: FixtureSite) -> None:
    response = http.head(site.url(RSS), timeout=10)
    assert response.status_code == 200 and int(response.headers["Content-Length"]) > 1000


def test_overrides_change_a_page_until_cleared(http: requests.Session, site: FixtureSite) -> None:
    path = "/world/"
    before = http.get(site.url(path), timeout=10)
    try:
        site.set_override(path, '<html><body><a href="{BASE}/x">new</a></body></html>')
        after = http.get(site.url(path), timeout=10)
        assert after.text == f'<html><body><a href="{site.url("/x")}">new</a></body></html>'
        assert after.headers["ETag"] != before.headers["ETag"]
        again = http.get(site.url(path), timeout=10, headers={
            "If-None-Match": before.headers["ETag"],
            "If-Modified-Since": before.headers["Last-Modified"]})
        assert again.status_code == 200
        site.set_override(path, "<html>newer</html>")
        newest = http.get(site.url(path), timeout=10, headers={
            "If-Modified-Since": after.headers["Last-Modified"]})
        assert newest.status_code == 200 and newest.text == "<html>newer</html>"
        site.set_override("/gone", "", status=410)
        assert http.get(site.url("/gone"), timeout=10).status_code == 410
    finally:
        site.clear_overrides()
    assert http.get(site.url(path), timeout=10).content == before.content


def test_hits_are_logged(http: requests.Session, site: FixtureSite) -> None:
    start = time.monotonic()
    http.get(site.url("/robots.txt?probe=1"), headers={"User-Agent": "copydesk-test"},
             timeout=10)
    hits = [hit for hit in site.hits.since(start) if hit.path == "/robots.txt"]
    assert [(hit.query, hit.client, hit.method, hit.user_agent) for hit in hits] == [
        ("probe=1", "127.0.0.1", "GET", "copydesk-test")]
    assert site.hits.count("/robots.txt") >= 1 and len(site.hits) >= 1


# --------------------------------------------------------------------------- hostile

@pytest.mark.parametrize(("path", "status", "location"), [
    ("/hostile/missing", 404, None), ("/hostile/error", 500, None),
    ("/hostile/loop", 302, "/hostile/loop2"), ("/hostile/loop2", 302, "/hostile/loop"),
    ("/hostile/redirect-to-private", 302, "http://10.0.0.1/"),
])
def test_hostile_statuses(http: requests.Session, site: FixtureSite, path: str, status: int,
                          location: str | None) -> None:
    for _ in range(2):  # the same every time
        response = http.get(site.url(path), allow_redirects=False, timeout=10)
        assert response.status_code == status
    if location:
        want = location if location.startswith("http") else site.url(location)
        assert response.headers["Location"] == want


def test_redirect_loop_never_ends(http: requests.Session, site: FixtureSite) -> None:
    with pytest.raises(requests.TooManyRedirects):
        http.get(site.url("/hostile/loop"), timeout=10)


@pytest.mark.parametrize(("path", "content_type", "magic"), [
    ("/hostile/doc.pdf", "application/pdf", b"%PDF-"),
    ("/hostile/image.png", "image/png", b"\x89PNG\r\n\x1a\n"),
])
def test_hostile_binaries(http: requests.Session, site: FixtureSite, path: str,
                          content_type: str, magic: bytes) -> None:
    response = http.get(site.url(path), timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == content_type
    assert response.content.startswith(magic)


def test_huge_streams_without_a_length(site: FixtureSite) -> None:
    with requests.get(site.url("/hostile/huge"), stream=True, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/html")
        assert "Content-Length" not in response.headers
        read = 0
        for chunk in response.iter_content(65536):
            read += len(chunk)
            if read >= 2 * 1024 * 1024:
                break
        assert read >= 2 * 1024 * 1024


def test_slow_drips_a_byte_a_second(site: FixtureSite) -> None:
    with requests.get(site.url("/hostile/slow"), stream=True, timeout=(2, 5)) as response:
        assert response.status_code == 200 and response.headers["Content-Length"] == "60"
        start = time.monotonic()
        first = response.raw.read(1)
        assert first == b"<" and time.monotonic() - start > 0.5


def test_gzip_bomb_is_small_on_the_wire_and_a_gibibyte_inside(site: FixtureSite) -> None:
    with requests.get(site.url("/hostile/gzip-bomb"), stream=True, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        body = response.raw.read(decode_content=False)
    assert len(body) == int(response.headers["Content-Length"]) < 2 * 1024 * 1024
    assert int.from_bytes(body[-4:], "little") == 1 << 30  # ISIZE: the decoded size
    inflate = zlib.decompressobj(31)
    assert inflate.decompress(body[:65536], 1 << 20) == bytes(1 << 20)


def test_xml_bomb_declares_entities(http: requests.Session, site: FixtureSite) -> None:
    response = http.get(site.url("/hostile/xml-bomb.xml"), timeout=10)
    assert response.headers["Content-Type"] == "application/rss+xml"
    with pytest.raises(EntitiesForbidden):
        ElementTree.fromstring(response.content)


def test_bad_charset_is_windows_1252_labelled_utf8(http: requests.Session,
                                                   site: FixtureSite) -> None:
    response = http.get(site.url("/hostile/bad-charset"), timeout=10)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    text = response.content.decode("cp1252")
    assert "Café owners in Rouen" in text and "€2m" in text and site.url("/") in text


def test_flaky_fails_once_per_query_then_serves_the_article(http: requests.Session,
                                                           site: FixtureSite) -> None:
    path = f"/hostile/flaky?run={time.monotonic_ns()}"
    first = http.get(site.url(path), timeout=10)
    assert first.status_code == 503 and first.headers["Retry-After"] == "1"
    second = http.get(site.url(path), timeout=10)
    assert second.status_code == 200 and "Ferry timetable" in second.text
    assert http.get(site.url(path + "x"), timeout=10).status_code == 503


# --------------------------------------------------------------------------- the server

def test_delay_holds_each_answer() -> None:
    with FixtureSite(delay=0.3) as slow:
        start = time.monotonic()
        assert requests.get(slow.url("/robots.txt"), timeout=10).status_code == 200
        assert time.monotonic() - start >= 0.3


def test_stops_cleanly_with_open_connections() -> None:
    site = FixtureSite().start()
    session = requests.Session()
    assert session.get(site.url("/"), timeout=10).status_code == 200  # a kept-alive socket
    dripping = requests.get(site.url("/hostile/slow"), stream=True, timeout=10)
    start = time.monotonic()
    site.stop()
    assert time.monotonic() - start < 5
    dripping.close()
    with pytest.raises(requests.ConnectionError):
        session.get(site.url("/"), timeout=2)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(site.base_url.rsplit(":", 1)[1])), 1)
    session.close()
