"""Duplicates at store time: a copy points at its original, rewrites share a story.

The original of a group of copies is its earliest-published member (the first stored when
dates tie or are missing), so the answer does not depend on which worker stored what first:
a syndicated copy that arrives before its original is re-pointed when the original comes.
The 32-bit LSH band keys live in indexed rows (PostgreSQL: an int4[] under a GIN index, one
row per article; SQLite: a row per key), so a check is a fixed number of key look-ups and a
comparison with the few candidates they return, at any archive size. The near part's keys
(`article_keys`, 25 an article) are kept for ever: a copy is found however old its original.
The story part's (`story_keys`, 128 an article) only within STORY_WINDOW of the article's
fetch time: rewrites of a story come within days, and each store removes a few keys that fell
out of the window behind it, so that table holds about a window's articles at any size.
"""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import DateTime, bindparam, select, text, update
from sqlalchemy.orm import Session, load_only

from services.store.dedupe import DUPLICATE_THRESHOLD, STORY_THRESHOLD, Signature, similarity
from shared import minhash
from shared.db import ArticleRecord
from shared.minhash import BANDING, STORY_WINDOW
from shared.records import as_utc

# Any fixed number: the key of the PostgreSQL advisory lock that serialises duplicate checks.
_LOCK_KEY = 0x636F7079
_UNDATED = datetime.max.replace(tzinfo=UTC)
_CUTOFF = bindparam("cutoff", type_=DateTime(timezone=True))
# Expired story keys each store removes: more than the one an article adds, so a backlog (after
# a pause in fetching) drains, and few enough to cost a store about nothing.
PRUNE_BATCH = 4
# The columns a check reads of other articles: not their text and fields, the bulk of a row.
_CHECKED = load_only(ArticleRecord.id, ArticleRecord.signature, ArticleRecord.duplicate_of,
                     ArticleRecord.cluster_id, ArticleRecord.published_at)


def classify(session: Session, record: ArticleRecord, sig: Signature,
             window: timedelta = STORY_WINDOW) -> None:
    """Set the signature, duplicate_of and cluster_id of a flushed article, and index its bands.

    Called last in the store's transaction, with `sig` made before the lock below: from the
    lock to the commit the stores take turns, so that stretch holds nothing but a few round
    trips. Story candidates are the articles fetched within `window` of this one.
    """
    session.flush()  # the article's other writes go out before the lock, not under it
    kept_at = as_utc(record.fetched_at) or datetime.now(UTC)
    prune = {"cutoff": kept_at - window, "batch": PRUNE_BATCH, "bands": BANDING["story"][0]}
    if session.get_bind().dialect.name == "postgresql":
        # Two store workers checking a copy and its original at once would not see each other's
        # bands; held to the end of the transaction, the lock makes them take turns. In the
        # same round trip (each one costs a wait for a core on a busy machine): the pruning,
        # and two settings for the candidate query (_PG_LOCK).
        session.execute(_PG_LOCK, {**prune, "key": _LOCK_KEY})
    else:
        session.execute(_SQLITE_PRUNE, prune)
    keys = minhash.part_keys(sig.near, sig.story)
    with session.no_autoflush:
        found = _candidates(session, record.id, keys, (kept_at - window, kept_at + window))
        copies = [c for c in found["near"]
                  if similarity(sig.near, _sig(c).near) >= DUPLICATE_THRESHOLD]
        _join_copies(session, record, copies)
        scored = [(similarity(sig.story, _sig(c).story), -c.id, c) for c in found["story"]]
        best = max((s for s in scored if s[0] >= STORY_THRESHOLD), default=None,
                   key=lambda s: s[:2])
        record.cluster_id = (best[2].cluster_id or best[2].id) if best else record.id
        record.signature = sig.to_bytes()
        _replace_keys(session, record.id, keys, kept_at)


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


# PostgreSQL: one GIN index scan per part (`keys && wanted`), each in the table of its part,
# so a candidate is compared only in the part it shares a key in. The OFFSET 0 keeps the
# window's test out of the story scan: psycopg prepares the statement, and PostgreSQL's generic
# plan then read the whole window through the kept_at index instead (1.4 s at 100,000
# articles). One overlap scan per part, not a probe per key: 0.51 against 0.85 ms median,
# p90 2.8 against 4.8 ms, at 100,000 articles (bench/scale/RESULTS.md).
_PG_KEY_MATCHES = text("""
    SELECT article_id, true AS near, NULL AS keys FROM article_keys
    WHERE keys && CAST(:near AS integer[]) AND article_id <> :article_id
    UNION ALL
    SELECT article_id, false, keys FROM (
        SELECT article_id, kept_at, keys FROM story_keys
        WHERE keys && CAST(:story AS integer[]) AND article_id <> :article_id
        OFFSET 0) AS story
    WHERE kept_at BETWEEN :since AND :until
""").bindparams(bindparam("since", type_=DateTime(timezone=True)),
                bindparam("until", type_=DateTime(timezone=True)))
# SQLite: the key lists as JSON arrays, so the statement's text is the same on every check
# (compiled and prepared once, not per article) and its keys are a few parameters, not 150.
# A row per key, so a story candidate's count of rows is the number of keys it shares.
_SQLITE_KEY_MATCHES = text("""
    SELECT article_id, 1 AS near, 0 AS shared FROM article_keys
    WHERE band_key IN (SELECT value FROM json_each(:near)) AND article_id <> :article_id
    UNION ALL
    SELECT article_id, 0, count(*) FROM story_keys
    WHERE band_key IN (SELECT value FROM json_each(:story)) AND article_id <> :article_id
      AND kept_at BETWEEN :since AND :until
    GROUP BY article_id""").bindparams(bindparam("since", type_=DateTime(timezone=True)),
                                       bindparam("until", type_=DateTime(timezone=True)))
# At most this many story candidates are compared, those sharing the most band keys (then the
# newest): an article of a busy story shares keys with hundreds of others in the window (up to
# 904 at 1M articles, 2,740 a day), and the one it is most like shares the most keys with it.
STORY_CANDIDATES = 50


def _shared_counts(rows: list[tuple[int, list[int]]], wanted: list[int]) -> dict[int, int]:
    """How many of `wanted` each row's keys hold: one vectorised pass over all the rows."""
    if not rows:
        return {}
    lengths = np.fromiter((len(row_keys) for _, row_keys in rows), dtype=np.int64,
                          count=len(rows))
    every = np.fromiter((key for _, row_keys in rows for key in row_keys), dtype=np.int64,
                        count=int(lengths.sum()))
    hits = np.isin(every, np.asarray(wanted, dtype=np.int64))
    counts = np.add.reduceat(hits, np.concatenate(([0], np.cumsum(lengths)[:-1])))
    return {found_id: int(count) for (found_id, _), count in zip(rows, counts, strict=True)}


def _candidates(session: Session, article_id: int, keys: dict[str, list[int]],
                window: tuple[datetime, datetime]) -> dict[str, list[ArticleRecord]]:
    """The articles sharing a band key with the new one, per part: every near candidate, and
    the STORY_CANDIDATES story candidates that share the most keys."""
    since, until = window
    near: set[int] = set()
    shared: dict[int, int] = {}
    if session.get_bind().dialect.name == "postgresql":
        story_rows: list[tuple[int, list[int]]] = []
        for found_id, is_near, story_keys in session.execute(_PG_KEY_MATCHES, {
                "near": keys["near"], "story": keys["story"], "article_id": article_id,
                "since": since, "until": until}):
            if is_near:
                near.add(found_id)
            else:
                story_rows.append((found_id, story_keys))
        shared = _shared_counts(story_rows, keys["story"])
    else:
        for found_id, is_near, count in session.execute(_SQLITE_KEY_MATCHES, {
                "near": json.dumps(keys["near"]), "story": json.dumps(keys["story"]),
                "article_id": article_id, "since": since, "until": until}):
            if is_near:
                near.add(found_id)
            else:
                shared[found_id] = count
    story = set(sorted(shared, key=lambda found_id: (shared[found_id], found_id),
                       reverse=True)[:STORY_CANDIDATES])
    found: dict[str, list[ArticleRecord]] = {part: [] for part in keys}
    if not near and not story:
        return found
    for article in session.scalars(select(ArticleRecord).options(_CHECKED)
                                   .where(ArticleRecord.id.in_(near | story))
                                   .where(ArticleRecord.signature.is_not(None))):
        if article.id in near:
            found["near"].append(article)
        if article.id in story:
            found["story"].append(article)
    return found


_KEPT_AT = bindparam("kept_at", type_=DateTime(timezone=True))
_PG_KEYS = text("""
    WITH near AS (
        INSERT INTO article_keys (article_id, keys) VALUES (:article_id, :near)
        ON CONFLICT (article_id) DO UPDATE SET keys = excluded.keys)
    INSERT INTO story_keys (article_id, kept_at, keys) VALUES (:article_id, :kept_at, :story)
    ON CONFLICT (article_id) DO UPDATE SET kept_at = excluded.kept_at, keys = excluded.keys
""").bindparams(_KEPT_AT)


def _replace_keys(session: Session, article_id: int, keys: dict[str, list[int]],
                  kept_at: datetime) -> None:
    """Index the article's band keys, in place of those of its previous revision."""
    params = {"article_id": article_id, "kept_at": kept_at}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_PG_KEYS, {**params, "near": keys["near"], "story": keys["story"]})
        return
    for table in ("article_keys", "story_keys"):
        session.execute(text(f"DELETE FROM {table} WHERE article_id = :article_id"), params)
    session.execute(text("INSERT INTO article_keys (band_key, article_id) "
                         "SELECT value, :article_id FROM json_each(:keys)"),
                    {**params, "keys": json.dumps(keys["near"])})
    session.execute(text("INSERT INTO story_keys (band_key, article_id, kept_at) "
                         "SELECT value, :article_id, :kept_at FROM json_each(:keys)"
                         ).bindparams(_KEPT_AT), {**params, "keys": json.dumps(keys["story"])})


# A few of the oldest expired articles' story keys are removed (SKIP LOCKED: two stores never
# wait on each other for a row either may remove). The settings hold to the end of the
# transaction: no JIT (from about 100,000 articles on the candidate query's cost passed
# jit_above_cost, and PostgreSQL compiled it on every check, 30-40 ms for an execution of about
# 1 ms), and no sequential scan (the planner cannot know that nearly every band key is unique,
# and guesses that an overlap of 128 keys matches half the table).
_PG_LOCK = text("""
    WITH pruned AS (
        DELETE FROM story_keys WHERE article_id IN (
            SELECT article_id FROM story_keys WHERE kept_at < :cutoff
            ORDER BY kept_at LIMIT :batch FOR UPDATE SKIP LOCKED))
    SELECT set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true),
           pg_advisory_xact_lock(:key)""").bindparams(_CUTOFF)
_SQLITE_PRUNE = text("""
    DELETE FROM story_keys WHERE article_id IN (
        SELECT article_id FROM story_keys WHERE kept_at < :cutoff
        ORDER BY kept_at LIMIT :batch * :bands)""").bindparams(_CUTOFF)  # a row per key


def _sig(record: ArticleRecord) -> Signature:
    assert record.signature is not None
    return Signature.from_bytes(record.signature)
