"""The hard rules R1–R13 of DOMAIN.md, each defined once.

Every rule is one class with:
- `add(b)`: post the rule to the CP-SAT model being built (`scheduler.core.model.Builder`);
- `check(c)`: list where a finished plan breaks it (`scheduler.services.check.Checked`).
R1–R3 also say which (date, slot) an activity may use at all; the model creates variables
only there, and `check` asks the very same question of each planned session.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.units import INF, Range, days_text, halves, in_range, range_text, units
from scheduler.core.calendar import WEEKDAY_NAMES, Period, weekday_name
from scheduler.core.geo import haversine_km
from scheduler.core.problem import KIND_LABEL, Activity, Problem, WorkGroupSpec

if TYPE_CHECKING:  # pragma: no cover
    from scheduler.core.checked import Checked
    from scheduler.core.model import Builder


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    message: str
    work_group: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@functools.lru_cache(maxsize=4096)  # a few hundred school days, asked for per candidate
def iso_week(day: dt.date) -> tuple[int, int]:
    y, w, _ = day.isocalendar()
    return (y, w)


class Rule:
    id = ""
    title = ""

    def add(self, b: Builder) -> None:
        """Post the rule to the model."""

    def check(self, c: Checked) -> Iterator[Violation]:
        """Yield each place a plan breaks the rule."""
        return iter(())


# --------------------------------------------------------------------------- R1–R3: where


class R1Calendar(Rule):
    id, title = "R1", "calendar"

    def parts(self, p: Problem, act: Activity, wg: WorkGroupSpec) -> list[tuple[str, frozenset[dt.date]]]:
        """(why, school days) for the venue and the school of everyone attending."""
        out = [(f"not a school day at {p.schools[act.venue].name} (the venue)", p.schools[act.venue].days)]
        for person in act.attendees:
            school = p.school_of(person)
            out.append(
                (
                    f"not a school day at {p.schools[school].name}, {p.people[person].name}'s school",
                    p.schools[school].days,
                )
            )
        return out

    def dates(self, p: Problem, act: Activity, wg: WorkGroupSpec) -> set[dt.date]:
        days: set[dt.date] | None = None
        for _, allowed in self.parts(p, act, wg):
            days = set(allowed) if days is None else days & allowed
        return {d for d in days or () if wg.start <= d <= wg.end}

    def reasons(self, p: Problem, act: Activity, wg: WorkGroupSpec, day: dt.date) -> list[str]:
        out = [] if wg.start <= day <= wg.end else [f"outside {wg.id}'s window {wg.start}..{wg.end}"]
        return out + list(dict.fromkeys(why for why, allowed in self.parts(p, act, wg) if day not in allowed))

    def check(self, c: Checked) -> Iterator[Violation]:
        for s, act in c.sessions_with_activity():
            for why in self.reasons(c.problem, act, c.wg(s), s.date):
                yield Violation(self.id, f"{c.describe(s)}: {why}", s.work_group)


class R2Release(Rule):
    id, title = "R2", "release"

    def parts(self, p: Problem, act: Activity) -> list[tuple[str, Iterable[dt.date], bool]]:
        """(why, dates, allowed?) — weekdays released, dates unavailable, blackouts."""
        out: list[tuple[str, Iterable[dt.date], bool]] = []
        for person in act.attendees:
            pc = p.people[person]
            out.append(
                (
                    f"{pc.name} is not released on that weekday (releases: {', '.join(sorted(pc.release_days, key=WEEKDAY_NAMES.index)) or 'none'})",
                    pc.release_days,
                    True,
                )
            )
            out.append((f"{pc.name} is unavailable", pc.unavailable, False))
        for school in dict.fromkeys([act.venue, *(p.school_of(x) for x in act.attendees)]):
            out.append((f"inside a blackout at {p.schools[school].name}", p.schools[school].blackouts, False))
        return out

    @staticmethod
    def _failing(parts: list[tuple[str, Iterable, bool]], day: dt.date) -> Iterator[tuple[str, Iterable]]:
        wd = weekday_name(day)
        for why, items, allowed in parts:
            if ((wd if allowed else day) in items) != allowed:
                yield why, items

    def dates(self, p: Problem, act: Activity, days: Iterable[dt.date]) -> set[dt.date]:
        """The days (of those given) on which every attendee can be released."""
        parts = self.parts(p, act)
        return {d for d in days if next(self._failing(parts, d), None) is None}

    def reasons(self, p: Problem, act: Activity, day: dt.date) -> list[str]:
        return [
            f"{why} ({items[day]})" if isinstance(items, dict) else why
            for why, items in self._failing(self.parts(p, act), day)
        ]

    def check(self, c: Checked) -> Iterator[Violation]:
        for s, act in c.sessions_with_activity():
            for why in self.reasons(c.problem, act, s.date):
                yield Violation(self.id, f"{c.describe(s)}: {why}", s.work_group)


class R3NoDoubleBooking(Rule):
    id, title = "R3", "no double booking"

    def busy(self, p: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
        """Attendees with a fixed commitment in that slot."""
        return [
            p.people[x].name for x in act.attendees if any((day, h) in p.people[x].busy for h in halves(slot))
        ]

    def free(self, p: Problem, act: Activity, days: Iterable[dt.date]) -> list[tuple[dt.date, str]]:
        """The (date, slot)s of these days in which no attendee has a fixed commitment: what
        `busy` asks of one slot, for all of them at once (the commitments gathered once)."""
        taken = set().union(*(p.people[x].busy for x in act.attendees))
        return [
            (day, slot)
            for day in days
            for slot in act.slots
            if not any((day, h) in taken for h in halves(slot))
        ]

    def add(self, b: Builder) -> None:
        for xs in b.by_person_half.values():  # (person, date, half) -> sessions there
            if len(xs) > 1:
                b.model.add_at_most_one(xs)
        for (venue, _, _), xs in b.by_venue_half.items():
            cap = b.problem.schools[venue].capacity
            if len(xs) > cap:
                b.model.add(sum(xs) <= cap)

    def check(self, c: Checked) -> Iterator[Violation]:
        p = c.problem
        people: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        venues: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        for s in c.sessions:
            for h in halves(s.slot):
                for x in dict.fromkeys(s.attendees):  # a trainee leads and attends: once
                    people[(x, s.date, h)].append(s)
                venues[(s.venue, s.date, h)].append(s)
            act = c.activity(s)
            if act is not None:
                for name in self.busy(p, act, s.date, s.slot):
                    yield Violation(
                        self.id, f"{c.describe(s)}: {name} has a fixed commitment then", s.work_group
                    )
        for (x, day, h), ss in sorted(people.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
            if len(ss) > 1:
                name = p.people[x].name if x in p.people else x
                yield Violation(
                    self.id,
                    f"{name} is booked twice on {day} {h}: " + " and ".join(c.describe(s) for s in ss),
                    ss[0].work_group,
                )
        for (v, day, h), ss in sorted(venues.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][0])):
            cap = p.schools[v].capacity if v in p.schools else 1
            if len(ss) > cap:
                yield Violation(
                    self.id, f"{v} hosts {len(ss)} sessions on {day} {h}, capacity {cap}", ss[0].work_group
                )


# --------------------------------------------------------------------------- R4–R8: how many, in what order
#
# Each Work Group's programme (models.programmes) is streams of sessions with their numbers:
# `days` and `sessions` per unit (per school for visits, else per WG), `per_term` or
# `per_half_term`, `gap_days`, `after`, the programme's `total_days` and `max_days_per_week`.
# The rules below read only those numbers. A count per term or half-term belongs to R7 for
# visits, R13 for headteachers' meetings and R8 for every other stream (DOMAIN.md).


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


def _add_periods(b: Builder, wg: WorkGroupSpec, rule_id: str) -> None:
    for act in wg.activities:
        if period_rule(act.kind) == rule_id:
            required = stream_periods(b.problem, wg, act)
            if required is not None:
                b.per_period(act, *required)


def _check_periods(c: Checked, rule_id: str) -> Iterator[Violation]:
    """Each period with too few or too many sessions of an activity; with a most per period,
    also every session outside the periods the window covers."""
    p = c.problem
    for wg in p.work_groups.values():
        for act in wg.activities:
            required = stream_periods(p, wg, act) if period_rule(act.kind) == rule_id else None
            if required is None:
                continue
            periods, rng = required
            ss = [s for s in c.of_wg(wg.id) if s.kind == act.kind and s.school == act.school]
            for t in periods:
                n = sum(1 for s in ss if s.date in t)
                if not in_range(n, rng):
                    where = f"the {t.name} term" if wg.stream(act.kind).per_term else f"half-term {t.name}"
                    yield Violation(
                        rule_id,
                        f"{count_text(p, wg.id, act.kind, n, act.school)} in {where} ({t.start}..{t.end}); "
                        f"needs {range_text(rng)}",
                        wg.id,
                    )
            if rng[1] < INF:
                for s in ss:
                    if not any(s.date in t for t in periods):
                        yield Violation(
                            rule_id, f"{c.describe(s)} falls outside the periods the WG covers", wg.id
                        )


def _check_shape(c: Checked, rule_id: str, kinds: Iterable[str]) -> Iterator[Violation]:
    """Sessions held elsewhere, led by someone else or without someone their stream names."""
    kinds = set(kinds)
    for s, _ in c.sessions_with_activity():
        base = c.planned(s)
        if s.kind not in kinds or base is None:
            continue
        if s.venue != base.venue:
            yield Violation(rule_id, f"{c.describe(s)}: held at {base.venue}, not {s.venue}", s.work_group)
        if s.specialist != base.leader:
            yield Violation(
                rule_id, f"{c.describe(s)}: led by {base.leader}, not {s.specialist}", s.work_group
            )
        missing = [t for t in base.teachers if t not in s.teachers]
        if missing:
            yield Violation(
                rule_id, f"{c.describe(s)}: everyone attends; missing {', '.join(missing)}", s.work_group
            )


class R4SupportDays(Rule):
    """Amounts: the days of each stream per unit (Secondary Development's 2–4 group days and
    3–4 days at each school, embedding's 3 days a school, a trainee's development days), of
    all streams together (the 10 support days), and how long one session may be (primary
    visits and every meeting are half-days)."""

    id, title = "R4", "support days"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            total = []
            counted = wg.programme.total_days is not None
            for stream in wg.programme.streams:
                if stream.days is None and not counted:
                    continue
                for _, acts in wg.units(stream):
                    h = b.halves_of(*acts)
                    # Central events add up by validation and R11 holds each: nothing to post.
                    if stream.days is not None and not stream.fixed:
                        lo, hi = stream.days
                        b.model.add_linear_constraint(h, int(2 * lo), int(2 * min(hi, INF)))
                    total.append(h)
            if counted:
                lo, hi = wg.programme.total_days
                b.model.add_linear_constraint(sum(total), int(2 * lo), int(2 * min(hi, INF)))

    def check(self, c: Checked) -> Iterator[Violation]:
        for s, _ in c.sessions_with_activity():
            stream = c.wg(s).stream(s.kind)
            if s.slot not in stream.slots:
                what = KIND_LABEL.get(s.kind, s.kind)
                yield Violation(
                    self.id,
                    f"{c.describe(s)}: {c.wg(s).programme.name} {what}s are {_slots_text(stream.slots)}",
                    s.work_group,
                )
        for wg in c.problem.work_groups.values():
            total = 0
            for stream in wg.programme.streams:
                for unit, _ in wg.units(stream):
                    h = sum(
                        units(s.slot) for s in c.of_wg(wg.id) if s.kind == stream.kind and s.school == unit
                    )
                    total += h
                    if stream.days is not None and not in_range(h / 2, stream.days):
                        what = KIND_LABEL.get(stream.kind, stream.kind) + "s"
                        to = f" to {c.problem.schools[unit].name}" if unit else ""
                        yield Violation(
                            self.id,
                            f"{wg.id} has {days_text(h)} of {what}{to}; needs {range_text(stream.days)}",
                            wg.id,
                        )
            rng = wg.programme.total_days
            if rng is not None and not in_range(total / 2, rng):
                yield Violation(
                    self.id, f"{wg.id} has {days_text(total)} in all; needs {range_text(rng)}", wg.id
                )


class R5GroupMeetings(Rule):
    """How many sessions a stream has (at least 4 group meetings in Secondary Development),
    and that each is held where its programme says, led by whom it says, with everyone it
    names: all the WG's teachers at a group meeting (headteachers' meetings: R13)."""

    id, title = "R5", "group meetings"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            for stream in wg.programme.streams:
                if stream.sessions is None:
                    continue
                lo, hi = stream.sessions
                for _, acts in wg.units(stream):
                    b.model.add_linear_constraint(b.count_of(*acts), int(lo), int(min(hi, INF)))

    def check(self, c: Checked) -> Iterator[Violation]:
        yield from _check_shape(c, self.id, (k for k in KIND_LABEL if k != "headteachers"))
        for wg in c.problem.work_groups.values():
            for stream in wg.programme.streams:
                if stream.sessions is None:
                    continue
                for unit, _ in wg.units(stream):
                    n = sum(1 for s in c.of_wg(wg.id) if s.kind == stream.kind and s.school == unit)
                    if not in_range(n, stream.sessions):
                        yield Violation(
                            self.id,
                            f"{count_text(c.problem, wg.id, stream.kind, n, unit)}; needs {range_text(stream.sessions)}",
                            wg.id,
                        )


class R6LaunchFirst(Rule):
    """A stream with `after` (visits after the group's launch meeting) has no session before
    the first session of that stream; a later slot of the same date is fine."""

    id, title = "R6", "launch first"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            for stream in wg.programme.streams:
                if stream.after is None:
                    continue
                first = [a for a in wg.activities if a.kind == stream.after]
                later = [a for a in wg.activities if a.kind == stream.kind]
                if first and later:
                    self._chain(b, wg.id, first, later)

    @staticmethod
    def _chain(b: Builder, wg: str, first: list[Activity], later: list[Activity]) -> None:
        """started[d] = a `first` session on an earlier date: an O(days) prefix chain."""
        m = b.model
        first_on: dict[dt.date, list] = defaultdict(list)
        first_am: dict[dt.date, list] = defaultdict(list)
        for a in first:
            for day, slot, x in b.cands[a.key]:
                first_on[day].append(x)
                if slot == "am":
                    first_am[day].append(x)
        later_on: dict[dt.date, list[tuple[str, object]]] = defaultdict(list)
        for a in later:
            for day, slot, x in b.cands[a.key]:
                later_on[day].append((slot, x))
        started = None
        for day in sorted(set(first_on) | set(later_on)):
            for slot, x in later_on.get(day, ()):
                allowed = [started] if started is not None else []
                if slot == "pm":
                    allowed += first_am.get(day, [])
                if not allowed:
                    m.add(x == 0)
                else:
                    m.add(x <= sum(allowed))
            if first_on.get(day):
                nxt = m.new_bool_var(f"started:{wg}:{day}")
                m.add(nxt <= (started if started is not None else 0) + sum(first_on[day]))
                started = nxt

    def check(self, c: Checked) -> Iterator[Violation]:
        for wg in c.problem.work_groups.values():
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
                        )


class R7TermlyContact(Rule):
    """Visits per term: at least one a term in Secondary Development, exactly one in Primary."""

    id, title = "R7", "termly contact"

    def terms(self, p: Problem, wg: WorkGroupSpec, school: str) -> list[Period]:
        """The terms in which the school needs visits (none when its visits are not counted so)."""
        act = wg.activity("visit", school)
        required = stream_periods(p, wg, act) if act is not None else None
        return required[0] if required else []

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            _add_periods(b, wg, self.id)

    def check(self, c: Checked) -> Iterator[Violation]:
        yield from _check_periods(c, self.id)


class R8Spacing(Rule):
    """Visits to one school in different ISO weeks (across all WGs); sessions of a stream at
    least `gap_days` apart (14 for group meetings); meetings per term or half-term."""

    id, title = "R8", "spacing"

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
        for xs in weekly.values():
            if len(xs) > 1:
                m.add_at_most_one(xs)
        for wg in p.work_groups.values():
            for stream in wg.programme.streams:
                if stream.gap_days is not None:
                    for _, acts in wg.units(stream):
                        self._gap(b, acts, int(stream.gap_days))
            _add_periods(b, wg, self.id)

    @staticmethod
    def _gap(b: Builder, acts: list[Activity], gap: int) -> None:
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
                    b.model.add_at_most_one(window)
                last_j = j

    def check(self, c: Checked) -> Iterator[Violation]:
        p = c.problem
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for s in c.sessions:
            if s.kind == "visit" and s.school:
                weekly[(s.school, iso_week(s.date))].append(s)
        for (school, (y, w)), ss in sorted(weekly.items()):
            if len(ss) > 1:
                yield Violation(
                    self.id,
                    f"{school} has {len(ss)} visits in week {y}-W{w:02d}: "
                    + ", ".join(c.describe(s) for s in ss),
                    ss[0].work_group,
                )
        for wg in p.work_groups.values():
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
                            )
        yield from _check_periods(c, self.id)


# --------------------------------------------------------------------------- R9–R13: people, pins, travel


class R9SpecialistLoad(Rule):
    """A specialist's days in one ISO week (`max_days_per_week`, across their WGs), and a Work
    Group's days in one week (its programme's `max_days_per_week`: a trainee's one day a
    week). A week whose central events alone exceed the programme's cap keeps them (they are
    fixed) and has no other session of that WG."""

    id, title = "R9", "specialist load"

    def add(self, b: Builder) -> None:
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for act in b.problem.activities:
            for day, slot, x in b.cands[act.key]:
                weekly[(act.leader, iso_week(day))].append((units(slot), x))
        for (person, _), terms in weekly.items():
            cap = b.problem.people[person].max_days_per_week
            if cap is not None and sum(u for u, _ in terms) > 2 * cap:  # else it cannot bind
                b.model.add(sum(u * x for u, x in terms) <= int(2 * cap))
        for wg in b.problem.work_groups.values():
            cap = wg.programme.max_days_per_week
            if cap is None:
                continue
            fixed: dict[tuple[int, int], int] = defaultdict(int)
            free: dict[tuple[int, int], list] = defaultdict(list)
            for act in wg.activities:
                for day, slot, x in b.cands[act.key]:
                    if act.dates is not None:
                        fixed[iso_week(day)] += units(slot)
                    else:
                        free[iso_week(day)].append((units(slot), x))
            for week, terms in free.items():
                room = max(0, int(2 * cap) - fixed[week])
                if sum(u for u, _ in terms) > room:
                    b.model.add(sum(u * x for u, x in terms) <= room)

    def check(self, c: Checked) -> Iterator[Violation]:
        weekly: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)
        for s in c.sessions:
            weekly[(s.specialist, iso_week(s.date))] += units(s.slot)
        for (person, (y, w)), n in sorted(weekly.items()):
            pc = c.problem.people.get(person)
            if pc and pc.max_days_per_week is not None and n > 2 * pc.max_days_per_week:
                yield Violation(
                    self.id,
                    f"{pc.name} leads {days_text(n)} in week {y}-W{w:02d}; at most {pc.max_days_per_week:g}",
                )
        for wg in c.problem.work_groups.values():
            cap = wg.programme.max_days_per_week
            if cap is not None:
                yield from self._check_wg(c, wg, cap)

    def _check_wg(self, c: Checked, wg: WorkGroupSpec, cap: float) -> Iterator[Violation]:
        fixed: dict[tuple[int, int], int] = defaultdict(int)
        free: dict[tuple[int, int], int] = defaultdict(int)
        for s in c.of_wg(wg.id):
            stream = wg.stream(s.kind)
            bucket = fixed if stream is not None and stream.fixed else free
            bucket[iso_week(s.date)] += units(s.slot)
        for (y, w), n in sorted(free.items()):
            if n > max(0, 2 * cap - fixed[(y, w)]):
                also = f" besides {days_text(fixed[(y, w)])} of central events" if fixed[(y, w)] else ""
                yield Violation(
                    self.id,
                    f"{wg.id} has {days_text(n)} in week {y}-W{w:02d}{also}; at most {cap:g} a week",
                    wg.id,
                )


class R10ReleaseBudget(Rule):
    id, title = "R10", "release budget"

    def add(self, b: Builder) -> None:
        load: dict[str, list] = defaultdict(list)
        capped = {t for t, pc in b.problem.people.items() if pc.max_release_days is not None}
        for act in b.problem.activities:
            for t in act.teachers:
                if t in capped:
                    load[t].extend(units(slot) * x for _, slot, x in b.cands[act.key])
        for t, terms in load.items():
            b.model.add(sum(terms) <= int(2 * b.problem.people[t].max_release_days))

    def check(self, c: Checked) -> Iterator[Violation]:
        load: dict[str, int] = defaultdict(int)
        for s in c.sessions:
            for t in s.teachers:
                load[t] += units(s.slot)
        for t, n in sorted(load.items()):
            pc = c.problem.people.get(t)
            if pc and pc.max_release_days is not None and n > 2 * pc.max_release_days:
                yield Violation(
                    self.id, f"{pc.name} is released for {days_text(n)}; at most {pc.max_release_days:g}"
                )


class R11Pinned(Rule):
    """Pinned sessions stay exactly as they are; so do central events, whose activity has
    one date and slot only (a central event on a date the rules forbid, like such a pin,
    leaves no plan)."""

    id, title = "R11", "pinned"

    def add(self, b: Builder) -> None:
        for pin in b.problem.pins:
            x = b.pin_var(pin)
            if x is None:
                b.model.add_bool_or([])  # no legal variable: the pin alone makes the plan impossible
            else:
                b.model.add(x == 1)
        for act in b.problem.activities:
            if act.dates is None:
                continue
            xs = [x for _, _, x in b.cands[act.key]]
            if xs:
                b.model.add(sum(xs) == 1)
            else:  # R1–R3 rule its date out: a variable named for the event says whose clash it is
                day, slot = min(act.dates), act.slots[0]
                x = b.model.new_bool_var(f"{act.key}@{day}:{slot}")
                b.model.add(x == 1)
                b.model.add(x == 0)

    def check(self, c: Checked) -> Iterator[Violation]:
        planned = {(s.work_group, s.kind, s.school, s.date, s.slot) for s in c.sessions}
        for pin in c.problem.pins:
            if (pin.wg, pin.kind, pin.school, pin.date, pin.slot) not in planned:
                yield Violation(
                    self.id,
                    f"pinned[{pin.index}] {pin.wg} {pin.kind} on {pin.date} {pin.slot} is not in the plan",
                    pin.wg,
                )
        for act in c.problem.activities:
            for day in sorted(act.dates or ()):
                if (act.wg, act.kind, act.school, day, act.slots[0]) not in planned:
                    yield Violation(
                        self.id,
                        f"{act.label(c.problem)} on {day} {act.slots[0]} (its central_events) is not in the plan",
                        act.wg,
                    )


class R12Travel(Rule):
    id, title = "R12", "travel"

    def too_far(self, p: Problem, a: str, b: str) -> bool:
        la, lb = p.schools[a].location, p.schools[b].location
        return la is not None and lb is not None and haversine_km(la, lb) > p.max_same_day_km

    def add(self, b: Builder) -> None:
        p, m = b.problem, b.model
        for (person, day), by_venue in b.by_person_day_venue.items():
            venues = sorted(by_venue)
            far = [(u, v) for i, u in enumerate(venues) for v in venues[i + 1 :] if self.too_far(p, u, v)]
            if not far:
                continue
            at = {}
            for v in sorted({v for pair in far for v in pair}):
                at[v] = m.new_bool_var(f"at:{person}:{day}:{v}")
                for x in by_venue[v]:
                    m.add_implication(x, at[v])
            for u, v in far:
                m.add_at_most_one([at[u], at[v]])

    def check(self, c: Checked) -> Iterator[Violation]:
        p = c.problem
        venues: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
        for s in c.sessions:
            for x in s.attendees:
                venues[(x, s.date)].add(s.venue)
        for (x, day), vs in sorted(venues.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            vs_sorted = sorted(v for v in vs if v in p.schools)
            for i, u in enumerate(vs_sorted):
                for v in vs_sorted[i + 1 :]:
                    if self.too_far(p, u, v):
                        km = haversine_km(p.schools[u].location, p.schools[v].location)
                        name = p.people[x].name if x in p.people else x
                        yield Violation(
                            self.id,
                            f"{name} is at {u} and {v} on {day}, {km:.0f} km apart (max {p.max_same_day_km:g} km)",
                        )


class R13Headteachers(Rule):
    """Headteachers' meetings: per term as the programme says (one a term in Primary
    Development), each led by the TfM Lead at the WG's venue with every headteacher."""

    id, title = "R13", "headteachers"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            _add_periods(b, wg, self.id)

    def check(self, c: Checked) -> Iterator[Violation]:
        yield from _check_shape(c, self.id, ("headteachers",))
        yield from _check_periods(c, self.id)


RULES: tuple[Rule, ...] = (
    R1Calendar(),
    R2Release(),
    R3NoDoubleBooking(),
    R4SupportDays(),
    R5GroupMeetings(),
    R6LaunchFirst(),
    R7TermlyContact(),
    R8Spacing(),
    R9SpecialistLoad(),
    R10ReleaseBudget(),
    R11Pinned(),
    R12Travel(),
    R13Headteachers(),
)
RULE = {r.id: r for r in RULES}


def candidate_slots(p: Problem, act: Activity) -> list[tuple[dt.date, str]]:
    """Every (date, slot) the activity may use under R1, R2 and R3's commitments."""
    wg = p.work_groups[act.wg]
    days = RULE["R1"].dates(p, act, wg)
    if act.dates is not None:  # a central event: its own date only
        days &= act.dates
    return RULE["R3"].free(p, act, sorted(RULE["R2"].dates(p, act, days)))
