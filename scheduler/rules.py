"""The hard rules R1–R13 of DOMAIN.md, each defined once.

Every rule is one class with:
- `add(b)`: post the rule to the CP-SAT model being built (`scheduler.model.Builder`);
- `check(c)`: list where a finished plan breaks it (`scheduler.check.Checked`).
R1–R3 also say which (date, slot) an activity may use at all; the model creates variables
only there, and `check` asks the very same question of each planned session.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .calendar import WEEKDAY_NAMES, Period, weekday_name
from .geo import haversine_km
from .problem import Activity, Problem, WorkGroupSpec

if TYPE_CHECKING:  # pragma: no cover
    from .check import Checked
    from .model import Builder


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    message: str
    work_group: str = ""

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


def halves(slot: str) -> tuple[str, ...]:
    return ("am", "pm") if slot == "day" else (slot,)


def units(slot: str) -> int:
    """A slot's length in half-days."""
    return 2 if slot == "day" else 1


def iso_week(day: dt.date) -> tuple[int, int]:
    y, w, _ = day.isocalendar()
    return (y, w)


def days_text(n_halves: float) -> str:
    return f"{n_halves / 2:g} day" + ("" if n_halves == 2 else "s")


def in_range(value: float, rng: tuple[float, float]) -> bool:
    return rng[0] <= value <= rng[1]


def range_text(rng: tuple[float, float]) -> str:
    lo, hi = rng
    if lo == hi:
        return f"{lo:g}"
    return f"at least {lo:g}" if hi >= 1000 else f"{lo:g}–{hi:g}"


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
                for x in s.attendees:
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


class R4SupportDays(Rule):
    """Amounts: Secondary Development's 10 days and their split, embedding's 3 days a
    school, and which visits may be whole days (primary visits are half-days)."""

    id, title = "R4", "support days"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            r = wg.params
            total = []
            group = wg.activity("group")
            if "group_days" in r and group is not None:
                g = b.halves_of(group)
                b.model.add_linear_constraint(
                    g, int(2 * r["group_days"][0]), int(2 * min(r["group_days"][1], 1000))
                )
                total.append(g)
            if "school_days" in r:
                for school in wg.schools:
                    act = wg.activity("visit", school)
                    if act is None:
                        continue
                    h = b.halves_of(act)
                    b.model.add_linear_constraint(
                        h, int(2 * r["school_days"][0]), int(2 * min(r["school_days"][1], 1000))
                    )
                    total.append(h)
            if "support_days" in r:
                b.model.add_linear_constraint(
                    sum(total), int(2 * r["support_days"][0]), int(2 * min(r["support_days"][1], 1000))
                )

    def check(self, c: Checked) -> Iterator[Violation]:
        for s, act in c.sessions_with_activity():
            if s.kind == "visit" and s.slot not in act.slots:
                yield Violation(
                    self.id,
                    f"{c.describe(s)}: {c.wg(s).programme.name} visits are half-days (am or pm)",
                    s.work_group,
                )
        for wg in c.problem.work_groups.values():
            r = wg.params
            ss = c.of_wg(wg.id)
            group = sum(units(s.slot) for s in ss if s.kind == "group")
            total = group
            if "group_days" in r and not in_range(group / 2, r["group_days"]):
                yield Violation(
                    self.id,
                    f"{wg.id} has {days_text(group)} of group sessions; needs {range_text(r['group_days'])}",
                    wg.id,
                )
            if "school_days" in r:
                for school in wg.schools:
                    h = sum(units(s.slot) for s in ss if s.kind == "visit" and s.school == school)
                    total += h
                    if not in_range(h / 2, r["school_days"]):
                        yield Violation(
                            self.id,
                            f"{wg.id} gives {c.problem.schools[school].name} {days_text(h)} of visits; needs {range_text(r['school_days'])}",
                            wg.id,
                        )
            if "support_days" in r and not in_range(total / 2, r["support_days"]):
                yield Violation(
                    self.id,
                    f"{wg.id} has {days_text(total)} of support; needs {range_text(r['support_days'])}",
                    wg.id,
                )


class R5GroupMeetings(Rule):
    id, title = "R5", "group meetings"

    def add(self, b: Builder) -> None:
        # Shape (half-days, the WG venue, every teacher) holds by construction of the activity.
        for wg in b.problem.work_groups.values():
            group = wg.activity("group")
            if group is not None and "group_meetings" in wg.params:
                lo, hi = wg.params["group_meetings"]
                b.model.add_linear_constraint(b.count_of(group), int(lo), int(min(hi, 1000)))

    def check(self, c: Checked) -> Iterator[Violation]:
        for wg in c.problem.work_groups.values():
            groups = [s for s in c.of_wg(wg.id) if s.kind == "group"]
            for s in groups:
                if s.slot == "day":
                    yield Violation(
                        self.id, f"{c.describe(s)}: group meetings are half-days (am or pm)", wg.id
                    )
                if s.venue != wg.venue:
                    yield Violation(
                        self.id,
                        f"{c.describe(s)}: group meetings are held at {wg.venue}, not {s.venue}",
                        wg.id,
                    )
                if s.specialist != wg.leader:
                    yield Violation(
                        self.id,
                        f"{c.describe(s)}: led by {s.specialist}, not the WG's specialist {wg.leader}",
                        wg.id,
                    )
                missing = [t for t in wg.all_teachers if t not in s.teachers]
                if missing:
                    yield Violation(
                        self.id,
                        f"{c.describe(s)}: every teacher of the WG attends; missing {', '.join(missing)}",
                        wg.id,
                    )
            if "group_meetings" in wg.params and not in_range(len(groups), wg.params["group_meetings"]):
                yield Violation(
                    self.id,
                    f"{wg.id} has {len(groups)} group meetings; needs {range_text(wg.params['group_meetings'])}",
                    wg.id,
                )


class R6LaunchFirst(Rule):
    id, title = "R6", "launch first"

    def add(self, b: Builder) -> None:
        m = b.model
        for wg in b.problem.work_groups.values():
            group = wg.activity("group")
            visits = [a for a in wg.activities if a.kind == "visit"]
            if group is None or not visits:
                continue
            group_on: dict[dt.date, list] = defaultdict(list)
            group_am: dict[dt.date, list] = defaultdict(list)
            for day, slot, x in b.cands[group.key]:
                group_on[day].append(x)
                if slot == "am":
                    group_am[day].append(x)
            visit_on: dict[dt.date, list[tuple[str, object]]] = defaultdict(list)
            for a in visits:
                for day, slot, x in b.cands[a.key]:
                    visit_on[day].append((slot, x))
            # started = a group meeting on an earlier date; an O(days) prefix chain.
            started = None
            for day in sorted(set(group_on) | set(visit_on)):
                for slot, x in visit_on.get(day, ()):
                    allowed = [started] if started is not None else []
                    if slot == "pm":
                        allowed += group_am.get(day, [])
                    if not allowed:
                        m.add(x == 0)
                    else:
                        m.add(x <= sum(allowed))
                if group_on.get(day):
                    nxt = m.new_bool_var(f"started:{wg.id}:{day}")
                    m.add(nxt <= (started if started is not None else 0) + sum(group_on[day]))
                    started = nxt

    def check(self, c: Checked) -> Iterator[Violation]:
        for wg in c.problem.work_groups.values():
            ss = c.of_wg(wg.id)
            groups = [s for s in ss if s.kind == "group"]
            for v in (s for s in ss if s.kind == "visit"):
                if groups and not any(
                    g.date < v.date or (g.date == v.date and g.slot == "am" and v.slot == "pm")
                    for g in groups
                ):
                    first = min(g.date for g in groups)
                    yield Violation(
                        self.id,
                        f"{c.describe(v)} comes before {wg.id}'s first group meeting ({first})",
                        wg.id,
                    )


class R7TermlyContact(Rule):
    id, title = "R7", "termly contact"

    def terms(self, p: Problem, wg: WorkGroupSpec, school: str) -> list[Period]:
        return p.wg_terms(wg, school, 10)

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            exact = wg.programme.visits_exact_per_term
            for act in wg.activities:
                if act.kind != "visit":
                    continue
                b.per_period(act, self.terms(b.problem, wg, act.school), exact)

    def check(self, c: Checked) -> Iterator[Violation]:
        for wg in c.problem.work_groups.values():
            if not wg.programme.has_visits:
                continue
            exact = wg.programme.visits_exact_per_term
            for school in wg.schools:
                terms = self.terms(c.problem, wg, school)
                visits = [s for s in c.of_wg(wg.id) if s.kind == "visit" and s.school == school]
                name = c.problem.schools[school].name
                for t in terms:
                    n = sum(1 for s in visits if s.date in t)
                    if n == 0:
                        yield Violation(self.id, f"{name} gets no {wg.id} visit in the {t.name} term", wg.id)
                    elif exact and n > 1:
                        yield Violation(
                            self.id,
                            f"{name} gets {n} {wg.id} visits in the {t.name} term; exactly one",
                            wg.id,
                        )
                if exact:
                    for s in visits:
                        if not any(s.date in t for t in terms):
                            yield Violation(
                                self.id, f"{c.describe(s)} falls outside the terms the WG covers", wg.id
                            )


class R8Spacing(Rule):
    id, title = "R8", "spacing"

    def cadence(self, p: Problem, wg: WorkGroupSpec) -> list[Period]:
        if wg.programme.group_cadence == "half_term":
            return p.wg_half_terms(wg, 5)
        if wg.programme.group_cadence == "term":
            return p.wg_terms(wg, None, 10)
        return []

    def add(self, b: Builder) -> None:
        p, m = b.problem, b.model
        # Visits to one school fall in different ISO weeks, across all WGs.
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for act in p.activities:
            if act.kind == "visit":
                for day, _, x in b.cands[act.key]:
                    weekly[(act.school, iso_week(day))].append(x)
        for xs in weekly.values():
            if len(xs) > 1:
                m.add_at_most_one(xs)
        for wg in p.work_groups.values():
            group = wg.activity("group")
            if group is None:
                continue
            gap = int(wg.params["group_gap_days"][0])
            by_day: dict[dt.date, list] = defaultdict(list)
            for day, _, x in b.cands[group.key]:
                by_day[day].append(x)
            days = sorted(by_day)
            # Sliding window: at most one meeting in any `gap` consecutive calendar days.
            j = last_j = 0
            for i, start in enumerate(days):
                while j < len(days) and (days[j] - start).days < gap:
                    j += 1
                if j > last_j:  # a window that adds no day to the last one says nothing new
                    window = [x for d in days[i:j] for x in by_day[d]]
                    if len(window) > 1:
                        m.add_at_most_one(window)
                    last_j = j
            periods = self.cadence(p, wg)
            if periods:
                b.per_period(group, periods)

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
            groups = sorted(s for s in c.of_wg(wg.id) if s.kind == "group")
            gap = int(wg.params["group_gap_days"][0])
            for a, b in zip(groups, groups[1:]):
                if (b.date - a.date).days < gap:
                    yield Violation(
                        self.id,
                        f"{wg.id} group meetings on {a.date} and {b.date} are less than {gap} days apart",
                        wg.id,
                    )
            periods = self.cadence(p, wg)
            if periods:
                for t in periods:
                    n = sum(1 for s in groups if s.date in t)
                    if n != 1:
                        yield Violation(
                            self.id,
                            f"{wg.id} has {n} group meetings in {t.name} ({t.start}..{t.end}); exactly one",
                            wg.id,
                        )
                for s in groups:
                    if not any(s.date in t for t in periods):
                        yield Violation(
                            self.id,
                            f"{c.describe(s)} falls outside the {'half-terms' if wg.programme.group_cadence == 'half_term' else 'terms'} the WG covers",
                            wg.id,
                        )


# --------------------------------------------------------------------------- R9–R13: people, pins, travel


class R9SpecialistLoad(Rule):
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


class R10ReleaseBudget(Rule):
    id, title = "R10", "release budget"

    def add(self, b: Builder) -> None:
        load: dict[str, list] = defaultdict(list)
        for act in b.problem.activities:
            for t in act.teachers:
                load[t].extend(units(slot) * x for _, slot, x in b.cands[act.key])
        for t, terms in load.items():
            cap = b.problem.people[t].max_release_days
            if cap is not None:
                b.model.add(sum(terms) <= int(2 * cap))

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
    id, title = "R11", "pinned"

    def add(self, b: Builder) -> None:
        for pin in b.problem.pins:
            x = b.pin_var(pin)
            if x is None:
                b.model.add_bool_or([])  # no legal variable: the pin alone makes the plan impossible
            else:
                b.model.add(x == 1)

    def check(self, c: Checked) -> Iterator[Violation]:
        planned = {(s.work_group, s.kind, s.school, s.date, s.slot) for s in c.sessions}
        for pin in c.problem.pins:
            if (pin.wg, pin.kind, pin.school, pin.date, pin.slot) not in planned:
                yield Violation(
                    self.id,
                    f"pinned[{pin.index}] {pin.wg} {pin.kind} on {pin.date} {pin.slot} is not in the plan",
                    pin.wg,
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
    id, title = "R13", "headteachers"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            act = wg.activity("headteachers")
            if act is None:
                continue
            b.per_period(act, b.problem.wg_terms(wg, None, 10))

    def check(self, c: Checked) -> Iterator[Violation]:
        p = c.problem
        for wg in p.work_groups.values():
            ss = [s for s in c.of_wg(wg.id) if s.kind == "headteachers"]
            if wg.activity("headteachers") is None:
                continue
            for s in ss:
                if s.slot == "day" or s.venue != wg.venue or s.specialist != p.tfm_lead:
                    yield Violation(
                        self.id,
                        f"{c.describe(s)}: a half-day at {wg.venue} led by the TfM Lead {p.tfm_lead}",
                        wg.id,
                    )
                missing = [h for h in wg.headteachers if h not in s.teachers]
                if missing:
                    yield Violation(
                        self.id,
                        f"{c.describe(s)}: every headteacher attends; missing {', '.join(missing)}",
                        wg.id,
                    )
            terms = p.wg_terms(wg, None, 10)
            for t in terms:
                n = sum(1 for s in ss if s.date in t)
                if n != 1:
                    yield Violation(
                        self.id,
                        f"{wg.id} has {n} headteachers' meetings in the {t.name} term; exactly one",
                        wg.id,
                    )
            for s in ss:
                if not any(s.date in t for t in terms):
                    yield Violation(self.id, f"{c.describe(s)} falls outside the terms the WG covers", wg.id)


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
    out = []
    for day in sorted(RULE["R2"].dates(p, act, RULE["R1"].dates(p, act, wg))):
        for slot in act.slots:
            if not RULE["R3"].busy(p, act, day, slot):
                out.append((day, slot))
    return out
