"""Relaxations: changes to a Problem that might let a plan exist, each said as an instance edit.

The rules pick which of these to try for a constraint of theirs (`Rule.relaxations`);
`scheduler.services.explain` shows one only after solving again with it. Each text names
the instance field to change, in brackets at its end, so a reader can do it to the file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from models.edits import Edit
from scheduler.core.calendar import WEEKDAY_NAMES, Period
from scheduler.core.problem import Problem


@dataclass(frozen=True)
class Relaxation:
    text: str  # what to change, naming the instance field
    apply: Callable[[Problem], Problem]
    # The same change made to the instance (`models.edits`), so that a person can make it
    # with one button and plan again (the workspace); tests hold the two to agree.
    edit: Edit | None = None

    @property
    def field(self) -> str:
        """The instance field it changes (the text in its last brackets)."""
        return self.text.rsplit("(", 1)[-1]


def _person(p: Problem, pid: str, **changes) -> Problem:
    return dataclasses.replace(p, people={**p.people, pid: dataclasses.replace(p.people[pid], **changes)})


def _school(p: Problem, sid: str, **changes) -> Problem:
    return dataclasses.replace(p, schools={**p.schools, sid: dataclasses.replace(p.schools[sid], **changes)})


def _wg(p: Problem, wid: str, **changes) -> Problem:
    return dataclasses.replace(
        p, work_groups={**p.work_groups, wid: dataclasses.replace(p.work_groups[wid], **changes)}
    )


def _field(p: Problem, pid: str) -> str:
    return f"{'specialists' if p.people[pid].is_specialist else 'teachers'}: {pid}"


def day_span(days: list[dt.date]) -> str:
    """'2027-01-11' or '2027-01-11..2027-03-26'."""
    days = sorted(days)
    return f"{days[0]}" if len(days) == 1 else f"{days[0]}..{days[-1]}"


def blackout_runs(p: Problem, sid: str, period: Period | None) -> list[tuple[str, list[dt.date]]]:
    """A school's blackouts as (reason, dates), within `period` if given."""
    runs: dict[str, list[dt.date]] = {}
    for day, reason in sorted(p.schools[sid].blackouts.items()):
        if period is None or day in period:
            runs.setdefault(reason, []).append(day)
    return list(runs.items())


# -- R2: blackouts, release days, unavailable dates ------------------------------------


def lift_blackout(p: Problem, sid: str, reason: str, days: list[dt.date], text: str = "") -> Relaxation:
    gone = set(days)

    def apply(q: Problem) -> Problem:
        kept = {d: r for d, r in q.schools[sid].blackouts.items() if d not in gone}
        return _school(q, sid, blackouts=kept)

    name = p.schools[sid].name
    return Relaxation(
        (text or f"lift {name}'s blackout '{reason}' on {day_span(days)}") + f" (schools: {sid}, blackouts)",
        apply,
        Edit("lift_blackout", {"school": sid, "dates": _iso(days)}),
    )


def _iso(days) -> list[str]:
    return [d.isoformat() for d in sorted(days)]


def shorter_blackouts(p: Problem, sid: str, reason: str, days: list[dt.date]) -> list[Relaxation]:
    """Start a blackout a week later, end it a week sooner, or lift it: smallest change first."""
    run = sorted(d for d, r in p.schools[sid].blackouts.items() if r == reason)
    open_days = [d for d in days if d in p.schools[sid].days]
    name, span = p.schools[sid].name, f"'{reason}' ({day_span(run)})"
    out = []
    if len(open_days) > 5:
        later, sooner = open_days[5], open_days[-6]
        out.append(
            lift_blackout(
                p,
                sid,
                reason,
                [d for d in run if d < later],
                f"start {name}'s blackout {span} on {later} instead",
            )
        )
        out.append(
            lift_blackout(
                p,
                sid,
                reason,
                [d for d in run if d > sooner],
                f"end {name}'s blackout {span} on {sooner} instead",
            )
        )
    return out + [lift_blackout(p, sid, reason, days)]


def add_release_day(p: Problem, pid: str, day: str) -> Relaxation:
    person = p.people[pid]
    return Relaxation(
        f"add {day} to {person.name}'s release_days ({_field(p, pid)})",
        lambda q: _person(q, pid, release_days=q.people[pid].release_days | {day}),
        Edit("add_release_day", {"person": pid, "day": day}),
    )


def free_dates(p: Problem, pid: str, days: list[dt.date]) -> Relaxation:
    gone = set(days)
    return Relaxation(
        f"make {p.people[pid].name} available on {day_span(days)} ({_field(p, pid)}, unavailable)",
        lambda q: _person(q, pid, unavailable=q.people[pid].unavailable - gone),
        Edit("free_dates", {"person": pid, "dates": _iso(days)}),
    )


def move_commitments(p: Problem, pid: str, days: list[dt.date]) -> Relaxation:
    gone = set(days)
    return Relaxation(
        f"move {p.people[pid].name}'s commitments off {day_span(days)} ({_field(p, pid)}, commitments)",
        lambda q: _person(q, pid, busy=frozenset(x for x in q.people[pid].busy if x[0] not in gone)),
        Edit("remove_commitments", {"person": pid, "dates": _iso(days)}),
    )


def release_more(p: Problem, people: list[str], days: list[dt.date] | None = None) -> list[Relaxation]:
    """More release days for each person who has fewer than every weekday they work; with
    `days`, also their unavailable dates among those."""
    out: list[Relaxation] = []
    for pid in dict.fromkeys(people):
        person = p.people[pid]
        for wd in WEEKDAY_NAMES:
            if wd in person.works and wd not in person.release_days:
                out.append(add_release_day(p, pid, wd))
        if days is not None:
            away = sorted(d for d in person.unavailable if d in days)
            if away:
                out.append(free_dates(p, pid, away))
    return out


# -- R1: the window; R8, R9, R10, R12: numbers; R11: pins -------------------------------


def widen_window(p: Problem, wid: str) -> Relaxation | None:
    wg = p.work_groups[wid]
    start = min(t.start for t in p.hub_terms)
    end = max(t.end for t in p.hub_terms)
    if wg.start <= start and wg.end >= end:
        return None
    return Relaxation(
        f"widen {wid}'s window from {wg.start}..{wg.end} to the whole year {start}..{end} "
        f"(work_groups: {wid}, from/to)",
        lambda q: _wg(q, wid, start=start, end=end),
        Edit("set_window", {"work_group": wid, "start": start.isoformat(), "end": end.isoformat()}),
    )


def lower_gap(p: Problem, wid: str) -> Relaxation:
    now = p.work_groups[wid].params.get("group_gap_days", (14, 14))[0]
    new = max(1.0, now // 2)

    def apply(q: Problem) -> Problem:
        wg = q.work_groups[wid]
        return _wg(q, wid, params={**wg.params, "group_gap_days": (new, new)})

    return Relaxation(
        f"lower {wid}'s params.group_gap_days from {now:g} to {new:g} (work_groups: {wid})",
        apply,
        Edit("set_param", {"work_group": wid, "name": "group_gap_days", "value": new}),
    )


def raise_weekly(p: Problem, pid: str) -> Relaxation:
    now = p.people[pid].max_days_per_week or 5
    new = min(5.0, now + (0.5 if now < 1 else 1))
    return Relaxation(
        f"raise {p.people[pid].name}'s max_days_per_week from {now:g} to {new:g} ({_field(p, pid)})",
        lambda q: _person(q, pid, max_days_per_week=new),
        Edit("set_person", {"person": pid, "name": "max_days_per_week", "value": new}),
    )


def raise_budget(p: Problem, pid: str) -> Relaxation:
    now = p.people[pid].max_release_days or 0
    new = now + 2
    return Relaxation(
        f"raise {p.people[pid].name}'s max_release_days from {now:g} to {new:g} ({_field(p, pid)})",
        lambda q: _person(q, pid, max_release_days=new),
        Edit("set_person", {"person": pid, "name": "max_release_days", "value": new}),
    )


def raise_km(p: Problem) -> Relaxation:
    new = round(p.max_same_day_km * 2)
    return Relaxation(
        f"raise max_same_day_km from {p.max_same_day_km:g} to {new:g}",
        lambda q: dataclasses.replace(q, max_same_day_km=new),
        Edit("set_max_km", {"value": new}),
    )


def drop_pin(p: Problem, index: int) -> Relaxation:
    return Relaxation(
        f"remove pinned[{index}]",
        lambda q: dataclasses.replace(q, pins=[x for x in q.pins if x.index != index]),
        Edit("drop_pin", {"index": index}),
    )


def move_pin(index: int, day: dt.date, slot: str) -> Relaxation:
    def apply(q: Problem) -> Problem:
        pins = [dataclasses.replace(x, date=day, slot=slot) if x.index == index else x for x in q.pins]
        return dataclasses.replace(q, pins=pins)

    return Relaxation(
        f"move pinned[{index}] to {day} {slot}, the nearest date the rules allow",
        apply,
        Edit("move_pin", {"index": index, "date": day.isoformat(), "slot": slot}),
    )
