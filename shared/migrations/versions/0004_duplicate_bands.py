"""near-duplicate and story bands: LSH band keys of every article, indexed for look-up

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_bands",
        sa.Column("band_key", sa.LargeBinary(), nullable=False),
        sa.Column("part", sa.String(8), nullable=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.PrimaryKeyConstraint("part", "band_key", "article_id"),
    )
    op.create_index("ix_article_bands_article_id", "article_bands", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_article_bands_article_id", "article_bands")
    op.drop_table("article_bands")
