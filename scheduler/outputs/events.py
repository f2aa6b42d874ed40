"""Central events as the calendars and the report show them: in their own words, at their place.

A plan's session of a central event names its Work Group, date, slot and venue; what the
event is and whether it is online are the instance's (the Work Group's `central_events`).
One event serves the whole cohort and the programme runs it, so it is shown as what it
is (`what`) and where (the venue's name, or "Online"), never as a session of one Work Group
led by its trainee.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from models.instance import CentralEvent, Instance
from scheduler.core.plan import Session

ONLINE = "Online"


@dataclass(frozen=True)
class CentralEvents:
    """Each central event of an instance by (Work Group, date, slot), and every place's name."""

    events: dict[tuple[str, dt.date, str], CentralEvent]
    places: dict[str, str]  # school or venue id -> its name

    @classmethod
    def of(cls, inst: Instance) -> CentralEvents:
        return cls(
            events={(w.id, e.date, e.slot): e for w in inst.work_groups for e in w.central_events},
            places={p.id: p.name for p in (*inst.schools, *inst.venues)},
        )

    def event(self, s: Session) -> CentralEvent | None:
        """The central event a session is, or None (another kind, or one the instance lacks)."""
        return self.events.get((s.work_group, s.date, s.slot)) if s.kind == "central" else None

    def where(self, event: CentralEvent) -> str:
        """The venue's name, or "Online"."""
        return ONLINE if event.venue is None else self.places.get(event.venue, event.venue)

    def repeats(self, sessions: Iterable[Session]) -> set[Session]:
        """The sessions of a central event after its first, in the order given: the same event
        again for another trainee, which its venue hosts once and shows once. The same event
        is the same date, slot, venue and `what`."""
        seen: set[tuple] = set()
        out: set[Session] = set()
        for s in sessions:
            event = self.event(s)
            if event is None or event.venue is None:
                continue
            key = (s.date, s.slot, event.venue, event.what)
            if key in seen:
                out.add(s)
            seen.add(key)
        return out
