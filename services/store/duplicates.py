"""Duplicates at store time: a copy points at its original, rewrites share a story.

The original of a group of copies is its earliest-published member (the first stored when
dates tie or are missing), so the answer does not depend on which worker stored what first:
a syndicated copy that arrives before its original is re-pointed when the original comes.
The 32-bit LSH band keys of every article live in one indexed row (PostgreSQL: an int4[] under
a GIN index; SQLite: a row per key), so a check is a fixed number of key look-ups and a
comparison with the few candidates they return, at any archive size.
"""

import json
from datetime import UTC, datetime

from sqlalchemy import Boolean, Integer, select, text, update
from sqlalchemy.orm import Session, load_only

from services.store.dedupe import DUPLICATE_THRESHOLD, STORY_THRESHOLD, Signature, similarity
from shared import minhash
from shared.db import ArticleRecord
from shared.records import as_utc

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
        # The candidate query's 153 probes add up, in the planner's reckoning, past
        # jit_above_cost from about 100,000 articles on: it then compiles the query on every
        # check, 30-40 ms, for an execution of about 1 ms (bench/scale/RESULTS.md).
        session.execute(text("SET LOCAL jit = off"))
    keys = minhash.part_keys(sig.near, sig.story)
    with session.no_autoflush:
        found = _candidates(session, record.id, keys)
        copies = [c for c in found["near"]
                  if similarity(sig.near, _sig(c).near) >= DUPLICATE_THRESHOLD]
        _join_copies(session, record, copies)
        scored = [(similarity(sig.story, _sig(c).story), -c.id, c) for c in found["story"]]
        best = max((s for s in scored if s[0] >= STORY_THRESHOLD), default=None,
                   key=lambda s: s[:2])
        record.cluster_id = (best[2].cluster_id or best[2].id) if best else record.id
        record.signature = sig.to_bytes()
        _replace_keys(session, record.id, sorted({*keys["near"], *keys["story"]}))


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


# PostgreSQL: one GIN probe per band key (`keys @> ARRAY[key]`), each marked with its part,
# so a candidate is compared only in the part it shares a key in. Not `keys && all_keys`: the
# planner guesses half the table matches an overlap of 150 keys (no statistics can say that
# nearly every key is unique) and reads every row, 3 s at 10,000 articles, where the probes
# take about 1.5 ms. The OFFSET 0 keeps each probe a probe.
_PG_KEY_MATCHES = text("""
    SELECT band.article_id, bool_or(wanted.part = 'near') AS near,
           bool_or(wanted.part = 'story') AS story
    FROM unnest(CAST(:parts AS text[]), CAST(:keys AS integer[])) AS wanted(part, key)
    CROSS JOIN LATERAL (
        SELECT article_id FROM article_keys
        WHERE keys @> ARRAY[wanted.key] AND article_id <> :article_id
        OFFSET 0) AS band
    GROUP BY band.article_id
""").columns(article_id=Integer, near=Boolean, story=Boolean)
# SQLite: the key lists as JSON arrays, so the statement's text is the same on every check
# (compiled and prepared once, not per article) and its keys are three parameters, not 300.
_SQLITE_KEY_MATCHES = text("""
    SELECT article_id, max(band_key IN (SELECT value FROM json_each(:near))) AS near,
           max(band_key IN (SELECT value FROM json_each(:story))) AS story
    FROM article_keys WHERE band_key IN (SELECT value FROM json_each(:keys))
    AND article_id <> :article_id
    GROUP BY article_id""").columns(article_id=Integer, near=Boolean, story=Boolean)


def _candidates(session: Session, article_id: int,
                keys: dict[str, list[int]]) -> dict[str, list[ArticleRecord]]:
    """The articles sharing a band key with the new one, per part, in one round trip."""
    if session.get_bind().dialect.name == "postgresql":
        pairs = [(part, key) for part, part_keys in keys.items() for key in part_keys]
        matches = _PG_KEY_MATCHES.bindparams(parts=[part for part, _ in pairs],
                                             keys=[key for _, key in pairs],
                                             article_id=article_id)
    else:
        everything = sorted({*keys["near"], *keys["story"]})
        matches = _SQLITE_KEY_MATCHES.bindparams(
            near=json.dumps(keys["near"]), story=json.dumps(keys["story"]),
            keys=json.dumps(everything), article_id=article_id)
    found: dict[str, list[ArticleRecord]] = {part: [] for part in keys}
    subquery = matches.subquery()
    rows = session.execute(select(ArticleRecord, subquery.c.near, subquery.c.story)
                           .options(_CHECKED)
                           .join(subquery, ArticleRecord.id == subquery.c.article_id)
                           .where(ArticleRecord.signature.is_not(None)))
    for article, near, story in rows:
        if near:
            found["near"].append(article)
        if story:
            found["story"].append(article)
    return found


def _replace_keys(session: Session, article_id: int, keys: list[int]) -> None:
    """Index the article's band keys, in place of those of its previous revision."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(
            "INSERT INTO article_keys (article_id, keys) VALUES (:article_id, :keys) "
            "ON CONFLICT (article_id) DO UPDATE SET keys = excluded.keys"),
            {"article_id": article_id, "keys": keys})
        return
    session.execute(text("DELETE FROM article_keys WHERE article_id = :article_id"),
                    {"article_id": article_id})
    session.execute(text("INSERT INTO article_keys (band_key, article_id) "
                         "SELECT value, :article_id FROM json_each(:keys)"),
                    {"article_id": article_id, "keys": json.dumps(keys)})


def _sig(record: ArticleRecord) -> Signature:
    assert record.signature is not None
    return Signature.from_bytes(record.signature)
