"""Fill a PostgreSQL database with the synthetic archive: COPY, then the indices, then ANALYZE."""

import sys
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import archive
from sqlalchemy import text

from shared.db import engine_for, migrate

CHUNK = 1_000


def log(message: str) -> None:
    print(f"# {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def filled(url: str) -> int | None:
    """The size of the archive this benchmark finished filling in, if any (then it is reused)."""
    with engine_for(url).begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_scale (articles integer)"))
        return conn.execute(text("SELECT max(articles) FROM bench_scale")).scalar()


def mark_filled(url: str, total: int) -> None:
    with engine_for(url).begin() as conn:
        conn.execute(text("INSERT INTO bench_scale VALUES (:total)"), {"total": total})


def check_empty(url: str) -> None:
    """Refuse to fill a database that holds anything this benchmark did not put there."""
    with engine_for(url).connect() as conn:
        if conn.execute(text("SELECT EXISTS (SELECT 1 FROM jobs)")).scalar():
            raise SystemExit("the database already holds jobs: give the benchmark its own")


def chunks(total: int, workers: int) -> Iterator[dict[str, list[tuple]]]:
    """The archive's rows, CHUNK articles at a time, made by `workers` processes."""
    bounds = [(start, min(start + CHUNK, total), total) for start in range(0, total, CHUNK)]
    with ProcessPoolExecutor(workers, initializer=archive.start_worker) as pool:
        yield from pool.map(archive.chunk, bounds)


def fill(url: str, total: int, workers: int) -> dict[str, Any]:
    """Make the schema, COPY `total` articles in, build the indices; the seconds of each step."""
    migrate(url)
    check_empty(url)
    raw = engine_for(url).raw_connection()
    timings: dict[str, Any] = {}
    try:
        cur = raw.cursor()
        indices = _secondary_indices(cur)
        for name, _ in indices:
            cur.execute(f"DROP INDEX {name}")
        raw.commit()
        started = time.perf_counter()
        cur.execute("SET session_replication_role = replica")  # our ids: no per-row FK checks
        done = 0
        for rows in chunks(total, workers):
            for table, table_rows in rows.items():
                with cur.copy(f"COPY {table} ({archive.COLUMNS[table]}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
            raw.commit()
            done += CHUNK
            if done % (20 * CHUNK) == 0 or done >= total:
                rate = min(done, total) / (time.perf_counter() - started)
                log(f"copied {min(done, total):,} of {total:,} articles ({rate:,.0f}/s)")
        cur.execute("SET session_replication_role = DEFAULT")
        timings["copy_s"] = round(time.perf_counter() - started, 1)
        cur.execute("SET maintenance_work_mem = '1GB'")
        timings["index_s"] = {}
        for name, definition in indices:
            started = time.perf_counter()
            cur.execute(definition)
            raw.commit()
            timings["index_s"][name] = round(time.perf_counter() - started, 1)
            log(f"index {name}: {timings['index_s'][name]} s")
        started = time.perf_counter()
        settle_key_indices(cur)
        raw.commit()
        timings["settle_keys_s"] = round(time.perf_counter() - started, 1)
        log(f"band keys re-inserted one article at a time: {timings['settle_keys_s']} s")
        for table in ("articles", "article_revisions", "dead_letters"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))")
        raw.commit()
        started = time.perf_counter()
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
        cur.execute("VACUUM ANALYZE")  # an archive that has been running: visibility map set
        timings["vacuum_analyze_s"] = round(time.perf_counter() - started, 1)
    finally:
        # Not back to the pool: the connection is in autocommit with the fill's session settings,
        # and a check or store handed it later would commit each statement (its rollback undoing
        # nothing) and lose its transaction-local settings (seen at 1M: half the duplicate
        # checks committed, and those ran with JIT and sequential scans, p99 2 s).
        raw.invalidate()
    return timings


# A GIN index built in bulk (CREATE INDEX) inserts its keys in sorted order and splits each
# full page in two, so it is left half full: 55 bytes a band key at 100,000 articles. The store
# adds an article's keys one article at a time, in no order of key, and leaves its pages about
# 70% full: 41 bytes a key. The archive's band keys are re-inserted that way, so their index
# is measured as a running archive has it.
KEY_TABLES = ("article_keys", "story_keys")


def settle_key_indices(cur: Any) -> None:
    """Re-insert the band keys' rows in article order under their GIN indices."""
    cur.execute("SET session_replication_role = replica")
    for table in KEY_TABLES:
        cur.execute(f"CREATE TEMP TABLE settling AS SELECT * FROM {table}")
        cur.execute(f"TRUNCATE {table}")
        cur.execute(f"INSERT INTO {table} SELECT * FROM settling ORDER BY article_id")
        cur.execute("DROP TABLE settling")
    cur.execute("SET session_replication_role = DEFAULT")


def _secondary_indices(cur: Any) -> list[tuple[str, str]]:
    """The indices of the filled tables that no constraint owns: built after the COPY."""
    cur.execute("""
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
                (list(archive.TABLES),))
    return list(cur.fetchall())


def sizes(url: str) -> dict[str, dict[str, int]]:
    """Bytes on disk of each filled table (with its TOAST) and of each of its indices."""
    with engine_for(url).connect() as conn:
        tables = conn.execute(text("""
            SELECT c.relname, pg_table_size(c.oid) FROM pg_class c
            WHERE c.relname = ANY(:tables) AND c.relkind = 'r'"""),
                              {"tables": list(archive.TABLES)}).all()
        indices = conn.execute(text("""
            SELECT t.relname, i.relname, pg_relation_size(i.oid) FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            WHERE t.relname = ANY(:tables)"""), {"tables": list(archive.TABLES)}).all()
    out: dict[str, dict[str, int]] = {table: {"table": size} for table, size in tables}
    for table, index, size in indices:
        out[table][index] = size
    return out
