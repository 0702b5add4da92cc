"""Sitemaps: urlset, index, Google News entries, unsafe XML refused."""

from datetime import UTC, datetime

import pytest

from services.fetch.sitemaps import parse_sitemap
from shared.errors import PermanentError

BASE = "https://news.example/sitemap.xml"

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://news.example/a-first-page</loc><lastmod>2024-05-01</lastmod></url>
<url><loc> https://news.example/b#frag </loc></url>
<url><lastmod>2024-05-01</lastmod></url>
</urlset>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/2024/05/02/ceasefire-talks</loc>
<news:news><news:publication><news:name>The Example</news:name>
<news:language>en</news:language></news:publication>
<news:publication_date>2024-05-02T07:30:00+00:00</news:publication_date>
<news:title>Ceasefire talks resume</news:title></news:news></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/sitemap-news.xml</loc><lastmod>2024-05-02</lastmod></sitemap>
<sitemap><loc>/sitemap-2019.xml.gz</loc></sitemap>
</sitemapindex>"""


def test_urlset() -> None:
    sitemap = parse_sitemap(URLSET, BASE)
    assert sitemap.kind == "sitemap"
    assert [e.url for e in sitemap.entries] == ["https://news.example/a-first-page",
                                                "https://news.example/b"]
    assert sitemap.entries[0].lastmod == datetime(2024, 5, 1, tzinfo=UTC)


def test_news_sitemap_hints() -> None:
    entry = parse_sitemap(NEWS, BASE).entries[0]
    assert entry.hints == {"title": "Ceasefire talks resume",
                           "published": "2024-05-02T07:30:00+00:00",
                           "site_name": "The Example", "language": "en"}
    assert entry.lastmod == datetime(2024, 5, 2, 7, 30, tzinfo=UTC)


def test_index() -> None:
    sitemap = parse_sitemap(INDEX, BASE)
    assert sitemap.kind == "sitemap_index"
    assert [e.url for e in sitemap.entries] == ["https://news.example/sitemap-news.xml",
                                                "https://news.example/sitemap-2019.xml.gz"]


def test_entities_are_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<urlset><url><loc>https://x.example/&b;</loc></url></urlset>')
    with pytest.raises(PermanentError) as error:
        parse_sitemap(bomb, BASE)
    assert error.value.reason == "xml_unsafe"


@pytest.mark.parametrize("document", [b"<html><body>no</body></html>", b"", b"\x00\x01"])
def test_not_a_sitemap(document: bytes) -> None:
    with pytest.raises(PermanentError, match="unparseable"):
        parse_sitemap(document, BASE)
