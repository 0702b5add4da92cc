"""The JSON API: the CLI's queries and commands over HTTP (reads open, writes need the token)."""

from datetime import datetime
from typing import Annotated, Any, get_args
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, ConfigDict, field_validator
from redis.exceptions import RedisError
from sqlalchemy import text

from copydesk import queries
from copydesk.replay import REPLAY_STAGES
from copydesk.serve.deps import DEFAULT_PAGE, MAX_PAGE, ledger, require_token, source_rows
from shared import runtime
from shared.ledger import Ledger
from shared.models import PageKind
from shared.settings import get_settings

router = APIRouter(prefix="/api")
LedgerDep = Annotated[Ledger, Depends(ledger)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"page size, at most {MAX_PAGE}")]
Cursor = Annotated[int | None, Query(ge=1, description="the `next_cursor` of the page before")]


class Page(BaseModel):
    """One page of a listing; pass `next_cursor` back as `cursor` for the next (null: the end)."""

    items: list[dict[str, Any]]
    next_cursor: int | None


def _page(items: list[dict[str, Any]], limit: int) -> Page:
    return Page(items=items, next_cursor=items[-1]["id"] if len(items) == limit else None)


@router.get("/articles", response_model=Page, tags=["read"])
def list_articles(ledger: LedgerDep,
                  q: Annotated[str, Query(max_length=500, description="full-text search")] = "",
                  source: str | None = None,
                  since: Annotated[datetime | None, Query(description="published at or after")]
                  = None,
                  until: Annotated[datetime | None, Query(description="published before")] = None,
                  kind: PageKind | None = None, limit: Limit = DEFAULT_PAGE,
                  cursor: Cursor = None) -> Page:
    """Stored articles, newest first, as `copydesk export` writes them (with `page_kind`)."""
    filters = queries.ArticleFilter(q=q, source=source, kind=kind, since=since, until=until)
    return _page(queries.article_page(ledger, filters, cursor, limit), limit)


@router.get("/articles/{article_id}", tags=["read"])
def get_article(article_id: int, ledger: LedgerDep) -> dict[str, Any]:
    """One article in full: what `copydesk show` prints, with revisions, duplicates, cluster."""
    record = queries.article_detail(ledger, article_id)
    if record is None:
        raise HTTPException(404, f"no article with id {article_id}")
    return record


@router.get("/status", tags=["read"])
def status() -> dict[str, Any]:
    """What `copydesk status --json` prints: per stage, per job status, per source."""
    return queries.status_report()


@router.get("/sources", tags=["read"])
def sources(ledger: LedgerDep) -> list[dict[str, Any]]:
    """Each source with its schedule, last run, new articles and dead letters in a day, health."""
    return source_rows(ledger)


@router.get("/dead-letters", response_model=Page, tags=["read"])
def dead_letters(ledger: LedgerDep, reason: str | None = None, limit: Limit = DEFAULT_PAGE,
                 cursor: Cursor = None) -> Page:
    """Dead letters (of one reason code), newest first."""
    return _page(queries.dead_letter_page(ledger, reason, cursor, limit), limit)


@router.get("/dead-letters/reasons", tags=["read"])
def dead_letter_reasons(ledger: LedgerDep) -> dict[str, int]:
    """Dead letters per reason code."""
    return queries.dead_letter_reasons(ledger)


@router.get("/health", tags=["read"])
def health(ledger: LedgerDep) -> dict[str, str]:
    """200 when the database answers (the container's health check)."""
    with ledger.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok"}


class SubmitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str

    @field_validator("source")
    @classmethod
    def _http(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("source must be an http(s) URL (a page, feed or sitemap)")
        return value.strip()


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = None


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: str
    source: str | None = None
    since: datetime | None = None

    @field_validator("stage")
    @classmethod
    def _stage(cls, value: str) -> str:
        if value not in REPLAY_STAGES:
            raise ValueError(f"stage must be one of {', '.join(REPLAY_STAGES)}")
        return value


def _queue_answers() -> None:
    """Refuse a write before it changes anything when Redis, where it sends work, is down."""
    try:
        runtime.redis_client(get_settings()).ping()
    except RedisError as error:
        raise HTTPException(503, f"the queue (Redis) does not answer: {error}") from error


Write = [Depends(require_token)]


@router.post("/submit", dependencies=Write, status_code=202, tags=["write"])
def submit(request: SubmitRequest, ledger: LedgerDep) -> dict[str, Any]:
    """Send a source to the workers, as `copydesk submit URL` does."""
    from copydesk.pipeline import submit as submit_source
    from copydesk.sources import source_from_argument
    from copydesk.worker import celery_app

    _queue_answers()
    celery_app()
    source = source_from_argument(request.source)
    return {"source": source.location, "jobs": submit_source(source, ledger)}


@router.post("/dead-letters/retry", dependencies=Write, status_code=202, tags=["write"])
def retry(request: RetryRequest, ledger: LedgerDep) -> dict[str, Any]:
    """Reopen dead letters (of one reason) and send them to the workers, as the CLI does."""
    from copydesk.replay import reopen_dead_letters, send_to_workers

    _queue_answers()
    restarts = reopen_dead_letters(ledger, request.reason)
    send_to_workers(restarts)
    return {"reason": request.reason, "retried": len(restarts)}


@router.post("/replay", dependencies=Write, status_code=202, tags=["write"])
def replay(request: ReplayRequest, ledger: LedgerDep) -> dict[str, Any]:
    """Re-run a stage over kept raw pages on the workers, as `copydesk replay` does."""
    from copydesk.pipeline import InProcess
    from copydesk.replay import prepare_replay, send_to_workers

    _queue_answers()
    pipeline = InProcess(get_settings())
    restarts = prepare_replay(pipeline, ledger, request.stage, request.source, request.since,
                              in_process=False)
    send_to_workers(restarts)
    return {"stage": request.stage, "replayed": len(restarts)}


PAGE_KINDS = get_args(PageKind)
