"""The CP-SAT model's parts: candidates, variables, and constraints labelled by what they are about.

`x[activity, date, slot]` exists only where R1–R3 allow the whole activity to meet, so
availability costs nothing in the model. Every activity starts from the weekdays of its
Work Group's window (`window_slots`); the rules that say where a session may be (R1–R3)
narrow that (`Builder.narrow`) before the variables are made, at the first look at
`cands`. Every hard-rule constraint is posted inside `Builder.about`, which records its
`Label` (rule and subject), so an explanation reads labels and never a variable's name.

The rules (`scheduler.core.rules`) and the soft goals (`scheduler.core.objective`) are put
together by `scheduler.core.formulation.build`; this module knows neither.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from ortools.sat.python import cp_model

from models.units import halves, units
from scheduler.core.calendar import days_between
from scheduler.core.problem import Activity, Problem

SOFT_GOALS = {
    "S1": "spread",
    "S2": "preferences",
    "S3": "travel",
    "S4": "cost",
    "S5": "changes",  # re-planning only: sessions moved, added or dropped
}

Slots = list[tuple[dt.date, str]]


class Label(NamedTuple):
    """What a group of constraints is about: a rule and its subject, in the instance's ids.

    `explain` puts each label's constraints behind one assumption and asks the rule to say
    the label in the user's words (`Rule.describe`) and what might lift it (`Rule.relaxations`).
    """

    rule: str  # 'R3'
    wgs: tuple[str, ...] = ()  # the Work Groups whose sessions it constrains
    act: str | None = None  # the activity key, when it constrains one activity
    person: str | None = None  # a person it is about (R3, R9, R10, R12)
    term: str | None = None  # the term its dates fall in, when they fall in one
    school: str | None = None  # a venue (R3 capacity) or a visited school (R8's weeks)
    pin: int | None = None  # pinned[index] (R11)


@functools.lru_cache(maxsize=256)  # one window per Work Group and stream, asked for per activity
def _weekday_slots(start: dt.date, end: dt.date, slots: tuple[str, ...]) -> tuple[tuple[dt.date, str], ...]:
    return tuple((d, slot) for d in days_between(start, end) if d.weekday() < 5 for slot in slots)


def window_slots(p: Problem, act: Activity) -> Slots:
    """Where an activity starts before any rule narrows it: each weekday of its Work Group's
    window (a central event: its own dates in the window) in each slot its stream allows."""
    wg = p.work_groups[act.wg]
    if act.dates is None:
        return list(_weekday_slots(wg.start, wg.end, tuple(act.slots)))
    days = sorted(d for d in act.dates if wg.start <= d <= wg.end and d.weekday() < 5)
    return [(day, slot) for day in days for slot in act.slots]


@dataclass
class Builder:
    """One model being built: the candidates and their variables, what each hard-rule
    constraint is about, and the soft goals' terms."""

    problem: Problem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    # Re-planning: (date, slot)s per activity key that must exist even where the rules no
    # longer allow them (sessions that already happened).
    extra: dict[str, list[tuple[dt.date, str]]] = field(default_factory=dict)
    # Repairing: activities held to these (date, slot)s, taken from a rule-abiding plan of
    # the same instance, so they are candidates already (the TfM Lead's repair, `solve`).
    only: dict[str, set[tuple[dt.date, str]]] = field(default_factory=dict)
    soft: dict[str, list] = field(default_factory=lambda: {k: [] for k in SOFT_GOALS})
    # Constraints first..end-1 are about rule `rule`, these sessions and this subject
    # (`about`), in posting order; made into `Label`s only when asked for (`labelled`).
    blocks: list[_Block] = field(default_factory=list)
    domains: dict[str, Slots] = field(init=False)  # per activity key, until the variables exist
    _cands: dict[str, list[tuple[dt.date, str, cp_model.IntVar]]] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.domains = {  # a held activity starts from its slots, so R1–R3 have little to narrow
            act.key: sorted(self.only[act.key]) if act.key in self.only else window_slots(self.problem, act)
            for act in self.problem.activities
        }
        self._constraints = self.model.proto.constraints  # read live: its length is the next index
        self._open: _Block | None = None
        self._terms: dict[dt.date, str | None] = {}
        self._session_of: dict[int, tuple[str, str, dt.date]] | None = None  # variable -> key, wg, date

    # -- candidates and variables ----------------------------------------------
    def narrow(self, allowed: Callable[[Problem, Activity, Slots], Slots]) -> None:
        """Keep, for every activity, the (date, slot)s `allowed` keeps (R1–R3's `add`)."""
        if self._cands is not None:
            raise RuntimeError("candidates are narrowed before the variables are made (R1–R3 come first)")
        for act in self.problem.activities:
            self.domains[act.key] = allowed(self.problem, act, self.domains[act.key])

    @property
    def cands(self) -> dict[str, list[tuple[dt.date, str, cp_model.IntVar]]]:
        """Per activity key, its (date, slot, variable)s: made at the first look."""
        self.make_variables()
        return self._cands  # type: ignore[return-value]

    def make_variables(self) -> None:
        """The variables, over the candidates as narrowed so far (once: later calls do nothing)."""
        if self._cands is None:
            self._create_variables()

    @property
    def by_person_half(self) -> dict[tuple[str, dt.date, str], list]:
        """(person, date, half) -> variables of sessions they would attend then (R3)."""
        self.make_variables()
        return self._by_person_half

    @property
    def by_venue_half(self) -> dict[tuple[str, dt.date, str], list]:
        """(venue, date, half) -> variables of sessions held there then (R3)."""
        self.make_variables()
        return self._by_venue_half

    @property
    def by_person_day_venue(self) -> dict[tuple[str, dt.date], dict[str, list]]:
        """(person, date) -> venue -> variables of their sessions there that day (R12)."""
        self.make_variables()
        return self._by_person_day_venue

    def _create_variables(self) -> None:
        indexed = self._one_per_attendance()
        by_person_half: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        by_venue_half: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        by_person_day_venue: dict[tuple[str, dt.date], dict[str, list]] = defaultdict(
            lambda: defaultdict(list)
        )
        self._cands = {}
        new_bool_var = self.model.new_bool_var
        iso: dict[dt.date, str] = {}  # each date's text, made once for every variable's name
        for act in self.problem.activities:
            xs = []
            if act.key in self.only:
                slots = sorted(self.only[act.key])
            else:
                slots = self.domains[act.key]
            if act.key in self.extra:
                slots = sorted(set(slots) | set(self.extra[act.key]))
            venue, named = act.venue, f"{act.key}@"
            attendees = [person for person in act.attendees if person in indexed]
            for day, slot in slots:
                if day not in iso:
                    iso[day] = day.isoformat()
                x = new_bool_var(f"{named}{iso[day]}:{slot}")
                xs.append((day, slot, x))
                for h in halves(slot):
                    for person in attendees:
                        by_person_half[(person, day, h)].append(x)
                    by_venue_half[(venue, day, h)].append(x)
                for person in attendees:
                    by_person_day_venue[(person, day)][venue].append(x)
            self._cands[act.key] = xs
        self._by_person_half, self._by_venue_half = by_person_half, by_venue_half
        self._by_person_day_venue = by_person_day_venue

    def _one_per_attendance(self) -> set[str]:
        """One person of each group who attend exactly the same activities (the advocates
        of one school, say): the rest would get exactly the same R3 and R12 constraints, so
        only these are indexed by person (a generated hub's models: 14% fewer constraints,
        built 12% sooner)."""
        attends: dict[str, list[str]] = defaultdict(list)
        for act in self.problem.activities:
            for person in act.attendees:
                attends[person].append(act.key)
        first: dict[tuple[str, ...], str] = {}
        return {person for person, keys in attends.items() if first.setdefault(tuple(keys), person) == person}

    # -- labelled constraints --------------------------------------------------
    def about(
        self, rule: str, sessions: list | tuple = (), *, days: Iterable[dt.date] = (), **subject
    ) -> _Block:
        """`with b.about("R3", xs, person=p): b.model.add_at_most_one(xs)`: the constraints
        posted inside are about that rule, those sessions (their variables, from `cands`)
        and that subject (`Label`'s fields). The sessions say the Work Groups, the activity (if one) and the
        term (if one; else `days` say it) unless the subject does. Every hard rule posts
        through this (`formulation.post_rules` checks); the labels are made only when
        asked for, so a model to solve pays next to nothing for them."""
        return _Block(self, rule, sessions, days, subject)

    def labelled(self, start: int = 0) -> Iterator[tuple[int, int, Label]]:
        """(first, end, label) of each block from the `start`th on: constraints first..end-1
        are about `label`, in posting order."""
        if self._session_of is None and self._cands is not None:
            self._session_of = {
                x.index: (act.key, act.wg, day)
                for act in self.problem.activities
                for day, _, x in self._cands[act.key]
            }
        for block in self.blocks[start:]:
            yield block.first, block.end, self._label(block)

    def _label(self, block: _Block) -> Label:
        found = [self._session_of[x.index] for x in block.sessions] if block.sessions else []
        keys = {key for key, _, _ in found}
        derived = {
            "wgs": tuple(sorted({wg for _, wg, _ in found})),
            "act": next(iter(keys)) if len(keys) == 1 else None,
            "term": self.term_of([day for _, _, day in found] or block.days),
        }
        return Label(block.rule, **{**derived, **block.subject})

    def term_of(self, days: Iterable[dt.date]) -> str | None:
        """The hub term all these dates fall in, if they fall in one."""
        days = list(days)
        if not days:
            return None
        first, last = self._term_of_day(min(days)), self._term_of_day(max(days))
        return first if first == last else None

    def _term_of_day(self, day: dt.date) -> str | None:
        if day not in self._terms:
            self._terms[day] = next((t.name for t in self.problem.hub_terms if day in t), None)
        return self._terms[day]

    # -- helpers the rules use -------------------------------------------------
    def halves_of(self, *acts: Activity):
        """Half-days of sessions of these activities (one unit of a stream)."""
        return sum(units(slot) * x for act in acts for _, slot, x in self.cands[act.key])

    def count_of(self, *acts: Activity):
        """Sessions of these activities."""
        return sum(self.sessions(*acts))

    def sessions(self, *acts: Activity) -> list[cp_model.IntVar]:
        """The variables of every candidate session of these activities."""
        return [x for act in acts for _, _, x in self.cands[act.key]]

    def var(self, key: str, day: dt.date, slot: str) -> cp_model.IntVar | None:
        """The variable of a session of activity `key` on that date and slot, if it exists."""
        return next((x for d, s, x in self.cands.get(key, ()) if d == day and s == slot), None)

    @property
    def num_variables(self) -> int:
        return len(self.model.proto.variables)

    def objective(self, goals: tuple[str, ...] = ("S1", "S2", "S3", "S4")):
        """The weighted sum of these soft goals (S5 is minimised first, on its own)."""
        w = self.problem.weights
        weight = {"S1": w["spread"], "S2": w["preferences"], "S3": w["travel"], "S4": w["cost"], "S5": 1}
        return sum(weight[k] * sum(self.soft[k]) for k in goals)


class _Block:
    """A `Builder.about` block: the constraints posted while it is open, and what they are about."""

    __slots__ = ("b", "rule", "sessions", "days", "subject", "first", "end")

    def __init__(self, b: Builder, rule: str, sessions, days, subject: dict):
        self.b, self.rule, self.days, self.subject = b, rule, days, subject
        self.sessions = sessions if isinstance(sessions, (list, tuple)) else tuple(sessions)

    def __enter__(self) -> None:
        if self.b._open is not None:
            raise RuntimeError(f"an {self.rule} block inside an {self.b._open.rule} block")
        self.b._open = self
        self.first = len(self.b._constraints)

    def __exit__(self, *exc) -> None:
        self.b._open = None
        self.end = len(self.b._constraints)
        if self.end > self.first:
            self.b.blocks.append(self)
