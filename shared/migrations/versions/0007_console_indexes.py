"""indexes for the console and the API: an article's copies and story, dates, kinds

Revision ID: 0007_console_indexes
Revises: 0006_scale_indexes

`copydesk serve` looks up an article's copies (duplicate_of) and story (cluster_id) on every
article page, filters listings by publication date and page kind, and shows status, which counts
each source's articles of the last day. Without these indexes each of those reads every article
(bench/serve, a million articles on PostgreSQL: 0.93 s for the copies, 0.85 s for the story).
The copies (`duplicate_of`, partial) and the last day's articles (`created_at`) are indexed by
0006 already.
"""

from alembic import op

revision = "0007_console_indexes"
down_revision = "0006_scale_indexes"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_articles_cluster_id": ["cluster_id"],
    "ix_articles_published_at": ["published_at"],
    # A listing of one kind, newest first, walks this index backwards and stops at a page.
    "ix_articles_page_kind_id": ["page_kind", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "articles", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, "articles")
