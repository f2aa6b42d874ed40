"""Failed sign-ins, for throttling guesses per account and per address; each account's session
epoch, raised to end its sessions; a version counter on hubs and the uploads held when it
shows that someone else saved first.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    for column in ("email", "address", "at"):
        op.create_index(f"ix_login_attempts_{column}", "login_attempts", [column])
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("hubs") as hubs:
        hubs.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "held_uploads",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("hub_id", sa.Integer(), sa.ForeignKey("hubs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("instance_yaml", sa.Text(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_held_uploads_hub_id", "held_uploads", ["hub_id"])


def downgrade() -> None:
    op.drop_index("ix_held_uploads_hub_id", "held_uploads")
    op.drop_table("held_uploads")
    with op.batch_alter_table("hubs") as hubs:
        hubs.drop_column("version")
    with op.batch_alter_table("users") as users:
        users.drop_column("session_epoch")
    for column in ("email", "address", "at"):
        op.drop_index(f"ix_login_attempts_{column}", "login_attempts")
    op.drop_table("login_attempts")
