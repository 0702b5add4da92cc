"""Read-side queries for the command line: articles, dead letters, status."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select

from shared import runtime
from shared.celery_app import DONE_KEY
from shared.db import ArticleRecord, DeadLetterRecord, Job
from shared.ledger import Ledger
from shared.liveness import live_workers, stage_of
from shared.records import dead_letter_record, export_record, iso
from shared.stage import STAGES

# Kombu's Redis transport keeps a queue's messages in the list of its name, and in one list per
# priority step besides: a queue's depth is the sum of them.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def all_articles(batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every stored article as an export record, in id order, read in batches."""
    ledger = runtime.ledger()
    last = 0
    while True:
        with ledger.session() as session:
            rows = list(session.scalars(select(ArticleRecord).where(ArticleRecord.id > last)
                                        .order_by(ArticleRecord.id).limit(batch)))
        if not rows:
            return
        yield from (export_record(row) for row in rows)
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
    counts = ledger.counts()
    with ledger.session() as session:
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


def _source_report(session: Any) -> dict[str, dict[str, Any]]:
    """Each source's last run and the articles its jobs stored in the last day."""
    since = datetime.now(UTC) - timedelta(days=1)
    last_runs = session.execute(select(Job.source, func.max(Job.created_at))
                                .group_by(Job.source)).all()
    new = dict(session.execute(select(ArticleRecord.source, func.count()).where(
        ArticleRecord.created_at >= since).group_by(ArticleRecord.source)).all())
    return {source: {"last_run": iso(at),
                     "new_articles_24h": new.get(source, 0)}
            for source, at in last_runs}
