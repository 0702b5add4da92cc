"""worker liveness: which worker holds a job's step, with which message, since when

Revision ID: 0005_worker_liveness
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_worker_liveness"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("worker", sa.String(200)))
    op.add_column("jobs", sa.Column("task_id", sa.String(64)))
    op.add_column("jobs", sa.Column("claimed_at", sa.DateTime(timezone=True)))
    op.add_column("jobs", sa.Column("superseded", sa.Text()))
    op.create_index("ix_jobs_open_worker", "jobs", ["status", "worker"])
    op.create_index("ix_jobs_task_id", "jobs", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_task_id", "jobs")
    op.drop_index("ix_jobs_open_worker", "jobs")
    for column in ("superseded", "claimed_at", "task_id", "worker"):
        op.drop_column("jobs", column)
