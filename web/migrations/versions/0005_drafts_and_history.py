"""Drafts say what they are, what they came from and who made them; the history of plans.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:  # SQLite alters a table by copying it
        batch.add_column(sa.Column("label", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("based_on_id", sa.Integer()))
        batch.add_column(
            sa.Column(
                "created_by",
                sa.Integer(),
                sa.ForeignKey("users.id", name="fk_plans_created_by", ondelete="SET NULL"),
            )
        )
    op.create_table(
        "plan_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hub_id", sa.Integer(), sa.ForeignKey("hubs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer()),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("changes_json", sa.Text(), nullable=False),
        sa.Column("notified_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_plan_events_hub_id", "plan_events", ["hub_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_events_hub_id", "plan_events")
    op.drop_table("plan_events")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("created_by")
        batch.drop_column("based_on_id")
        batch.drop_column("label")
