"""Site furniture learned across pages: paragraphs that recur on many pages of one site.

Counts are kept per site, per normalised paragraph, once per distinct page, so a redelivered
page is never counted twice. A paragraph is furniture once it was seen on at least
`min_pages` distinct pages of the site and on at least `min_share` of the pages seen there.

The counts are kept for a window of the site's recent pages: a generation of counts takes
`window` pages, then becomes the previous one, and the one before it is dropped, so a verdict
rests on the last `window` to 2 * `window` pages. The index stays bounded however long a site
is followed (most of what it counts are the articles' own paragraphs, each seen once), and a
template line a site starts to show counts against its recent pages rather than its whole
history. Only which pages were counted is kept for ever, so none is ever counted twice.

Determinism: a page is counted once per (site, page key), and clean() observes a page before
judging it, so its verdict counts the page itself. Cleaning it again (a redelivery, a second
worker) adds nothing, reads the same counts and gives the same text, as long as no other page
of the site was counted in between; once others are, the page is judged on what the site has
shown since, which is the point of re-cleaning an archive. Which worker cleans a page never
matters: the counts live in Redis (or, in the embedded mode, in its process and its database),
not in it.
"""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any, Protocol

from services.clean.text import key

MIN_PAGES = 3
MIN_SHARE = 0.3
WINDOW = 1000  # pages a generation of counts takes: Settings.furniture_window's default
PAGES = "#pages"  # the pages a generation counted, kept beside the fingerprints (never hex)


class FurnitureIndex(Protocol):
    """What the clean stage needs from a store of per-site paragraph counts."""

    def observe(self, site: str, page_key: str, paragraphs: Sequence[str]) -> frozenset[str]:
        """Count each distinct paragraph of a page once, unless the page was seen before; the
        fingerprints of the page's furniture, this page counted."""


def fingerprint(paragraph: str) -> str | None:
    """A short stable hash of a paragraph's normalised words; None for one too short to judge."""
    normal = key(paragraph)
    if not normal:
        return None
    return hashlib.blake2b(normal.encode("utf-8"), digest_size=10).hexdigest()


def fingerprints(paragraphs: Sequence[str]) -> set[str]:
    """The distinct fingerprints of a page's paragraphs."""
    return {found for paragraph in paragraphs if (found := fingerprint(paragraph))}


def page_mark(page_key: str) -> str:
    """A page key as the index keeps it: 16 hex digits instead of a whole URL."""
    return hashlib.blake2b(page_key.encode("utf-8"), digest_size=8).hexdigest()


def verdict(pages_with: int, pages_seen: int, min_pages: int, min_share: float) -> bool:
    """The furniture rule, in one place for every backend."""
    return pages_with >= min_pages and pages_with >= min_share * pages_seen


class MemoryFurniture:
    """An in-process index: for the embedded mode and tests."""

    def __init__(self, min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE,
                 window: int = WINDOW) -> None:
        self.min_pages, self.min_share, self.window = min_pages, min_share, window
        self._pages: dict[str, set[str]] = defaultdict(set)
        # Per site, this generation's counts and the previous one's (PAGES: pages counted).
        self._now: dict[str, Counter[str]] = defaultdict(Counter)
        self._old: dict[str, Counter[str]] = defaultdict(Counter)

    def observe(self, site: str, page_key: str, paragraphs: Sequence[str]) -> frozenset[str]:
        """Count each distinct paragraph of a page once, unless the page was seen before; the
        fingerprints of the page's furniture, this page counted."""
        marks, page = fingerprints(paragraphs), page_mark(page_key)
        now, old = self._now[site], self._old[site]
        if page not in self._pages[site]:
            self._pages[site].add(page)
            now[PAGES] += 1
            now.update(marks)
        seen = now[PAGES] + old[PAGES]
        found = frozenset(mark for mark in marks if verdict(
            now[mark] + old[mark], seen, self.min_pages, self.min_share))
        if now[PAGES] >= self.window:  # this generation is full: the oldest one goes
            self._old[site], self._now[site] = now, Counter()
        return found

    def is_furniture(self, site: str, paragraph: str) -> bool:
        """True when the paragraph recurs on enough distinct pages of the site: a look at the
        counts that counts no page (the clean stage judges pages with observe())."""
        found = fingerprint(paragraph)
        if found is None or site not in self._now:
            return False
        now, old = self._now[site], self._old[site]
        return verdict(now[found] + old[found], now[PAGES] + old[PAGES],
                       self.min_pages, self.min_share)

    def state(self, site: str) -> dict[str, Any]:
        """What the index knows of a site, as plain data (to keep it between runs)."""
        return {"pages": sorted(self._pages.get(site, ())),
                "now": dict(self._now.get(site, {})), "old": dict(self._old.get(site, {}))}

    def restore(self, site: str, state: dict[str, Any]) -> None:
        """Take up what state() gave, in place of what the index knows of the site."""
        self._pages[site] = set(state["pages"])
        self._now[site], self._old[site] = Counter(state["now"]), Counter(state["old"])

    def counted(self, site: str) -> int:
        """How many fingerprints the site's window holds: what its memory grows with."""
        empty: Counter[str] = Counter()
        return sum(len(counts) - int(PAGES in counts)
                   for counts in (self._now.get(site, empty), self._old.get(site, empty)))
