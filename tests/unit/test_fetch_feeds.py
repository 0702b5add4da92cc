"""Feeds into article URLs: RSS 0.91/1.0/2.0, Atom, JSON Feed; unsafe XML refused."""

from datetime import UTC, datetime

import pytest

from services.fetch.feeds import parse_date, parse_feed, parse_json_feed
from shared.errors import PermanentError

BASE = "https://news.example/feeds/rss.xml"

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News</title>
<item><title>Storm hits coast</title><link>https://news.example/2024/05/01/storm?utm_source=rss</link>
<pubDate>Wed, 01 May 2024 10:00:00 GMT</pubDate><dc:creator>Ann Lee</dc:creator></item>
<item><title>Relative</title><link>/2024/05/02/relative-link</link></item>
<item><title>No link at all</title></item>
</channel></rss>"""

RSS091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://news.example/</link>
<item><title>Old story</title><link>https://news.example/old-story-from-long-ago</link></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://news.example/"><title>RDF</title></channel>
<item rdf:about="https://news.example/rdf-item"><title>RDF item</title>
<link>https://news.example/rdf-item</link></item></rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
<updated>2024-05-03T09:00:00Z</updated>
<entry><title>Atom story</title><id>urn:1</id>
<link rel="alternate" href="https://news.example/2024/05/03/atom-story"/>
<published>2024-05-03T08:00:00Z</published><updated>2024-05-03T09:00:00Z</updated></entry>
</feed>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>"""

XXE = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://x.example/a</link></item>
</channel></rss>"""


def test_rss20() -> None:
    kind, urls = parse_feed(RSS20, BASE)
    assert kind == "rss"
    assert [u.url for u in urls] == ["https://news.example/2024/05/01/storm",
                                     "https://news.example/2024/05/02/relative-link"]
    first = urls[0]
    assert first.hints["title"] == "Storm hits coast"
    assert first.hints["author"] == "Ann Lee"
    assert first.hints["published"] == "2024-05-01T10:00:00+00:00"
    assert first.lastmod == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_rss091_with_netscape_doctype() -> None:
    kind, urls = parse_feed(RSS091, BASE)
    assert (kind, [u.url for u in urls]) == ("rss", ["https://news.example/old-story-from-long-ago"])


def test_rss10_rdf() -> None:
    assert [u.url for u in parse_feed(RSS10, BASE)[1]] == ["https://news.example/rdf-item"]


def test_atom() -> None:
    kind, urls = parse_feed(ATOM, BASE)
    assert kind == "atom"
    assert urls[0].url == "https://news.example/2024/05/03/atom-story"
    assert urls[0].hints["published"] == "2024-05-03T08:00:00+00:00"
    assert urls[0].lastmod == datetime(2024, 5, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize("document", [BILLION_LAUGHS, XXE])
def test_entity_declarations_are_refused(document: bytes) -> None:
    with pytest.raises(PermanentError) as error:
        parse_feed(document, BASE)
    assert error.value.reason == "xml_unsafe"


def test_not_a_feed() -> None:
    with pytest.raises(PermanentError, match="unparseable"):
        parse_feed(b"just some words", BASE)


def test_json_feed() -> None:
    document = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
      "items": [{"id": "1", "url": "https://news.example/j/first-json-item",
                 "title": "First", "date_published": "2024-05-04T10:00:00Z",
                 "authors": [{"name": "Bo Diaz"}]},
                {"id": "2", "external_url": "https://elsewhere.example/x"},
                {"id": "3", "content_text": "no link"}]}"""
    urls = parse_json_feed(document, "https://news.example/feed.json")
    assert [u.url for u in urls] == ["https://news.example/j/first-json-item",
                                     "https://elsewhere.example/x"]
    assert urls[0].hints == {"title": "First", "author": "Bo Diaz",
                             "published": "2024-05-04T10:00:00Z"}
    assert urls[0].lastmod == datetime(2024, 5, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize("document", [b'{"items": []}', b"[1, 2]", b"{not json"])
def test_json_that_is_no_feed(document: bytes) -> None:
    with pytest.raises(PermanentError, match="unparseable"):
        parse_json_feed(document, "https://news.example/feed.json")


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ("2024-05-01T10:00:00+02:00", datetime(2024, 5, 1, 8, tzinfo=UTC)),
    ("2024-05-01T10:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("yesterday", None), ("", None),
])
def test_parse_date(value: str, expected: datetime | None) -> None:
    assert parse_date(value) == expected


UTF7_ENTITY = b"""<?xml version="1.0" encoding="UTF-7"?>
+ADw-!DOCTYPE rss +AFs-+ADw-!ENTITY x +ACI-PWNED+ACI-+AD4-+AF0-+AD4-
<rss version="2.0"><channel><title>&x;</title><item><link>https://news.example/a/&x;</link>
</item></channel></rss>"""


@pytest.mark.parametrize("document", [
    UTF7_ENTITY,
    "<?xml version='1.0' encoding='utf-16'?><!DOCTYPE r [<!ENTITY x 'y'>]><rss/>".encode(
        "utf-16-be"),  # no byte-order mark
    b"\x00\x00\xfe\xff" + "<rss/>".encode("utf-32-be"),
])
def test_entities_hidden_by_the_encoding_are_refused(document: bytes) -> None:
    with pytest.raises(PermanentError) as error:
        parse_feed(document, BASE)
    assert error.value.reason == "xml_unsafe"
