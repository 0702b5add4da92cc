"""Adaptive revisits: a live blog still changing is fetched again soon, a quiet one rarely."""

from datetime import datetime, timedelta

from sqlalchemy import select

from shared.db import ArticleRecord
from shared.ledger import Ledger
from shared.models import FetchJob, utcnow

FASTEST = 120          # seconds between visits of a blog that changes every time
SLOWEST = 6 * 3600     # a blog that has stopped changing
GIVE_UP = timedelta(days=2)  # no change for this long: the blog is over, stop visiting


def after_visit(record: ArticleRecord, changed: bool, now: datetime | None = None) -> None:
    """Set a live blog's next visit: halve the interval after a change, double it after none."""
    now = now or utcnow()
    if not record.is_live_blog:
        record.next_visit_at = record.visit_interval = None
        return
    interval = record.visit_interval or FASTEST * 4
    interval = max(FASTEST, interval // 2) if changed else min(SLOWEST, interval * 2)
    record.visit_interval = interval
    last_change = record.updated_at if not changed else now
    if last_change.tzinfo is None:  # SQLite hands back naive UTC
        last_change = last_change.replace(tzinfo=now.tzinfo)
    quiet_too_long = not changed and now - last_change > GIVE_UP
    record.next_visit_at = None if quiet_too_long else now + timedelta(seconds=interval)


def due_revisits(ledger: Ledger, limit: int = 500) -> list[FetchJob]:
    """Jobs for the live blogs whose next visit is due; each is pushed back as if unchanged.

    If the visit finds a change, the store stage brings the next one forward again; a 304 or
    an unchanged text leaves the longer interval set here.
    """
    now = utcnow()
    jobs: list[FetchJob] = []
    with ledger.session() as session:
        due = session.scalars(select(ArticleRecord).where(ArticleRecord.next_visit_at <= now)
                              .order_by(ArticleRecord.next_visit_at).limit(limit)
                              .with_for_update(skip_locked=True))
        for record in due:
            after_visit(record, changed=False, now=now)
            jobs.append(FetchJob(job_id="", url=record.url, source=record.source,
                                 hints={"revisit": str(record.id)}))
    accepted = []
    for job in jobs:
        job_id = ledger.accept(job.url, job.source, dict(job.hints))
        if job_id:
            accepted.append(job.model_copy(update={"job_id": job_id}))
    return accepted
