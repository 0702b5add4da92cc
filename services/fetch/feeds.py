"""Feeds into article URLs: RSS 0.9x/1.0/2.0 and Atom with feedparser, JSON Feed by hand."""

import calendar
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from services.fetch.urls import absolute_url
from services.fetch.xmlsafe import check_xml_safe
from shared.errors import PermanentError


@dataclass(frozen=True)
class FoundUrl:
    """An article URL a source named, what it said about it, and when it last changed."""

    url: str
    hints: dict[str, str] = field(default_factory=dict)
    lastmod: datetime | None = None


def parse_feed(content: bytes, base_url: str) -> tuple[str, list[FoundUrl]]:
    """('rss' or 'atom', the entries' URLs) of an XML feed; xml_unsafe if it declares entities."""
    check_xml_safe(content)
    # Bytes, never a str: given a string that looks like a URL, feedparser would fetch it.
    parsed = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
    version = str(parsed.get("version") or "")
    if not version and not parsed.entries:
        raise PermanentError("unparseable", f"{base_url} is not a feed")
    kind = "atom" if version.startswith("atom") else "rss"
    return kind, [found for entry in parsed.entries
                  if (found := _entry(entry, base_url)) is not None]


def _entry(entry: Any, base_url: str) -> FoundUrl | None:
    link = entry.get("link") or next(
        (item.get("href") for item in entry.get("links", []) if item.get("href")), None)
    if not link:
        return None
    published = _struct_time(entry.get("published_parsed"))
    # dict.get: FeedParserDict.get would fall back to the published date, with a warning.
    updated = _struct_time(dict.get(entry, "updated_parsed"))
    hints = {"title": entry.get("title"), "author": entry.get("author"),
             "published": published and published.isoformat(),
             "modified": updated and updated.isoformat()}
    return FoundUrl(absolute_url(base_url, link), _clean(hints), updated or published)


def _struct_time(value: time.struct_time | None) -> datetime | None:
    return datetime.fromtimestamp(calendar.timegm(value), UTC) if value else None


def parse_json_feed(content: bytes, base_url: str) -> list[FoundUrl]:
    """The items of a JSON Feed (version 1 or 1.1)."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as error:
        raise PermanentError("unparseable", f"{base_url}: bad JSON: {error}") from error
    if not is_json_feed(document):
        raise PermanentError("unparseable", f"{base_url} is JSON but not a JSON Feed")
    return [found for item in document.get("items") or []
            if isinstance(item, dict) and (found := _json_item(item, base_url)) is not None]


def is_json_feed(document: object) -> bool:
    """Whether parsed JSON is a JSON Feed document."""
    return isinstance(document, dict) and "jsonfeed.org/version" in str(document.get("version"))


def _json_item(item: dict[str, Any], base_url: str) -> FoundUrl | None:
    link = item.get("url") or item.get("external_url")
    if not isinstance(link, str) or not link.strip():
        return None
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]
    hints = {"title": item.get("title"), "author": ", ".join(names) or None,
             "published": item.get("date_published"), "modified": item.get("date_modified")}
    lastmod = parse_date(str(item.get("date_modified") or item.get("date_published") or ""))
    return FoundUrl(absolute_url(base_url, link), _clean(hints), lastmod)


def parse_date(value: str) -> datetime | None:
    """An ISO 8601 / W3C datetime (sitemaps, JSON Feed), timezone-aware; None if unreadable."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _clean(hints: dict[str, Any]) -> dict[str, str]:
    return {key: str(value).strip() for key, value in hints.items()
            if isinstance(value, str | int | float) and str(value).strip()}
