"""The furniture index in Redis, shared by every clean worker."""

from collections.abc import Sequence
from typing import Any

from services.clean.furniture import MIN_PAGES, MIN_SHARE, fingerprint, fingerprints, verdict

PREFIX = "copydesk:furniture"
# Marks the page seen and adds its counts in one step, so a redelivery (or two workers racing
# on the same page) counts it once; answers with the pages seen and the counts of the page's
# own fingerprints, so that judging the page needs no further round trip.
_OBSERVE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  for i = 2, #ARGV do redis.call('HINCRBY', KEYS[2], ARGV[i], 1) end
end
local seen = redis.call('SCARD', KEYS[1])
if #ARGV < 2 then return {seen, {}} end
return {seen, redis.call('HMGET', KEYS[2], unpack(ARGV, 2))}
"""


class RedisFurniture:
    """Per-site counts in a Redis hash, with the set of page keys already counted."""

    def __init__(self, client: Any, min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE,
                 prefix: str = PREFIX) -> None:
        self.client, self.min_pages, self.min_share, self.prefix = (
            client, min_pages, min_share, prefix)
        self._observe = client.register_script(_OBSERVE)

    def observe(self, site: str, page_key: str, paragraphs: Sequence[str]) -> frozenset[str]:
        """Count each distinct paragraph of a page once, unless the page was seen before; the
        fingerprints of the page's furniture, this page counted (one round trip)."""
        marks = sorted(fingerprints(paragraphs))
        seen, counts = self._observe(keys=[self._pages(site), self._counts(site)],
                                     args=[page_key, *marks])
        return frozenset(
            mark for mark, count in zip(marks, counts, strict=True)
            if verdict(int(count or 0), int(seen), self.min_pages, self.min_share))

    def is_furniture(self, site: str, paragraph: str) -> bool:
        """True when the paragraph recurs on enough distinct pages of the site: a look at the
        counts that counts no page (the clean stage judges pages with observe())."""
        found = fingerprint(paragraph)
        if found is None:
            return False
        with self.client.pipeline(transaction=False) as pipe:
            pipe.hget(self._counts(site), found)
            pipe.scard(self._pages(site))
            count, seen = pipe.execute()
        return verdict(int(count or 0), int(seen or 0), self.min_pages, self.min_share)

    def _pages(self, site: str) -> str:
        return f"{self.prefix}:{site}:pages"

    def _counts(self, site: str) -> str:
        return f"{self.prefix}:{site}:counts"
