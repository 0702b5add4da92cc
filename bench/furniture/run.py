"""The furniture index's size in Redis as a site is followed for a long time, with and without
the window (Settings.furniture_window), and the cost of one observe() call.

    .venv/bin/python bench/furniture/run.py [--pages 20000] [--redis redis://127.0.0.1:6379/0]

A site's pages are modelled on the development corpus: each carries as many distinct
paragraphs as a fundus80 page hands the index (their median), ten of them the site's
template lines and the rest its own. Sizes are Redis's own MEMORY USAGE of the site's keys;
the keys live under a prefix of their own and are deleted at the end.
"""

import argparse
import gzip
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from services.clean.clean import clean  # noqa: E402
from services.clean.furniture import WINDOW, fingerprints  # noqa: E402
from services.clean.redis_furniture import RedisFurniture  # noqa: E402
from shared.models import RawPage  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "fundus80" / "html"


class Tally:
    """A furniture index that judges nothing and counts what a page hands it."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def observe(self, site: str, page_key: str, paragraphs: Sequence[str]) -> frozenset[str]:
        self.sizes.append(len(fingerprints(paragraphs)))
        return frozenset()


def paragraphs_per_page() -> int:
    tally = Tally()
    for path in sorted(CORPUS.glob("*.html.gz")):
        url = f"https://{path.name.split('_')[0].lower()}.example/{path.stem}"
        html = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
        clean(RawPage(job_id=path.stem, source="bench", url=url, final_url=url,
                      content_type="text/html; charset=utf-8", body=html), tally)
    return int(statistics.median(tally.sizes))


def follow(client: redis.Redis, window: int, pages: int, per_page: int) -> dict[str, Any]:
    prefix = f"bench:furniture:{uuid.uuid4().hex}"
    index = RedisFurniture(client, prefix=prefix, window=window)
    template = [f"The site's template line number {n}, on every page." for n in range(10)]
    times: list[float] = []
    sizes: dict[int, tuple[int, int]] = {}
    for page in range(pages):
        own = [f"Page {page}'s own paragraph {k}, in words of its own."
               for k in range(per_page - 10)]
        started = time.perf_counter()
        index.observe("site.example", f"https://site.example/story/{page}", own + template)
        times.append(time.perf_counter() - started)
        if (page + 1) in (1000, 5000, 20000, 100000) or page + 1 == pages:
            pages_key = f"{prefix}:site.example:pages"
            counts = sum(client.memory_usage(key, samples=0) or 0
                         for key in client.keys(f"{prefix}:*") if key.decode() != pages_key)
            sizes[page + 1] = (counts, client.memory_usage(pages_key, samples=0) or 0)
    client.delete(*client.keys(f"{prefix}:*"))
    times.sort()
    return {"sizes": sizes, "observe_p50_ms": 1000 * times[len(times) // 2],
            "observe_p99_ms": 1000 * times[int(0.99 * len(times))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    per_page = paragraphs_per_page()
    print(f"fundus80: a page hands the index {per_page} distinct paragraphs (median)")
    client = redis.Redis.from_url(args.redis)
    for label, window in (("no window (before)", 10**12), (f"window {WINDOW} (after)", WINDOW)):
        result = follow(client, window, args.pages, per_page)
        sizes = ", ".join(f"{pages:,} pages: counts {counts / 2**20:.1f} MiB + pages seen "
                          f"{seen / 2**20:.1f} MiB"
                          for pages, (counts, seen) in result["sizes"].items())
        print(f"{label}: {sizes}; observe p50 {result['observe_p50_ms']:.2f} ms, "
              f"p99 {result['observe_p99_ms']:.2f} ms")


if __name__ == "__main__":
    main()
