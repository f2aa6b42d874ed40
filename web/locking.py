"""No lost update: of two people changing the same hub at once, the second is told.

A page that changes a hub carries the hub's `version` counter as it was when the page was
drawn (`hub_version`). Saving claims the hub: if the counter moved since, or moves while the
save runs (SQLAlchemy's version check: `UPDATE hubs … WHERE version = seen`, which waits
for the other transaction on both databases and then matches nothing), the save stops
with `Conflict`, which says who saved before, what, and when. Nothing of the second
person's work is dropped: an upload is held (`HeldUpload`), shown against the newer
version, and saved on top with one click, or discarded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from web.db import utcnow
from web.tables import HeldUpload, Hub, HubVersion, User

HELD_FOR = dt.timedelta(days=7)  # a held upload nobody came back for is dropped after this


class Conflict(Exception):
    """Someone else changed the hub after `seen`: who, when and what, in words."""

    def __init__(self, who: str, when: dt.datetime | None, what: str):
        self.who, self.when, self.what = who, when, what
        super().__init__(self.message)

    @property
    def message(self) -> str:
        at = f" at {self.when:%H:%M:%S} UTC on {self.when:%d %b %Y}" if self.when else ""
        return f"{self.who} {self.what}{at}, after you opened this page."


@dataclass(frozen=True)
class Seen:
    """The hub's version counter as the person's page showed it (None: not known, not checked)."""

    version: int | None

    @classmethod
    def of(cls, text: str | None) -> Seen:
        return cls(int(text) if text and text.isdigit() else None)


UNCHECKED = Seen(None)


def claim(db: Session, hub: Hub, seen: Seen) -> None:
    """Take the hub for a change in this transaction, or raise Conflict. Ends with the hub's
    row updated (its counter raised), which holds it until the transaction ends."""
    if seen.version is not None and hub.version != seen.version:
        raise last_change(db, hub)
    flag_modified(hub, "name")  # a change to flush: the UPDATE that raises the counter
    try:
        db.flush()
    except StaleDataError:
        db.rollback()
        raise last_change(db, db.get(Hub, hub.id, populate_existing=True)) from None


def latest_version(db: Session, hub: Hub) -> HubVersion | None:
    """The hub's newest version: what a change is made on top of."""
    return db.scalar(
        select(HubVersion).where(HubVersion.hub_id == hub.id).order_by(HubVersion.number.desc()).limit(1)
    )


def last_change(db: Session, hub: Hub) -> Conflict:
    """Who made the hub's newest version, and when."""
    version = latest_version(db, hub)
    if version is None:
        return Conflict("Someone", None, "changed this hub")
    author = db.get(User, version.uploaded_by) if version.uploaded_by else None
    return Conflict(
        author.email if author else "Someone",
        version.created_at,
        f"saved version {version.number} of this hub (from {version.source_name})",
    )


def hold(db: Session, hub: Hub, user: User, source_name: str, instance_yaml: str, seen: Seen) -> HeldUpload:
    """Keep an upload that lost the race, for its uploader to save on top or discard."""
    now = utcnow()
    db.execute(delete(HeldUpload).where(HeldUpload.created_at < now - HELD_FOR))
    held = HeldUpload(
        hub_id=hub.id,
        user_id=user.id,
        source_name=source_name[:255],
        instance_yaml=instance_yaml,
        seen=seen.version or 0,
        created_at=now,
    )
    db.add(held)
    db.flush()
    return held


def held_upload(db: Session, hub: Hub, user: User, held_id: int) -> HeldUpload | None:
    """A held upload of this hub, for the person who uploaded it (no one else sees it)."""
    held = db.get(HeldUpload, held_id)
    return held if held is not None and held.hub_id == hub.id and held.user_id == user.id else None
