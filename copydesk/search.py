"""`copydesk search`: full-text search over stored articles (PostgreSQL FTS, SQLite FTS5)."""

import re
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from shared.ledger import Ledger

_PG_QUERY = text("""
    SELECT id, title, url,
           ts_headline('english', text, query, 'MaxWords=25, MinWords=10') AS snippet
    FROM articles, websearch_to_tsquery('english', :q) AS query
    WHERE to_tsvector('english', coalesce(title, '') || ' ' || text) @@ query
    ORDER BY ts_rank(to_tsvector('english', coalesce(title, '') || ' ' || text), query) DESC,
             id
    LIMIT :limit
""")
_SQLITE_QUERY = text("""
    SELECT a.id, a.title, a.url, snippet(articles_fts, 1, '[', ']', '…', 16) AS snippet
    FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
    WHERE articles_fts MATCH :q
    ORDER BY rank, a.id
    LIMIT :limit
""")


def fts5_query(query: str) -> str:
    """A user's words as an FTS5 query: every word required, none read as FTS5 syntax."""
    words = re.findall(r"\w+", query)
    return " ".join(f'"{word}"' for word in words)


def search(ledger: Ledger, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """The best-matching articles for `query`, with a snippet of the matching text."""
    with ledger.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            rows = session.execute(_PG_QUERY, {"q": query, "limit": limit})
        else:
            match = fts5_query(query)
            if not match:
                return []
            rows = session.execute(_SQLITE_QUERY, {"q": match, "limit": limit})
        return [dict(row._mapping) for row in rows]


def matching(dialect: str, query: str) -> TextClause | None:
    """A WHERE clause on `articles` for the same full-text match as `search`, bound to `query`.

    None when the query has no word to look for. The clause uses the GIN index (PostgreSQL) or
    the FTS5 table (SQLite), so it filters a paged listing without reading every article.
    """
    match = fts5_query(query)
    if not match:
        return None
    if dialect == "postgresql":
        return text("to_tsvector('english', coalesce(articles.title, '') || ' ' || articles.text)"
                    " @@ websearch_to_tsquery('english', :q)").bindparams(q=query)
    return text("articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)"
                ).bindparams(q=match)


# PostgreSQL's planner takes an unknown word to match 0.5% of articles, and so looks for a
# page of them by reading the newest articles backwards and matching each: seconds on a million
# articles when the word is rare. A word with at most this many matches is looked up in the
# full-text index instead, and the page picked from those ids.
RARE_MATCHES = 5000
_PG_MATCH_IDS = text("""
    SELECT id FROM articles
    WHERE to_tsvector('english', coalesce(title, '') || ' ' || text)
          @@ websearch_to_tsquery('english', :q) AND id < :before
    LIMIT :cap
""")


# The count goes through the full-text index only: a scan that computes each article's document
# costs seconds where the word is not common, and a bitmap past work_mem goes lossy and does too.
_INDEX_ONLY = {"enable_seqscan": "off", "enable_indexscan": "off", "work_mem": "'32MB'"}


def rare_match_ids(session: Session, query: str, before: int | None) -> list[int] | None:
    """PostgreSQL: the ids below `before` that match `query`, if at most RARE_MATCHES; else None."""
    for name, value in _INDEX_ONLY.items():  # SET LOCAL: this transaction only
        session.execute(text(f"SET LOCAL {name} = {value}"))
    try:
        ids = list(session.scalars(_PG_MATCH_IDS, {"q": query, "before": before or 2**62,
                                                   "cap": RARE_MATCHES + 1}))
    finally:
        for name in _INDEX_ONLY:
            session.execute(text(f"RESET {name}"))
    return ids if len(ids) <= RARE_MATCHES else None
