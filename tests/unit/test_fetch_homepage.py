"""Home pages: article links (not furniture) and advertised feeds; source kinds from bytes."""

import pytest

from services.fetch.discover import source_kind
from services.fetch.homepage import (
    article_links,
    feed_links,
    is_article_page,
    is_article_url,
    read_html,
)

BASE = "https://news.example/"

HOME = """<!doctype html><html><head>
<link rel="alternate" type="application/rss+xml" href="/feeds/rss.xml">
<link rel="alternate" type="application/atom+xml" href="https://news.example/feeds/atom.xml">
<link rel="alternate" hreflang="fr" href="/fr/">
<link rel="stylesheet" href="/style.css">
</head><body>
<header><a href="/2024/05/01/header-link-should-not-count">Top story in the header</a></header>
<nav><a href="/world">World</a><a href="/2024/05/01/nav-story-link">Nav story</a></nav>
<main>
<a href="/2024/05/01/storm-hits-the-coast">Storm hits the coast</a>
<a href="/2024/05/01/storm-hits-the-coast#comments">12 comments</a>
<a href="/world/europe/ceasefire-talks-resume-in-geneva">Ceasefire talks resume</a>
<a href="/news/world-europe-68412345">Numbered story</a>
<a href="/tag/storms">Storms</a>
<a href="/author/ann-lee">Ann Lee</a>
<a href="/world">World</a>
<a href="https://www.news.example/2024/05/02/www-is-the-same-site">Same site</a>
<a href="https://other.example/2024/05/02/another-site-story">Elsewhere</a>
<a href="/images/2024/05/photo.jpg">Photo</a>
<a href="mailto:desk@news.example">Mail us</a>
</main>
<footer><a href="/about-us">About</a></footer>
</body></html>"""


def test_article_links() -> None:
    links = article_links(read_html(HOME), BASE)
    assert [link.url for link in links] == [
        "https://news.example/2024/05/01/storm-hits-the-coast",
        "https://news.example/world/europe/ceasefire-talks-resume-in-geneva",
        "https://news.example/news/world-europe-68412345",
        "https://www.news.example/2024/05/02/www-is-the-same-site",
    ]
    assert links[0].hints == {"title": "Storm hits the coast"}


def test_feed_links() -> None:
    assert feed_links(read_html(HOME), BASE) == [
        "https://news.example/feeds/rss.xml", "https://news.example/feeds/atom.xml"]


@pytest.mark.parametrize(("url", "article"), [
    ("https://n.example/2024/05/01/story", True),
    ("https://n.example/2024-05-01/story", True),
    ("https://n.example/news/20240501/story", True),
    ("https://n.example/world/a-long-slug-about-things", True),
    ("https://n.example/world/a-long-slug-about-things.html", True),
    ("https://n.example/news/world-68412345", True),
    ("https://n.example/world", False),
    ("https://n.example/world/europe", False),
    ("https://n.example/", False),
    ("https://n.example/tag/a-long-slug-about-things", False),
    ("https://n.example/author/jane-doe-the-writer-person", False),
    ("https://n.example/2024/05/01/photo.jpg", False),
    ("https://n.example/page/2", False),
])
def test_is_article_url(url: str, article: bool) -> None:
    assert is_article_url(url) is article


@pytest.mark.parametrize(("head", "article"), [
    ('<meta property="og:type" content="article">', True),
    ('<meta property="og:type" content="website">', False),
    ('<script type="application/ld+json">{"@type": "NewsArticle"}</script>', True),
    ('<script type="application/ld+json">{"@graph": [{"@type": ["LiveBlogPosting"]}]}</script>',
     True),
    ('<script type="application/ld+json">{"@type": "WebSite"}</script>', False),
    ('<script type="application/ld+json">{broken</script>', False),
])
def test_is_article_page(head: str, article: bool) -> None:
    tree = read_html(f"<html><head>{head}</head><body><p>x</p></body></html>")
    assert is_article_page(tree) is article


@pytest.mark.parametrize(("content_type", "content", "kind"), [
    ("application/rss+xml", b"<?xml version='1.0'?><rss version='2.0'/>", "rss"),
    ("text/html", b"<?xml version='1.0'?>\n<!-- hi --><rss version='2.0'/>", "rss"),
    ("application/xml", b"<rdf:RDF xmlns:rdf='x'/>", "rss"),
    ("text/xml", b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "atom"),
    ("application/xml", b"<urlset/>", "sitemap"),
    ("application/xml", b"<sitemapindex/>", "sitemap_index"),
    ("application/json", b' {"version": "https://jsonfeed.org/version/1"}', "jsonfeed"),
    ("text/html", b"<!DOCTYPE html><html><body>x</body></html>", "html"),
    ("text/plain", b"A plain text article.", "text"),
])
def test_source_kind(content_type: str, content: bytes, kind: str) -> None:
    assert source_kind(content_type, content, "https://n.example/x") == kind


def test_robots_txt_is_a_source_of_sitemaps() -> None:
    assert source_kind("text/plain", b"Sitemap: https://n.example/s.xml",
                       "https://n.example/robots.txt") == "robots"
