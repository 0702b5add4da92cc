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

from sqlalchemy import Boolean, DateTime, Integer, bindparam, select, text, update
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
    SELECT article_id, bool_or(near) AS near, bool_or(NOT near) AS story FROM (
        SELECT article_id, true AS near FROM article_keys
        WHERE keys && CAST(:near AS integer[]) AND article_id <> :article_id
        UNION ALL
        SELECT article_id, false FROM (
            SELECT article_id, kept_at FROM story_keys
            WHERE keys && CAST(:story AS integer[]) AND article_id <> :article_id
            OFFSET 0) AS story
        WHERE kept_at BETWEEN :since AND :until) AS found
    GROUP BY article_id
""").bindparams(bindparam("since", type_=DateTime(timezone=True)),
                bindparam("until", type_=DateTime(timezone=True))
                ).columns(article_id=Integer, near=Boolean, story=Boolean)
# SQLite: the key lists as JSON arrays, so the statement's text is the same on every check
# (compiled and prepared once, not per article) and its keys are a few parameters, not 150.
_SQLITE_KEY_MATCHES = text("""
    SELECT article_id, max(near) AS near, max(story) AS story FROM (
        SELECT article_id, 1 AS near, 0 AS story FROM article_keys
        WHERE band_key IN (SELECT value FROM json_each(:near)) AND article_id <> :article_id
        UNION ALL
        SELECT article_id, 0, 1 FROM story_keys
        WHERE band_key IN (SELECT value FROM json_each(:story)) AND article_id <> :article_id
          AND kept_at BETWEEN :since AND :until)
    GROUP BY article_id""").bindparams(bindparam("since", type_=DateTime(timezone=True)),
                                       bindparam("until", type_=DateTime(timezone=True))
                                       ).columns(article_id=Integer, near=Boolean, story=Boolean)


def _candidates(session: Session, article_id: int, keys: dict[str, list[int]],
                window: tuple[datetime, datetime]) -> dict[str, list[ArticleRecord]]:
    """The articles sharing a band key with the new one, per part, in one round trip."""
    since, until = window
    if session.get_bind().dialect.name == "postgresql":
        matches = _PG_KEY_MATCHES.bindparams(near=keys["near"], story=keys["story"],
                                             article_id=article_id, since=since, until=until)
    else:
        matches = _SQLITE_KEY_MATCHES.bindparams(
            near=json.dumps(keys["near"]), story=json.dumps(keys["story"]),
            article_id=article_id, since=since, until=until)
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
