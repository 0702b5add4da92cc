"""an archive of millions: compact band keys, a stored search vector, indices for read paths

Revision ID: 0006_scale_indexes
Revises: 0005_worker_liveness

The band index moves from ~150 rows per article (part, bytea key, id: ~19 KB an article with
its two indices) to one row per article holding 32-bit keys: an int4[] under a GIN index on
PostgreSQL, one (key, article) row per band on SQLite. The signature scheme changes with it
(shared/minhash.py, numpy instead of a sha1 per shingle), so stored signatures are made again
from the articles' texts. bench/scale/RESULTS.md has the figures behind each index.
"""

import sqlalchemy as sa
from alembic import op

from shared.minhash import band_keys, sign

revision = "0006_scale_indexes"
down_revision = "0005_worker_liveness"
branch_labels = None
depends_on = None

PG_DOCUMENT = "to_tsvector('english', coalesce(title, '') || ' ' || text)"
_BATCH = 500


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE TABLE article_keys (article_id integer PRIMARY KEY "
                   "REFERENCES articles (id) ON DELETE CASCADE, keys integer[] NOT NULL)")
        # fastupdate off: a pending list makes every check scan it and, when it fills, one
        # unlucky store pays for merging it (seen as the p99).
        op.execute("CREATE INDEX ix_article_keys_keys ON article_keys USING GIN (keys) "
                   "WITH (fastupdate = off)")
        # Ranking reads the document of every match: stored, it is not parsed again per query.
        op.execute("DROP INDEX IF EXISTS ix_articles_fts")
        op.execute(f"ALTER TABLE articles ADD COLUMN search_vector tsvector "
                   f"GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED")
        op.execute("CREATE INDEX ix_articles_search ON articles USING GIN (search_vector)")
    else:
        op.create_table(
            "article_keys",
            sa.Column("band_key", sa.Integer(), nullable=False),
            sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
            sa.PrimaryKeyConstraint("band_key", "article_id"),
        )
        op.create_index("ix_article_keys_article_id", "article_keys", ["article_id"])
    _resign(postgres)
    op.drop_index("ix_article_bands_article_id", "article_bands")
    op.drop_table("article_bands")
    _read_path_indices()


def _read_path_indices() -> None:
    # Export and show by source and date; the source-only index is its prefix.
    op.drop_index("ix_articles_source", "articles")
    op.create_index("ix_articles_source_published", "articles", ["source", "published_at"])
    # status: articles stored in the last day, per source.
    op.create_index("ix_articles_created_at", "articles", ["created_at"])
    # status: each source's last job, one index probe per source.
    op.create_index("ix_jobs_source_created", "jobs", ["source", "created_at"])
    op.drop_index("ix_jobs_source", "jobs")
    # The store re-points a group of copies (`duplicate_of IN (...)`): without an index, a read
    # of every article; partial, it holds only the copies.
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"],
                    postgresql_where=sa.text("duplicate_of IS NOT NULL"),
                    sqlite_where=sa.text("duplicate_of IS NOT NULL"))
    # replay --since: the kept pages of a time range, not all of them.
    op.create_index("ix_raw_pages_fetched_at", "raw_pages", ["fetched_at"])


def _resign(postgres: bool) -> None:
    """Make every stored signature again with the new scheme, and index its band keys."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, text FROM articles WHERE id > :last AND signature IS NOT NULL "
            "ORDER BY id LIMIT :batch"), {"last": last, "batch": _BATCH}).all()
        if not rows:
            return
        for article_id, body in rows:
            near, story = sign(body)
            signature = bytes(near.astype("<u4").tobytes() + story.astype("<u4").tobytes())
            bind.execute(sa.text("UPDATE articles SET signature = :sig WHERE id = :id"),
                         {"sig": signature, "id": article_id})
            keys = band_keys(near, story)
            if postgres:
                bind.execute(sa.text("INSERT INTO article_keys (article_id, keys) "
                                     "VALUES (:id, :keys)"), {"id": article_id, "keys": keys})
            else:
                bind.execute(sa.text("INSERT INTO article_keys (band_key, article_id) "
                                     "VALUES (:key, :id)"),
                             [{"key": key, "id": article_id} for key in keys])
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_raw_pages_fetched_at", "raw_pages")
    op.drop_index("ix_articles_duplicate_of", "articles")
    op.create_index("ix_jobs_source", "jobs", ["source"])
    op.drop_index("ix_jobs_source_created", "jobs")
    op.drop_index("ix_articles_created_at", "articles")
    op.drop_index("ix_articles_source_published", "articles")
    op.create_index("ix_articles_source", "articles", ["source"])
    # The old band rows cannot be made from the new signatures: they are cleared, and the
    # duplicate check of the older code starts from an empty index.
    op.execute("UPDATE articles SET signature = NULL")
    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.LargeBinary(), nullable=False),
        sa.Column("part", sa.String(8), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.PrimaryKeyConstraint("part", "band_key", "article_id"),
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_articles_search")
        op.execute("ALTER TABLE articles DROP COLUMN search_vector")
        op.execute(f"CREATE INDEX ix_articles_fts ON articles USING GIN ({PG_DOCUMENT})")
    else:
        op.drop_index("ix_article_keys_article_id", "article_keys")
    op.drop_table("article_keys")
