"""Time the store stage's duplicate check in the database at 1k, 10k and 100k stored articles.

run.py times the in-memory index; the store stage asks the database instead:
services.store.duplicates.classify() looks the new article's LSH band keys up in the
article_keys (near) and story_keys (story) tables, loads the candidate articles with their
signatures, compares them, and writes the new article's keys. Here the articles and both key
tables are filled in bulk, every article fetched at one time (so all story keys are in the
window) (run.py's synthetic texts, their signatures and band keys computed once, in parallel;
COPY on PostgreSQL, executemany on SQLite), analysed, and then `--checks` new articles are
each inserted and classified in a transaction that is rolled back, so every check sees
exactly `size` stored articles. Every third check is a syndicated copy of a stored article
and must be marked a duplicate of it.

    python bench/dedupe/run_db.py [--database postgresql,sqlite[:MAX]]
                                  [--sizes 1000,10000,100000] [--checks 300] [--workers 2]

PostgreSQL runs in a throwaway database (tests/support/services.py, COPYDESK_TEST_PG to point
it elsewhere); SQLite in a temporary file.
"""

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support is not an installed package

import numpy as np  # noqa: E402
from run import Writer, edit  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from services.store.dedupe import signature  # noqa: E402
from services.store.duplicates import classify  # noqa: E402
from shared.db import ArticleRecord, engine_for, migrate  # noqa: E402
from shared.minhash import part_keys  # noqa: E402
from tests.support.services import postgres_database  # noqa: E402

STAMP = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 2_000

# One Writer per worker process: same vocabulary and topics (seed 7), own random streams.
_writer: Writer | None = None


def _start_worker() -> None:
    global _writer
    _writer = Writer()


def _story(number: int) -> tuple[list[str], list[str]]:
    """Story `number`: 12 names and one of the 300 topics, the same in every process."""
    rng = random.Random(f"story-{number}")
    names = ["".join(rng.choice("abcdefghiklmnoprstuvwy") for _ in range(rng.randint(3, 10)))
             .title() for _ in range(12)]
    assert _writer is not None
    return names, _writer.topics[rng.randrange(len(_writer.topics))]


def _make_chunk(start: int, stop: int) -> list[tuple[str, bytes, dict[str, list[int]]]]:
    """Articles start..stop-1: text, signature bytes and band keys.

    Article n is about one of the first n // 5 + 1 stories, so any prefix of the archive has
    about one story per five articles, as in run.py.
    """
    assert _writer is not None
    _writer.random.seed(f"article-{start}")
    _writer.rng = np.random.default_rng(start)
    out = []
    for number in range(start, stop):
        body = _writer.article(_story(_writer.random.randrange(number // 5 + 1)))
        sig = signature(body)
        out.append((body, sig.to_bytes(), part_keys(sig.near, sig.story)))
    return out


def corpus(total: int, workers: int) -> Iterator[tuple[str, bytes, dict[str, list[int]]]]:
    """The archive's articles in order, computed `workers` chunks at a time."""
    with ProcessPoolExecutor(workers, initializer=_start_worker) as pool:
        starts = range(0, total, CHUNK)
        for chunk in pool.map(_make_chunk, starts, [min(s + CHUNK, total) for s in starts]):
            yield from chunk


def _row(number: int, body: str, sig: bytes) -> tuple:
    article_id = number + 1
    url = f"https://bench.example/{article_id}"
    return (article_id, url, url, "bench", body, hashlib.sha256(body.encode()).hexdigest(),
            "{}", article_id, sig, "article", False, 1, STAMP, STAMP, STAMP)


ARTICLE_COLUMNS = ("id, canonical_url, url, source, text, content_hash, fields, cluster_id, "
                   "signature, page_kind, is_live_blog, revision, fetched_at, created_at, "
                   "updated_at")


class Postgres:
    name = "PostgreSQL"

    def __init__(self, url: str) -> None:
        self.url = url
        migrate(url)
        self.engine = engine_for(url)
        with self.engine.begin() as conn:
            # The full-text index is not used by the check; building it for 100k texts would
            # double the fill time. The band indexes are dropped while filling, rebuilt after.
            conn.execute(text("DROP INDEX IF EXISTS ix_articles_search"))

    def fill(self, articles: list[tuple[int, str, bytes, dict[str, list[int]]]]) -> None:
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("SET maintenance_work_mem = '512MB'")
            cur.execute("DROP INDEX ix_article_keys_keys")
            cur.execute("DROP INDEX ix_story_keys_keys")
            # Bands reference articles: skip the per-row foreign-key check (the ids are ours).
            cur.execute("SET session_replication_role = replica")
            with cur.copy(f"COPY articles ({ARTICLE_COLUMNS}) FROM STDIN") as copy:
                for number, body, sig, _ in articles:
                    copy.write_row(_row(number, body, sig))
            with cur.copy("COPY article_keys (article_id, keys) FROM STDIN") as copy:
                for number, _, _, keys in articles:
                    copy.write_row((number + 1, keys["near"]))
            with cur.copy("COPY story_keys (article_id, kept_at, keys) FROM STDIN") as copy:
                for number, _, _, keys in articles:
                    copy.write_row((number + 1, STAMP, keys["story"]))
            cur.execute("SET session_replication_role = DEFAULT")
            for table in ("article_keys", "story_keys"):
                cur.execute(f"CREATE INDEX ix_{table}_keys ON {table} USING GIN (keys) "
                            "WITH (fastupdate = off)")
            cur.execute("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))")
            raw.commit()
            cur.execute("ANALYZE articles")
            cur.execute("ANALYZE article_keys")
            cur.execute("ANALYZE story_keys")
            raw.commit()
        finally:
            raw.close()


class Sqlite:
    name = "SQLite"

    def __init__(self, url: str) -> None:
        self.url = url
        migrate(url)
        self.engine = engine_for(url)
        with self.engine.begin() as conn:
            # As on PostgreSQL, no full-text index: its triggers would triple the fill time.
            for name in ("insert", "update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS articles_fts_{name}"))

    def fill(self, articles: list[tuple[int, str, bytes, dict[str, list[int]]]]) -> None:
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.executemany(f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES "
                            f"({', '.join('?' * 15)})",
                            (_row(number, body, sig) for number, body, sig, _ in articles))
            cur.executemany("INSERT INTO article_keys (band_key, article_id) VALUES (?, ?)",
                            ((key, number + 1) for number, _, _, keys in articles
                             for key in keys["near"]))
            stamp = STAMP.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores a time
            cur.executemany("INSERT INTO story_keys (band_key, article_id, kept_at) "
                            "VALUES (?, ?, ?)", ((key, number + 1, stamp)
                                                 for number, _, _, keys in articles
                                                 for key in keys["story"]))
            raw.commit()
            cur.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()


def check(db: Postgres | Sqlite, texts: list[str], size: int, checks: int) -> dict:
    """Insert and classify `checks` new articles, each in its own rolled-back transaction."""
    rng = random.Random(size)
    writer = _writer
    assert writer is not None
    times, sign, found, copies = [], [], 0, 0
    with Session(db.engine) as session:
        for number in range(checks):
            copy = number % 3 == 0
            if copy:
                original = rng.randrange(size)
                body = edit(texts[original], rng)
            else:
                body = writer.article(_story(rng.randrange(size // 5 + 1)))
            start = time.perf_counter()
            sig = signature(body)
            signed = time.perf_counter() - start
            sign.append(signed)
            url = f"https://bench.example/check/{size}/{number}"
            record = ArticleRecord(canonical_url=url, url=url, source="bench", text=body,
                                   content_hash=hashlib.sha256(body.encode()).hexdigest(),
                                   fields={}, fetched_at=STAMP)
            session.add(record)
            session.flush()
            start = time.perf_counter()
            classify(session, record, sig)
            session.flush()  # the article's new columns are written
            times.append(signed + time.perf_counter() - start)  # a check includes its signature
            if copy:
                copies += 1
                found += record.duplicate_of == original + 1
            session.rollback()
    times.sort()
    return {"size": size, "check_ms": 1000 * statistics.mean(times),
            "p50_ms": 1000 * times[len(times) // 2],
            "p99_ms": 1000 * times[int(0.99 * len(times))],
            "signature_ms": 1000 * statistics.mean(sign), "copies_found": found / copies}


@contextmanager
def database(kind: str) -> Iterator[Postgres | Sqlite]:
    if kind == "postgresql":
        with postgres_database() as url:
            db = Postgres(url)
            try:
                yield db
            finally:
                db.engine.dispose()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            db = Sqlite(f"sqlite:///{Path(tmp) / 'bench.db'}")
            try:
                yield db
            finally:
                db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql,sqlite")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = sorted(map(int, args.sizes.split(",")))
    _start_worker()
    started = time.perf_counter()
    articles = [(number, body, sig, keys)
                for number, (body, sig, keys) in enumerate(corpus(sizes[-1], args.workers))]
    texts = [body for _, body, _, _ in articles]
    print(f"# {len(articles):,} articles and signatures in {time.perf_counter() - started:.0f} s",
          file=sys.stderr, flush=True)
    print("| database | stored | check ms (mean) | check ms (p50) | check ms (p99) "
          "| of which signature ms | copies found |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for spec in args.database.split(","):
        kind, _, limit = spec.partition(":")  # sqlite:10000 stops SQLite at 10k articles
        with database(kind) as db:
            stored = 0
            for size in [s for s in sizes if not limit or s <= int(limit)]:
                started = time.perf_counter()
                db.fill(articles[stored:size])
                stored = size
                print(f"# {db.name}: filled to {size:,} in {time.perf_counter() - started:.0f} s",
                      file=sys.stderr, flush=True)
                row = check(db, texts, size, args.checks)
                print(f"| {db.name} | {size:,} | {row['check_ms']:.2f} | {row['p50_ms']:.2f} | "
                      f"{row['p99_ms']:.2f} | {row['signature_ms']:.2f} | "
                      f"{row['copies_found']:.0%} |", flush=True)


if __name__ == "__main__":
    main()
