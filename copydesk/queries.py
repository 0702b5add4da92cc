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
from shared.records import as_utc, dead_letter_record, export_record, iso
from shared.stage import STAGES

# Kombu's Redis transport keeps a queue's messages in the list of its name, and in one list per
# priority step besides: a queue's depth is the sum of them.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
RATE_MINUTES = 5  # done per minute is averaged over this many minutes at most


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
        return {**export_record(record), "removed": record.fields.get("removed", [])}


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
    counts = ledger.counts()
    with ledger.session() as session:
        in_flight = dict(session.execute(select(Job.stage, func.count()).where(
            Job.status == "open").group_by(Job.stage)).all())
        failed = dict(session.execute(select(DeadLetterRecord.stage, func.count())
                                      .group_by(DeadLetterRecord.stage)).all())
        sources = _source_report(session)
    try:
        queued, rates = queue_depths(), done_per_minute()
    except RedisError:  # the embedded mode has no Redis: the ledger still answers
        queued, rates = {}, {}
    if not any(rates.values()):  # nothing counted by workers: what the job rows tell
        rates = ledger_done_per_minute(ledger)
    stages = {stage: {"queued": queued.get(stage), "open": in_flight.get(stage, 0),
                      "done_per_minute": rates.get(stage), "failed": failed.get(stage, 0)}
              for stage in ("discover", *STAGES)}
    jobs = {status: counts.get(status, 0)
            for status in ("open", "stored", "unchanged", "dead", "expanded")}
    return {"stages": stages, "jobs": jobs, "sources": sources,
            "queues": queued}


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
