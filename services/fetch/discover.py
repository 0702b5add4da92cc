"""Discovery: what a source URL is (feed, sitemap, home page, article) and the URLs it names.

The kind is read from what comes back (root element, JSON shape, content type), not from the
URL. A sitemap index is followed to a bounded depth and count, its children read several at
once; a home page's own feeds are read too, for their titles and dates. One discovery has a
time budget and keeps at most a set number of URLs (FetchLimits).
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from protego import Protego

from services.fetch.client import Download, FetchLimits, HttpClient, decode_body
from services.fetch.decompress import GZIP_MAGIC, gunzip
from services.fetch.feeds import FoundUrl, parse_feed, parse_json_feed
from services.fetch.homepage import (
    article_links,
    feed_links,
    is_article_page,
    is_article_url,
    read_html,
)
from services.fetch.sitemaps import Sitemap, parse_sitemap
from services.fetch.urls import normalize_url
from services.fetch.xmlsafe import root_name
from shared.errors import PermanentError

log = logging.getLogger("copydesk.fetch.discover")

FEED_ROOTS = {"rss": "rss", "rdf": "rss", "feed": "atom"}
SITEMAP_ROOTS = {"urlset", "sitemapindex"}
MAX_SITEMAP_DEPTH = 3
MAX_HOME_FEEDS = 3
MAX_GUNZIPPED = 50 * 1024 * 1024  # the sitemaps protocol's limit for one uncompressed file


@dataclass(frozen=True)
class Discovery:
    """What one look at a source found."""

    kind: str  # rss, atom, jsonfeed, sitemap, sitemap_index, page, home, unchanged
    urls: tuple[FoundUrl, ...] = ()
    page: Download | None = None
    etag: str | None = None
    last_modified: str | None = None
    feeds: tuple[str, ...] = ()


def discover(url: str, client: HttpClient, *, etag: str | None = None,
             last_modified: str | None = None, since: datetime | None = None) -> Discovery:
    """Look at a source URL once (conditionally) and say what it names."""
    deadline = time.monotonic() + client.limits.discovery_budget
    download = client.get(url, etag=etag, last_modified=last_modified)
    if download.status == 304:
        return Discovery("unchanged", etag=download.etag or etag,
                         last_modified=download.last_modified or last_modified)
    found = read_source(download, client, since=since, deadline=deadline)
    return replace(found, etag=download.etag, last_modified=download.last_modified)


def read_source(download: Download, client: HttpClient | None, *,
                since: datetime | None = None, deadline: float | None = None) -> Discovery:
    """Read a downloaded (or local) source; without a client, nothing further is fetched."""
    limits = client.limits if client is not None else FetchLimits()
    deadline = deadline if deadline is not None else time.monotonic() + limits.discovery_budget
    found = _read(download, client, since, deadline)
    urls = _since(_unique(found.urls), since)
    if len(urls) > limits.max_source_urls:
        log.warning("%s names %d URLs; the first %d are kept", download.final_url, len(urls),
                    limits.max_source_urls)
    return replace(found, urls=urls[:limits.max_source_urls])


def _read(download: Download, client: HttpClient | None, since: datetime | None,
          deadline: float) -> Discovery:
    content = _gunzipped(download.content)
    kind = source_kind(download.content_type, content, download.final_url)
    base = download.final_url
    if kind in ("rss", "atom"):
        found = Discovery(kind, tuple(parse_feed(content, base)[1]))
    elif kind == "jsonfeed":
        found = Discovery(kind, tuple(parse_json_feed(content, base)))
    elif kind == "robots":
        sitemaps = Protego.parse(content.decode("utf-8", "replace")).sitemaps
        found = Discovery("sitemap_index",
                          tuple(_expand_index(list(sitemaps), client, since, deadline)))
    elif kind in ("sitemap", "sitemap_index"):
        found = _sitemap(content, base, client, since, deadline)
    else:
        found = _html(download, client, deadline)
    return found


def source_kind(content_type: str, content: bytes, url: str) -> str:
    """rss, atom, jsonfeed, sitemap, sitemap_index, robots, text or html, from the bytes."""
    root = root_name(content)
    if root in FEED_ROOTS:
        return FEED_ROOTS[root]
    if root in SITEMAP_ROOTS:
        return "sitemap" if root == "urlset" else "sitemap_index"
    if content.lstrip().startswith(b"{"):
        return "jsonfeed"
    if content_type == "text/plain" or root is None:
        return "robots" if urlsplit(url).path == "/robots.txt" else "text"
    return "html"


def sitemaps_from_robots(base_url: str, client: HttpClient) -> list[str]:
    """The Sitemap: lines of a site's robots.txt."""
    parts = urlsplit(base_url)
    robots = client.get(f"{parts.scheme}://{parts.netloc}/robots.txt")
    return list(Protego.parse(robots.content.decode("utf-8", "replace")).sitemaps)


def _gunzipped(content: bytes) -> bytes:
    return gunzip(content, MAX_GUNZIPPED) if content.startswith(GZIP_MAGIC) else content


def _sitemap(content: bytes, base: str, client: HttpClient | None,
             since: datetime | None, deadline: float) -> Discovery:
    sitemap = parse_sitemap(content, base)
    if sitemap.kind == "sitemap":
        return Discovery("sitemap", sitemap.entries)
    children = [entry.url for entry in sitemap.entries if _recent(entry, since)]
    return Discovery("sitemap_index", tuple(_expand_index(children, client, since, deadline)))


def _expand_index(children: list[str], client: HttpClient | None, since: datetime | None,
                  deadline: float) -> list[FoundUrl]:
    """Follow child sitemaps breadth-first, a level at a time and several at once, within the
    depth, count and time bounds (the client's rate limit still spaces requests to a host)."""
    if client is None:
        log.warning("a local sitemap index names %d sitemaps; they are not fetched",
                    len(children))
        return []
    limits = client.limits
    urls: list[FoundUrl] = []
    level, visited = list(dict.fromkeys(children)), set(children)
    budget = limits.max_sitemaps
    pool = ThreadPoolExecutor(max_workers=max(1, limits.sitemap_concurrency))
    try:
        for depth in range(1, MAX_SITEMAP_DEPTH + 1):
            if len(level) > budget:
                log.warning("%d sitemaps not read: more than %d", len(level) - budget,
                            limits.max_sitemaps)
            batch, budget = level[:budget], budget - min(budget, len(level))
            level = []
            for sitemap in _read_children(pool, batch, client, deadline):
                if sitemap.kind == "sitemap":
                    urls.extend(sitemap.entries)
                elif depth < MAX_SITEMAP_DEPTH:
                    fresh = [entry.url for entry in sitemap.entries
                             if entry.url not in visited and _recent(entry, since)]
                    visited.update(fresh)
                    level.extend(fresh)
            if not level or not budget or time.monotonic() >= deadline:
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a late child is not waited for
    return urls


def _read_children(pool: ThreadPoolExecutor, urls: list[str], client: HttpClient,
                   deadline: float) -> list[Sitemap]:
    """The sitemaps at `urls` read by the time the deadline comes, in their order."""
    futures = [pool.submit(_child, url, client) for url in urls]
    done, late = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
    if late:
        log.warning("discovery budget spent: %d sitemaps not read", len(late))
    # A transient failure of a child (result() raises it) fails the discovery: retried.
    return [sitemap for future in futures if future in done
            if (sitemap := future.result()) is not None]


def _child(url: str, client: HttpClient) -> Sitemap | None:
    try:
        return parse_sitemap(_gunzipped(client.get(url).content), url)
    except PermanentError as error:  # one broken child must not hide the others
        log.warning("sitemap %s skipped: %s", url, error)
        return None



def _html(download: Download, client: HttpClient | None, deadline: float) -> Discovery:
    """An article page is itself the find; a home or section page names articles and feeds."""
    if download.content_type == "text/plain":
        return Discovery("page", page=download)
    tree = read_html(decode_body(download)[0])
    if tree is None:
        return Discovery("page", page=download)
    url = download.final_url
    links = article_links(tree, url)
    is_home = urlsplit(url).path in ("", "/")
    if not is_home and (is_article_page(tree) or is_article_url(url) or len(links) < 10):
        return Discovery("page", page=download)
    feeds = feed_links(tree, url)
    return Discovery("home", tuple(_feed_entries(feeds, client, deadline)) + tuple(links),
                     feeds=tuple(feeds))


def _feed_entries(feeds: list[str], client: HttpClient | None,
                  deadline: float) -> list[FoundUrl]:
    entries: list[FoundUrl] = []
    if client is None:
        return entries
    for feed in feeds[:MAX_HOME_FEEDS]:
        if time.monotonic() >= deadline:
            log.warning("discovery budget spent: feed %s of a home page not read", feed)
            break
        try:
            found = read_source(client.get(feed), None)
        except PermanentError as error:
            log.warning("feed %s of a home page skipped: %s", feed, error)
            continue
        if found.kind in ("rss", "atom", "jsonfeed"):
            entries.extend(found.urls)
    return entries


def _unique(urls: tuple[FoundUrl, ...]) -> tuple[FoundUrl, ...]:
    """One entry per normalised URL; the first (a feed's, with the richest hints) wins."""
    seen: dict[str, FoundUrl] = {}
    for found in urls:
        key = normalize_url(found.url)
        if key not in seen:
            seen[key] = replace(found, url=key)
    return tuple(seen.values())


def _recent(found: FoundUrl, since: datetime | None) -> bool:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a naive 'since' is read as UTC, like lastmods
    return since is None or found.lastmod is None or found.lastmod >= since


def _since(urls: tuple[FoundUrl, ...], since: datetime | None) -> tuple[FoundUrl, ...]:
    return tuple(found for found in urls if _recent(found, since))
