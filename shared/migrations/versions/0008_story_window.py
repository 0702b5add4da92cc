"""the story part's band keys in their own table, kept for a window of time

Revision ID: 0008_story_window
Revises: 0007_console_indexes

`article_keys` held all 153 band keys of every article: 6.2 KB an article at 100,000, 5/6 of
it the story part's 128 keys. Rewrites of a story come within days of each other, so those
keys move to `story_keys`, with the article's fetch time, and are kept only for the articles
fetched within STORY_WINDOW (shared/minhash.py) of the newest; the store removes expired ones
as it goes (services/store/duplicates.py). `article_keys` keeps the near part's 25 keys, which
find copies at any age. Keys are made again from the stored signatures, not from the texts.
"""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

from shared.minhash import NUM_PERM, part_keys

revision = "0008_story_window"
down_revision = "0007_console_indexes"
branch_labels = None
depends_on = None

WINDOW = timedelta(days=30)  # STORY_WINDOW when this migration was written
_BATCH = 1000
_TIME = sa.DateTime(timezone=True)
_KEPT_AT = sa.bindparam("kept_at", type_=_TIME)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE TABLE story_keys (article_id integer PRIMARY KEY "
                   "REFERENCES articles (id) ON DELETE CASCADE, "
                   "kept_at timestamp with time zone NOT NULL, keys integer[] NOT NULL)")
        # fastupdate off, as article_keys' (migration 0006).
        op.execute("CREATE INDEX ix_story_keys_keys ON story_keys USING GIN (keys) "
                   "WITH (fastupdate = off)")
    else:
        op.create_table(
            "story_keys",
            sa.Column("band_key", sa.Integer(), nullable=False),
            sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
            sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("band_key", "article_id"),
        )
        op.create_index("ix_story_keys_article_id", "story_keys", ["article_id"])
    # The store's pruning: the oldest expired articles first.
    op.create_index("ix_story_keys_kept_at", "story_keys", ["kept_at"])
    _rewrite_near_keys(postgres, _split_keys)


def _rewrite_near_keys(postgres: bool, rewrite: Callable[[bool], None]) -> None:
    """Rewrite article_keys with its GIN index dropped and built again after: each row's
    update would otherwise add its keys to the index beside the old ones, which stay (and
    keep their pages) until a REINDEX, and a bulk build is faster than a million updates."""
    if postgres:
        op.execute("DROP INDEX ix_article_keys_keys")
    rewrite(postgres)
    if postgres:
        op.execute("CREATE INDEX ix_article_keys_keys ON article_keys USING GIN (keys) "
                   "WITH (fastupdate = off)")


def _split_keys(postgres: bool) -> None:
    """article_keys: the near keys only; story_keys: the story keys of the recent window."""
    bind = op.get_bind()
    newest = bind.execute(sa.text(
        "SELECT max(fetched_at) AS newest FROM articles WHERE signature IS NOT NULL"
    ).columns(newest=_TIME)).scalar()
    if newest is None:
        return
    cutoff = newest - WINDOW
    if not postgres:
        bind.execute(sa.text("DELETE FROM article_keys"))
    for batch in _keyed_batches():
        near_rows: list[dict[str, Any]] = [{"id": article_id, "keys": keys["near"]}
                                           for article_id, keys, _ in batch]
        story_rows: list[dict[str, Any]] = [
            {"id": article_id, "kept_at": fetched_at, "keys": keys["story"]}
            for article_id, keys, fetched_at in batch
            if _naive(fetched_at) >= _naive(cutoff)]
        if postgres:
            bind.execute(sa.text("UPDATE article_keys SET keys = :keys WHERE article_id = :id"),
                         near_rows)
            if story_rows:
                bind.execute(sa.text("INSERT INTO story_keys (article_id, kept_at, keys) "
                                     "VALUES (:id, :kept_at, :keys)").bindparams(_KEPT_AT),
                             story_rows)
        else:
            bind.execute(sa.text("INSERT INTO article_keys (band_key, article_id) "
                                 "VALUES (:key, :id)"),
                         [{"key": key, "id": row["id"]} for row in near_rows
                          for key in row["keys"]])
            story = [{"key": key, "id": row["id"], "kept_at": row["kept_at"]}
                     for row in story_rows for key in row["keys"]]
            if story:
                bind.execute(sa.text("INSERT INTO story_keys (band_key, article_id, kept_at) "
                                     "VALUES (:key, :id, :kept_at)").bindparams(_KEPT_AT), story)


def _keyed_batches() -> Iterator[list[tuple[int, dict[str, list[int]], datetime]]]:
    """Every signed article's (id, band keys by part, fetch time), a batch at a time, the keys
    made again from its stored signature."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, signature, fetched_at FROM articles WHERE id > :last "
            "AND signature IS NOT NULL ORDER BY id LIMIT :batch").columns(fetched_at=_TIME),
            {"last": last, "batch": _BATCH}).all()
        if not rows:
            return
        yield [(article_id, _part_keys(signature), fetched_at)
               for article_id, signature, fetched_at in rows]
        last = rows[-1][0]


def _part_keys(signature: bytes) -> dict[str, list[int]]:
    values = np.frombuffer(signature, dtype="<u4").astype(np.uint32)
    return part_keys(values[:NUM_PERM], values[NUM_PERM:])


def _naive(value: datetime) -> datetime:
    """SQLite hands back naive UTC times and PostgreSQL aware ones: compare them alike."""
    return value.replace(tzinfo=None) if value.tzinfo else value


def downgrade() -> None:
    """Every article's keys of both parts in article_keys again, as 0006 kept them."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_story_keys_kept_at", "story_keys")
    if postgres:
        op.execute("DROP TABLE story_keys")
    else:
        op.drop_index("ix_story_keys_article_id", "story_keys")
        op.drop_table("story_keys")
    _rewrite_near_keys(postgres, _join_keys)


def _join_keys(postgres: bool) -> None:
    """article_keys: both parts' keys of every article, from its signature."""
    bind = op.get_bind()
    if not postgres:
        bind.execute(sa.text("DELETE FROM article_keys"))
    for batch in _keyed_batches():
        for article_id, keys, _ in batch:
            everything = sorted({*keys["near"], *keys["story"]})
            if postgres:
                bind.execute(sa.text("UPDATE article_keys SET keys = :keys "
                                     "WHERE article_id = :id"),
                             {"id": article_id, "keys": everything})
            else:
                bind.execute(sa.text("INSERT INTO article_keys (band_key, article_id) "
                                     "VALUES (:key, :id)"),
                             [{"key": key, "id": article_id} for key in everything])
