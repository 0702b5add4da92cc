"""Sitemaps into URLs: urlset (with Google News entries) and sitemap index, read by lxml with
entities, network and huge trees all off, after the defusedxml check."""

from dataclasses import dataclass

from lxml import etree

from services.fetch.feeds import FoundUrl, parse_date
from services.fetch.urls import absolute_url
from services.fetch.xmlsafe import check_xml_safe
from shared.errors import PermanentError

MAX_URLS = 50_000  # the sitemaps protocol's own limit per file


@dataclass(frozen=True)
class Sitemap:
    """One parsed sitemap file: its kind and what it lists (pages, or more sitemaps)."""

    kind: str  # "sitemap" or "sitemap_index"
    entries: tuple[FoundUrl, ...]


def _parser() -> etree.XMLParser:
    # recover: real sitemaps are often slightly broken; the unsafe parts are off regardless.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, recover=True)


def parse_sitemap(content: bytes, base_url: str) -> Sitemap:
    """A urlset or sitemapindex document; xml_unsafe if it declares entities."""
    check_xml_safe(content)
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as error:
        raise PermanentError("unparseable", f"{base_url}: {error}") from error
    if root is None:
        raise PermanentError("unparseable", f"{base_url} is empty")
    kind = etree.QName(root).localname.lower()
    if kind not in ("urlset", "sitemapindex"):
        raise PermanentError("unparseable", f"{base_url} is no sitemap (<{kind}>)")
    child = "url" if kind == "urlset" else "sitemap"
    entries = [found for element in root if _local(element) == child
               if (found := _entry(element, base_url)) is not None]
    return Sitemap("sitemap" if kind == "urlset" else "sitemap_index",
                   tuple(entries[:MAX_URLS]))


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _entry(element: etree._Element, base_url: str) -> FoundUrl | None:
    loc = _text(element, "loc")
    if not loc:
        return None
    lastmod = parse_date(_text(element, "lastmod"))
    hints = _news_hints(element)
    return FoundUrl(absolute_url(base_url, loc), hints,
                    lastmod or parse_date(hints.get("published", "")))


def _news_hints(element: etree._Element) -> dict[str, str]:
    """Title, publication date, language and keywords of a Google News sitemap entry."""
    news = next((child for child in element if _local(child) == "news"), None)
    if news is None:
        return {}
    hints = {"title": _text(news, "title"), "published": _text(news, "publication_date"),
             "keywords": _text(news, "keywords")}
    publication = next((child for child in news if _local(child) == "publication"), None)
    if publication is not None:
        hints["site_name"] = _text(publication, "name")
        hints["language"] = _text(publication, "language")
    return {key: value for key, value in hints.items() if value}


def _text(element: etree._Element, name: str) -> str:
    for child in element:
        if _local(child) == name:
            return "".join(child.itertext()).strip()
    return ""
