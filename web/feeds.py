"""Calendar subscriptions: a URL per specialist, teacher, school and Work Group that
serves its iCal feed from the hub's current plan.

The URL holds a random token (`secrets.token_urlsafe(24)`: 192 bits) that names nobody;
only its sha256 is stored, so the coordinator sees a link once, when it is made or
renewed, and can revoke it (404 from then on). A feed is the very file `hubplan solve`
wrote for that subject, rendered once per plan: serving it is one lookup, and its ETag the
stored hash of its bytes. After a re-plan the files carry the same UIDs with SEQUENCE
raised and dropped sessions CANCELLED, as `hubplan solve --previous` writes them.

Someone taken out of the hub keeps, at their old URL, a feed of their remaining sessions
marked CANCELLED (so their calendar app removes them) until the last of those dates has
passed (`farewell_files`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from models.instance import Instance
from scheduler.core.plan import Plan
from scheduler.outputs.ics import calendar_files
from web.db import utcnow
from web.tables import FEED_KINDS, FeedToken, PlanFile, PlanRow

TOKEN_BYTES = 24


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(kind: str, subject: str) -> str:
    return f"calendars/{kind}/{subject}.ics"


def subjects(instance: Instance) -> dict[str, dict[str, str]]:
    """Every subject with a feed, by kind: id -> name."""
    return {
        "specialists": {p.id: p.name for p in instance.specialists},
        "teachers": {p.id: p.name for p in instance.teachers},
        "schools": {s.id: s.name for s in instance.schools},
        "work-groups": {w.id: w.name or w.id for w in instance.work_groups},
    }


def live_token(db: Session, hub_id: int, kind: str, subject: str) -> FeedToken | None:
    return db.scalar(
        select(FeedToken).where(
            FeedToken.hub_id == hub_id,
            FeedToken.kind == kind,
            FeedToken.subject == subject,
            FeedToken.revoked_at.is_(None),
        )
    )


def issue(db: Session, hub_id: int, kind: str, subject: str) -> str:
    """A new token for the subject's feed (an earlier one is revoked); shown once."""
    if kind not in FEED_KINDS:
        raise ValueError(f"no feeds of kind {kind!r}")
    revoke(db, hub_id, kind, subject)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.add(
        FeedToken(
            hub_id=hub_id, kind=kind, subject=subject, token_hash=token_hash(token), created_at=utcnow()
        )
    )
    db.flush()
    return token


def revoke(db: Session, hub_id: int, kind: str, subject: str) -> bool:
    old = live_token(db, hub_id, kind, subject)
    if old is None:
        return False
    old.revoked_at = utcnow()
    db.flush()
    return True


def lookup(db: Session, token: str, today: dt.date) -> tuple[bytes, str] | None:
    """The feed's bytes and ETag for a token: one query through token, current plan and file."""
    path = literal("calendars/") + FeedToken.kind + literal("/") + FeedToken.subject + literal(".ics")
    row = db.execute(
        select(PlanFile.content, PlanFile.etag, PlanFile.expires)
        .select_from(FeedToken)
        .join(PlanRow, (PlanRow.hub_id == FeedToken.hub_id) & (PlanRow.state == "current"))
        .join(PlanFile, (PlanFile.plan_id == PlanRow.id) & (PlanFile.path == path))
        .where(FeedToken.token_hash == token_hash(token), FeedToken.revoked_at.is_(None))
    ).first()
    if row is None or (row.expires is not None and row.expires < today):
        return None
    return row.content, row.etag


def farewell_files(
    db: Session, previous: PlanRow, old: tuple[Instance, Plan], new: Instance, today: dt.date
) -> dict[str, tuple[bytes, dt.date]]:
    """Feeds for subjects with a live token whom the new version no longer has: their
    sessions from `today` on, as the previous plan had them, marked CANCELLED with SEQUENCE
    raised; each expires after its last date. A farewell feed of the previous plan carries on.
    `old` is the previous plan's instance and plan; `new` the instance of the plan replacing it."""
    now = subjects(new)
    tokens = db.scalars(
        select(FeedToken).where(FeedToken.hub_id == previous.hub_id, FeedToken.revoked_at.is_(None))
    )
    gone = sorted({(t.kind, t.subject) for t in tokens if t.subject not in now.get(t.kind, {})})
    if not gone:
        return {}
    out: dict[str, tuple[bytes, dt.date]] = {}
    rendered: dict[str, bytes] | None = None
    old_instance, plan = old
    ahead = [s for s in plan.sessions if s.date >= today]
    for kind, subject in gone:
        path = feed_path(kind, subject)
        carried = db.get(PlanFile, (previous.id, path))
        if carried is not None and carried.expires is not None:
            if carried.expires >= today:
                out[path] = (carried.content, carried.expires)
            continue
        theirs = [s for s in ahead if _involves(s, kind, subject, old_instance)]
        if not theirs:
            continue
        if rendered is None:
            rendered = _cancelled_feeds(old_instance, plan, ahead, today)
        if path in rendered:
            out[path] = (rendered[path], max(s.date for s in theirs))
    return out


def _involves(s, kind: str, subject: str, instance: Instance) -> bool:
    if kind in ("specialists", "teachers"):
        return subject in s.attendees
    if kind == "work-groups":
        return s.work_group == subject
    school_of = {t.id: t.school for t in instance.teachers}
    return subject in (s.venue, s.school) or any(school_of.get(t) == subject for t in s.teachers)


def _cancelled_feeds(instance: Instance, plan: Plan, sessions: list, today: dt.date) -> dict[str, bytes]:
    """Every feed of `instance` with `sessions` as CANCELLED, SEQUENCE one up, stamped today."""
    gone = [dataclasses.replace(s, sequence=s.sequence + 1) for s in sessions]
    stamp = dt.datetime(today.year, today.month, today.day, tzinfo=dt.timezone.utc)
    empty = Plan(plan.instance, plan.status)
    return calendar_files(
        instance, empty, sequences={s.id: s.sequence for s in gone}, cancelled=gone, dtstamp=stamp
    )
