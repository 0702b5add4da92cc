"""Re-run stages over what was already ingested: from kept raw pages, or for dead letters."""

from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import func, select, update

from shared.db import DeadLetterRecord, Job, RawPageRecord
from shared.ledger import OPEN, Ledger, unpack_raw
from shared.models import Payload, RawPage, utcnow
from shared.sweeper import restart_point

REPLAY_STAGES = ("clean", "extract", "store")


def kept_pages(ledger: Ledger, source: str | None = None,
               since: datetime | None = None) -> Iterator[RawPage]:
    """The newest kept raw page of every URL, optionally of one source or fetched since a date."""
    newest = select(RawPageRecord.url, func.max(RawPageRecord.fetched_at).label("at")) \
        .group_by(RawPageRecord.url)
    if source:
        newest = newest.where(RawPageRecord.source == source)
    if since:
        newest = newest.where(RawPageRecord.fetched_at >= since)
    latest = newest.subquery()
    query = select(RawPageRecord.payload).join(
        latest, (RawPageRecord.url == latest.c.url) & (RawPageRecord.fetched_at == latest.c.at))
    with ledger.session() as session:
        payloads = list(session.scalars(query.order_by(RawPageRecord.url)))
    seen: set[str] = set()
    for packed in payloads:
        raw = unpack_raw(packed)
        if raw.url not in seen:  # two downloads in the same instant: take one
            seen.add(raw.url)
            yield raw


def replay_job(ledger: Ledger, raw: RawPage, stage: str) -> RawPage:
    """A new job for re-running a kept page, its raw page kept under the new job."""
    job_id = ledger.accept(raw.url, raw.source, {"replay": stage})
    assert job_id is not None
    copy = raw.model_copy(update={"job_id": job_id})
    ledger.keep_raw(copy)
    return copy


def reopen_dead_letters(ledger: Ledger, reason: str | None = None) -> list[tuple[str, Payload]]:
    """Reopen dead-lettered jobs (of one reason code): the stage and payload to restart each."""
    query = select(DeadLetterRecord)
    if reason:
        query = query.where(DeadLetterRecord.reason == reason)
    with ledger.session() as session:
        letters = list(session.scalars(query))
        for letter in letters:
            session.delete(letter)
        job_ids = [letter.job_id for letter in letters]
        session.execute(update(Job).where(Job.id.in_(job_ids)).values(
            status=OPEN, attempts=0, updated_at=utcnow(), lease_until=utcnow()))
        jobs = list(session.scalars(select(Job).where(Job.id.in_(job_ids))))
    for job in jobs:
        ledger.renew(job.id)
    return [restart_point(ledger, job) for job in jobs]


def replay_restarts(ledger: Ledger, prepare: Callable[[str, RawPage], Payload | None],
                    stage: str, source: str | None = None,
                    since: datetime | None = None) -> list[tuple[str, Payload]]:
    """A new job for each kept page, run here up to `stage`: the stage and payload to send on."""
    restarts = []
    for raw in kept_pages(ledger, source, since):
        payload = prepare(stage, replay_job(ledger, raw, stage))
        if payload is not None:
            restarts.append((stage, payload))
    return restarts


def send_to_workers(restarts: list[tuple[str, Payload]]) -> None:
    """Put each (stage, payload) on its stage's queue."""
    from copydesk.worker import celery_app
    from shared.celery_app import send

    celery_app()
    for stage, payload in restarts:
        send(stage, payload)
