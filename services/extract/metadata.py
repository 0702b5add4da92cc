"""Page metadata from JSON-LD, Open Graph and meta tags, each value with where it came from."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

from services.extract import dates, jsonld
from services.extract.bylines_html import page_authors
from services.extract.dates import parse, visible_datelines
from services.extract.headline import visible_title

PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished", "pubdate",
                  "publish-date", "publishdate", "dc.date.issued", "dcterms.created",
                  "parsely-pub-date", "sailthru.date", "date", "dc.date")
MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified",
                 "last-modified", "lastmod")
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
               "byl")

CANONICAL_LINKS = XPath('//link[@rel="canonical"]/@href', smart_strings=False)  # compiled once


@dataclass
class Meta:
    """What the page says about itself; None or empty where it says nothing."""

    canonical_url: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: tuple[datetime, str] | None = None
    modified: tuple[datetime, str] | None = None
    language: str | None = None
    description: str | None = None
    site_name: str | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    og_type: str | None = None
    node: dict[str, Any] | None = None  # the JSON-LD article node
    nodes: list[dict[str, Any]] = field(default_factory=list)


def meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """Every <meta> value keyed by its lower-cased name, property, itemprop or http-equiv."""
    tags: dict[str, list[str]] = {}
    for element in tree.iter("meta"):
        key = next((element.get(attr) for attr in ("property", "name", "itemprop", "http-equiv")
                    if element.get(attr)), None)
        value = (element.get("content") or "").strip()
        if key and value:
            tags.setdefault(key.strip().lower(), []).append(value)
    return tags


def read_meta(tree: HtmlElement, url: str) -> Meta:
    """All the page's self-description, JSON-LD first, then Open Graph and meta tags."""
    tags = meta_tags(tree)
    nodes = jsonld.nodes(tree)
    node = jsonld.article_node(nodes) or {}

    def first(*keys: str) -> str | None:
        return next((tags[key][0] for key in keys if key in tags), None)

    meta = Meta(node=node or None, nodes=nodes, og_type=first("og:type"))
    meta.canonical_url = canonical(tree, tags, url)
    publisher = node.get("publisher")
    meta.site_name = first("og:site_name", "application-name") or (
        jsonld.text(publisher.get("name")) if isinstance(publisher, dict) else None)
    meta.title = visible_title(tree, [
        jsonld.text(node.get("headline")), first("og:title"), first("twitter:title")],
        meta.site_name, url)
    meta.authors = page_authors(tree, [
        jsonld.names(node.get("author")),
        [value for key in AUTHOR_META for value in tags.get(key, [])]], meta.site_name, url)
    meta.published = _published(tree, [
        (jsonld.text(candidate.get("datePublished")), "json-ld")
        for candidate in jsonld.article_nodes(nodes, first=node)] + [
        (tags[key][0], "meta") for key in PUBLISHED_META if key in tags])
    meta.modified = _dated(jsonld.text(node.get("dateModified")), "json-ld") or _dated(
        first(*MODIFIED_META), "meta")
    meta.language = language_code(tree.get("lang") or first("og:locale", "content-language")
                                  or jsonld.text(node.get("inLanguage")))
    meta.description = first("og:description", "description", "twitter:description") or (
        jsonld.text(node.get("description")))
    image = first("og:image", "og:image:url", "twitter:image") or jsonld.image(node.get("image"))
    meta.image = urljoin(url, image) if image else None
    meta.tags = _tags([*tags.get("article:tag", []), *tags.get("news_keywords", []),
                       *tags.get("keywords", []), *jsonld.strings(node.get("keywords"))])
    return meta


def canonical(tree: HtmlElement, tags: dict[str, list[str]], url: str) -> str | None:
    """The page's canonical URL, absolute; None when missing or implausible."""
    links = CANONICAL_LINKS(tree)
    for candidate in [*links[:1], *tags.get("og:url", [])[:1]]:
        absolute = urljoin(url, str(candidate).strip())
        parts = urlsplit(absolute)
        # A canonical pointing at the home page of an article is a template bug; trusting it
        # would merge every article of the site into one record.
        if parts.scheme in ("http", "https") and parts.netloc and (
                parts.path.strip("/") or not urlsplit(url).path.strip("/")):
            return absolute
    return None


def language_code(value: str | None) -> str | None:
    """The primary language subtag, lower case: "en_GB" and "en-gb" both give "en"."""
    if not value:
        return None
    code = re.split(r"[-_,;\s]", value.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _dated(value: str | None, source: str) -> tuple[datetime, str] | None:
    moment = parse(value)
    return (moment, source) if moment else None


def _published(tree: HtmlElement, candidates: list[tuple[str | None, str]]
               ) -> tuple[datetime, str] | None:
    """The publication time: the first candidate, unless the page's visible dateline confirms
    another (a live blog's JSON-LD can carry the day it was first opened, older than the
    published time the page shows)."""
    found = [(moment, source) for value, source in candidates if (moment := parse(value))]
    distinct = {moment.replace(second=0, microsecond=0) for moment, _ in found}
    if len(distinct) > 1 and not _first_covers(found):
        shown = visible_datelines(tree)
        for moment, source in found:
            if any(dates.same_wall_clock(moment, seen) for seen in shown):
                return moment, source
    return found[0] if found else None


def _first_covers(found: list[tuple[datetime, str]]) -> bool:
    """True when the first candidate shows every clock time a later one does ("10:27+00:00"
    and "10:27"): a later one can then never be confirmed when the first is not, the first is
    the answer, and the page's text (a scan of every text node) is not read."""
    first = dates.wall_clocks(found[0][0])
    return all(dates.wall_clocks(moment) <= first for moment, _ in found[1:])


def _tags(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        if ":" in value and not any(char.islower() for char in value):
            continue  # wire-service subject codes ("RSBI:HUMAN-RIGHTS,MTPIX"), not tags
        for tag in value.split(","):
            tag = tag.strip()
            if tag and len(tag) <= 80:
                seen.setdefault(tag.casefold(), tag)
    return list(seen.values())
