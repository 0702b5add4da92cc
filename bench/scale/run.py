"""Fill PostgreSQL with a synthetic archive of N articles, then time every read path at that size.

    python bench/scale/run.py --articles N --database URL [--workers 2] [--checks 300]

The database is migrated and filled (bench/scale/archive.py, COPY; refused if it already holds
jobs of its own); a database this benchmark already filled to N is reused as it is. Then: the
store stage's duplicate check (signature + classify, rolled back), full-text search, status,
export, dead letters, the sweeper's query, replay --since, and the store stage's rate against
an empty database. Progress goes to stderr; the last line on stdout is one JSON object.
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import archive
import fill
import numpy as np
from fill import log
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from copydesk import queries
from copydesk.export import write_jsonl
from copydesk.replay import kept_pages
from copydesk.search import search
from services.store.dedupe import signature
from services.store.duplicates import classify
from services.store.store import store_and_close
from shared.db import ArticleRecord, engine_for, migrate, session_factory
from shared.ledger import Ledger
from shared.minhash import STOPWORDS, STORY_WINDOW
from shared.models import Article
from shared.settings import get_settings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def round_trip_ms(url: str, count: int = 50) -> float:
    """The median `SELECT 1`: the floor under every statement on this machine, right now."""
    times = []
    with engine_for(url).connect() as conn:
        for _ in range(count):
            started = time.perf_counter()
            conn.execute(text("SELECT 1"))
            times.append(1000 * (time.perf_counter() - started))
    return round(percentile(times, 0.5), 2)


def dedupe_checks(url: str, total: int, checks: int) -> dict[str, Any]:
    """`checks` store-time duplicate checks, each rolled back, as of the archive's newest day.

    Every third is a fresh copy of a random stored article (its original must be found,
    however old); the rest are new articles of known stories, never copies: half of a story
    that an article of the story window is about, half of any story. A cluster they join must
    be of their story (`wrong_stories`); the synthetic rewrites of a story share too few word
    pairs to reach STORY_THRESHOLD (estimated Jaccard 0.00-0.03), so the story findings
    themselves are held by tests/integration/test_store_duplicates.py on real rewrites.
    """
    rng = random.Random(total)
    window = _window_articles(total)
    times, found, copies, false_duplicates = [], 0, 0, 0
    wrong_story = 0
    with Session(engine_for(url)) as session:
        for number in range(checks):
            copy, about = number % 3 == 0, None
            if copy:
                original = rng.randrange(total)
                if archive.plan(original)["copy_of"] is not None:  # a copy's original
                    original = archive.plan(original)["copy_of"]
                body = archive.edit(archive.text_of(original), rng)
            else:  # a new article of a known story: a rewrite, never a copy
                about = archive.plan(rng.choice(window))["story"] if number % 3 == 1 \
                    else rng.randrange(total // 5 + 1)
                body = archive.body(archive.story(about), np.random.default_rng(total + number))
            record = ArticleRecord(canonical_url=f"https://check.example/{number}",
                                   url=f"https://check.example/{number}", source="check",
                                   text=body, content_hash=str(number), fields={},
                                   fetched_at=archive.END)
            session.add(record)
            session.flush()
            started = time.perf_counter()
            classify(session, record, signature(body))
            session.flush()
            times.append(1000 * (time.perf_counter() - started))
            duplicate_of, cluster_id, own_id = record.duplicate_of, record.cluster_id, record.id
            session.rollback()
            if copy:
                copies += 1
                found += duplicate_of == original + 1
                continue
            false_duplicates += duplicate_of is not None
            clustered = cluster_id != own_id
            # The archive's cluster_id is each article's own id: the cluster is an article.
            wrong_story += clustered and archive.plan(cluster_id - 1)["story"] != about
        kept = session.scalar(select(func.count()).select_from(ArticleRecord)
                              .where(ArticleRecord.source == "check"))
    assert kept == 0, f"{kept} duplicate checks were committed, not rolled back"
    return {"dedupe_p50_ms": round(percentile(times, 0.5), 2),
            "dedupe_p99_ms": round(percentile(times, 0.99), 2),
            "copies_found": found / copies, "false_duplicates": false_duplicates,
            "wrong_stories": wrong_story}


def _window_articles(total: int) -> list[int]:
    """The numbers of the articles whose story keys the archive keeps."""
    since = archive.END - STORY_WINDOW
    return [n for n in range(total) if archive.START + timedelta(
        days=365 * n / total, minutes=n % 97) >= since]


def search_terms(count: int) -> list[str]:
    """1-3 consecutive content words of the corpus's real sentences, as people search."""
    rng = random.Random(count)
    sentences = archive.real_sentences()
    out: list[str] = []
    while len(out) < count:
        words = [w for w in re.findall(r"[a-z]{4,}", rng.choice(sentences).lower())
                 if w not in STOPWORDS]
        if words:
            size = min(len(words), rng.randint(1, 3))
            start = rng.randrange(len(words) - size + 1)
            out.append(" ".join(words[start:start + size]))
    return out


def time_search(ledger: Ledger, count: int) -> dict[str, Any]:
    times, hits = [], 0
    for query in search_terms(count):
        started = time.perf_counter()
        hits += bool(search(ledger, query, 20))
        times.append(1000 * (time.perf_counter() - started))
    return {"search_p50_ms": round(percentile(times, 0.5), 1),
            "search_p95_ms": round(percentile(times, 0.95), 1), "search_with_hits": hits}


def run_cli(url: str, *arguments: str) -> tuple[float, int, str]:
    """Seconds, peak memory (KB) and the last line of a `copydesk` command on the archive."""
    env = {**os.environ, "COPYDESK_DATABASE_URL": url}
    command = [str(Path(sys.executable).parent / "copydesk"), *arguments]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, out_bytes = 0, 0
    assert process.stdout is not None
    tail = b""
    while chunk := process.stdout.read(1 << 20):
        out_bytes += len(chunk)
        tail = (tail + chunk)[-65536:]
        peak = max(peak, _rss_kb(process.pid))
    process.wait()
    if process.returncode:
        raise RuntimeError(f"{arguments}: {process.stderr.read().decode()[-2000:]}")
    return time.perf_counter() - started, peak, tail.decode(errors="replace")


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def in_process(url: str) -> dict[str, Any]:
    """status, export and dead-letters as their commands call them, without Python's start."""
    os.environ["COPYDESK_DATABASE_URL"] = url
    get_settings.cache_clear()
    out: dict[str, Any] = {}
    queries.status_report()  # the first call migrates (a no-op) and connects
    started = time.perf_counter()
    report = queries.status_report()
    out["status_report_s"] = round(time.perf_counter() - started, 3)
    out["status_jobs"] = report["jobs"]
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as sink:
        exported = write_jsonl(queries.all_articles(), sink)
    out["export_in_process_per_s"] = round(exported / (time.perf_counter() - started))
    started = time.perf_counter()
    out["dead_letters"] = len(queries.all_dead_letters())
    out["dead_letters_in_process_s"] = round(time.perf_counter() - started, 2)
    return out


def read_paths(url: str, total: int, searches: int) -> dict[str, Any]:
    ledger = Ledger(session_factory(url))
    out: dict[str, Any] = time_search(ledger, searches)
    log(f"search: {out}")
    out.update(in_process(url))
    log(f"in process: {out}")
    out["cli_start_s"] = round(run_cli(url, "--help")[0], 2)  # the floor under every command
    out["status_s"] = round(run_cli(url, "status", "--json")[0], 2)
    log(f"status --json: {out['status_s']} s (the command alone: {out['cli_start_s']} s)")
    seconds, peak, _ = run_cli(url, "export", "--format", "jsonl")
    out["export_per_s"] = round(total / seconds)
    out["export_peak_rss_mb"] = round(peak / 1024)
    log(f"export: {out['export_per_s']}/s, peak RSS {out['export_peak_rss_mb']} MB")
    out["dead_letters_s"] = round(run_cli(url, "dead-letters")[0], 2)
    started = time.perf_counter()
    expired = ledger.expired(limit=1000)
    out["sweeper_query_ms"] = round(1000 * (time.perf_counter() - started), 1)
    out["sweeper_expired"] = len(expired)
    since = archive.START + timedelta(days=365 * 0.99)  # the last ~1% of the archive
    started = time.perf_counter()
    out["replay_since_pages"] = sum(1 for _ in kept_pages(ledger, None, since))
    out["replay_since_s"] = round(time.perf_counter() - started, 2)
    log(f"sweeper {out['sweeper_query_ms']} ms, replay --since {out['replay_since_s']} s")
    return out


# Each index of migration 0006 (and the sweeper's) with the read it is for: timed as it is and
# again inside a transaction that drops the index and is rolled back.
INDEX_READS = {
    "ix_jobs_open_lease": "SELECT id FROM jobs WHERE status = 'open' AND lease_until < now() "
                          "ORDER BY lease_until LIMIT 1000",
    "ix_jobs_source_created": str(queries._LAST_RUNS),
    "ix_articles_created_at": "SELECT source, count(*) FROM articles "
                              "WHERE created_at >= now() - interval '1 day' GROUP BY source",
    "ix_articles_source_published": "SELECT id FROM articles WHERE source = 'source-07' AND "
                                    "published_at >= '2025-06-01' ORDER BY published_at LIMIT 50",
    "ix_articles_duplicate_of": "SELECT id FROM articles WHERE duplicate_of IN (1, 2, 3)",
    "ix_raw_pages_fetched_at": "SELECT url, max(fetched_at) FROM raw_pages "
                               "WHERE fetched_at >= '2025-12-28' GROUP BY url",
}


def index_effects(url: str, rounds: int = 3) -> dict[str, dict[str, float]]:
    """Median ms of each index's read with the index and without it."""
    out = {}
    raw = engine_for(url).raw_connection()
    try:
        cur = raw.cursor()
        for index, query in INDEX_READS.items():
            timings = []
            for drop in (False, True):
                if drop:
                    cur.execute(f"DROP INDEX {index}")
                runs = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    cur.execute(query)
                    cur.fetchall()
                    runs.append(1000 * (time.perf_counter() - started))
                timings.append(round(statistics.median(runs), 2))
            raw.rollback()
            out[index] = {"with_ms": timings[0], "without_ms": timings[1]}
            log(f"{index}: {timings[0]} ms with, {timings[1]} ms without")
    finally:
        raw.rollback()
        raw.close()
    return out


def store_rates(url: str, empty: str, made: list[Article]) -> tuple[float, float]:
    """Articles per second of the store stage (store_and_close) on the archive and on an empty
    database, storing the same articles into each in turn, so both see the machine alike."""
    ledgers = [Ledger(session_factory(url)), Ledger(session_factory(empty))]
    for database in (url, empty):
        _forget(database, made)  # an earlier run's, on a reused archive
        with engine_for(database).begin() as conn:
            for art in made:  # their jobs, open as the store finds them
                conn.execute(text(
                    "INSERT INTO jobs (id, url, source, status, stage, attempts, hints, "
                    "created_at, updated_at, lease_until) VALUES (:id, :url, :source, 'open', "
                    "'store', 1, '{}', now(), now(), now())"),
                    {"id": art.job_id, "url": art.url, "source": art.source})
    seconds = [0.0, 0.0]
    for art in made:
        for side, ledger in enumerate(ledgers):
            started = time.perf_counter()
            store_and_close(art, ledger)
            seconds[side] += time.perf_counter() - started
    for database in (url, empty):
        _forget(database, made)  # the archive stays as it was filled, for the next run
    return len(made) / seconds[0], len(made) / seconds[1]


def _forget(url: str, made: list[Article]) -> None:
    """Delete the store-rate articles and jobs again."""
    urls, jobs = [art.canonical_url for art in made], [art.job_id for art in made]
    with engine_for(url).begin() as conn:
        ids = "SELECT id FROM articles WHERE canonical_url = ANY(:urls)"
        for table in ("article_keys", "story_keys", "article_revisions"):
            conn.execute(text(f"DELETE FROM {table} WHERE article_id IN ({ids})"), {"urls": urls})
        conn.execute(text("DELETE FROM articles WHERE canonical_url = ANY(:urls)"), {"urls": urls})
        conn.execute(text("DELETE FROM jobs WHERE id = ANY(:jobs)"), {"jobs": jobs})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--database", required=True, help="a PostgreSQL URL")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--checks", type=int, default=300)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--empty-database", help="PostgreSQL URL for the empty-database peer "
                        "of the store rate (default: the same server, database <name>_empty)")
    args = parser.parse_args()
    archive.start_worker()
    result: dict[str, Any] = {"articles": args.articles}
    if fill.filled(args.database) == args.articles:
        log(f"reusing the archive of {args.articles:,} articles already filled")
    else:
        started = time.perf_counter()
        result["fill"] = fill.fill(args.database, args.articles, args.workers)
        result["fill"]["total_s"] = round(time.perf_counter() - started, 1)
        fill.mark_filled(args.database, args.articles)
    sizes = fill.sizes(args.database)
    result["sizes"] = sizes
    result["dedupe_index_bytes_per_article"] = round(sum(
        sum(sizes[table].values()) for table in ("article_keys", "story_keys")) / args.articles)
    result["disk_bytes_per_article"] = round(
        sum(sum(table.values()) for table in sizes.values()) / args.articles)
    result["round_trip_ms"] = round_trip_ms(args.database)
    result["load_average"] = os.getloadavg()[0]
    result.update(dedupe_checks(args.database, args.articles, args.checks))
    log(f"dedupe: p99 {result['dedupe_p99_ms']} ms, copies found {result['copies_found']:.0%}")
    result.update(read_paths(args.database, args.articles, args.searches))
    result["indices"] = index_effects(args.database)
    empty = args.empty_database or _empty_peer(args.database)
    migrate(empty)
    # Fetched as of the archive's newest day, as dedupe_checks: the story window it keeps is
    # theirs, and none of its story keys has expired for a store to remove.
    made = [archive.article(args.articles + 10_000 + n, args.articles).model_copy(
        update={"fetched_at": archive.END, "published_at": archive.END})
        for n in range(args.stores)]
    at_size, at_empty = store_rates(args.database, empty, made)
    result.update(store_per_s=round(at_size, 1), store_empty_per_s=round(at_empty, 1),
                  store_rate_ratio=round(at_size / at_empty, 2))
    log(f"store: {at_size:.1f}/s at {args.articles:,}, {at_empty:.1f}/s empty")
    print(json.dumps(result))


def _empty_peer(url: str) -> str:
    """A fresh database beside `url` for the empty-database peer of the store rate."""
    base, _, name = url.rpartition("/")
    peer = f"{name}_empty"
    admin = engine_for(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{peer}"'))
        conn.execute(text(f'CREATE DATABASE "{peer}"'))
    return f"{base}/{peer}"


if __name__ == "__main__":
    main()
