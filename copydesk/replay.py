"""Re-run stages over what was already ingested: from kept raw pages, or for dead letters."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from services.clean.clean import clean
from services.clean.furniture import FurnitureIndex
from shared.db import RawPageRecord
from shared.errors import PermanentError
from shared.ledger import Ledger, unpack_raw
from shared.models import Payload, RawPage

if TYPE_CHECKING:
    from copydesk.pipeline import InProcess
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


def learn_furniture(furniture: FurnitureIndex, pages: Iterable[RawPage]) -> int:
    """Count every kept page in the furniture index before any is judged again.

    Learned first, then applied: were the pages counted as the replay reaches them, a page's
    verdict would rest on the pages replayed before it, and two replays in a row would cut a
    paragraph once and keep it the next time. Counting is once per page, so this adds nothing
    the second time, and every page of the replay meets the same counts in any order.
    """
    count = 0
    for raw in pages:
        with suppress(PermanentError):  # nothing left of the page: it was counted all the same
            clean(raw, furniture)
        count += 1
    return count


def replay_job(ledger: Ledger, raw: RawPage, stage: str) -> RawPage:
    """A new job for re-running a kept page, its raw page kept under the new job."""
    job_id = ledger.accept(raw.url, raw.source, {"replay": stage})
    assert job_id is not None
    copy = raw.model_copy(update={"job_id": job_id})
    ledger.keep_raw(copy)
    return copy


def reopen_dead_letters(ledger: Ledger, reason: str | None = None) -> list[tuple[str, Payload]]:
    """Reopen dead-lettered jobs (of one reason code): the stage and payload to restart each."""
    return [restart_point(ledger, job) for job in ledger.reopen(reason)]


def replay_furniture() -> FurnitureIndex:
    """The furniture index the clean workers share (in Redis), for a replay on the workers."""
    from services.clean.redis_furniture import shared_index

    return shared_index()


def prepare_replay(pipeline: "InProcess", ledger: Ledger, stage: str, source: str | None,
                   since: datetime | None, in_process: bool,
                   track: Callable[[Iterable[RawPage]], Iterable[RawPage]] = iter,
                   ) -> list[tuple[str, Payload]]:
    """The (stage, payload) of every page to replay: a new job each, the stages before `stage`
    run here, with the furniture learned from every kept page first; `track` may report on
    the pages as they go by."""
    if not in_process:  # the clean workers judge with the counts in Redis: learn into those
        pipeline.furniture = replay_furniture()
    learn_furniture(pipeline.furniture, kept_pages(ledger))
    restarts: list[tuple[str, Payload]] = []
    for raw in track(kept_pages(ledger, source, since)):
        payload = pipeline.prepare(stage, replay_job(ledger, raw, stage))
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
