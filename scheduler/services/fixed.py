"""Facts about sessions fixed in advance, found without a solver: pins a rule forbids (R11),
central events a trainee cannot keep on the programme's date, and two fixed sessions of one
person in one slot (R3). Each names the session, its date and slot, and what stands in its
way: a central event's date is the programme's, so what can change is that obstacle (the
trainee's unavailability, a blackout), never the event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from models.units import halves
from scheduler.core.model import Label
from scheduler.core.problem import Activity, Problem
from scheduler.core.relax import Relaxation, widen_window
from scheduler.core.rules import RULE, candidate_slots, slot_reasons
from scheduler.core.rules.base import SLOT_WORDS, event_name, pin_name
from scheduler.core.rules.where import date_obstacles, hosted_sessions, obstacle_relaxations
from scheduler.core.solve import pin_problems
from scheduler.services.facts import Fact, names, rule_ids


def fixed_facts(p: Problem) -> list[Fact]:
    return pin_facts(p) + central_facts(p) + clash_facts(p)


def pin_facts(p: Problem) -> list[Fact]:
    """R11: each pin a rule forbids on its own, with what forbids it."""
    out = []
    for pin in p.pins:
        relax = RULE["R11"].relaxations(Label("R11", (pin.wg,), pin=pin.index), p)
        for note in pin_problems(dataclasses.replace(p, pins=[pin])):
            out.append(Fact("R11", (pin.wg,), note.removeprefix("R11: "), relax))
    return out


def central_facts(p: Problem) -> list[Fact]:
    """Central events their trainee cannot attend on the programme's date: unavailable then,
    their school closed or blacked out, a commitment (R1–R3 on that date alone)."""
    out = []
    for act in p.activities:
        if not act.fixed or _kept(p, act):
            continue
        day, slot = min(act.dates), act.slots[0]
        reasons = slot_reasons(p, act, day, slot)
        obstacles = [ob for ob in date_obstacles(p, act, [(day, slot)]) if ob.removable]
        relax = [r for ob in obstacles for r in obstacle_relaxations(p, ob, [day])]
        wg = p.work_groups[act.wg]
        if not wg.start <= day <= wg.end and (window := widen_window(p, act.wg)):
            relax.append(window)
        out.append(
            Fact(
                rule_ids([r.split(" ", 1)[0] for r in reasons]),
                (act.wg,),
                f"{event_name(p, act)} is fixed by the programme and cannot be kept: "
                + "; ".join(r.split(" ", 1)[1] for r in reasons)
                + ".",
                relax,
                _kept_in(act.key),
            )
        )
    return out


def _kept(p: Problem, act: Activity) -> bool:
    return (min(act.dates), act.slots[0]) in candidate_slots(p, act)


def _kept_in(key: str) -> Callable[[Problem], bool]:
    def resolved(q: Problem) -> bool:
        return _kept(q, next(a for a in q.activities if a.key == key))

    return resolved


Fixed = tuple[str, Activity, list[Relaxation]]  # its words, its activity on its date and slot, its changes


def _fixed(p: Problem) -> list[Fixed]:
    """Central events that can be kept and pins the rules allow, each on its own date and slot."""
    out: list[Fixed] = [(event_name(p, act), act, []) for act in p.activities if act.fixed and _kept(p, act)]
    for pin in p.pins:
        act = p.pin_activity(pin)
        if act is not None and not pin_problems(dataclasses.replace(p, pins=[pin])):
            relax = RULE["R11"].relaxations(Label("R11", (pin.wg,), pin=pin.index), p)
            on_date = dataclasses.replace(act, dates=frozenset({pin.date}), slots=(pin.slot,))
            out.append((pin_name(p, pin), on_date, relax))
    return out


def clash_facts(p: Problem) -> list[Fact]:
    """R3: fixed sessions (pins the rules allow, central events that can be kept) that cannot
    all be: one person at two in a half-day, or more at a venue than it hosts at once (the
    trainees at one central event being one event)."""
    fixed = _fixed(p)
    people: dict[tuple, list[Fixed]] = {}
    venues: dict[tuple, list[Fixed]] = {}
    for item in fixed:
        act = item[1]
        for h in halves(act.slots[0]):
            for person in act.attendees:
                people.setdefault((person, min(act.dates), h), []).append(item)
            venues.setdefault((act.venue, min(act.dates), h), []).append(item)
    out: dict[tuple, Fact] = {}  # one fact for both halves of a day
    for (person, _, _), items in people.items():
        if len(items) > 1:
            said = [words for words, _, _ in items]
            out.setdefault(
                (person, *said),
                _clash(
                    items,
                    f"{p.people[person].name} must be at {names(said)}, {_all(said)} fixed, "
                    "but cannot be in two places at once.",
                ),
            )
    for (venue, day, _), items in venues.items():
        hosted = hosted_sessions(items, lambda item: item[1].event)
        cap = p.schools[venue].capacity
        if len(hosted) > cap:
            said = [_hosted_words(group) for group in hosted]
            what = "one session" if cap == 1 else f"{cap} sessions"
            out.setdefault(
                (venue, day, *said),
                _clash(
                    items,
                    f"{p.schools[venue].name} hosts {what} at a time, but {names(said)} are "
                    f"{_all(said)} fixed there then.",
                ),
            )
    return list(out.values())


def _clash(items: list[Fixed], text: str) -> Fact:
    wgs = tuple(dict.fromkeys(act.wg for _, act, _ in items))
    return Fact("R3", wgs, text, [r for _, _, relax in items for r in relax])


def _all(said: list[str]) -> str:
    return "both" if len(said) == 2 else "all"


def _hosted_words(group: list[Fixed]) -> str:
    """A fixed session, or a central event for all its trainees there."""
    if len(group) == 1:
        return group[0][0]
    act = group[0][1]
    for_whom = names([a.wg for _, a, _ in group])
    return f"the central event '{act.what}' on {min(act.dates)}, {SLOT_WORDS[act.slots[0]]} (for {for_whom})"
