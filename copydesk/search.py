"""`copydesk search`: full-text search over stored articles (PostgreSQL FTS, SQLite FTS5).

Ranked, a page at a time: each hit carries a cursor (its rank and id) that asks for the page
after it. Only the page's own hits get a snippet: ts_headline parses the whole text again.
"""

import re
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from shared.ledger import Ledger

# The stored search_vector (migration 0006) is ranked as it is: a match's document is not
# parsed again. Ties on rank go by id, so pages never overlap or skip.
_PG_QUERY = text("""
    WITH page AS (
        SELECT id, ts_rank(search_vector, query)::float8 AS rank, query
        FROM articles, websearch_to_tsquery('english', :q) AS query
        WHERE search_vector @@ query
          AND (CAST(:rank AS float8) IS NULL OR ts_rank(search_vector, query)::float8 < :rank
               OR (ts_rank(search_vector, query)::float8 = :rank AND id > :after_id))
        ORDER BY rank DESC, id
        LIMIT :limit)
    SELECT a.id, a.title, a.url, page.rank,
           ts_headline('english', a.text, page.query, 'MaxWords=25, MinWords=10') AS snippet
    FROM page JOIN articles a ON a.id = page.id
    ORDER BY page.rank DESC, a.id
""")
# FTS5's rank is bm25, lower is better.
_SQLITE_QUERY = text("""
    SELECT a.id, a.title, a.url, -articles_fts.rank AS rank,
           snippet(articles_fts, 1, '[', ']', '…', 16) AS snippet
    FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
    WHERE articles_fts MATCH :q
      AND (:rank IS NULL OR -articles_fts.rank < :rank
           OR (-articles_fts.rank = :rank AND a.id > :after_id))
    ORDER BY articles_fts.rank, a.id
    LIMIT :limit
""")


def fts5_query(query: str) -> str:
    """A user's words as an FTS5 query: every word required, none read as FTS5 syntax."""
    words = re.findall(r"\w+", query)
    return " ".join(f'"{word}"' for word in words)


def cursor_of(hit: dict[str, Any]) -> str:
    """The cursor that asks for the hits after this one."""
    return f"{hit['rank']!r}:{hit['id']}"


def parse_cursor(cursor: str) -> tuple[float, int]:
    """(rank, id) of a cursor made by cursor_of; ValueError for anything else."""
    rank, _, article_id = cursor.rpartition(":")
    return float(rank), int(article_id)


def search(ledger: Ledger, query: str, limit: int = 20,
           after: str | None = None) -> list[dict[str, Any]]:
    """The best-matching articles for `query`, with a snippet, from the hit after `after`."""
    rank, after_id = parse_cursor(after) if after else (None, 0)
    params = {"limit": limit, "rank": rank, "after_id": after_id}
    with ledger.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            rows = session.execute(_PG_QUERY, {"q": query, **params})
        else:
            match = fts5_query(query)
            if not match:
                return []
            rows = session.execute(_SQLITE_QUERY, {"q": match, **params})
        hits = [dict(row._mapping) for row in rows]
        return [{**hit, "cursor": cursor_of(hit)} for hit in hits]


def matching(dialect: str, query: str) -> TextClause | None:
    """A WHERE clause on `articles` for the same full-text match as `search`, bound to `query`.

    None when the query has no word to look for. The clause uses the GIN index (PostgreSQL) or
    the FTS5 table (SQLite), so it filters a paged listing without reading every article.
    """
    match = fts5_query(query)
    if not match:
        return None
    if dialect == "postgresql":
        return text("articles.search_vector @@ websearch_to_tsquery('english', :q)"
                    ).bindparams(q=query)
    return text("articles.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q)"
                ).bindparams(q=match)


# PostgreSQL's planner takes an unknown word to match 0.5% of articles, and so looks for a
# page of them by reading the newest articles backwards and matching each: seconds on a million
# articles when the word is rare. A word with at most this many matches is looked up in the
# full-text index instead, and the page picked from those ids.
RARE_MATCHES = 5000
_PG_MATCH_IDS = text("""
    SELECT id FROM articles
    WHERE search_vector @@ websearch_to_tsquery('english', :q) AND id < :before
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
