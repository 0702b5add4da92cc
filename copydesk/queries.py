"""Read-side queries for the command line: articles, dead letters, status."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from shared import runtime
from shared.db import ArticleRecord, DeadLetterRecord, Job
from shared.ledger import Ledger
from shared.records import dead_letter_record, export_record
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


def status_report() -> dict[str, Any]:
    """Queue depth per stage, and jobs per status."""
    counts = runtime.ledger().counts()
    jobs = {status: counts.get(status, 0)
            for status in ("open", "stored", "unchanged", "dead", "expanded")}
    return {"queues": queue_depths(), "jobs": jobs}
