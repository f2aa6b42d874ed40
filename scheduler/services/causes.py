"""Counting facts: a term or half-term that needs a session but has no legal date left for
it, or fewer legal weeks than visits. Found without a solver.

Each blocked period is told with a minimal cause: the facts of the instance that rule out
its dates (R1–R3's obstacles: a school's closures, a blackout, someone's release days,
unavailable dates, commitments), each dropped in turn and left out for good if the rest
still leave the period no date. The narrowest are dropped first, so what remains is the
broad cause (the TfM Lead away all term), not every closure day that also stands in the
way. Periods with the same minimal cause, across Work Groups, streams and rules, are one
fact that names them all: one cause, one fact, one change to make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from scheduler.core.calendar import Period
from scheduler.core.model import window_slots
from scheduler.core.problem import Activity, Problem
from scheduler.core.relax import Relaxation, release_more, widen_window
from scheduler.core.rules import RULE, candidate_slots, iso_week
from scheduler.core.rules.where import Obstacle, date_obstacles, obstacle_relaxations, obstacle_words
from scheduler.services.facts import Fact, names, period_text, rule_ids, wg_list

WHAT = {"group": "a group meeting", "headteachers": "a headteachers' meeting"}


@dataclass(frozen=True)
class Need:
    """A period in which an activity needs a session (`rule` says so) and has no legal date."""

    rule: str
    act: Activity
    period: Period

    def words(self, p: Problem) -> str:
        """'a visit to Oakfield School in the spring term (…)'."""
        what = (
            f"a visit to {p.schools[self.act.school].name}"
            if self.act.kind == "visit"
            else WHAT[self.act.kind]
        )
        return f"{what} in {period_text(self.period)}"


def _periods(p: Problem, act: Activity) -> tuple[str, list[Period]]:
    """(rule, periods) in each of which `act` needs at least one session."""
    wg = p.work_groups[act.wg]
    if act.kind == "visit":
        return "R7", RULE["R7"].terms(p, wg, act.school)
    if act.kind == "group":
        return "R8", RULE["R8"].cadence(p, wg)
    if act.kind == "headteachers":
        return "R13", p.wg_terms(wg, None, 10)
    return "", []


def minimal_cause(obstacles: list[Obstacle], slots: list[tuple[dt.date, str]]) -> list[Obstacle]:
    """The fewest of `obstacles` that, with the hub calendar, still rule out every slot:
    each dropped in turn, narrowest first, and left out if the rest still do (deletion
    gives a minimal set; which one, the order decides). In the order given."""
    calendar = frozenset().union(*(ob.blocks for ob in obstacles if not ob.removable))
    open_slots = [x for x in slots if x not in calendar]
    kept = [ob for ob in obstacles if ob.removable]
    for ob in sorted(kept, key=lambda ob: (len(ob.blocks), ob.key)):
        rest = [k for k in kept if k is not ob]
        if all(any(x in k.blocks for k in rest) for x in open_slots):
            kept = rest
    return kept


def blocked(p: Problem, legal: dict[str, list] | None = None) -> list[tuple[Need, list[Obstacle]]]:
    """Every period that needs a session and has no legal date, with a minimal cause
    (`legal`: each activity's candidate slots, if already known)."""
    out = []
    for act in p.activities:
        rule, periods = _periods(p, act)
        if not periods:
            continue
        dated = {day for day, _ in (legal[act.key] if legal else candidate_slots(p, act))}
        window = window_slots(p, act)
        for t in periods:
            if any(day in t for day in dated):
                continue
            slots = [(day, slot) for day, slot in window if day in t]
            out.append((Need(rule, act, t), minimal_cause(date_obstacles(p, act, slots), slots)))
    return out


def counting_facts(p: Problem) -> list[Fact]:
    """One fact per minimal cause of blocked periods, then too few legal weeks for visits."""
    legal = {act.key: candidate_slots(p, act) for act in p.activities}
    by_cause: dict[tuple, list[tuple[Need, list[Obstacle]]]] = {}
    for need, cause in blocked(p, legal):
        by_cause.setdefault(tuple(sorted(ob.key for ob in cause)), []).append((need, cause))
    return [_fact(p, found) for found in by_cause.values()] + _week_facts(p, legal)


def _fact(p: Problem, found: list[tuple[Need, list[Obstacle]]]) -> Fact:
    needs = [need for need, _ in found]
    days: dict[tuple, set[dt.date]] = {}
    for _, cause in found:
        for ob in cause:
            days.setdefault(ob.key, set()).update(ob.days())
    cause = found[0][1]
    said = [obstacle_words(p, ob, sorted(days[ob.key])) for ob in cause] or ["the school calendars"]
    verb = "leaves" if len(cause) == 1 and cause[0].key[0] == "blackout" else "leave"
    end = (
        "a visit" if len(needs) == 1 and needs[0].act.kind == "visit" else "it" if len(needs) == 1 else "them"
    )
    text = f"{_needs_text(p, needs)}, but {' and '.join(said)} {verb} no school day for {end}."
    wgs = tuple(dict.fromkeys(need.act.wg for need in needs))
    return Fact(
        rule_ids([need.rule for need in needs]),
        wgs,
        text,
        _relaxations(p, cause, days, wgs),
        _all_dated(needs),
    )


def _needs_text(p: Problem, needs: list[Need]) -> str:
    """'pd-a needs a visit to X in the spring term (…) and a group meeting in …; pd-b, pd-c
    each need …': what each Work Group needs, the groups that need the same said once."""
    who: dict[str, list[str]] = {}
    for need in needs:
        who.setdefault(need.words(p), []).append(need.act.wg)
    by_wgs: dict[tuple[str, ...], list[str]] = {}
    for words, wgs in who.items():
        by_wgs.setdefault(tuple(dict.fromkeys(wgs)), []).append(words)
    return "; ".join(
        f"{wg_list(wgs)} {'needs' if len(wgs) == 1 else 'each need'} {names(items)}"
        for wgs, items in by_wgs.items()
    )


def _relaxations(p: Problem, cause: list[Obstacle], days: dict, wgs: tuple[str, ...]) -> list[Relaxation]:
    """The smallest change to each reason first, then the larger ones, then wider windows."""
    each = [obstacle_relaxations(p, ob, sorted(days[ob.key])) for ob in cause]
    windows = [r for w in wgs for r in [widen_window(p, w)] if r]
    return [rs[0] for rs in each if rs] + [r for rs in each for r in rs[1:]] + windows


def _all_dated(needs: list[Need]) -> Callable[[Problem], bool]:
    def resolved(q: Problem) -> bool:
        acts = {a.key: a for a in q.activities}
        return all(
            any(day in need.period for day, _ in candidate_slots(q, acts[need.act.key])) for need in needs
        )

    return resolved


def _week_facts(p: Problem, legal: dict[str, list]) -> list[Fact]:
    """R8: visits to one school in different weeks, but fewer weeks with a legal date than
    the fewest visits the Work Group needs there."""
    out = []
    for act in p.activities:
        need = _min_visits(p, act)
        weeks = {iso_week(day) for day, _ in legal[act.key]} if need else set()
        if need and len(weeks) < need:
            out.append(
                Fact(
                    "R8",
                    (act.wg,),
                    f"{act.label(p)} needs at least {need} visits in different weeks, but only "
                    f"{len(weeks)} weeks have a legal date.",
                    release_more(p, list(act.attendees)) + [w for w in [widen_window(p, act.wg)] if w],
                )
            )
    return out


def _min_visits(p: Problem, act: Activity) -> int:
    r = p.work_groups[act.wg].params
    if act.kind == "visit" and "school_days" in r:
        return int(r["school_days"][0])  # whole-day visits: the fewest sessions
    return 0
