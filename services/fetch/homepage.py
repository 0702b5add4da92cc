"""A site's home (or section) page: its article links and the feeds it advertises.

Article links are told from furniture by their URL, the way news sites spell them: a date in
the path, or a long slug, or a long numeric id; never a tag, author, section or service page,
and never a link inside the page's nav, header or footer.
"""

import json
import re
from urllib.parse import urlsplit

from lxml import html as lxml_html

from services.fetch.feeds import FoundUrl
from services.fetch.urls import absolute_url, same_site

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/feed+json", "application/json"})
NON_ARTICLE_SEGMENTS = frozenset({
    "tag", "tags", "topic", "topics", "author", "authors", "by", "category", "categories",
    "section", "sections", "search", "about", "about-us", "contact", "contact-us", "login",
    "signin", "sign-in", "register", "subscribe", "subscriptions", "newsletter", "newsletters",
    "privacy", "privacy-policy", "terms", "terms-of-use", "cookies", "cookie-policy", "feed",
    "feeds", "rss", "page", "archive", "archives", "profile", "user", "users", "account",
    "help", "faq", "jobs", "careers", "advertise", "shop", "store", "people", "staff",
})
FILE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".mp3", ".mp4",
                 ".zip", ".xml", ".rss", ".css", ".js", ".json", ".txt")
_DATE = re.compile(r"/(?:19|20)\d{2}(?:[/-](?:0?[1-9]|1[0-2]))(?:[/-](?:0?[1-9]|[12]\d|3[01]))?"
                   r"(?=/|-|$)|/(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?=/|-|$)")
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?)$")
_LONG_ID = re.compile(r"\d{6,}")
ARTICLE_TYPES = ("article", "newsarticle", "reportagenewsarticle", "blogposting",
                 "liveblogposting", "analysisnewsarticle", "opinionnewsarticle")
MIN_SLUG_WORDS = 4


def is_article_url(url: str) -> bool:
    """Whether a URL is spelt like a news article's."""
    path = urlsplit(url).path.lower()
    segments = [segment for segment in path.split("/") if segment]
    if not segments or path.endswith(FILE_SUFFIXES):
        return False
    if any(segment in NON_ARTICLE_SEGMENTS for segment in segments):
        return False
    if _DATE.search(path):
        return True
    slug = _PAGE_SUFFIX.sub("", segments[-1])
    words = [word for word in re.split(r"[-_+]+", slug) if word]
    if len(words) >= MIN_SLUG_WORDS and sum(w.isalpha() for w in words) >= MIN_SLUG_WORDS - 1:
        return True
    return len(segments) >= 2 and bool(_LONG_ID.search(slug))


def read_html(text: str) -> lxml_html.HtmlElement | None:
    """The parsed page, or None when there is no markup to read."""
    try:
        return lxml_html.document_fromstring(text)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def article_links(tree: lxml_html.HtmlElement, base_url: str) -> list[FoundUrl]:
    """Same-site article links outside nav, header and footer, in page order, once each."""
    found: dict[str, FoundUrl] = {}
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or _in_furniture(anchor):
            continue
        url = absolute_url(base_url, href)
        if url in found or not url.startswith("http") or not same_site(url, base_url):
            continue
        if is_article_url(url) and url.rstrip("/") != base_url.rstrip("/"):
            title = " ".join(anchor.text_content().split())
            found[url] = FoundUrl(url, {"title": title} if title else {})
    return list(found.values())


def _in_furniture(element: lxml_html.HtmlElement) -> bool:
    return any(parent.tag in ("nav", "header", "footer") for parent in element.iterancestors())


def feed_links(tree: lxml_html.HtmlElement, base_url: str) -> list[str]:
    """The feeds a page advertises with <link rel="alternate" type="...">."""
    feeds = []
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in FEED_TYPES and link.get("href"):
            feeds.append(absolute_url(base_url, link.get("href")))
    return list(dict.fromkeys(feeds))


def is_article_page(tree: lxml_html.HtmlElement) -> bool:
    """Whether a page says it is an article (Open Graph or JSON-LD)."""
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:type":
            return (meta.get("content") or "").lower().strip() == "article"
    return any(_jsonld_is_article(script.text_content()) for script in tree.iter("script")
               if (script.get("type") or "").lower() == "application/ld+json")


def _jsonld_is_article(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    items = data if isinstance(data, list) else [data]
    items += [node for item in list(items) if isinstance(item, dict)
              for node in item.get("@graph", []) if isinstance(node, dict)]
    for item in items:
        if not isinstance(item, dict):
            continue
        kinds = item.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if any(str(kind).lower() in ARTICLE_TYPES for kind in kinds):
            return True
    return False
