"""adaptive revisits of live blogs: when to look again, and how often

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("next_visit_at", sa.DateTime(timezone=True)))
    op.add_column("articles", sa.Column("visit_interval", sa.Integer()))
    op.create_index("ix_articles_next_visit_at", "articles", ["next_visit_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_next_visit_at", "articles")
    op.drop_column("articles", "visit_interval")
    op.drop_column("articles", "next_visit_at")
