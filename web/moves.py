"""The plan editor's side of the server: reading a person's moves and pins, and saying what
the engine answers (`scheduler.services.moves`, `scheduler.services.fix`) in the page's terms.

The editor keeps the person's moves in the page until they save a draft: every request
sends them all, and the server makes them on the plan it has checked already (`web.drafts
.checked`), so only what they touch is checked again. Moves are refused, with one message
each, when they name no session of the plan, a date outside the session's window, a slot its
stream does not use, or the past: sessions before today stay where they are.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from models.instance import Instance
from scheduler.core.model import window_slots
from scheduler.core.plan import Session as Meeting
from scheduler.core.rules import Violation
from scheduler.outputs.report_markup import KINDS
from scheduler.services.moves import Choice, Draft, Move
from web.yearview import SLOT_TEXT, colour_classes

MAX_MOVES = 500  # far more than a person makes in one sitting; bounds the work of one request
SLOTS = ("am", "pm", "day")


class MoveError(ValueError):
    """A move or pin the editor cannot make, in words for the person."""


@dataclass(frozen=True)
class Edits:
    moves: list[Move]
    pins: list[str]  # session ids held where they are

    @property
    def held(self) -> set[str]:
        """The sessions the person placed: moved or pinned."""
        return {m.session for m in self.moves} | set(self.pins)


def read_edits(draft: Draft, moves_text: str, pins_text: str, today: dt.date) -> Edits:
    """The moves (`[[id, date, slot], …]`) and pins (`[id, …]`) the page sent, as JSON text."""
    try:
        raw_moves = json.loads(moves_text or "[]")
        raw_pins = json.loads(pins_text or "[]")
    except json.JSONDecodeError:
        raise MoveError("the page sent moves that are not JSON; reload it") from None
    if not isinstance(raw_moves, list) or not isinstance(raw_pins, list):
        raise MoveError("the page sent moves that are not a list; reload it")
    if len(raw_moves) > MAX_MOVES or len(raw_pins) > MAX_MOVES:
        raise MoveError(f"at most {MAX_MOVES} moves and pins at once; save a draft and go on from it")
    moves = [_move(draft, m, today) for m in raw_moves]
    pins = []
    for sid in raw_pins:
        if not isinstance(sid, str) or sid not in draft.sessions:
            raise MoveError(f"pin {str(sid)[:80]!r}: the plan has no such session")
        pins.append(sid)
    return Edits(moves, pins)


def _move(draft: Draft, m: object, today: dt.date) -> Move:
    if not (isinstance(m, list) and len(m) == 3 and all(isinstance(x, str) for x in m)):
        raise MoveError("each move is [session id, YYYY-MM-DD, am|pm|day]")
    sid, day_text, slot = m
    s = draft.sessions.get(sid)
    if s is None:
        raise MoveError(f"move of {sid[:80]!r}: the plan has no such session")
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        raise MoveError(f"move of {sid}: {day_text[:20]!r} is not a date; write YYYY-MM-DD") from None
    if slot not in SLOTS:
        raise MoveError(f"move of {sid}: {slot[:10]!r} is not am, pm or day")
    if s.date < today or day < today:
        raise MoveError(f"move of {sid}: sessions before today ({today}) stay where they are")
    act = draft.activity(s)
    if slot not in act.slots:
        raise MoveError(f"move of {sid}: these sessions are {' or '.join(act.slots)}, not {slot}")
    if (day, slot) not in set(window_slots(draft.problem, act)):
        wg = draft.problem.work_groups[s.work_group]
        raise MoveError(f"move of {sid}: {day} is not a weekday of {wg.id}'s window {wg.start}..{wg.end}")
    return Move(sid, day, slot)


# -- what the page shows -----------------------------------------------------------------------


def names(instance: Instance) -> dict[str, str]:
    out = {
        x.id: x.name for x in [*instance.schools, *instance.specialists, *instance.teachers, *instance.venues]
    }
    return out | {w.id: w.name or w.id for w in instance.work_groups}


def session_json(s: Meeting, instance: Instance, past: bool) -> dict:
    n = names(instance)
    letter, what = KINDS.get(s.kind, (s.kind[:1].upper(), s.kind))
    where = n.get(s.school or s.venue, s.school or s.venue)
    return {
        "id": s.id,
        "wg": s.work_group,
        "date": s.date.isoformat(),
        "slot": s.slot,
        "letter": letter,
        "what": what,
        "short": f"{letter} {where}",
        "title": f"{n.get(s.work_group, s.work_group)}: {what} at {where}, {when(s.date, s.slot)}",
        "colour": colour_classes(instance).get(s.work_group, "wx"),
        "past": past,
    }


def when(day: dt.date, slot: str) -> str:
    return f"{day:%a %d %b %Y} {SLOT_TEXT.get(slot, slot)}"


def violation_json(v: Violation) -> dict:
    return {"rule": v.rule, "message": v.message, "sessions": list(v.sessions)}


def check_json(draft: Draft) -> dict:
    return {"violations": [violation_json(v) for v in draft.violations], "count": len(draft.violations)}


def choice_json(c: Choice, today: dt.date) -> dict:
    past = c.date < today
    return {
        "date": c.date.isoformat(),
        "slot": c.slot,
        "when": when(c.date, c.slot),
        "allowed": c.allowed and not past,
        "current": c.current,
        "past": past,
        "reasons": [[rule, why] for rule, why in c.reasons],
        "cost": c.cost,
        "weighted": c.weighted,
    }


def where_json(draft: Draft, instance: Instance, session: str, today: dt.date) -> dict:
    """The panel: where else the session could go, and what it breaks where it is."""
    s = draft.sessions.get(session)
    if s is None:
        raise MoveError(f"the plan has no session {session[:80]!r}")
    return {
        "session": session_json(s, instance, s.date < today),
        "choices": [choice_json(c, today) for c in draft.where_else(session)],
        "violations": [violation_json(v) for v in draft.violations if s.id in v.sessions],
    }


@dataclass
class Row:
    """A weekday of the Work Group's window in the editor's table, with its sessions by slot."""

    date: dt.date
    past: bool
    cells: dict[str, list[dict]]


def rows(draft: Draft, instance: Instance, wg: str, today: dt.date) -> tuple[list[str], list[Row]]:
    """The slots the Work Group's streams use, and a row per weekday of its window."""
    spec = draft.problem.work_groups[wg]
    slots = [s for s in SLOTS if any(s in a.slots for a in spec.activities)]
    days = {d for a in spec.activities for d, _ in window_slots(draft.problem, a)}
    found: dict[tuple[dt.date, str], list[dict]] = {}
    for s in draft.sessions.values():
        if s.work_group == wg:
            found.setdefault((s.date, s.slot), []).append(session_json(s, instance, s.date < today))
            days.add(s.date)  # a session where its window no longer reaches: shown all the same
    return slots, [
        Row(d, d < today, {slot: found.get((d, slot), []) for slot in slots}) for d in sorted(days)
    ]
