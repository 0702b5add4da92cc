"""Read-side queries for the command line: articles, dead letters, status."""

import json
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import DateTime, Select, String, func, select, text
from sqlalchemy.orm import Session

from copydesk.export import EncodedRecord
from copydesk.search import matching, rare_match_ids
from shared import runtime
from shared.db import ArticleRecord, DeadLetterRecord, Job, RevisionRecord
from shared.ledger import Ledger
from shared.liveness import DONE_KEY, live_workers, queue_depth, stage_of
from shared.records import as_utc, dead_letter_record, export_record, iso
from shared.stage import STAGES

RATE_MINUTES = 5  # done per minute is averaged over this many minutes at most


# The columns an export record is made of: not the signature, the search vector or the
# revisit schedule, and no ORM objects (a third of the export's time went to building them).
_EXPORTED = (ArticleRecord.id, ArticleRecord.source, ArticleRecord.url,
             ArticleRecord.canonical_url, ArticleRecord.title, ArticleRecord.published_at,
             ArticleRecord.modified_at, ArticleRecord.language, ArticleRecord.text,
             ArticleRecord.is_live_blog, ArticleRecord.fields, ArticleRecord.content_hash,
             ArticleRecord.duplicate_of, ArticleRecord.revision, ArticleRecord.fetched_at,
             ArticleRecord.page_kind, ArticleRecord.cluster_id)


def all_articles(batch: int = 2000) -> Iterator[Mapping[str, Any]]:
    """Every stored article as an export record, in id order, read in batches.

    Each batch is its own short query after the last id seen: memory stays a few batches, and
    no snapshot is held open for the whole export. The next batch is read in a thread while
    this one is written, so the database and the encoding work at once, not in turns.
    """
    ledger = runtime.ledger()
    with ledger.session() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
    read = _encoded_batch if postgres else _record_batch
    with ThreadPoolExecutor(1) as reader:
        pending = reader.submit(read, ledger, 0, batch)
        while batch_read := pending.result():
            last, records = batch_read
            pending = reader.submit(read, ledger, last, batch)
            yield from records


def _record_batch(ledger: Ledger, last: int, batch: int
                  ) -> tuple[int, list[dict[str, Any]]] | None:
    """The export records of the next `batch` articles after id `last`, and the last id."""
    with ledger.session() as session:
        rows = session.execute(select(*_EXPORTED).where(ArticleRecord.id > last)
                               .order_by(ArticleRecord.id).limit(batch)).all()
    if not rows:
        return None
    return rows[-1].id, [export_record(row) for row in rows]  # type: ignore[arg-type]


# PostgreSQL: the columns as the JSON line has them, so Python only joins them. The stored
# `fields` JSON is parsed once (json_each); its lists of strings and its scalars come out as
# jsonb text, which is json.dumps(ensure_ascii=False)'s text; times as iso() writes them.
def _pg_iso(column: str) -> str:
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (f"coalesce('\"' || to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE "
            f"WHEN to_char({utc}, 'US') <> '000000' THEN '.' || to_char({utc}, 'US') ELSE '' "
            f"END || '+00:00\"', 'null')")


_FIELDS = ("authors", "description", "site_name", "image", "tags", "entries", "entities",
           "quotes", "date_sources")
_PG_ENCODED = text(f"""
    SELECT a.id, a.source, a.url, a.canonical_url, a.title, {_pg_iso("a.published_at")},
           {_pg_iso("a.modified_at")}, a.language, coalesce(f.authors::jsonb::text, '[]'),
           coalesce(f.description::jsonb::text, 'null'),
           coalesce(f.site_name::jsonb::text, 'null'), coalesce(f.image::jsonb::text, 'null'),
           coalesce(f.tags::jsonb::text, '[]'), a.text, a.is_live_blog, f.entries, f.entities,
           f.quotes, a.content_hash, a.duplicate_of, a.revision, {_pg_iso("a.fetched_at")},
           a.page_kind, f.date_sources, a.cluster_id
    FROM (SELECT * FROM articles WHERE id > :last ORDER BY id LIMIT :batch) AS a
    CROSS JOIN LATERAL (
        SELECT {", ".join(f"max(value::text) FILTER (WHERE key = '{key}') AS {key}"
                          for key in _FIELDS)}
        FROM json_each(a.fields)) AS f
    ORDER BY a.id""")
_encode = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps makes one per call


def _encoded_batch(ledger: Ledger, last: int, batch: int
                   ) -> tuple[int, list[EncodedRecord]] | None:
    """As _record_batch, each record read as its JSON line (PostgreSQL)."""
    with ledger.session() as session:
        rows = session.execute(_PG_ENCODED, {"last": last, "batch": batch}).all()
    if not rows:
        return None
    return rows[-1][0], [EncodedRecord(_line(*row)) for row in rows]


def _line(article_id: int, source: str, url: str, canonical_url: str, title: str | None,
          published_at: str, modified_at: str, language: str | None, authors: str,
          description: str, site_name: str, image: str, tags: str, body: str,
          is_live_blog: bool, entries: str | None, entities: str | None, quotes: str | None,
          content_hash: str, duplicate_of: int | None, revision: int, fetched_at: str,
          page_kind: str, date_sources: str | None, cluster_id: int | None) -> str:
    """json.dumps(export_record(article), ensure_ascii=False), from _PG_ENCODED's columns.

    Only the nested lists of objects are decoded, to drop their schema version as
    export_record does; tests/integration/test_scale_reads.py holds the two to the byte.
    """
    nested = {"entries": json.loads(entries) if entries else [],
              "entities": json.loads(entities) if entities else None,
              "quotes": json.loads(quotes) if quotes else [],
              "date_sources": json.loads(date_sources) if date_sources else {}}
    nested = export_record(_Nested(nested))  # type: ignore[arg-type]
    return (f'{{"id": {article_id}, "source": {_encode(source)}, "url": {_encode(url)}, '
            f'"canonical_url": {_encode(canonical_url)}, "title": {_encode(title)}, '
            f'"authors": {authors}, "published_at": {published_at}, '
            f'"modified_at": {modified_at}, "language": {_encode(language)}, '
            f'"description": {description}, "site_name": {site_name}, "image": {image}, '
            f'"tags": {tags}, "text": {_encode(body)}, '
            f'"is_live_blog": {"true" if is_live_blog else "false"}, '
            f'"entries": {_encode(nested["entries"])}, '
            f'"entities": {_encode(nested["entities"])}, "quotes": {_encode(nested["quotes"])}, '
            f'"content_hash": {_encode(content_hash)}, "duplicate_of": {_encode(duplicate_of)}, '
            f'"revision": {revision}, "fetched_at": {fetched_at}, '
            f'"page_kind": {_encode(page_kind)}, '
            f'"date_sources": {_encode(nested["date_sources"])}, '
            f'"cluster_id": {_encode(cluster_id)}}}')


class _Nested:
    """An article of nothing but nested fields: export_record shapes them, and only them, here."""

    id = source = url = canonical_url = title = language = text = is_live_blog = None
    published_at = modified_at = fetched_at = content_hash = duplicate_of = revision = None
    page_kind = cluster_id = None

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields


def article_count() -> int:
    with runtime.ledger().session() as session:
        return int(session.scalar(select(func.count()).select_from(ArticleRecord)) or 0)


def article_by_url(url: str) -> dict[str, Any] | None:
    """The export record of the article at `url` (its own or canonical URL), with its cuts."""
    with runtime.ledger().session() as session:
        record = session.scalar(select(ArticleRecord).where(
            (ArticleRecord.canonical_url == url) | (ArticleRecord.url == url)).limit(1))
        if record is None:
            return None
        return show_record(record)


def all_dead_letters() -> list[dict[str, Any]]:
    with runtime.ledger().session() as session:
        rows = session.scalars(select(DeadLetterRecord).order_by(DeadLetterRecord.id))
        return [dead_letter_record(row) for row in rows]


def articles_of_jobs(ledger: Ledger, job_ids: list[str]) -> list[dict[str, Any]]:
    """The distinct articles the given jobs stored or found unchanged."""
    with ledger.session() as session:
        ids = set(session.scalars(select(Job.article_id).where(
            Job.id.in_(job_ids), Job.article_id.is_not(None))))
        rows = session.scalars(select(ArticleRecord).where(ArticleRecord.id.in_(ids))
                               .order_by(ArticleRecord.id))
        return [export_record(row) for row in rows]


def dead_letters_of_jobs(ledger: Ledger, job_ids: list[str]) -> list[dict[str, Any]]:
    with ledger.session() as session:
        rows = session.scalars(select(DeadLetterRecord).where(DeadLetterRecord.job_id.in_(job_ids))
                               .order_by(DeadLetterRecord.id))
        return [dead_letter_record(row) for row in rows]


def queue_depths() -> dict[str, int]:
    """Messages waiting in each stage's Redis queue."""
    client = runtime.redis_client()
    return {stage: queue_depth(client, stage) for stage in STAGES}


def done_per_minute(minutes: int = RATE_MINUTES) -> dict[str, float]:
    """Messages each stage finished per minute on the workers, this minute included."""
    client = runtime.redis_client()
    now = time.time()
    first = int(now // 60) - minutes + 1
    rates = {}
    for stage in STAGES:
        keys = [f"{DONE_KEY}:{stage}:{minute}" for minute in range(first, first + minutes)]
        counts = [int(v or 0) for v in client.mget(keys)]
        rates[stage] = _rate(counts, first * 60, now)
    return rates


def _rate(per_minute: list[int], start: float, now: float) -> float:
    """Done per minute since the first busy minute of the window (a minute at least), so that
    a run that has just ended shows its pace rather than nothing or a fraction of it."""
    busy = [n for n, count in enumerate(per_minute) if count]
    if not busy:
        return 0.0
    minutes = max(1.0, (now - (start + 60 * busy[0])) / 60)
    return round(sum(per_minute) / minutes, 1)


def ledger_done_per_minute(ledger: Ledger, minutes: int = RATE_MINUTES) -> dict[str, float]:
    """The same rates from the job rows, for runs no worker counted (the embedded mode).

    A job's last change is when it passed the stages before the one it is at, or all of them
    when it was stored or found unchanged.
    """
    now = time.time()
    first = int(now // 60) - minutes + 1
    since = datetime.fromtimestamp(first * 60, UTC)
    with ledger.session() as session:
        rows = session.execute(select(Job.status, Job.stage, Job.updated_at).where(
            Job.updated_at >= since, Job.status != "expanded")).all()
    counts = {stage: [0] * minutes for stage in STAGES}
    for status, stage, updated in rows:
        minute = int(as_utc(updated).timestamp() // 60) - first  # type: ignore[union-attr]
        passed = STAGES if status in ("stored", "unchanged") else \
            STAGES[:STAGES.index(stage)] if stage in STAGES else ()
        for name in passed:
            if 0 <= minute < minutes:
                counts[name][minute] += 1
    return {stage: _rate(counts[stage], first * 60, now) for stage in STAGES}


def status_report() -> dict[str, Any]:
    """Per stage: queued, open (in flight), done per minute, failed; jobs; per source."""
    ledger = runtime.ledger()
    with ledger.session() as session:
        counts = job_counts(session)
        in_flight = dict(session.execute(select(Job.stage, func.count()).where(
            Job.status == "open").group_by(Job.stage)).all())
        failed = dict(session.execute(select(DeadLetterRecord.stage, func.count())
                                      .group_by(DeadLetterRecord.stage)).all())
        sources = _source_report(session)
    try:
        queued, rates = queue_depths(), done_per_minute()
        workers: dict[str, Any] | None = worker_report(ledger, live_workers(
            runtime.redis_client()))
    except RedisError:  # the embedded mode has no Redis: the ledger still answers
        queued, rates, workers = {}, {}, None
    if not any(rates.values()):  # nothing counted by workers: what the job rows tell
        rates = ledger_done_per_minute(ledger)
    stages = {stage: {"queued": queued.get(stage), "open": in_flight.get(stage, 0),
                      "done_per_minute": rates.get(stage), "failed": failed.get(stage, 0)}
              for stage in ("discover", *STAGES)}
    jobs = {status: counts.get(status, 0)
            for status in ("open", "stored", "unchanged", "dead", "expanded")}
    return {"stages": stages, "jobs": jobs, "sources": sources,
            "queues": queued, "workers": workers}


def worker_report(ledger: Ledger, live: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Live worker processes per stage (from their heartbeats), and the open jobs whose step
    is held by a worker that is gone (the sweeper sends them again shortly)."""
    per_stage = {stage: 0 for stage in (*STAGES, "all")}
    for worker in live:
        per_stage[stage_of(worker)] = per_stage.get(stage_of(worker), 0) + 1
    with ledger.session() as session:
        holders = session.execute(select(Job.worker, func.count()).where(
            Job.status == "open", Job.claimed_at.is_not(None)).group_by(Job.worker)).all()
    dead = {worker: count for worker, count in holders if worker not in live}
    return {"live": per_stage, "held_by_dead": sum(dead.values()), "dead_holders": dead}


# Above this many jobs (the planner's count), status estimates the closed statuses from the
# statistics ANALYZE keeps, where a count reads the whole jobs index (bench/scale/RESULTS.md).
EXACT_BELOW = 200_000
_PG_STATUS_SHARES = text("""
    SELECT c.reltuples, s.most_common_vals::text::text[], s.most_common_freqs
    FROM pg_class c LEFT JOIN pg_stats s
      ON s.tablename = 'jobs' AND s.attname = 'status' AND s.schemaname = current_schema()
    WHERE c.oid = CAST('jobs' AS regclass)""")
# A loose index scan: each next source is one probe of (source, created_at), and so is its
# last job, where GROUP BY would read every job.
_LAST_RUNS = text("""
    WITH RECURSIVE sources(source) AS (
        SELECT min(source) FROM jobs
        UNION ALL
        SELECT (SELECT min(source) FROM jobs WHERE source > sources.source)
        FROM sources WHERE sources.source IS NOT NULL)
    SELECT source, (SELECT max(created_at) FROM jobs WHERE jobs.source = sources.source) AS last
    FROM sources WHERE source IS NOT NULL""").columns(source=String, last=DateTime(timezone=True))


def job_counts(session: Session) -> dict[str, int]:
    """Jobs per status: exact for open and dead jobs, estimated for the rest of a large table."""
    if session.get_bind().dialect.name == "postgresql":
        total, statuses, shares = session.execute(_PG_STATUS_SHARES).one()
        if total >= EXACT_BELOW and statuses:
            counts = {status: round(share * total)
                      for status, share in zip(statuses, shares, strict=True)}
            counts["open"] = session.scalar(select(func.count()).where(Job.status == "open"))
            counts["dead"] = session.scalar(select(func.count()).select_from(DeadLetterRecord))
            return counts
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows}


def _source_report(session: Any) -> dict[str, dict[str, Any]]:
    """Each source's last run and the articles its jobs stored in the last day."""
    since = datetime.now(UTC) - timedelta(days=1)
    last_runs = session.execute(_LAST_RUNS).all()
    new = dict(session.execute(select(ArticleRecord.source, func.count()).where(
        ArticleRecord.created_at >= since).group_by(ArticleRecord.source)).all())
    return {source: {"last_run": iso(at),
                     "new_articles_24h": new.get(source, 0)}
            for source, at in last_runs}


# The read side of `copydesk serve`: paged with a keyset (an id to read below), never an OFFSET,
# so the thousandth page costs what the first does.
@dataclass(frozen=True)
class ArticleFilter:
    """Which articles a listing shows: full-text words, source, page kind, publication dates."""

    q: str = ""
    source: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def article_page(ledger: Ledger, filters: ArticleFilter, before: int | None,
                 limit: int) -> list[dict[str, Any]]:
    """Up to `limit` articles with an id below `before`, newest stored first, as export records."""
    query = select(ArticleRecord).order_by(ArticleRecord.id.desc()).limit(limit)
    if before is not None:
        query = query.where(ArticleRecord.id < before)
    if filters.source:
        query = query.where(ArticleRecord.source == filters.source)
    if filters.kind:
        query = query.where(ArticleRecord.page_kind == filters.kind)
    if filters.since:
        query = query.where(ArticleRecord.published_at >= as_utc(filters.since))
    if filters.until:
        query = query.where(ArticleRecord.published_at < as_utc(filters.until))
    with ledger.session() as session:
        if filters.q.strip():
            searched = _matching(session, query, filters.q, before)
            if searched is None:  # no word to look for: nothing matches, as in `copydesk search`
                return []
            query = searched
        return [{**export_record(row), "page_kind": row.page_kind}
                for row in session.scalars(query)]


def _matching(session: Any, query: Select[Any], words: str,
              before: int | None) -> Select[Any] | None:
    """`query` narrowed to the articles matching `words` (the full-text search's match)."""
    dialect = session.get_bind().dialect.name
    match = matching(dialect, words)
    if match is None:
        return None
    if dialect == "postgresql":
        ids = rare_match_ids(session, words, before)
        if ids is not None:  # few matches: pick the page from them, by primary key
            return query.where(ArticleRecord.id.in_(ids))
    return query.where(match)


def show_record(record: ArticleRecord) -> dict[str, Any]:
    """What `copydesk show` prints of an article: its export record, its cuts and their reasons."""
    return {**export_record(record), "removed": record.fields.get("removed", [])}


RELATED_LIMIT = 50  # duplicates and story neighbours listed with one article


def article_detail(ledger: Ledger, article_id: int) -> dict[str, Any] | None:
    """One article in full: `show`'s record with its revisions, duplicates and story cluster."""
    with ledger.session() as session:
        record = session.get(ArticleRecord, article_id)
        if record is None:
            return None
        revisions = session.scalars(select(RevisionRecord).where(
            RevisionRecord.article_id == article_id).order_by(RevisionRecord.revision))
        copies = _summaries(session, ArticleRecord.duplicate_of == article_id)
        cluster = _summaries(session, (ArticleRecord.cluster_id == record.cluster_id)
                             & (ArticleRecord.id != article_id)) if record.cluster_id else []
        original = _summaries(session, ArticleRecord.id == record.duplicate_of) \
            if record.duplicate_of else []
        return {**show_record(record),
                "revisions": [{"revision": rev.revision, "content_hash": rev.content_hash,
                               "fetched_at": iso(rev.fetched_at), "text": rev.text}
                              for rev in revisions],
                "duplicates": copies, "original": original[0] if original else None,
                "cluster": cluster}


def _summaries(session: Any, where: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(ArticleRecord.id, ArticleRecord.title, ArticleRecord.url,
                                  ArticleRecord.source).where(where)
                           .order_by(ArticleRecord.id).limit(RELATED_LIMIT))
    return [dict(row._mapping) for row in rows]


def dead_letter_page(ledger: Ledger, reason: str | None, before: int | None,
                     limit: int) -> list[dict[str, Any]]:
    """Up to `limit` dead letters (of one reason) with an id below `before`, newest first."""
    query = select(DeadLetterRecord).order_by(DeadLetterRecord.id.desc()).limit(limit)
    if reason:
        query = query.where(DeadLetterRecord.reason == reason)
    if before is not None:
        query = query.where(DeadLetterRecord.id < before)
    with ledger.session() as session:
        return [{"id": row.id, **dead_letter_record(row)} for row in session.scalars(query)]


def dead_letter_reasons(ledger: Ledger) -> dict[str, int]:
    """Dead letters per reason code, the most frequent first."""
    with ledger.session() as session:
        rows = session.execute(select(DeadLetterRecord.reason, func.count())
                               .group_by(DeadLetterRecord.reason)
                               .order_by(func.count().desc(), DeadLetterRecord.reason))
        return {reason: count for reason, count in rows}


def source_activity(ledger: Ledger) -> dict[str, dict[str, Any]]:
    """Per source: its last run, and the articles stored and dead letters written in a day."""
    since = datetime.now(UTC) - timedelta(days=1)
    with ledger.session() as session:
        report = _source_report(session)
        dead = dict(session.execute(select(DeadLetterRecord.source, func.count()).where(
            DeadLetterRecord.created_at >= since).group_by(DeadLetterRecord.source)).all())
    for name, source in report.items():
        source["dead_letters_24h"] = dead.get(name, 0)
    return report
