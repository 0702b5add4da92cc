"""The store stage: upsert an article by its canonical URL, one revision per distinct text."""

from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.store.dedupe import signature
from services.store.duplicates import classify
from services.store.entries import new_entries
from shared.db import ArticleRecord, RevisionRecord
from shared.errors import TransientError
from shared.ledger import Ledger, close_job
from shared.models import Article, Entry, utcnow
from shared.records import as_utc
from shared.revisits import after_visit

Outcome = Literal["stored", "revised", "unchanged"]


@dataclass(frozen=True)
class Stored:
    """What the store did with an article."""

    outcome: Outcome
    article_id: int
    revision: int
    duplicate_of: int | None = None  # the earlier article this one is a near-copy of


def store(article: Article, sessions: sessionmaker, *, close: bool = False) -> Stored:
    """Insert a new article, add a revision to a changed one, or leave an unchanged one alone.

    With `close`, the article's job is closed in the same transaction: the article and the end
    of its job are written together or not at all.
    """
    try:
        with sessions() as session, session.begin():
            record = session.scalar(
                select(ArticleRecord)
                .where(ArticleRecord.canonical_url == article.canonical_url)
                .with_for_update())
            if record is None:
                record, stored = _insert(session, article)
            elif record.content_hash == article.content_hash:
                stored = Stored("unchanged", record.id, record.revision)
            else:
                stored = _revise(session, record, article)
            if close:
                status = "unchanged" if stored.outcome == "unchanged" else "stored"
                close_job(session, article.job_id, status, stored.article_id)
            if stored.outcome != "unchanged":
                # Last: its lock is held until the commit. The signature, CPU work, is made
                # before that lock, and only for a text that changed.
                classify(session, record, signature(article.text))
                stored = replace(stored, duplicate_of=record.duplicate_of)
            return stored
    except IntegrityError as error:
        # Another worker inserted the same canonical URL first: a retry finds its row.
        raise TransientError("store_conflict", str(error.orig)) from error


def _insert(session: Session, article: Article) -> tuple[ArticleRecord, Stored]:
    record = ArticleRecord(canonical_url=article.canonical_url, revision=1, created_at=utcnow())
    _assign(record, article, article.entries)
    after_visit(record, changed=True)
    session.add(record)
    session.flush()
    _add_revision(session, record, article)
    return record, Stored("stored", record.id, 1)


def _revise(session: Session, record: ArticleRecord, article: Article) -> Stored:
    known = tuple(Entry.model_validate(entry) for entry in record.fields.get("entries", []))
    record.revision += 1
    _assign(record, article, merge_entries(known, article.entries))
    after_visit(record, changed=True)
    _add_revision(session, record, article)
    return Stored("revised", record.id, record.revision)


def merge_entries(known: tuple[Entry, ...], fresh: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """Live-blog entries: keep the known ones and put those never seen before them."""
    return (*new_entries(known, fresh), *known)


def _assign(record: ArticleRecord, article: Article, entries: tuple[Entry, ...]) -> None:
    record.url = article.url
    record.source = article.source
    record.title = article.title
    record.published_at = as_utc(article.published_at)
    record.modified_at = as_utc(article.modified_at)
    record.language = article.language
    record.page_kind = article.page_kind
    record.is_live_blog = article.is_live_blog
    record.text = article.text
    record.content_hash = article.content_hash
    record.fetched_at = article.fetched_at
    record.updated_at = utcnow()
    record.fields = _fields(article, entries)


def _fields(article: Article, entries: tuple[Entry, ...]) -> dict[str, Any]:
    dumped = article.model_dump(mode="json", include={
        "authors", "description", "site_name", "image", "tags", "entities", "quotes",
        "date_sources", "removed"})
    # Entry times in UTC like every stored date, also for payloads extracted before that rule.
    dumped["entries"] = [entry.model_copy(update={"published_at": as_utc(entry.published_at)})
                         .model_dump(mode="json") for entry in entries]
    return dumped


def _add_revision(session: Session, record: ArticleRecord, article: Article) -> None:
    session.add(RevisionRecord(article_id=record.id, revision=record.revision,
                               job_id=article.job_id, content_hash=article.content_hash,
                               text=article.text, fetched_at=article.fetched_at))


def store_and_close(article: Article, ledger: Ledger) -> Stored:
    """Store an article and close its job: the last step of every successful job."""
    return store(article, ledger.sessions, close=True)
