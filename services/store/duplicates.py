"""Duplicates at store time: a copy points at its first-seen original, rewrites share a story.

The LSH band keys of every article live in an indexed table, so a check is a fixed number of
key look-ups and a comparison with the few candidates they return, at any archive size.
"""

from sqlalchemy import delete, select
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

_BANDS = {"near": LSHIndex(part="near"), "story": LSHIndex(part="story")}


def classify(session: Session, record: ArticleRecord) -> None:
    """Set the signature, duplicate_of and cluster_id of a flushed article, and index its bands."""
    sig = signature(record.text)
    keys = {part: index.band_keys(sig) for part, index in _BANDS.items()}
    near = _candidates(session, record.id, "near", keys["near"])
    copies = [c for c in near if similarity(sig.near, _sig(c).near) >= DUPLICATE_THRESHOLD]
    original = min(copies, key=lambda c: c.id, default=None)
    record.duplicate_of = (original.duplicate_of or original.id) if original else None
    story = _candidates(session, record.id, "story", keys["story"])
    scored = [(similarity(sig.story, _sig(c).story), -c.id, c) for c in story]
    best = max((s for s in scored if s[0] >= STORY_THRESHOLD), default=None,
               key=lambda s: s[:2])
    record.cluster_id = (best[2].cluster_id or best[2].id) if best else record.id
    record.signature = sig.to_bytes()
    session.execute(delete(BandRecord).where(BandRecord.article_id == record.id))
    session.add_all(BandRecord(part=part, band_key=key, article_id=record.id)
                    for part, part_keys in keys.items() for key in set(part_keys))


def _candidates(session: Session, article_id: int, part: str,
                keys: list[bytes]) -> list[ArticleRecord]:
    ids = select(BandRecord.article_id).where(
        BandRecord.part == part, BandRecord.band_key.in_(keys),
        BandRecord.article_id != article_id).distinct()
    return list(session.scalars(select(ArticleRecord).where(
        ArticleRecord.id.in_(ids), ArticleRecord.signature.is_not(None))))


def _sig(record: ArticleRecord) -> Signature:
    assert record.signature is not None
    return Signature.from_bytes(record.signature)
