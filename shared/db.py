"""The record: SQLAlchemy 2 tables for jobs, raw pages, articles, revisions and dead letters."""

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from shared.models import utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x636F70796465736B  # 'copydesk'


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class Job(Base):
    """One accepted URL, from submission until store or a dead letter closes it."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    source: Mapped[str] = mapped_column(String(200))
    # open -> stored | unchanged | dead
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    stage: Mapped[str] = mapped_column(String(16), default="fetch")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    hints: Mapped[dict[str, Any]] = mapped_column(default=dict)
    article_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime] = mapped_column(default=utcnow)
    # The claim on the job: the worker process that works on its step (its heartbeat says
    # whether it lives), the message it works from, and since when (empty once the step is
    # done and the job handed on; the next step's claim replaces the rest).
    worker: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column()
    # Message ids the sweeper replaced (their worker died or got stuck): a late copy of one,
    # redelivered by Redis after its visibility timeout, does nothing.
    superseded: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_jobs_open_lease", "status", "lease_until"),
                      Index("ix_jobs_open_worker", "status", "worker"),
                      Index("ix_jobs_task_id", "task_id"),
                      Index("ix_jobs_source_created", "source", "created_at"))


class RawPageRecord(Base):
    """The last download of a job, compressed, so later stages can be re-run without fetching."""

    __tablename__ = "raw_pages"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    url: Mapped[str] = mapped_column(Text, index=True)
    source: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class UrlValidator(Base):
    """What the server said last time (ETag, Last-Modified), for a conditional GET."""

    __tablename__ = "url_validators"
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleRecord(Base):
    """The current state of one article, keyed by its canonical URL."""

    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    modified_at: Mapped[datetime | None] = mapped_column()
    language: Mapped[str | None] = mapped_column(String(16))
    page_kind: Mapped[str] = mapped_column(String(16), default="article")
    is_live_blog: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    # authors, tags, description, entries, entities, quotes...: the rest of the export record.
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    duplicate_of: Mapped[int | None] = mapped_column(Integer)  # partially indexed: below
    cluster_id: Mapped[int | None] = mapped_column(Integer, index=True)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Live blogs are looked at again: sooner while they change, later once they stop.
    next_visit_at: Mapped[datetime | None] = mapped_column(index=True)
    visit_interval: Mapped[int | None] = mapped_column(Integer)
    # PostgreSQL also has `search_vector`, a stored generated tsvector (migration 0006), and
    # `article_keys` and `story_keys`, the band keys of the duplicate check and of story
    # clustering (services/store/duplicates.py; story keys for the last STORY_WINDOW only).
    __table_args__ = (Index("ix_articles_source_published", "source", "published_at"),
                      Index("ix_articles_page_kind_id", "page_kind", "id"))


# Partial: only copies point at an original (migration 0006).
Index("ix_articles_duplicate_of", ArticleRecord.duplicate_of,
      postgresql_where=ArticleRecord.duplicate_of.is_not(None),
      sqlite_where=ArticleRecord.duplicate_of.is_not(None))


class RevisionRecord(Base):
    """Every distinct text an article has had."""

    __tablename__ = "article_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    __table_args__ = (UniqueConstraint("article_id", "revision"),)


class DeadLetterRecord(Base):
    """A job that could not succeed: one per job, with its reason."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    url: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FurnitureRecord(Base):
    """The embedded mode's furniture counts of one site, kept between runs (the workers keep
    theirs in Redis): services.clean.furniture's state, compressed JSON."""

    __tablename__ = "furniture_sites"
    site: Mapped[str] = mapped_column(String(300), primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (status, export) run beside the writer; the busy timeout
    # makes concurrent writers wait instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives a crash
    # of the process, and a power cut can take back only the last commits, never corrupt the
    # file (SQLite's own advice for WAL). FULL cost an fsync a commit (4 ms here), in the run's
    # one writing thread.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL per process."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def session_factory(url: str) -> sessionmaker:
    """Sessions bound to the engine for `url`; objects stay usable after commit."""
    return sessionmaker(engine_for(url), expire_on_commit=False)


def head_revision() -> str:
    """The newest migration's revision. Each is named after its file and the files sort in the
    order they apply (a test holds both against Alembic's own head)."""
    return max(path.stem for path in (MIGRATIONS / "versions").glob("[0-9]*.py"))


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before the first migration (or no database)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema with Alembic."""
    engine = engine_for(url)
    # Up to date is the common case (every command, every worker start): one SELECT, without
    # loading Alembic and every migration script (0.3 s of a command's start-up).
    if schema_revision(engine) == head_revision():
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["engine"] = engine
    if engine.dialect.name != "postgresql":
        command.upgrade(config, "head")
        return
    # Every worker service migrates on start; the lock makes the first do it and the rest wait.
    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            command.upgrade(config, "head")
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
