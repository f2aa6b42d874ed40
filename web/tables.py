"""The workspace's schema as SQLAlchemy 2 typed models. Alembic's migrations create it;
`tests/web/test_migrations.py` checks that they and these models agree.

A hub's data comes in versions (every upload a new row, never changed after); a plan is a
row with a state (`current`, `draft`, `superseded`) and a `version` counter that SQLAlchemy
checks on every update (optimistic locking); a planning job is a row with a state.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("viewer", "coordinator")  # in rising order: a coordinator may do all a viewer may
PLAN_STATES = ("current", "draft", "superseded")
JOB_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
JOB_ENDED = ("done", "failed", "cancelled", "interrupted")
FEED_KINDS = ("specialists", "teachers", "schools", "work-groups")  # as the calendars/ folders


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Server-wide values kept across restarts (the key that signs session cookies)."""

    __tablename__ = "server_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # False while the password is the one generated at first start: not for a public address.
    password_chosen: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Raised to end every session of the account (signing out, a new password): `web.auth`.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class Hub(Base):
    """A hub. `version` counts the changes to its data (each a new HubVersion) and is checked
    on every one, so that of two people saving at once the second is told (`web.locking`)."""

    __tablename__ = "hubs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class Role(Base):
    """A user's role in one hub: `viewer` reads it, `coordinator` changes it."""

    __tablename__ = "roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


class HubVersion(Base):
    """One upload of a hub, valid as stored: the instance as YAML and what changed from the last."""

    __tablename__ = "hub_versions"
    __table_args__ = (UniqueConstraint("hub_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(255))
    instance_yaml: Mapped[str] = mapped_column(Text)
    changes_json: Mapped[str] = mapped_column(Text, default="[]")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class HeldUpload(Base):
    """An upload that lost a race: valid, but the hub changed after its uploader opened the
    page. Kept for them, to look at against the newer version and save on top, or discard."""

    __tablename__ = "held_uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    source_name: Mapped[str] = mapped_column(String(255))
    instance_yaml: Mapped[str] = mapped_column(Text)
    seen: Mapped[int] = mapped_column(Integer)  # the hub's version when its uploader opened the page
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Job(Base):
    """A run of the planner in a worker process; the server alone writes its row."""

    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("hub_versions.id", ondelete="CASCADE"))
    previous_plan_id: Mapped[int | None] = mapped_column(Integer)  # the plan it re-plans against
    kind: Mapped[str] = mapped_column(String(16), default="plan")
    state: Mapped[str] = mapped_column(String(16), default="queued")
    pid: Mapped[int | None] = mapped_column(Integer)
    progress_json: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    plan_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PlanRow(Base):
    """A plan of one version of a hub. Exactly one `current` plan per hub is what people see
    and what the feeds serve; `draft` plans (an infeasible result, or one overtaken by another
    run) wait for a person; `superseded` ones are history."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("hub_versions.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # as plan.json: optimal | feasible | infeasible
    plan_json: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")  # re-planning: kept/moved/added/cancelled
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # What a draft is, in words ('moved by hand', 'repair 1 of 3 …'), the plan it was made
    # from, and who made it (`web.drafts`).
    label: Mapped[str] = mapped_column(String(300), default="")
    based_on_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    __mapper_args__ = {"version_id_col": version}


class PlanFile(Base):
    """Every file `hubplan solve` writes for a plan, rendered once: downloads and feeds are one
    lookup. A feed kept for someone taken out of the hub `expires` after their last session."""

    __tablename__ = "plan_files"
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    expires: Mapped[dt.date | None] = mapped_column(Date)


class LoginAttempt(Base):
    """A failed sign-in, kept for `web.throttle.WINDOW`: the count per account and per address
    that throttles guessing, shared by every server process and kept across restarts."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class FeedToken(Base):
    """A calendar subscription: the sha256 of a random token that names nobody."""

    __tablename__ = "feed_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # one of FEED_KINDS
    subject: Mapped[str] = mapped_column(String(64))  # the person's, school's or Work Group's id
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


EVENTS = ("applied", "restored")


class PlanEvent(Base):
    """The history of a hub's plans: who applied which draft (and what it changed), or restored
    which earlier plan as a draft, and when. An applied event keeps its changes (as
    `changes.csv` says them, with each session's people) for the messages to the people who
    moved, and what was sent to whom."""

    __tablename__ = "plan_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # one of EVENTS
    plan_id: Mapped[int] = mapped_column(Integer)  # the plan applied, or the draft a restore made
    other_id: Mapped[int | None] = mapped_column(Integer)  # the plan replaced, or the plan restored
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    changes_json: Mapped[str] = mapped_column(Text, default="[]")
    notified_json: Mapped[str] = mapped_column(Text, default="[]")  # messages sent: to whom, when
