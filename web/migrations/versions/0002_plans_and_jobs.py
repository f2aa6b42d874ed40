"""Planning jobs, plans with a state and a version counter, and every file of a plan.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hub_id", sa.Integer(), sa.ForeignKey("hubs.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "version_id", sa.Integer(), sa.ForeignKey("hub_versions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("previous_plan_id", sa.Integer()),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pid", sa.Integer()),
        sa.Column("progress_json", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("plan_id", sa.Integer()),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
    )
    op.create_index("ix_jobs_hub_id", "jobs", ["hub_id"])
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hub_id", sa.Integer(), sa.ForeignKey("hubs.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "version_id", sa.Integer(), sa.ForeignKey("hub_versions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("job_id", sa.Integer()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("explanation", sa.Text()),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_plans_hub_id", "plans", ["hub_id"])
    op.create_table(
        "plan_files",
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("path", sa.String(300), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("expires", sa.Date()),
    )


def downgrade() -> None:
    op.drop_table("plan_files")
    op.drop_index("ix_plans_hub_id", "plans")
    op.drop_table("plans")
    op.drop_index("ix_jobs_hub_id", "jobs")
    op.drop_table("jobs")
