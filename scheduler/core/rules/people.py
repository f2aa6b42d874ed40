"""R9–R13: what people can give (weekly load, release budget, travel), pins, headteachers."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from models.units import days_text, units
from scheduler.core.geo import haversine_km
from scheduler.core.problem import PinSpec, Problem, WorkGroupSpec
from scheduler.core.relax import Relaxation, drop_pin, move_pin, raise_budget, raise_km, raise_weekly
from scheduler.core.rules.amounts import add_periods, check_periods, check_shape
from scheduler.core.rules.base import (
    Label,
    Rule,
    Violation,
    activity,
    event_name,
    ids,
    iso_week,
    pin_name,
    stream_name,
    wg_names,
    when,
    who,
)
from scheduler.core.rules.where import candidate_slots

if TYPE_CHECKING:  # pragma: no cover
    from scheduler.core.checked import Checked
    from scheduler.core.model import Builder


class R9SpecialistLoad(Rule):
    """A specialist's days in one ISO week (`max_days_per_week`, across their WGs), and a Work
    Group's days in one week (its programme's `max_days_per_week`: a trainee's one day a
    week). A week whose central events alone exceed the programme's cap keeps them (they are
    fixed) and has no other session of that WG."""

    id, title = "R9", "specialist load"
    reach = "week"

    def add(self, b: Builder) -> None:
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for act in b.problem.activities:
            for day, slot, x in b.cands[act.key]:
                weekly[(act.leader, iso_week(day))].append((units(slot), x))
        for (person, _), terms in weekly.items():
            cap = b.problem.people[person].max_days_per_week
            if cap is not None and sum(u for u, _ in terms) > 2 * cap:  # else it cannot bind
                with b.about(self.id, [x for _, x in terms], person=person):
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
                    with b.about(self.id, [x for _, x in terms]):
                        b.model.add(sum(u * x for u, x in terms) <= room)

    def describe(self, label: Label, p: Problem) -> str:
        cap = p.people[label.person].max_days_per_week if label.person else None
        if cap:
            return f"{who(label, p)} may work at most {cap:g} days a week on Work Groups"
        return "the weekly load cap"

    def relaxations(self, label: Label, p: Problem) -> list[Relaxation]:
        return (
            [raise_weekly(p, label.person)]
            if label.person and p.people[label.person].max_days_per_week
            else []
        )

    def check(self, c: Checked) -> Iterator[Violation]:
        weekly: dict[tuple[str, tuple[int, int]], list] = defaultdict(list)
        for s in c.sessions:
            if c.asks("person", s.specialist):
                weekly[(s.specialist, iso_week(s.date))].append(s)
        for (person, (y, w)), ss in sorted(weekly.items()):
            pc = c.problem.people.get(person)
            n = sum(units(s.slot) for s in ss)
            if pc and pc.max_days_per_week is not None and n > 2 * pc.max_days_per_week:
                yield Violation(
                    self.id,
                    f"{pc.name} leads {days_text(n)} in week {y}-W{w:02d}; at most {pc.max_days_per_week:g}",
                    about=("person", person),
                    sessions=ids(ss),
                )
        for wg in c.work_groups():
            cap = wg.programme.max_days_per_week
            if cap is not None:
                yield from self._check_wg(c, wg, cap)

    def _check_wg(self, c: Checked, wg: WorkGroupSpec, cap: float) -> Iterator[Violation]:
        fixed: dict[tuple[int, int], int] = defaultdict(int)
        free: dict[tuple[int, int], int] = defaultdict(int)
        week: dict[tuple[int, int], list] = defaultdict(list)
        for s in c.of_wg(wg.id):
            stream = wg.stream(s.kind)
            bucket = fixed if stream is not None and stream.fixed else free
            bucket[iso_week(s.date)] += units(s.slot)
            week[iso_week(s.date)].append(s)
        for (y, w), n in sorted(free.items()):
            if n > max(0, 2 * cap - fixed[(y, w)]):
                also = f" besides {days_text(fixed[(y, w)])} of central events" if fixed[(y, w)] else ""
                yield Violation(
                    self.id,
                    f"{wg.id} has {days_text(n)} in week {y}-W{w:02d}{also}; at most {cap:g} a week",
                    wg.id,
                    ("wg", wg.id),
                    ids(week[(y, w)]),
                )


class R10ReleaseBudget(Rule):
    id, title = "R10", "release budget"
    reach = "year"  # a teacher's days all year

    def add(self, b: Builder) -> None:
        load: dict[str, list] = defaultdict(list)
        sessions: dict[str, list] = defaultdict(list)
        capped = {t for t, pc in b.problem.people.items() if pc.max_release_days is not None}
        for act in b.problem.activities:
            for t in act.teachers:
                if t in capped:
                    load[t].extend(units(slot) * x for _, slot, x in b.cands[act.key])
                    sessions[t] += b.sessions(act)
        for t, terms in load.items():
            with b.about(self.id, sessions[t], person=t):
                b.model.add(sum(terms) <= int(2 * b.problem.people[t].max_release_days))

    def describe(self, label: Label, p: Problem) -> str:
        budget = p.people[label.person].max_release_days if label.person else None
        return f"{who(label, p)} may be released at most {budget:g} days" if budget else "the release budget"

    def relaxations(self, label: Label, p: Problem) -> list[Relaxation]:
        return (
            [raise_budget(p, label.person)]
            if label.person and p.people[label.person].max_release_days
            else []
        )

    def check(self, c: Checked) -> Iterator[Violation]:
        load: dict[str, list] = defaultdict(list)
        for s in c.sessions:
            for t in c.asked("person", s.teachers):
                load[t].append(s)
        for t, ss in sorted(load.items()):
            pc = c.problem.people.get(t)
            n = sum(units(s.slot) for s in ss)
            if pc and pc.max_release_days is not None and n > 2 * pc.max_release_days:
                yield Violation(
                    self.id,
                    f"{pc.name} is released for {days_text(n)}; at most {pc.max_release_days:g}",
                    about=("person", t),
                    sessions=ids(ss),
                )


class R11Pinned(Rule):
    """Pinned sessions stay exactly as they are; so do central events, whose activity has
    one date and slot only (a central event on a date the rules forbid, like such a pin,
    leaves no plan)."""

    id, title = "R11", "pinned"
    reach = "group"

    def add(self, b: Builder) -> None:
        for pin in b.problem.pins:
            act = b.problem.pin_activity(pin)
            x = b.var(act.key, pin.date, pin.slot) if act is not None else None
            pinned = {"wgs": (pin.wg,), "act": act.key if act else None, "pin": pin.index}
            with b.about(self.id, [x] if x is not None else [], days=(pin.date,), **pinned):
                if x is None:
                    b.model.add_bool_or([])  # no legal variable: the pin alone makes the plan impossible
                else:
                    b.model.add(x == 1)
        for act in b.problem.activities:
            if act.dates is None:
                continue
            xs = b.sessions(act)
            day, slot = min(act.dates), act.slots[0]
            with b.about(self.id, xs, days=(day,), wgs=(act.wg,), act=act.key):
                if xs:
                    b.model.add(sum(xs) == 1)
                else:  # R1–R3 rule its date out
                    x = b.model.new_bool_var(f"{act.key}@{day}:{slot}")
                    b.model.add(x == 1)
                    b.model.add(x == 0)

    def describe(self, label: Label, p: Problem) -> str:
        """The pin or central event itself: its session, date and slot; what stands in its
        way is told by the other rules of the clash."""
        pin = self._pin(label, p)
        if pin is not None:
            return f"{pin_name(p, pin)} must stay as it is"
        act = activity(p, label.act)
        if act is not None and act.fixed:
            return f"{event_name(p, act)} is fixed by the programme"
        return f"the pinned sessions of {wg_names(label)}"

    def relaxations(self, label: Label, p: Problem) -> list[Relaxation]:
        """Move the pin to the nearest date the rules allow it, or remove it (a central event
        stays: its date is the programme's)."""
        pin = self._pin(label, p)
        if pin is None:
            return []
        act = p.pin_activity(pin)
        legal = candidate_slots(p, act) if act is not None else []
        nearest = sorted(legal, key=lambda c: (abs((c[0] - pin.date).days), c))
        moved = [move_pin(pin.index, *nearest[0])] if nearest else []
        return moved + [drop_pin(p, pin.index)]

    @staticmethod
    def _pin(label: Label, p: Problem) -> PinSpec | None:
        return next((x for x in p.pins if x.index == label.pin), None) if label.pin is not None else None

    def check(self, c: Checked) -> Iterator[Violation]:
        planned = {(s.work_group, s.kind, s.school, s.date, s.slot) for s in c.sessions}

        def stream(wg: str, kind: str, school: str | None) -> tuple[str, ...]:
            """The sessions one of which should be where the pin or event is."""
            return ids(s for s in c.of_wg(wg) if s.kind == kind and s.school == school)

        for pin in c.problem.pins:
            if c.asks("wg", pin.wg) and (pin.wg, pin.kind, pin.school, pin.date, pin.slot) not in planned:
                yield Violation(
                    self.id,
                    f"pinned[{pin.index}] {pin.wg} {pin.kind} on {pin.date} {pin.slot} is not in the plan",
                    pin.wg,
                    ("wg", pin.wg),
                    stream(pin.wg, pin.kind, pin.school),
                )
        for act in (a for wg in c.work_groups() for a in wg.activities):
            for day in sorted(act.dates or ()):
                if (act.wg, act.kind, act.school, day, act.slots[0]) not in planned:
                    yield Violation(
                        self.id,
                        f"{act.label(c.problem)} on {day} {act.slots[0]} (its central_events) is not in the plan",
                        act.wg,
                        ("wg", act.wg),
                        stream(act.wg, act.kind, act.school),
                    )


class R12Travel(Rule):
    id, title = "R12", "travel"
    reach = "week"  # one day

    def too_far(self, p: Problem, a: str, b: str) -> bool:
        la, lb = p.schools[a].location, p.schools[b].location
        return la is not None and lb is not None and haversine_km(la, lb) > p.max_same_day_km

    def add(self, b: Builder) -> None:
        p, m = b.problem, b.model
        too_far = functools.cache(lambda u, v: self.too_far(p, u, v))  # a pair of venues, asked once
        for (person, day), by_venue in b.by_person_day_venue.items():
            if len(by_venue) < 2:  # one venue that day: no travel
                continue
            venues = sorted(by_venue)
            far = [(u, v) for i, u in enumerate(venues) for v in venues[i + 1 :] if too_far(u, v)]
            if not far:
                continue
            apart = sorted({v for pair in far for v in pair})
            with b.about(self.id, [x for v in apart for x in by_venue[v]], person=person):
                at = {}
                for v in apart:
                    at[v] = m.new_bool_var(f"at:{person}:{day}:{v}")
                    for x in by_venue[v]:
                        m.add_implication(x, at[v])
                for u, v in far:
                    m.add_at_most_one([at[u], at[v]])

    def describe(self, label: Label, p: Problem) -> str:
        name = who(label, p)
        if name:
            return f"{name} may not travel more than {p.max_same_day_km:g} km between venues on one day"
        return "the same-day travel limit"

    def relaxations(self, label: Label, p: Problem) -> list[Relaxation]:
        return [raise_km(p)]

    def check(self, c: Checked) -> Iterator[Violation]:
        p = c.problem
        venues: dict[tuple[str, dt.date], dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for s in c.sessions:
            for x in c.asked("person", s.attendees):
                venues[(x, s.date)][s.venue].append(s)
        apart = ((k, vs) for k, vs in venues.items() if len(vs) > 1)  # one venue: no travel
        for (x, day), vs in sorted(apart, key=lambda kv: (kv[0][1], kv[0][0])):
            vs_sorted = sorted(v for v in vs if v in p.schools)
            for i, u in enumerate(vs_sorted):
                for v in vs_sorted[i + 1 :]:
                    if self.too_far(p, u, v):
                        km = haversine_km(p.schools[u].location, p.schools[v].location)
                        name = p.people[x].name if x in p.people else x
                        yield Violation(
                            self.id,
                            f"{name} is at {u} and {v} on {day}, {km:.0f} km apart (max {p.max_same_day_km:g} km)",
                            about=("person", x),
                            sessions=ids([*vs[u], *vs[v]]),
                        )


class R13Headteachers(Rule):
    """Headteachers' meetings: per term as the programme says (one a term in Primary
    Development), each led by the TfM Lead at the WG's venue with every headteacher."""

    id, title = "R13", "headteachers"
    reach = "group"

    def add(self, b: Builder) -> None:
        for wg in b.problem.work_groups.values():
            add_periods(b, wg, self)

    def describe(self, label: Label, p: Problem) -> str:
        return f"{stream_name(label, p) or wg_names(label)} needs a headteachers' meeting{when(label)}"

    def check(self, c: Checked) -> Iterator[Violation]:
        yield from check_shape(c, self.id, ("headteachers",))
        yield from check_periods(c, self.id)
