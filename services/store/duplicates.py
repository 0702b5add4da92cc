"""Duplicates at store time: a copy points at its original, rewrites share a story.

The original of a group of copies is its earliest-published member (the first stored when
dates tie or are missing), so the answer does not depend on which worker stored what first:
a syndicated copy that arrives before its original is re-pointed when the original comes.
The LSH band keys of every article live in an indexed table, so a check is a fixed number of
key look-ups and a comparison with the few candidates they return, at any archive size.
"""

from datetime import UTC, datetime

from sqlalchemy import Integer, String, and_, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session, load_only

from services.store.dedupe import (
    DUPLICATE_THRESHOLD,
    STORY_THRESHOLD,
    LSHIndex,
    Signature,
    similarity,
)
from shared.db import ArticleRecord, BandRecord
from shared.records import as_utc

_BANDS = {"near": LSHIndex(part="near"), "story": LSHIndex(part="story")}


# Any fixed number: the key of the PostgreSQL advisory lock that serialises duplicate checks.
_LOCK_KEY = 0x636F7079
_UNDATED = datetime.max.replace(tzinfo=UTC)
# The columns a check reads of other articles: not their text and fields, the bulk of a row.
_CHECKED = load_only(ArticleRecord.id, ArticleRecord.signature, ArticleRecord.duplicate_of,
                     ArticleRecord.cluster_id, ArticleRecord.published_at)


def classify(session: Session, record: ArticleRecord, sig: Signature) -> None:
    """Set the signature, duplicate_of and cluster_id of a flushed article, and index its bands.

    Called last in the store's transaction, with `sig` made before the lock below: from the
    lock to the commit the stores take turns, so that stretch holds nothing but a few round
    trips.
    """
    session.flush()  # the article's other writes go out before the lock, not under it
    if session.get_bind().dialect.name == "postgresql":
        # Two store workers checking a copy and its original at once would not see each other's
        # bands; held to the end of the transaction, the lock makes them take turns.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    keys = {part: index.band_keys(sig) for part, index in _BANDS.items()}
    with session.no_autoflush:
        found = _candidates(session, record.id, keys)
        copies = [c for c in found["near"]
                  if similarity(sig.near, _sig(c).near) >= DUPLICATE_THRESHOLD]
        _join_copies(session, record, copies)
        scored = [(similarity(sig.story, _sig(c).story), -c.id, c) for c in found["story"]]
        best = max((s for s in scored if s[0] >= STORY_THRESHOLD), default=None,
                   key=lambda s: s[:2])
        record.cluster_id = (best[2].cluster_id or best[2].id) if best else record.id
        if record.signature is not None:  # a revision: its old bands go
            session.execute(delete(BandRecord).where(BandRecord.article_id == record.id))
        record.signature = sig.to_bytes()
        _insert_bands(session, record.id, keys)


def _join_copies(session: Session, record: ArticleRecord, copies: list[ArticleRecord]) -> None:
    """Point the record and its copies' groups at their earliest-published member."""
    originals = {copy.duplicate_of or copy.id for copy in copies} - {record.id}
    members = [record, *session.scalars(select(ArticleRecord).options(_CHECKED)
                                        .where(ArticleRecord.id.in_(originals)))] \
        if originals else [record]
    first = min(members, key=lambda m: (as_utc(m.published_at) or _UNDATED, m.id))
    record.duplicate_of = None if first is record else first.id
    others = {member.id for member in members} - {first.id}
    if others:
        session.execute(update(ArticleRecord)
                        .where(ArticleRecord.id.in_(others)
                               | ArticleRecord.duplicate_of.in_(others))
                        .where(ArticleRecord.id != first.id)
                        .values(duplicate_of=first.id)
                        .execution_options(synchronize_session="fetch"))


# PostgreSQL: one index probe per band key, whatever the planner's statistics say. With
# `band_key IN (...)` and no statistics yet (a new database before autovacuum's first ANALYZE,
# or autovacuum off) the planner reads every row of the part and filters them: work that grows
# with the archive on every store (323 ms an article at 500 articles in bench/pipeline). The
# OFFSET 0 keeps the lateral subquery from being flattened into that plan.
_PG_BAND_MATCHES = text("""
    SELECT DISTINCT band.article_id, wanted.part
    FROM unnest(CAST(:parts AS text[]), CAST(:keys AS bytea[])) AS wanted(part, key)
    CROSS JOIN LATERAL (
        SELECT article_id FROM article_bands
        WHERE part = wanted.part AND band_key = wanted.key AND article_id <> :article_id
        OFFSET 0) AS band""").columns(article_id=Integer, part=String)


def _candidates(session: Session, article_id: int,
                keys: dict[str, list[bytes]]) -> dict[str, list[ArticleRecord]]:
    """The articles sharing a band key with the new one, per part, in one round trip."""
    if session.get_bind().dialect.name == "postgresql":
        pairs = [(part, key) for part, part_keys in keys.items() for key in part_keys]
        matches = _PG_BAND_MATCHES.bindparams(
            parts=[part for part, _ in pairs], keys=[key for _, key in pairs],
            article_id=article_id).subquery()
    else:
        matches = select(BandRecord.article_id, BandRecord.part).where(
            or_(*(and_(BandRecord.part == part, BandRecord.band_key.in_(part_keys))
                  for part, part_keys in keys.items())),
            BandRecord.article_id != article_id).distinct().subquery()
    found: dict[str, list[ArticleRecord]] = {part: [] for part in keys}
    rows = session.execute(select(ArticleRecord, matches.c.part).options(_CHECKED)
                           .join(matches, ArticleRecord.id == matches.c.article_id)
                           .where(ArticleRecord.signature.is_not(None)))
    for article, part in rows:
        found[part].append(article)
    return found


# PostgreSQL: the band rows as three arrays, one short statement (a VALUES list of ~150 rows is
# 450 parameters that SQLAlchemy and psycopg render and parse again for every article).
_PG_INSERT_BANDS = text("""
    INSERT INTO article_bands (part, band_key, article_id)
    SELECT part, key, :article_id
    FROM unnest(CAST(:parts AS text[]), CAST(:keys AS bytea[])) AS band(part, key)""")


def _insert_bands(session: Session, article_id: int, keys: dict[str, list[bytes]]) -> None:
    pairs = [(part, key) for part, part_keys in keys.items() for key in sorted(set(part_keys))]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_INSERT_BANDS, {"article_id": article_id,
                                           "parts": [part for part, _ in pairs],
                                           "keys": [key for _, key in pairs]})
    else:
        session.execute(insert(BandRecord).values(
            [{"part": part, "band_key": key, "article_id": article_id} for part, key in pairs]))


def _sig(record: ArticleRecord) -> Signature:
    assert record.signature is not None
    return Signature.from_bytes(record.signature)
