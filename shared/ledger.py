"""The job ledger: every accepted URL has a row here until store or a dead letter closes it."""

import uuid
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from isal import isal_zlib
from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    bindparam,
    case,
    func,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.db import DeadLetterRecord, Job, RawPageRecord, UrlValidator
from shared.liveness import Claim, current_claim
from shared.models import DeadLetter, RawPage, utcnow
from shared.records import as_utc
from shared.redact import redact
from shared.stage import STAGE_ORDER

OPEN = "open"
# "expanded": a feed or sitemap job, closed once its article URLs were accepted.
CLOSED_STATES = ("stored", "unchanged", "dead", "expanded")
# STAGE_ORDER: the order a job goes through the stages (a restart goes back to an earlier one).
_RANK = case(STAGE_ORDER, value=Job.stage, else_=0)  # a job row's stage, as its order


@dataclass(frozen=True)
class Begin:
    """Whether a stage should work on a job, and how many times it has tried."""

    proceed: bool
    attempts: int


def new_job_id() -> str:
    return uuid.uuid4().hex


class Ledger:
    """Job rows, dead letters, kept raw pages and conditional-GET validators."""

    def __init__(self, sessions: sessionmaker, lease_seconds: int = 900, max_attempts: int = 5,
                 max_wait_seconds: int = 24 * 3600):
        self.sessions = sessions
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.max_wait = timedelta(seconds=max_wait_seconds)
        self._batch: Connection | None = None  # the open transaction of batch(), if any

    @property
    def engine(self) -> Engine:
        """The database engine under the ledger's sessions."""
        bind = self.sessions.kw["bind"]
        return bind.engine if isinstance(bind, Connection) else bind

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make the ledger's writes (and a store's, through `sessions`) one transaction until
        the block ends: many steps' writes for one commit. For one thread, the engine's loop."""
        if self._batch is not None:
            yield
            return
        plain = self.sessions
        with self.engine.begin() as connection:
            self._batch = connection
            # Sessions join the transaction; each gets a savepoint, so one that fails on a key
            # (a second dead letter, a store conflict) rolls back alone.
            self.sessions = sessionmaker(bind=connection, expire_on_commit=False,
                                         join_transaction_mode="create_savepoint")
            try:
                yield
            finally:
                self.sessions, self._batch = plain, None

    @contextmanager
    def _statement(self) -> Iterator[Connection]:
        """A connection on which each statement commits by itself: a job's step is one UPDATE,
        and one round trip, where a transaction around it would add BEGIN and COMMIT."""
        if self._batch is not None:
            yield self._batch
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    def accept(self, url: str, source: str, hints: dict[str, str] | None = None,
               *, skip_seen: bool = False, stage: str = "fetch") -> str | None:
        """Register a job for `url` that starts at `stage` ("discover" for a source, so the
        sweeper re-enqueues it there); with skip_seen, None when the URL already has one."""
        url = redact(url)  # a job's URL is stored and shown: never with its credentials
        with self.session() as session:
            if skip_seen and session.scalar(select(Job.id).where(Job.url == url).limit(1)):
                return None
            job = self._new_job(url, source, hints, stage, utcnow(), current_claim())
            session.add(job)
            return job.id

    def accept_new(self, items: Sequence[tuple[str, dict[str, str]]], source: str,
                   stage: str = "fetch") -> list[str | None]:
        """Register a job for each (url, hints) whose URL has none yet, in one transaction:
        what a feed or sitemap yields. Each item's new job id, in order; None for a URL that
        had a job already or came earlier in `items`."""
        stored = [redact(url) for url, _ in items]  # never stored with its credentials
        known = self.seen(stored)
        now, claim = utcnow(), current_claim()
        ids: list[str | None] = []
        jobs: list[Job] = []
        for url, (_, hints) in zip(stored, items, strict=True):
            if url in known:
                ids.append(None)
                continue
            known.add(url)
            jobs.append(self._new_job(url, source, hints, stage, now, claim))
            ids.append(jobs[-1].id)
        if jobs:
            with self.session() as session:
                session.add_all(jobs)
        return ids

    def _new_job(self, url: str, source: str, hints: dict[str, str] | None, stage: str,
                 now: datetime, claim: Claim | None) -> Job:
        """A job row for a redacted `url`. Accepted by a worker's step (a feed's, a
        sitemap's), it is named after that step until its own first step begins, so that the
        sweeper finds it if that worker dies before its message is sent."""
        return Job(id=new_job_id(), url=url, source=source, hints=hints or {}, stage=stage,
                   created_at=now, updated_at=now, lease_until=now + self.lease,
                   worker=claim.worker if claim else None,
                   task_id=claim.task_id if claim else None)

    def seen(self, urls: Iterable[str]) -> set[str]:
        """The URLs among `urls` that already have a job."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        with self.session() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                found.update(session.scalars(select(Job.url).where(Job.url.in_(chunk))))
        return found

    def begin(self, job_id: str, stage: str, claim: Claim | None = None) -> Begin:
        """Enter `stage` for an open job: count the attempt, renew the lease, record the claim.

        `attempts` counts the starts of the job's furthest stage that never handed the job on:
        a stage that keeps dying there (a page that kills its worker) reaches the cap, while a
        job the sweeper sends round again because a later stage was down does not.
        A restart from an earlier stage (the sweeper's, from the kept raw page) passes through
        without touching the count.
        A message the sweeper replaced (its worker died) is refused: a late copy does nothing.
        """
        order, now = STAGE_ORDER.get(stage, 0), utcnow()
        values = {"p_job_id": job_id, "p_stage": stage, "p_order": order, "p_now": now,
                  "p_lease_until": now + self.lease, "p_worker": claim.worker if claim else None,
                  "p_task_id": claim.task_id if claim else None,
                  "p_claimed_at": now if claim else None}
        if claim is not None:
            values["p_superseded_by"] = _containing(claim.task_id)
        with self._statement() as db:
            row = db.execute(_BEGIN_CLAIMED if claim else _BEGIN, values).first()
        if row is None:
            return Begin(False, 0)
        reached, attempts = row
        return Begin(True, attempts if STAGE_ORDER.get(reached, 0) == order else 1)

    def handoff(self, job_id: str, done: str, following: str,
                claim: Claim | None = None) -> bool:
        """`done` finished and sends the job on to `following`: its count starts again there.
        False when the job is closed, or the claim was lost (the sweeper gave the step to
        another worker): then the result must not be sent on.

        The worker stays named until the next stage begins: were it killed before its message
        to `following` left, the sweeper still finds the job. The stage stays when the job is
        further along already (a restart passing through).
        """
        now = utcnow()
        values = {"p_job_id": job_id, "p_done": done, "p_following": following, "p_now": now,
                  "p_lease_until": now + self.lease}
        if claim is not None:
            values["p_task_id"] = claim.task_id
        with self._statement() as db:
            row = db.execute(_HANDOFF_CLAIMED if claim else _HANDOFF, values).first()
        return row is not None

    def release(self, job_id: str, stage: str) -> timedelta:
        """Give back the attempt begin() counted: the stage was postponed, not tried.

        Returns how long ago the job was accepted, so that the caller can stop waiting for a
        host that never stops asking it to (zero when the job was not found open).
        """
        with self._statement() as db:
            # The message waits in a queue now, held by no one: the claim goes too.
            created = db.execute(update(Job).where(Job.id == job_id, Job.status == OPEN,
                                                   Job.stage == stage)
                                 .values(attempts=case((Job.attempts > 0, Job.attempts - 1),
                                                       else_=Job.attempts),
                                         worker=None, task_id=None, claimed_at=None)
                                 .returning(Job.created_at)).scalar()
        accepted = as_utc(created)
        return utcnow() - accepted if accepted else timedelta(0)

    def close(self, job_id: str, status: str, article_id: int | None = None) -> bool:
        """Close an open job as stored or unchanged; False if it was closed already."""
        with self._statement() as db:
            return close_job(db, job_id, status, article_id)

    def dead_letter(self, letter: DeadLetter) -> bool:
        """Record a dead letter and close its job; a second letter for one job is ignored."""
        try:
            with self.session() as session:
                closed = session.execute(
                    update(Job).where(Job.id == letter.job_id, Job.status == OPEN)
                    .values(status="dead", updated_at=utcnow()))
                if not closed.rowcount:  # type: ignore[attr-defined]
                    return False
                session.add(DeadLetterRecord(
                    job_id=letter.job_id, url=letter.url, source=letter.source,
                    stage=letter.stage, reason=letter.reason, message=letter.message[:2000],
                    attempts=letter.attempts))
                return True
        except IntegrityError:
            return False

    def keep_raw(self, raw: RawPage, packed: bytes = b"") -> None:
        """Keep the download, compressed, and its validators for the next conditional GET;
        `packed` is pack_raw(raw) when the caller made it already (off the writer's thread)."""
        packed = packed or pack_raw(raw)
        self._upsert(RawPageRecord, {"job_id": raw.job_id, "url": raw.url, "source": raw.source,
                                     "fetched_at": raw.fetched_at, "payload": packed})
        self.keep_validators(raw.url, raw.etag, raw.last_modified)

    def keep_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Remember ETag and Last-Modified of `url` for the next conditional GET."""
        if not (etag or last_modified):
            return
        self._upsert(UrlValidator, {"url": url, "etag": etag, "last_modified": last_modified,
                                    "updated_at": utcnow()})

    def _upsert(self, table: type[RawPageRecord] | type[UrlValidator],
                row: dict[str, object]) -> None:
        """Insert `row`, or update the row with its key: one statement (INSERT ... ON CONFLICT),
        so that two workers keeping the same row at once (a redelivered message beside the
        first) both succeed, the later one's values kept."""
        with self._statement() as db:
            db.execute(_upsert_statement(self.engine.dialect.name, table), row)

    def raw_page(self, job_id: str) -> RawPage | None:
        """The kept download of a job, if any."""
        with self.session() as session:
            record = session.get(RawPageRecord, job_id)
            return unpack_raw(record.payload) if record else None

    def validators(self, url: str) -> dict[str, str | None]:
        """ETag and Last-Modified last seen for `url` (empty when never fetched)."""
        with self.session() as session:
            record = session.get(UrlValidator, url)
            if record is None:
                return {}
            return {"etag": record.etag, "last_modified": record.last_modified}

    def expired(self, now: datetime | None = None, limit: int = 1000) -> list[Job]:
        """Open jobs whose lease ran out: their message was lost or their worker died."""
        now = now or utcnow()
        with self.session() as session:
            jobs = session.scalars(select(Job).where(Job.status == OPEN, Job.lease_until < now)
                                   .order_by(Job.lease_until).limit(limit))
            return list(jobs)

    def held(self, limit: int = 5000) -> list[Job]:
        """Open jobs a worker has claimed, in a step or handing it on (the sweeper checks
        that those workers live)."""
        with self.session() as session:
            return list(session.scalars(select(Job).where(Job.status == OPEN,
                                                          Job.worker.is_not(None))
                                        .order_by(Job.claimed_at).limit(limit)))

    def supersede(self, job: Job) -> bool:
        """Take the step of `job` from the worker that claimed it (dead or stuck) so that the
        sweeper can send it again: its message is refused from now on. False when the claim
        changed meanwhile (the step ended, or another sweeper was quicker)."""
        now = utcnow()
        superseded = func.coalesce(Job.superseded, "") + f" {job.task_id}"
        with self._statement() as db:
            row = db.execute(update(Job).where(Job.id == job.id, Job.status == OPEN,
                                               Job.worker == job.worker,
                                               Job.task_id == job.task_id)
                             .values(superseded=superseded, worker=None, task_id=None,
                                     claimed_at=None, updated_at=now,
                                     lease_until=now + self.lease)
                             .returning(Job.id)).first()
        return row is not None

    def supersede_message(self, job_id: str, task_id: str) -> Job | None:
        """Refuse a message a dead worker held before beginning its step (waiting for its
        countdown, say); the job, to send again, when no step of it is under way and that
        message was not refused already."""
        now = utcnow()
        superseded = func.coalesce(Job.superseded, "") + f" {task_id}"
        with self.session() as session:
            return session.scalar(
                update(Job).where(Job.id == job_id, Job.status == OPEN,
                                  Job.claimed_at.is_(None),
                                  or_(Job.superseded.is_(None),
                                      not_(Job.superseded.contains(task_id, autoescape=True))))
                .values(superseded=superseded, updated_at=now, lease_until=now + self.lease)
                .returning(Job))

    def messages_sent(self, task_id: str | None) -> None:
        """The jobs the step of message `task_id` accepted have their messages sent: they
        are no longer that worker's to answer for."""
        if not task_id:
            return
        with self._statement() as db:
            db.execute(update(Job).where(Job.task_id == task_id, Job.status == OPEN,
                                         Job.claimed_at.is_(None), Job.attempts == 0)
                       .values(worker=None, task_id=None))

    def waiting(self, stages: Iterable[str], before: datetime, limit: int = 1000) -> list[Job]:
        """Open jobs handed on to one of `stages` before `before`, whose step has not begun."""
        with self.session() as session:
            return list(session.scalars(select(Job).where(
                Job.status == OPEN, Job.claimed_at.is_(None), Job.stage.in_(list(stages)),
                Job.updated_at < before).order_by(Job.updated_at).limit(limit)))

    def resend(self, job: Job) -> bool:
        """Mark a waiting job as sent again (False if it moved meanwhile)."""
        now = utcnow()
        with self._statement() as db:
            row = db.execute(update(Job).where(
                Job.id == job.id, Job.status == OPEN, Job.claimed_at.is_(None),
                Job.stage == job.stage, Job.updated_at == job.updated_at)
                .values(updated_at=now, lease_until=now + self.lease)
                .returning(Job.id)).first()
        return row is not None

    def reopen(self, reason: str | None = None) -> list[Job]:
        """Reopen the dead-lettered jobs (of one reason code), their letters removed: each
        open again, its attempts counted from zero, its lease renewed."""
        query = select(DeadLetterRecord)
        if reason:
            query = query.where(DeadLetterRecord.reason == reason)
        now = utcnow()
        with self.session() as session:
            letters = list(session.scalars(query))
            for letter in letters:
                session.delete(letter)
            job_ids = [letter.job_id for letter in letters]
            session.execute(update(Job).where(Job.id.in_(job_ids)).values(
                status=OPEN, attempts=0, worker=None, task_id=None, claimed_at=None,
                updated_at=now, lease_until=now + self.lease))
            return list(session.scalars(select(Job).where(Job.id.in_(job_ids))))

    def renew(self, job_id: str) -> None:
        """Push a job's lease forward (it has just been re-enqueued)."""
        with self._statement() as db:
            db.execute(update(Job).where(Job.id == job_id)
                       .values(lease_until=utcnow() + self.lease))

    def statuses(self, job_ids: Iterable[str]) -> Counter[str]:
        """How many of the given jobs are in each status."""
        wanted = list(job_ids)
        counts: Counter[str] = Counter()
        with self.session() as session:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                counts.update(session.scalars(select(Job.status).where(Job.id.in_(chunk))))
        return counts

    def counts(self) -> dict[str, int]:
        """Jobs per status."""
        with self.session() as session:
            rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
            return {status: count for status, count in rows}


def close_job(db: Session | Connection, job_id: str, status: str,
              article_id: int | None = None) -> bool:
    """Close an open job (in the store's transaction, with the article it wrote)."""
    result = db.execute(_CLOSE, {"p_job_id": job_id, "p_status": status,
                                 "p_article_id": article_id, "p_now": utcnow()})
    return bool(result.rowcount)  # type: ignore[attr-defined]


@cache
def _upsert_statement(dialect: str, table: type[RawPageRecord] | type[UrlValidator]) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE of every other column, for `dialect`."""
    statement: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:
        raise ValueError(f"copydesk runs on SQLite or PostgreSQL, not {dialect}")
    key = [column.name for column in table.__table__.primary_key]
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column.name: statement.excluded[column.name]
              for column in table.__table__.columns if column.name not in key})


def _containing(task_id: str) -> str:
    """A LIKE pattern for `task_id` anywhere in the superseded list, wildcards escaped."""
    return "%" + task_id.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


# The statements of a job's every step, built once: SQLAlchemy then reuses their compiled
# form from its cache key alone, where building them per call cost 0.6 ms a begin and
# handoff, mostly in coercing the expressions. Parameters are named p_*: an UPDATE reserves
# its columns' own names for the values it sets.
def _steps() -> tuple[Any, Any, Any, Any, Any]:
    order = bindparam("p_order", type_=Integer)
    now = bindparam("p_now", type_=Job.updated_at.type)
    lease = bindparam("p_lease_until", type_=Job.lease_until.type)
    advance = or_(Job.attempts == 0, order > _RANK)
    begin = (update(Job).where(Job.id == bindparam("p_job_id"), Job.status == OPEN)
             .values(stage=case((advance, bindparam("p_stage")), else_=Job.stage),
                     attempts=case((advance, 1), (order == _RANK, Job.attempts + 1),
                                   else_=Job.attempts),
                     updated_at=now, lease_until=lease, worker=bindparam("p_worker"),
                     task_id=bindparam("p_task_id"),
                     claimed_at=bindparam("p_claimed_at", type_=Job.claimed_at.type))
             .returning(Job.stage, Job.attempts))
    # A message the sweeper replaced is refused: its task id is in the superseded list.
    claimed = begin.where(or_(Job.superseded.is_(None),
                              not_(Job.superseded.like(bindparam("p_superseded_by"), escape="/"))))
    moves = Job.stage == bindparam("p_done")
    handoff = (update(Job).where(Job.id == bindparam("p_job_id"), Job.status == OPEN)
               .values(stage=case((moves, bindparam("p_following")), else_=Job.stage),
                       attempts=case((moves, 0), else_=Job.attempts),
                       updated_at=now, lease_until=lease, claimed_at=None)
               .returning(Job.id))
    handoff_claimed = handoff.where(Job.task_id == bindparam("p_task_id"))
    close = (update(Job).where(Job.id == bindparam("p_job_id"), Job.status == OPEN)
             .values(status=bindparam("p_status"), article_id=bindparam("p_article_id"),
                     updated_at=now))
    return begin, claimed, handoff, handoff_claimed, close


_BEGIN, _BEGIN_CLAIMED, _HANDOFF, _HANDOFF_CLAIMED, _CLOSE = _steps()


def pack_raw(raw: RawPage) -> bytes:
    """A raw page as kept: its JSON, zlib-compressed."""
    # ISA-L's deflate at level 1 (zlib's format: unpack_raw reads old and new alike): 0.5 ms a
    # page on the development corpus against 2.3 for zlib's level 1, kept at 21.7% of its
    # size against 22.0% (zlib's level 6: 6.7 ms, 18%).
    # The serializer's bytes as they are: model_dump_json() makes the same bytes into a str
    # that would only be encoded again (0.87 -> 0.59 ms a page).
    return isal_zlib.compress(raw.__pydantic_serializer__.to_json(raw), 1)


def unpack_raw(payload: bytes) -> RawPage:
    return RawPage.model_validate_json(zlib.decompress(payload))
