"""The web console: server-rendered pages over the API's queries, usable on a phone."""

import difflib
import itertools
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from copydesk import queries
from copydesk.serve.api import PAGE_KINDS, Cursor
from copydesk.serve.deps import DEFAULT_PAGE, configured_sources, ledger, source_rows
from shared.ledger import Ledger
from shared.models import PageKind

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
LedgerDep = Annotated[Ledger, Depends(ledger)]
DEAD_PER_REASON = 10  # dead letters shown under each reason


def _render(request: Request, name: str, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ledger: LedgerDep) -> HTMLResponse:
    """The pipeline now, and the newest articles."""
    newest = queries.article_page(ledger, queries.ArticleFilter(), None, DEFAULT_PAGE)
    return _render(request, "home.html", status=queries.status_report(), articles=newest)


@router.get("/articles", response_class=HTMLResponse)
def articles(request: Request, ledger: LedgerDep, q: Annotated[str, Query(max_length=500)] = "",
             source: str = "", kind: PageKind | None = None,
             since: datetime | None = None, until: datetime | None = None,
             cursor: Cursor = None) -> HTMLResponse:
    """Articles newest first, searched and filtered, a page at a time."""
    filters = queries.ArticleFilter(q=q, source=source or None, kind=kind, since=since,
                                    until=until)
    found = queries.article_page(ledger, filters, cursor, DEFAULT_PAGE)
    older = found[-1]["id"] if len(found) == DEFAULT_PAGE else None
    params = {k: v for k, v in request.query_params.items() if k != "cursor"}
    return _render(request, "articles.html", articles=found, filters=filters, q=q, older=older,
                   params=params, kinds=PAGE_KINDS)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(request: Request, article_id: int, ledger: LedgerDep) -> HTMLResponse:
    """One article: text, entries as a timeline, entities, quotes, revisions, cuts."""
    record = queries.article_detail(ledger, article_id)
    if record is None:
        raise HTTPException(404, f"no article with id {article_id}")
    return _render(request, "article.html", a=record, diffs=revision_diffs(record["revisions"]))


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, ledger: LedgerDep) -> HTMLResponse:
    """Each source with its schedule and health."""
    _, problem = configured_sources()
    return _render(request, "sources.html", sources=source_rows(ledger), problem=problem)


@router.get("/dead-letters", response_class=HTMLResponse)
def dead_letters(request: Request, ledger: LedgerDep) -> HTMLResponse:
    """Dead letters grouped by reason, each group with a retry button."""
    groups = [(reason, count, queries.dead_letter_page(ledger, reason, None, DEAD_PER_REASON))
              for reason, count in queries.dead_letter_reasons(ledger).items()]
    return _render(request, "dead_letters.html", groups=groups)


def revision_diffs(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What changed from each revision to the next, paragraph by paragraph (+ added, - gone)."""
    diffs = []
    for before, after in itertools.pairwise(revisions):
        lines = difflib.ndiff(before["text"].split("\n\n"), after["text"].split("\n\n"))
        changes = [(line[0], line[2:]) for line in lines if line[:1] in "+-"]
        diffs.append({"from": before["revision"], "to": after["revision"],
                      "fetched_at": after["fetched_at"], "changes": changes})
    return diffs
