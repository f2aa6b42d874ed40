"""The year at a glance, as report.html draws it: a row per specialist, school or Work
Group, a column per week of the hub's calendar, each session a chip lettered by kind (G, V,
H, D, C) on its Work Group's colour, so colour never carries the meaning alone.

The weeks, letters and colours are the report's own (`school_weeks`, `KINDS`, `PALETTE`);
this module only arranges them for the page and its filters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby

from models.instance import Instance
from scheduler.core.plan import Plan, Session
from scheduler.outputs.report_markup import KINDS, MONTH_NAMES, PALETTE
from scheduler.outputs.report_year import school_weeks

BY = {"specialist": "Specialist", "school": "School", "work-group": "Work Group"}
SLOT_TEXT = {"am": "morning", "pm": "afternoon", "day": "all day"}


@dataclass(frozen=True)
class Chip:
    letter: str
    colour: str  # CSS class: w0…w15, from the Work Group's place in the instance
    title: str  # when, which Work Group, what, where: for the tooltip and screen readers
    whole_day: bool


@dataclass
class Row:
    key: str
    label: str
    note: str
    href: str
    cells: list[list[Chip]]
    days: float = 0.0


@dataclass
class YearView:
    by: str
    weeks: list
    months: list[tuple[str, int]]
    rows: list[Row]
    legend: list[tuple[str, str, str]]  # colour class, Work Group, its leader
    kinds: list[tuple[str, str]] = field(default_factory=lambda: list(KINDS.values()))


def colour_classes(instance: Instance) -> dict[str, str]:
    return {w.id: f"w{i % len(PALETTE)}" for i, w in enumerate(instance.work_groups)}


def session_title(s: Session, names: dict[str, str]) -> str:
    what = KINDS.get(s.kind, ("?", s.kind))[1]
    where = names.get(s.school or s.venue, s.school or s.venue)
    return f"{s.date:%a %d %b %Y} {SLOT_TEXT.get(s.slot, s.slot)}: {names.get(s.work_group, s.work_group)}, {what} at {where}"


def _rows(instance: Instance, by: str, base: str) -> list[tuple[str, str, str, str]]:
    """(key, label, note, link) of every row, in the instance's order."""
    schools = {s.id: s.name for s in instance.schools}
    if by == "school":
        return [(s.id, s.name, s.phase, f"{base}/schools/{s.id}") for s in instance.schools]
    if by == "work-group":
        return [
            (w.id, w.name or w.id, w.programme, f"{base}/work-groups/{w.id}") for w in instance.work_groups
        ]
    return [
        (
            p.id,
            p.name,
            "TfM Lead" if p.id == instance.hub.tfm_lead else schools.get(p.school, p.school),
            f"{base}/specialists/{p.id}",
        )
        for p in instance.specialists
    ]


def row_keys(s: Session, by: str, school_of: dict[str, str]) -> set[str]:
    """The rows a session shows in: its leader, its Work Group, or every school it is at or about."""
    if by == "school":
        return {
            s.venue,
            *([s.school] if s.school else []),
            *(school_of[t] for t in s.teachers if t in school_of),
        }
    if by == "work-group":
        return {s.work_group}
    return {s.specialist}


def year_view(
    instance: Instance, plan: Plan, base: str, by: str = "specialist", work_group: str = "", kind: str = ""
) -> YearView:
    """The view of `plan`, one row per `by`, showing only `work_group` and `kind` when given."""
    by = by if by in BY else "specialist"
    weeks = school_weeks(instance)
    column = {w.monday: i for i, w in enumerate(weeks)}
    names = {x.id: x.name for x in [*instance.schools, *instance.specialists, *instance.teachers]}
    names |= {w.id: w.name or w.id for w in instance.work_groups}
    colours = colour_classes(instance)
    school_of = {t.id: t.school for t in instance.teachers}
    rows = {
        key: Row(key, label, note, href, [[] for _ in weeks])
        for key, label, note, href in _rows(instance, by, base)
    }
    for s in sorted(plan.sessions, key=lambda s: (s.date, s.slot != "am", s.work_group, s.id)):
        if (work_group and s.work_group != work_group) or (kind and s.kind != kind):
            continue
        i = column.get(s.date - dt.timedelta(days=s.date.weekday()))
        letter = KINDS.get(s.kind, (s.kind[:1].upper(), s.kind))[0]
        chip = Chip(letter, colours.get(s.work_group, "wx"), session_title(s, names), s.slot == "day")
        for key in sorted(row_keys(s, by, school_of)):
            row = rows.get(key)
            if row is None:  # led by someone the hub does not list as a specialist
                row = rows[key] = Row(key, names.get(key, key), "", "", [[] for _ in weeks])
            if i is not None:
                row.cells[i].append(chip)
            row.days += s.days
    months = [
        (MONTH_NAMES[m - 1] + (f" {y}" if n == 0 or m == 1 else ""), len(list(ws)))
        for n, ((y, m), ws) in enumerate(groupby(weeks, key=lambda w: (w.monday.year, w.monday.month)))
    ]
    leaders = {p.id: p.name for p in [*instance.specialists, *instance.teachers]}
    legend = [
        (colours[w.id], w.name or w.id, leaders.get(w.specialist, w.specialist)) for w in instance.work_groups
    ]
    return YearView(by, weeks, months, list(rows.values()), legend)


def palette_css() -> str:
    """A class per Work Group colour, with the report's text colour on it (4.5:1 or more)."""
    return "\n".join(f".w{i}{{background:{bg};color:{text}}}" for i, (bg, text) in enumerate(PALETTE)) + "\n"
