"""R4–R8: how many sessions, how long, in what order and how far apart.

Each Work Group's programme (models.programmes) is streams of sessions with their numbers:
`days` and `sessions` per unit (per school for visits, else per WG), `per_term` or
`per_half_term`, `gap_days`, `after`, the programme's `total_days` and `max_days_per_week`.
The rules below read only those numbers. A count per term or half-term belongs to R7 for
visits, R13 for headteachers' meetings and R8 for every other stream (DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from models.units import INF, Range, days_text, in_range, range_text, units
from scheduler.core.calendar import Period
from scheduler.core.problem import KIND_LABEL, Activity, Problem, WorkGroupSpec
from scheduler.core.relax import Relaxation, lower_gap
from scheduler.core.rules.base import (
    Label,
    Rule,
    Violation,
    activity,
    ids,
    iso_week,
    only_wg,
    params,
    range_or_unknown,
    stream_name,
    wg_names,
    when,
)

if TYPE_CHECKING:  # pragma: no cover
    from scheduler.core.checked import Checked
    from scheduler.core.model import Builder


def period_rule(kind: str) -> str:
    """The rule that owns a stream's count per term or half-term."""
    return {"visit": "R7", "headteachers": "R13"}.get(kind, "R8")


def stream_periods(p: Problem, wg: WorkGroupSpec, act: Activity) -> tuple[list[Period], Range] | None:
    """The terms (10 school days of the window; a visited school's own terms for a visit) or
    half-terms (5 days, the hub's) in which the activity needs a number of sessions, and that
    number; None when its stream counts no sessions per period."""
    stream = wg.stream(act.kind)
    if stream is None or (stream.per_term is None and stream.per_half_term is None):
        return None
    if stream.per_term is not None:
        return p.wg_terms(wg, act.school, 10), stream.per_term
    return p.wg_half_terms(wg, 5), stream.per_half_term


def count_text(p: Problem, wg: str, kind: str, n: int, school: str | None = None) -> str:
    """'sec-dev-1 has 2 visits to Oakfield School'."""
    what = KIND_LABEL.get(kind, kind) + ("" if n == 1 else "s")
    to = f" to {p.schools[school].name}" if school and school in p.schools else ""
    return f"{wg} has {n} {what}{to}"


def _slots_text(slots: tuple[str, ...]) -> str:
    if set(slots) <= {"am", "pm"}:
        return "half-days (am or pm)"
    return "whole days" if slots == ("day",) else " or ".join(slots)


def add_periods(b: Builder, wg: WorkGroupSpec, rule: Rule) -> None:
    """Between rng[0] and rng[1] sessions of each activity whose periods `rule` counts in
    each period; with a finite most, none outside the periods (an unlimited most leaves
    other dates free)."""
    for act in wg.activities:
        required = stream_periods(b.problem, wg, act) if period_rule(act.kind) == rule.id else None
        if required is None:
            continue
        periods, rng = required
        lo, hi = int(rng[0]), int(min(rng[1], INF))
        cands = b.cands[act.key]
        for t in periods:
            xs = [x for day, _, x in cands if day in t]
            with b.about(rule.id, xs, days=(t.start, t.end), wgs=(wg.id,), act=act.key):
                n = sum(xs)
                if lo == hi:
                    b.model.add(n == lo)
                elif rng[1] >= INF:
                    b.model.add(n >= lo)
                else:
                    b.model.add_linear_constraint(n, lo, hi)
        if rng[1] < INF:
            outside = [x for day, _, x in cands if not any(day in t for t in periods)]
            if outside:
                with b.about(rule.id, outside):
                    b.model.add(sum(outside) == 0)


def check_periods(c: Checked, rule_id: str) -> Iterator[Violation]:
    """Each period with too few or too many sessions of an activity; with a most per period,
    also every session outside the periods the window covers."""
    p = c.problem
    for wg in c.work_groups():
        for act in wg.activities:
            required = stream_periods(p, wg, act) if period_rule(act.kind) == rule_id else None
            if required is None:
                continue
            periods, rng = required
            ss = [s for s in c.of_wg(wg.id) if s.kind == act.kind and s.school == act.school]
            for t in periods:
                inside = [s for s in ss if s.date in t]
                if not in_range(len(inside), rng):
                    where = f"the {t.name} term" if wg.stream(act.kind).per_term else f"half-term {t.name}"
                    yield Violation(
                        rule_id,
                        f"{count_text(p, wg.id, act.kind, len(inside), act.school)} in {where} "
                        f"({t.start}..{t.end}); needs {range_text(rng)}",
                        wg.id,
                        ("wg", wg.id),
                        ids(inside or ss),  # none in the period: the stream's, one of which could be
                    )
            if rng[1] < INF:
                for s in ss:
                    if not any(s.date in t for t in periods):
                        yield Violation(
                            rule_id,
                            f"{c.describe(s)} falls outside the periods the WG covers",
                            wg.id,
                            ("wg", wg.id),
                            (s.id,),
                        )


def check_shape(c: Checked, rule_id: str, kinds: Iterable[str]) -> Iterator[Violation]:
    """Sessions held elsewhere, led by someone else or without someone their stream names."""
    kinds = set(kinds)
    for s, _ in c.judged():
        base = c.planned(s)
        if s.kind not in kinds or base is None:
            continue
        own = {"about": ("session", s.id), "sessions": (s.id,)}
        if s.venue != base.venue:
            yield Violation(
                rule_id, f"{c.describe(s)}: held at {base.venue}, not {s.venue}", s.work_group, **own
            )
        if s.specialist != base.leader:
            yield Violation(
                rule_id, f"{c.describe(s)}: led by {base.leader}, not {s.specialist}", s.work_group, **own
            )
        missing = [t for t in base.teachers if t not in s.teachers]
        if missing:
            yield Violation(
                rule_id,
                f"{c.describe(s)}: everyone attends; missing {', '.join(missing)}",
                s.work_group,
                **own,
            )


class R4SupportDays(Rule):
    """Amounts: the days of each stream per unit (Secondary Development's 2–4 group days and
    3–4 days at each school, embedding's 3 days a school, a trainee's development days), of
    all streams together (the 10 support days), and how long one session may be (primary
    visits and every meeting are half-days)."""

    id, title = "R4", "support days"
    reach = "group"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            total, sessions = [], []
            counted = wg.programme.total_days is not None
            for stream in wg.programme.streams:
                if stream.days is None and not counted:
                    continue
                for _, acts in wg.units(stream):
                    h = b.halves_of(*acts)
                    # Central events add up by validation and R11 holds each: nothing to post.
                    if stream.days is not None and not stream.fixed:
                        lo, hi = stream.days
                        with b.about(self.id, b.sessions(*acts), wgs=(wg.id,)):
                            b.model.add_linear_constraint(h, int(2 * lo), int(2 * min(hi, INF)))
                    total.append(h)
                    sessions += b.sessions(*acts)
            if counted:
                lo, hi = wg.programme.total_days
                with b.about(self.id, sessions, wgs=(wg.id,), act=None):
                    b.model.add_linear_constraint(sum(total), int(2 * lo), int(2 * min(hi, INF)))

    def describe(self, label: Label, p: Problem) -> str:
        name, r, act = wg_names(label), params(label, p), activity(p, label.act)
        if act is not None and act.kind == "visit" and "school_days" in r:
            return (
                f"{name} must spend {range_or_unknown(r['school_days'])} days at {p.schools[act.school].name}"
            )
        if act is not None and act.kind == "group" and "group_days" in r:
            return f"{name}'s group meetings must take {range_or_unknown(r['group_days'])} days"
        if "support_days" in r:
            return f"{name}'s support days must add up to {range_or_unknown(r['support_days'])}"
        return f"{act.label(p) if act else name} must take the days its programme sets"

    def check(self, c: Checked) -> Iterator[Violation]:
        for s, _ in c.judged():
            stream = c.wg(s).stream(s.kind)
            if s.slot not in stream.slots:
                what = KIND_LABEL.get(s.kind, s.kind)
                yield Violation(
                    self.id,
                    f"{c.describe(s)}: {c.wg(s).programme.name} {what}s are {_slots_text(stream.slots)}",
                    s.work_group,
                    ("session", s.id),
                    (s.id,),
                )
        for wg in c.work_groups():
            total = 0
            about = ("wg", wg.id)
            for stream in wg.programme.streams:
                for unit, _ in wg.units(stream):
                    ss = [s for s in c.of_wg(wg.id) if s.kind == stream.kind and s.school == unit]
                    h = sum(units(s.slot) for s in ss)
                    total += h
                    if stream.days is not None and not in_range(h / 2, stream.days):
                        what = KIND_LABEL.get(stream.kind, stream.kind) + "s"
                        to = f" to {c.problem.schools[unit].name}" if unit else ""
                        yield Violation(
                            self.id,
                            f"{wg.id} has {days_text(h)} of {what}{to}; needs {range_text(stream.days)}",
                            wg.id,
                            about,
                            ids(ss),
                        )
            rng = wg.programme.total_days
            if rng is not None and not in_range(total / 2, rng):
                yield Violation(
                    self.id,
                    f"{wg.id} has {days_text(total)} in all; needs {range_text(rng)}",
                    wg.id,
                    about,
                    ids(c.of_wg(wg.id)),
                )


class R5GroupMeetings(Rule):
    """How many sessions a stream has (at least 4 group meetings in Secondary Development),
    and that each is held where its programme says, led by whom it says, with everyone it
    names: all the WG's teachers at a group meeting (headteachers' meetings: R13)."""

    id, title = "R5", "group meetings"
    reach = "group"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            for stream in wg.programme.streams:
                if stream.sessions is None:
                    continue
                lo, hi = stream.sessions
                for _, acts in wg.units(stream):
                    with b.about(self.id, b.sessions(*acts), wgs=(wg.id,)):
                        b.model.add_linear_constraint(b.count_of(*acts), int(lo), int(min(hi, INF)))

    def describe(self, label: Label, p: Problem) -> str:
        r = params(label, p)
        if only_wg(label, p) and "group_meetings" in r:
            return f"{wg_names(label)} needs {range_or_unknown(r.get('group_meetings'))} group meetings"
        return f"{stream_name(label, p) or 'the group'} needs its group meetings"

    def check(self, c: Checked) -> Iterator[Violation]:
        yield from check_shape(c, self.id, (k for k in KIND_LABEL if k != "headteachers"))
        for wg in c.work_groups():
            for stream in wg.programme.streams:
                if stream.sessions is None:
                    continue
                for unit, _ in wg.units(stream):
                    ss = [s for s in c.of_wg(wg.id) if s.kind == stream.kind and s.school == unit]
                    if not in_range(len(ss), stream.sessions):
                        yield Violation(
                            self.id,
                            f"{count_text(c.problem, wg.id, stream.kind, len(ss), unit)}; needs {range_text(stream.sessions)}",
                            wg.id,
                            ("wg", wg.id),
                            ids(ss),
                        )


class R6LaunchFirst(Rule):
    """A stream with `after` (visits after the group's launch meeting) has no session before
    the first session of that stream; a later slot of the same date is fine."""

    id, title = "R6", "launch first"
    reach = "group"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            for stream in wg.programme.streams:
                if stream.after is None:
                    continue
                first = [a for a in wg.activities if a.kind == stream.after]
                later = [a for a in wg.activities if a.kind == stream.kind]
                if first and later:
                    self._chain(b, wg.id, first, later)

    def _chain(self, b: Builder, wg: str, first: list[Activity], later: list[Activity]) -> None:
        """started[d] = a `first` session on an earlier date: an O(days) prefix chain. Each
        constraint is about the activity whose sessions it holds back, on that date."""
        m = b.model
        first_on: dict[dt.date, list] = defaultdict(list)
        first_am: dict[dt.date, list] = defaultdict(list)
        for a in first:
            for day, slot, x in b.cands[a.key]:
                first_on[day].append(x)
                if slot == "am":
                    first_am[day].append(x)
        later_on: dict[dt.date, list[tuple[str, str, object]]] = defaultdict(list)
        for a in later:
            for day, slot, x in b.cands[a.key]:
                later_on[day].append((a.key, slot, x))
        started = None
        for day in sorted(set(first_on) | set(later_on)):
            for _, sessions in itertools.groupby(later_on.get(day, ()), key=lambda e: e[0]):
                sessions = list(sessions)
                with b.about(self.id, [x for _, _, x in sessions]):
                    for _, slot, x in sessions:
                        allowed = [started] if started is not None else []
                        if slot == "pm":
                            allowed += first_am.get(day, [])
                        if not allowed:
                            m.add(x == 0)
                        else:
                            m.add(x <= sum(allowed))
            if first_on.get(day):
                nxt = m.new_bool_var(f"started:{wg}:{day}")
                with b.about(self.id, first_on[day]):
                    m.add(nxt <= (started if started is not None else 0) + sum(first_on[day]))
                started = nxt

    def describe(self, label: Label, p: Problem) -> str:
        return f"{wg_names(label)}'s first group meeting must come before any visit"

    def check(self, c: Checked) -> Iterator[Violation]:
        for wg in c.work_groups():
            ss = c.of_wg(wg.id)
            for stream in wg.programme.streams:
                if stream.after is None:
                    continue
                first = [s for s in ss if s.kind == stream.after]
                for v in (s for s in ss if s.kind == stream.kind):
                    if first and not any(
                        g.date < v.date or (g.date == v.date and g.slot == "am" and v.slot == "pm")
                        for g in first
                    ):
                        yield Violation(
                            self.id,
                            f"{c.describe(v)} comes before {wg.id}'s first {KIND_LABEL[stream.after]} "
                            f"({min(g.date for g in first)})",
                            wg.id,
                            ("wg", wg.id),
                            (v.id, min(first).id),
                        )


class R7TermlyContact(Rule):
    """Visits per term: at least one a term in Secondary Development, exactly one in Primary."""

    id, title = "R7", "termly contact"
    reach = "group"

    def terms(self, p: Problem, wg: WorkGroupSpec, school: str) -> list[Period]:
        """The terms in which the school needs visits (none when its visits are not counted so)."""
        act = wg.activity("visit", school)
        required = stream_periods(p, wg, act) if act is not None else None
        return required[0] if required else []

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            add_periods(b, wg, self)

    def describe(self, label: Label, p: Problem) -> str:
        stream = stream_name(label, p)
        return f"{stream} is needed{when(label)}" if stream else f"a visit is needed{when(label)}"

    def check(self, c: Checked) -> Iterator[Violation]:
        yield from check_periods(c, self.id)


class R8Spacing(Rule):
    """Visits to one school in different ISO weeks (across all WGs); sessions of a stream at
    least `gap_days` apart (14 for group meetings); meetings per term or half-term."""

    id, title = "R8", "spacing"
    reach = "week"  # a school's visits in one ISO week

    def cadence(self, p: Problem, wg: WorkGroupSpec) -> list[Period]:
        """The periods in which the WG needs group meetings (none when not counted so)."""
        act = wg.activity("group")
        required = stream_periods(p, wg, act) if act is not None else None
        return required[0] if required else []

    def add(self, b: Builder) -> None:
        p, m = b.problem, b.model
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for act in p.activities:
            if act.kind == "visit":
                for day, _, x in b.cands[act.key]:
                    weekly[(act.school, iso_week(day))].append(x)
        for (school, _), xs in weekly.items():
            if len(xs) > 1:
                with b.about(self.id, xs, school=school):
                    m.add_at_most_one(xs)
        for wg in p.work_groups.values():
            for stream in wg.programme.streams:
                if stream.gap_days is not None:
                    for _, acts in wg.units(stream):
                        self._gap(b, acts, int(stream.gap_days))
            add_periods(b, wg, self)

    def _gap(self, b: Builder, acts: list[Activity], gap: int) -> None:
        """Sliding window: at most one session in any `gap` consecutive calendar days."""
        by_day: dict[dt.date, list] = defaultdict(list)
        for a in acts:
            for day, _, x in b.cands[a.key]:
                by_day[day].append(x)
        days = sorted(by_day)
        j = last_j = 0
        for i, start in enumerate(days):
            while j < len(days) and (days[j] - start).days < gap:
                j += 1
            if j > last_j:  # a window that adds no day to the last one says nothing new
                window = [x for d in days[i:j] for x in by_day[d]]
                if len(window) > 1:
                    with b.about(self.id, window):
                        b.model.add_at_most_one(window)
                last_j = j

    def describe(self, label: Label, p: Problem) -> str:
        gap = range_or_unknown(params(label, p).get("group_gap_days"))
        return (
            f"{stream_name(label, p) or wg_names(label)}: sessions spread one per period, group meetings at "
            f"least {gap} days apart, visits to a school in different weeks"
        )

    def relaxations(self, label: Label, p: Problem) -> list[Relaxation]:
        return [lower_gap(p, w) for w in label.wgs]

    def check(self, c: Checked) -> Iterator[Violation]:
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for s in c.sessions:
            if s.kind == "visit" and s.school and c.asks("school", s.school):
                weekly[(s.school, iso_week(s.date))].append(s)
        for (school, (y, w)), ss in sorted(weekly.items()):
            if len(ss) > 1:
                yield Violation(
                    self.id,
                    f"{school} has {len(ss)} visits in week {y}-W{w:02d}: "
                    + ", ".join(c.describe(s) for s in ss),
                    ss[0].work_group,
                    ("school", school),
                    ids(ss),
                )
        for wg in c.work_groups():
            for stream in wg.programme.streams:
                if stream.gap_days is None:
                    continue
                gap = int(stream.gap_days)
                for unit, _ in wg.units(stream):
                    ss = sorted(s for s in c.of_wg(wg.id) if s.kind == stream.kind and s.school == unit)
                    for a, b in zip(ss, ss[1:]):
                        if (b.date - a.date).days < gap:
                            yield Violation(
                                self.id,
                                f"{wg.id} {KIND_LABEL[stream.kind]}s on {a.date} and {b.date} are less than "
                                f"{gap} days apart",
                                wg.id,
                                ("wg", wg.id),
                                (a.id, b.id),
                            )
        yield from check_periods(c, self.id)
