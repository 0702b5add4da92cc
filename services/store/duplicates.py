"""Duplicates at store time: a copy points at its original, rewrites share a story.

The original of a group of copies is its earliest-published member (the first stored when
dates tie or are missing), so the answer does not depend on which worker stored what first:
a syndicated copy that arrives before its original is re-pointed when the original comes.
The LSH band keys of every article live in an indexed table, so a check is a fixed number of
key look-ups and a comparison with the few candidates they return, at any archive size.
"""

from datetime import UTC, datetime

from sqlalchemy import Integer, delete, select, text, update
from sqlalchemy.orm import Session

from services.store.dedupe import (
    DUPLICATE_THRESHOLD,
    STORY_THRESHOLD,
    LSHIndex,
    Signature,
    signature,
    similarity,
)
from shared.db import ArticleRecord, BandRecord
from shared.records import as_utc

_BANDS = {"near": LSHIndex(part="near"), "story": LSHIndex(part="story")}


# Any fixed number: the key of the PostgreSQL advisory lock that serialises duplicate checks.
_LOCK_KEY = 0x636F7079
_UNDATED = datetime.max.replace(tzinfo=UTC)


def classify(session: Session, record: ArticleRecord) -> None:
    """Set the signature, duplicate_of and cluster_id of a flushed article, and index its bands."""
    if session.get_bind().dialect.name == "postgresql":
        # Two store workers checking a copy and its original at once would not see each other's
        # bands; held to the end of the transaction, the lock makes them take turns.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    sig = signature(record.text)
    keys = {part: index.band_keys(sig) for part, index in _BANDS.items()}
    near = _candidates(session, record.id, "near", keys["near"])
    copies = [c for c in near if similarity(sig.near, _sig(c).near) >= DUPLICATE_THRESHOLD]
    _join_copies(session, record, copies)
    story = _candidates(session, record.id, "story", keys["story"])
    scored = [(similarity(sig.story, _sig(c).story), -c.id, c) for c in story]
    best = max((s for s in scored if s[0] >= STORY_THRESHOLD), default=None,
               key=lambda s: s[:2])
    record.cluster_id = (best[2].cluster_id or best[2].id) if best else record.id
    record.signature = sig.to_bytes()
    session.execute(delete(BandRecord).where(BandRecord.article_id == record.id))
    session.add_all(BandRecord(part=part, band_key=key, article_id=record.id)
                    for part, part_keys in keys.items() for key in set(part_keys))


def _join_copies(session: Session, record: ArticleRecord, copies: list[ArticleRecord]) -> None:
    """Point the record and its copies' groups at their earliest-published member."""
    originals = {copy.duplicate_of or copy.id for copy in copies} - {record.id}
    members = [record, *session.scalars(select(ArticleRecord)
                                        .where(ArticleRecord.id.in_(originals)))]
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
    SELECT DISTINCT band.article_id
    FROM unnest(CAST(:keys AS bytea[])) AS wanted(key)
    CROSS JOIN LATERAL (
        SELECT article_id FROM article_bands
        WHERE part = :part AND band_key = wanted.key AND article_id <> :article_id
        OFFSET 0) AS band""").columns(article_id=Integer)


def _candidates(session: Session, article_id: int, part: str,
                keys: list[bytes]) -> list[ArticleRecord]:
    if session.get_bind().dialect.name == "postgresql":
        matches = _PG_BAND_MATCHES.bindparams(keys=list(keys), part=part,
                                              article_id=article_id).subquery()
        ids = select(matches.c.article_id)
    else:
        ids = select(BandRecord.article_id).where(
            BandRecord.part == part, BandRecord.band_key.in_(keys),
            BandRecord.article_id != article_id).distinct()
    return list(session.scalars(select(ArticleRecord).where(
        ArticleRecord.id.in_(ids), ArticleRecord.signature.is_not(None))))


def _sig(record: ArticleRecord) -> Signature:
    assert record.signature is not None
    return Signature.from_bytes(record.signature)
