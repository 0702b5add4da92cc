"""the embedded mode's furniture counts, one row a site, kept between runs

Revision ID: 0009_furniture_sites
Revises: 0008_story_window

`copydesk run` learned a site's furniture only from the pages of the run at hand, so a
scheduled run of a few new articles learned next to nothing; the workers keep theirs in Redis.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_furniture_sites"
down_revision = "0008_story_window"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "furniture_sites",
        sa.Column("site", sa.String(300), primary_key=True),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("furniture_sites")
