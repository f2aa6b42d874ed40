"""What every rule is: a class that posts, checks, says and relaxes one rule of DOMAIN.md."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from models.units import Range, range_text
from scheduler.core.model import Label
from scheduler.core.problem import KIND_LABEL, Activity, PinSpec, Problem, WorkGroupSpec

if TYPE_CHECKING:  # pragma: no cover
    from scheduler.core.checked import Checked
    from scheduler.core.model import Builder
    from scheduler.core.relax import Relaxation


@dataclass(frozen=True, order=True)
class Violation:
    """Where a plan breaks a rule. `about` says what it is about, so that after a move only
    the violations about what the move touches need finding again (`Checked.focus`); and
    `sessions` names the sessions it concerns, for whoever shows it on them (the workspace)."""

    rule: str
    message: str
    work_group: str = ""
    about: tuple[str, str] = field(default=("", ""), compare=False)  # (ABOUT kind, id)
    sessions: tuple[str, ...] = field(default=(), compare=False)  # their ids

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


# What a violation can be about: one session's own placement (R1–R3's reasons, R4's
# lengths, R5's shape), a Work Group's sessions together, a person's, a venue's in one
# slot, or the visits to one school. A move touches the session, its Work Group, its
# attendees, its venue and the school it visits; nothing else.
ABOUT = ("session", "wg", "person", "venue", "school")


def ids(sessions) -> tuple[str, ...]:
    """The ids of these sessions, in plan order."""
    return tuple(s.id for s in sorted(sessions))


@functools.lru_cache(maxsize=4096)  # a few hundred school days, asked for per candidate
def iso_week(day: dt.date) -> tuple[int, int]:
    y, w, _ = day.isocalendar()
    return (y, w)


class Rule:
    """One hard rule. `add` posts it to the model, every constraint inside
    `b.about(rule, sessions, subject)`; `check` finds where a finished plan breaks it; `describe` and
    `relaxations` say one of its labels in the user's words and what might lift it."""

    id = ""
    title = ""
    # Which other sessions bear on a violation this rule finds about a session: only those
    # of its Work Group ('group'), those of its people, venue and visited school in the same
    # ISO week too ('week': a half-day, a day, a week), or in the whole year ('year'). The
    # workspace's panel checks each date of a session against just those.
    reach = "year"

    def add(self, b: Builder) -> None:
        """Post the rule to the model."""

    def check(self, c: Checked) -> Iterator[Violation]:
        """Yield each place a plan breaks the rule."""
        return iter(())

    def describe(self, label: Label, p: Problem) -> str:
        """The label in the user's words: what must hold, for whom."""
        return self.title

    def relaxations(self, label: Label, p: Problem) -> list[Relaxation]:
        """Changes to this rule's own numbers that might lift the label, most likely first."""
        return []

    def people(self, label: Label, p: Problem) -> list[str]:
        """Whose release days bear on the label: its person and everyone at its activity."""
        act = activity(p, label.act)
        return ([label.person] if label.person else []) + (list(act.attendees) if act else [])


# -- the words a label's subject is said in ----------------------------------------------


def activity(p: Problem, key: str | None) -> Activity | None:
    return next((a for a in p.activities if a.key == key), None) if key else None


def wg_names(label: Label) -> str:
    return ", ".join(label.wgs) or "the Work Groups"  # a constraint may name no session


def only_wg(label: Label, p: Problem) -> WorkGroupSpec | None:
    return p.work_groups[label.wgs[0]] if len(label.wgs) == 1 else None


def params(label: Label, p: Problem) -> dict[str, Range]:
    wg = only_wg(label, p)
    return wg.params if wg else {}


def stream_name(label: Label, p: Problem) -> str | None:
    """'sec-dev-1 visit to Oakfield School'."""
    act = activity(p, label.act)
    return act.label(p) if act else None


def who(label: Label, p: Problem) -> str | None:
    return p.people[label.person].name if label.person else None


def when(label: Label) -> str:
    return f" in the {label.term} term" if label.term else ""


SLOT_WORDS = {"am": "am", "pm": "pm", "day": "all day"}


def event_name(p: Problem, act: Activity) -> str:
    """ "smp-kim-lowe's central event 'Regional central event' on 2027-02-03, all day, at
    Durham Conference Centre": the event, its date, slot and place."""
    where = "online" if act.online else f"at {p.schools[act.venue].name}"
    return f"{act.wg}'s central event '{act.what}' on {min(act.dates)}, {SLOT_WORDS[act.slots[0]]}, {where}"


def pin_name(p: Problem, pin: PinSpec) -> str:
    """ "pinned[2] (sd-tyneside group meeting on 2026-11-05 am)": the pin, its session, date and slot."""
    to = f" to {p.schools[pin.school].name}" if pin.school and pin.school in p.schools else ""
    return f"pinned[{pin.index}] ({pin.wg} {KIND_LABEL.get(pin.kind, pin.kind)}{to} on {pin.date} {pin.slot})"


def range_or_unknown(rng: Range | None) -> str:
    return range_text(rng) if rng else "?"
