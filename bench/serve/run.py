"""Time the console's pages and the API's reads of `copydesk serve` on a large archive.

A throwaway PostgreSQL database is filled in bulk with SQL (generate_series): `--articles`
articles of 50 sources, one stored a minute up to now, 60 words each (one in 20 a live blog,
one in 100 a copy, stories of three; "ukraine" in every second article, "w123" in about one in
a hundred, a word of its own in each title), with one revision and one job each, and `--dead`
dead letters over five reasons. The full-text index is built after the fill. Then `copydesk
serve` runs on it as a subprocess and each page is fetched `--repeat` times after one warm-up;
the table gives the median and the slowest, in ms. `--database` reuses a database filled
before (and keeps it), for a second run after a change.

    python bench/serve/run.py [--articles 1000000] [--dead 20000] [--repeat 7] [--database URL]
"""

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support is not an installed package

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from shared.db import engine_for, migrate  # noqa: E402
from tests.support.serve import serving  # noqa: E402
from tests.support.services import postgres_database  # noqa: E402
from tests.support.workers import environment  # noqa: E402

FTS = "to_tsvector('english', coalesce(title, '') || ' ' || text)"
FILL = [
    "DROP INDEX IF EXISTS ix_articles_fts",
    """INSERT INTO articles (id, canonical_url, url, source, title, published_at, language,
         page_kind, is_live_blog, text, content_hash, fields, duplicate_of, cluster_id, revision,
         fetched_at, created_at, updated_at)
       SELECT g, 'https://s' || (g % 50) || '.example/a/' || g,
              'https://s' || (g % 50) || '.example/a/' || g, 'source-' || (g % 50),
              'Story ' || g || ' uniq' || g, now() - (:n - g) * interval '1 minute', 'en',
              CASE WHEN g % 20 = 0 THEN 'live_blog' ELSE 'article' END, g % 20 = 0,
              CASE WHEN g % 2 = 0 THEN 'ukraine ' ELSE '' END || array_to_string(ARRAY(
                  SELECT 'w' || ((g::bigint * k * 7919) % 5000)
                  FROM generate_series(1, 60) k), ' '),
              md5(g::text), '{"entries": [], "removed": [], "entities": {}}',
              CASE WHEN g % 100 = 0 THEN g - 1 END, g / 3 * 3, 1,
              now() - (:n - g) * interval '1 minute', now() - (:n - g) * interval '1 minute',
              now()
       FROM generate_series(1, :n) g""",
    "SELECT setval(pg_get_serial_sequence('articles', 'id'), :n)",
    """INSERT INTO article_revisions (article_id, revision, job_id, content_hash, text,
         fetched_at)
       SELECT id, 1, md5(id::text), content_hash, text, fetched_at FROM articles""",
    """INSERT INTO jobs (id, url, source, status, stage, attempts, hints, article_id,
         created_at, updated_at, lease_until)
       SELECT md5(g::text), 'https://s' || (g % 50) || '.example/a/' || g, 'source-' || (g % 50),
              CASE WHEN g > :n THEN 'dead' ELSE 'stored' END, 'store', 1, '{}',
              CASE WHEN g <= :n THEN g END, now() - (:n - g) * interval '1 minute', now(), now()
       FROM generate_series(1, :n + :dead) g""",
    """INSERT INTO dead_letters (job_id, url, source, stage, reason, message, attempts,
         created_at)
       SELECT md5(g::text), 'https://s' || (g % 50) || '.example/a/' || g, 'source-' || (g % 50),
              'fetch', (ARRAY['http_404', 'http_410', 'robots', 'too_large', 'not_article'])
              [1 + g % 5], 'synthetic', 1, now()
       FROM generate_series(:n + 1, :n + :dead) g""",
    f"CREATE INDEX ix_articles_fts ON articles USING GIN ({FTS})",
    "ANALYZE",
]


def fill(url: str, articles: int, dead: int) -> float:
    migrate(url)
    started = time.perf_counter()
    with engine_for(url).begin() as connection:
        for statement in FILL:
            connection.execute(text(statement), {"n": articles, "dead": dead})
    return time.perf_counter() - started


def pages(articles: int) -> list[str]:
    middle = articles // 2
    return ["/", "/articles", f"/articles?cursor={middle}", "/articles?q=uniq12345",
            "/articles?q=w123", "/articles?q=ukraine", "/articles?q=ukraine&cursor=" + str(middle),
            "/articles?kind=live_blog", "/articles?source=source-7",
            "/articles?since=2020-01-01&until=" + time.strftime("%Y-%m-%d"),
            f"/articles/{middle + 1}", f"/articles/{middle - middle % 100}", "/sources",
            "/dead-letters", "/api/status", "/api/articles?limit=100",
            f"/api/articles/{middle}", "/api/dead-letters?reason=robots&limit=100"]


def timed(client: httpx.Client, path: str, repeat: int) -> list[float]:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


@contextmanager
def _database(given: str | None) -> Iterator[str]:
    if given:
        yield given
        return
    with postgres_database() as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--dead", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database", help="a database this script filled before (kept)")
    args = parser.parse_args()
    with _database(args.database) as url:
        if not args.database:
            seconds = fill(url, args.articles, args.dead)
            print(f"filled {args.articles} articles, {args.dead} dead letters in {seconds:.0f} s",
                  flush=True)
        workdir = Path(ROOT / "bench" / "serve" / ".work")
        workdir.mkdir(exist_ok=True)
        env = environment(url, "redis://127.0.0.1:1/0")  # no broker: status says so
        with serving(workdir, env) as served, httpx.Client(base_url=served.url,
                                                           timeout=300) as client:
            print(f"| page ({args.articles:,} articles, PostgreSQL) | median ms | slowest ms |")
            print("| --- | ---: | ---: |")
            for path in pages(args.articles):
                times = timed(client, path, args.repeat)
                print(f"| `{path}` | {statistics.median(times):.0f} | {max(times):.0f} |",
                      flush=True)


if __name__ == "__main__":
    main()
