"""Read-side queries for the command line: articles, dead letters, status."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import DateTime, String, func, select, text
from sqlalchemy.orm import Session

from shared import runtime
from shared.celery_app import DONE_KEY
from shared.db import ArticleRecord, DeadLetterRecord, Job
from shared.ledger import Ledger
from shared.records import dead_letter_record, export_record, iso
from shared.stage import STAGES

# Kombu's Redis transport keeps a queue's messages in the list of its name, and in one list per
# priority step besides: a queue's depth is the sum of them.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


# The columns an export record is made of: not the signature, the search vector or the
# revisit schedule, and no ORM objects (a third of the export's time went to building them).
_EXPORTED = (ArticleRecord.id, ArticleRecord.source, ArticleRecord.url,
             ArticleRecord.canonical_url, ArticleRecord.title, ArticleRecord.published_at,
             ArticleRecord.modified_at, ArticleRecord.language, ArticleRecord.text,
             ArticleRecord.is_live_blog, ArticleRecord.fields, ArticleRecord.content_hash,
             ArticleRecord.duplicate_of, ArticleRecord.revision, ArticleRecord.fetched_at)


def all_articles(batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every stored article as an export record, in id order, read in batches.

    Each batch is its own short query after the last id seen: memory stays one batch, and no
    snapshot is held open for the whole export.
    """
    ledger = runtime.ledger()
    last = 0
    while True:
        with ledger.session() as session:
            rows = session.execute(select(*_EXPORTED).where(ArticleRecord.id > last)
                                   .order_by(ArticleRecord.id).limit(batch)).all()
        if not rows:
            return
        yield from (export_record(row) for row in rows)  # type: ignore[arg-type]
        last = rows[-1].id


def article_by_url(url: str) -> dict[str, Any] | None:
    """The export record of the article at `url` (its own or canonical URL), with its cuts."""
    with runtime.ledger().session() as session:
        record = session.scalar(select(ArticleRecord).where(
            (ArticleRecord.canonical_url == url) | (ArticleRecord.url == url)).limit(1))
        if record is None:
            return None
        return {**export_record(record), "removed": record.fields.get("removed", []),
                "date_sources": record.fields.get("date_sources", {}),
                "page_kind": record.page_kind, "cluster_id": record.cluster_id}


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
    return {stage: sum(int(client.llen(stage + suffix)) for suffix in _PRIORITY_SUFFIXES)
            for stage in STAGES}


def done_per_minute(minutes: int = 5) -> dict[str, float]:
    """Messages each stage finished per minute, averaged over the last complete minutes."""
    client = runtime.redis_client()
    now = int(time.time() // 60)
    rates = {}
    for stage in STAGES:
        keys = [f"{DONE_KEY}:{stage}:{minute}" for minute in range(now - minutes, now)]
        rates[stage] = sum(int(v or 0) for v in client.mget(keys)) / minutes
    return rates


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
    except RedisError:  # the embedded mode has no Redis: the ledger still answers
        queued, rates = {}, {}
    stages = {stage: {"queued": queued.get(stage), "open": in_flight.get(stage, 0),
                      "done_per_minute": rates.get(stage), "failed": failed.get(stage, 0)}
              for stage in ("discover", *STAGES)}
    jobs = {status: counts.get(status, 0)
            for status in ("open", "stored", "unchanged", "dead", "expanded")}
    return {"stages": stages, "jobs": jobs, "sources": sources,
            "queues": queued}


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
