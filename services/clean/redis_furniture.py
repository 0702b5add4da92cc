"""The furniture index in Redis, shared by every clean worker."""

from collections.abc import Sequence
from typing import Any

from services.clean.furniture import (
    MIN_PAGES,
    MIN_SHARE,
    PAGES,
    WINDOW,
    fingerprint,
    fingerprints,
    page_mark,
    verdict,
)
from shared import runtime
from shared.settings import get_settings

PREFIX = "copydesk:furniture"
# A site none of whose pages was cleaned for this long is forgotten (seconds).
IDLE_TTL = 90 * 24 * 3600
# Marks the page seen and adds its counts in one step, so a redelivery (or two workers racing
# on the same page) counts it once; answers with the pages and the counts of the page's own
# fingerprints over the two generations of the window, so that judging the page needs no
# further round trip. KEYS: the pages counted (a set), this generation's counts and the
# previous one's (hashes, each with its pages under PAGES). ARGV: page, window, TTL, marks.
_OBSERVE = """
if redis.call('HEXISTS', KEYS[2], ARGV[4]) == 0 then
  -- no generation yet, or an index kept before windows: every page counted so far is its own
  redis.call('HSET', KEYS[2], ARGV[4], redis.call('SCARD', KEYS[1]))
end
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  for i = 4, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
end
local now = redis.call('HMGET', KEYS[2], unpack(ARGV, 4))
local old = redis.call('HMGET', KEYS[3], unpack(ARGV, 4))
local sums = {}
for i = 1, #now do sums[i] = (tonumber(now[i]) or 0) + (tonumber(old[i]) or 0) end
if tonumber(now[1]) >= tonumber(ARGV[2]) then
  redis.call('RENAME', KEYS[2], KEYS[3])
  redis.call('HSET', KEYS[2], ARGV[4], 0)
end
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
return sums
"""


class RedisFurniture:
    """Per-site counts in two Redis hashes (the window's two generations), with the set of
    pages already counted (a short hash of each page key: it is the part kept for ever)."""

    def __init__(self, client: Any, min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE,
                 prefix: str = PREFIX, window: int = WINDOW) -> None:
        self.client, self.min_pages, self.min_share, self.prefix, self.window = (
            client, min_pages, min_share, prefix, window)
        self._observe = client.register_script(_OBSERVE)

    def observe(self, site: str, page_key: str, paragraphs: Sequence[str]) -> frozenset[str]:
        """Count each distinct paragraph of a page once, unless the page was seen before; the
        fingerprints of the page's furniture, this page counted (one round trip)."""
        marks = sorted(fingerprints(paragraphs))
        seen, *counts = self._observe(
            keys=[self._pages(site), self._counts(site), self._previous(site)],
            args=[page_mark(page_key), self.window, IDLE_TTL, PAGES, *marks])
        return frozenset(
            mark for mark, count in zip(marks, counts, strict=True)
            if verdict(int(count), int(seen), self.min_pages, self.min_share))

    def is_furniture(self, site: str, paragraph: str) -> bool:
        """True when the paragraph recurs on enough distinct pages of the site: a look at the
        counts that counts no page (the clean stage judges pages with observe())."""
        found = fingerprint(paragraph)
        if found is None:
            return False
        with self.client.pipeline(transaction=False) as pipe:
            for counts in (self._counts(site), self._previous(site)):
                pipe.hmget(counts, [found, PAGES])
            (now, now_seen), (old, old_seen) = pipe.execute()
        return verdict(int(now or 0) + int(old or 0), int(now_seen or 0) + int(old_seen or 0),
                       self.min_pages, self.min_share)

    def counted(self, site: str) -> int:
        """How many fingerprints the site's window holds: what its memory grows with."""
        return sum(max(0, int(self.client.hlen(counts)) - 1)
                   for counts in (self._counts(site), self._previous(site)))

    def _pages(self, site: str) -> str:
        return f"{self.prefix}:{site}:pages"

    def _counts(self, site: str) -> str:
        return f"{self.prefix}:{site}:counts"

    def _previous(self, site: str) -> str:
        return f"{self.prefix}:{site}:counts:previous"


def shared_index() -> RedisFurniture:
    """The index every clean worker judges with, as the settings size its window: the workers'
    own and a replay's that learns into it must be the same."""
    return RedisFurniture(runtime.redis_client(), window=get_settings().furniture_window)
