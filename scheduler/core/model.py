"""The CP-SAT model: time-indexed booleans over precomputed candidates.

`x[activity, date, slot]` exists only where R1–R3 allow the whole activity to meet, so
availability costs nothing in the model. Rules post their constraints (`rules.RULES`);
the soft goals S1–S4 are built here as separate linear terms, each reported on its own.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.programmes import expected_sessions
from models.units import INF, Range, halves, units
from scheduler.core.calendar import Period, weekday_name
from scheduler.core.geo import round_trip_miles
from scheduler.core.problem import Activity, PinSpec, Problem
from scheduler.core.rules import RULES, candidate_slots, iso_week, stream_periods

SOFT_GOALS = {
    "S1": "spread",
    "S2": "preferences",
    "S3": "travel",
    "S4": "cost",
    "S5": "changes",  # re-planning only: sessions moved, added or dropped
}


@dataclass
class Builder:
    problem: Problem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    cands: dict[str, list[tuple[dt.date, str, cp_model.IntVar]]] = field(default_factory=dict)
    by_person_half: dict[tuple[str, dt.date, str], list] = field(default_factory=lambda: defaultdict(list))
    by_venue_half: dict[tuple[str, dt.date, str], list] = field(default_factory=lambda: defaultdict(list))
    by_person_day_venue: dict[tuple[str, dt.date], dict[str, list]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    soft: dict[str, list] = field(default_factory=lambda: {k: [] for k in SOFT_GOALS})
    # Re-planning: (date, slot)s per activity key that must exist even where the rules no
    # longer allow them (sessions that already happened).
    extra: dict[str, list[tuple[dt.date, str]]] = field(default_factory=dict)
    # Repairing: activities held to these (date, slot)s, taken from a rule-abiding plan of
    # the same instance, so they are candidates already (the TfM Lead's repair, `solve`).
    only: dict[str, set[tuple[dt.date, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        indexed = self._one_per_attendance()
        for act in self.problem.activities:
            xs = []
            if act.key in self.only:
                slots = sorted(self.only[act.key])
            else:
                slots = candidate_slots(self.problem, act)
            if act.key in self.extra:
                slots = sorted(set(slots) | set(self.extra[act.key]))
            new_bool_var, venue = self.model.new_bool_var, act.venue
            attendees = [person for person in act.attendees if person in indexed]
            by_person_half, by_venue_half = self.by_person_half, self.by_venue_half
            for day, slot in slots:
                x = new_bool_var(f"{act.key}@{day}:{slot}")
                xs.append((day, slot, x))
                for h in halves(slot):
                    for person in attendees:
                        by_person_half[(person, day, h)].append(x)
                    by_venue_half[(venue, day, h)].append(x)
                for person in attendees:
                    self.by_person_day_venue[(person, day)][venue].append(x)
            self.cands[act.key] = xs

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

    # -- helpers the rules use -------------------------------------------------
    def halves_of(self, *acts: Activity):
        """Half-days of sessions of these activities (one unit of a stream)."""
        return sum(units(slot) * x for act in acts for _, slot, x in self.cands[act.key])

    def count_of(self, *acts: Activity):
        """Sessions of these activities."""
        return sum(x for act in acts for _, _, x in self.cands[act.key])

    def per_period(self, act: Activity, periods: list[Period], rng: Range = (1, 1)) -> None:
        """Between rng[0] and rng[1] sessions of `act` in each period; with a finite most,
        none outside the periods (an unlimited most leaves other dates free)."""
        lo, hi = int(rng[0]), int(min(rng[1], INF))
        cands = self.cands[act.key]
        for t in periods:
            n = sum(x for day, _, x in cands if day in t)
            if lo == hi:
                self.model.add(n == lo)
            elif rng[1] >= INF:
                self.model.add(n >= lo)
            else:
                self.model.add_linear_constraint(n, lo, hi)
        if rng[1] < INF:
            outside = [x for day, _, x in cands if not any(day in t for t in periods)]
            if outside:
                self.model.add(sum(outside) == 0)

    def pin_var(self, pin: PinSpec):
        """The variable of a pinned session, or None when no rule-abiding one exists."""
        act = self.problem.pin_activity(pin)
        for day, slot, x in self.cands.get(act.key, ()) if act is not None else ():
            if day == pin.date and slot == pin.slot:
                return x
        return None

    @property
    def num_variables(self) -> int:
        return len(self.model.proto.variables)

    # -- build -----------------------------------------------------------------
    def build(self) -> Builder:
        for rule in RULES:
            rule.add(self)
        self._spread()
        self._preferences()
        self._travel()
        self._cost()
        self.model.minimize(self.objective())
        return self

    def objective(self, goals: tuple[str, ...] = ("S1", "S2", "S3", "S4")):
        """The weighted sum of these soft goals (S5 is minimised first, on its own)."""
        w = self.problem.weights
        weight = {"S1": w["spread"], "S2": w["preferences"], "S3": w["travel"], "S4": w["cost"], "S5": 1}
        return sum(weight[k] * sum(self.soft[k]) for k in goals)

    def _spread(self) -> None:
        """S1: sessions evenly spaced through the window, visits never in back-to-back weeks.

        With n sessions expected over W teaching weeks the ideal gap is g = W / n. Every run
        of round(g) teaching weeks without a session costs 1 and every run of 1.5 g costs 2
        more (a long gap), so bunching costs and even spacing costs nothing. Holiday weeks
        are not teaching weeks, so a gap over Christmas is not held against a plan.
        """
        p, m = self.problem, self.model
        for wg in p.work_groups.values():
            weeks = sorted({iso_week(d) for d in p.hub_days if wg.start <= d <= wg.end})
            for act in wg.activities:
                xs_by_week: dict[tuple[int, int], list] = defaultdict(list)
                for day, _, x in self.cands[act.key]:
                    xs_by_week[iso_week(day)].append(x)
                expected = self._expected_sessions(act)
                wants_spread = expected >= 2 and weeks
                if not (wants_spread or act.kind == "visit"):
                    continue
                # One "meets this week" literal per week with candidates: the windows and
                # back-to-back pairs below then have a term per week, not one per candidate,
                # which keeps the model (and its LP) small and the LP bound no weaker.
                met = {}
                for w, xs in sorted(xs_by_week.items()):
                    met[w] = m.new_bool_var(f"S1:week:{act.key}:{w}")
                    m.add_max_equality(met[w], xs)
                if wants_spread:
                    gap = len(weeks) / expected
                    forced = self._forced_weeks(wg, act)
                    for span, cost in ((max(2, round(gap)), 1), (max(3, math.ceil(1.5 * gap)), 2)):
                        for i in range(0, max(1, len(weeks) - span + 1)):
                            span_weeks = set(weeks[i : i + span])
                            if any(f <= span_weeks for f in forced):
                                continue  # a period inside it needs a session: never empty
                            window = [met[w] for w in weeks[i : i + span] if w in met]
                            miss = m.new_bool_var(f"S1:miss{span}:{act.key}:{i}")
                            m.add_bool_or([*window, miss])
                            self.soft["S1"].append(cost * miss)
                if act.kind == "visit":
                    for w in sorted(met):
                        nxt = _next_week(w)
                        if nxt in met:
                            both = m.new_bool_var(f"S1:b2b:{act.key}:{w}")
                            m.add_bool_or([met[w].Not(), met[nxt].Not(), both])
                            self.soft["S1"].append(2 * both)

    def _forced_weeks(self, wg, act: Activity) -> list[set[tuple[int, int]]]:
        """The weeks with candidates of each period in which `act` needs a session (R5, R7,
        R13): a spread window holding all of one always has a session."""
        required = stream_periods(self.problem, wg, act)
        if required is None or required[1][0] < 1:
            return []
        cands = self.cands[act.key]
        weeks = [{iso_week(day) for day, _, _ in cands if day in t} for t in required[0]]
        return [w for w in weeks if w]  # an empty period leaves no plan anyway (R5, R7)

    def _expected_sessions(self, act: Activity) -> int:
        """The fewest sessions the activity's stream allows (none to spread for central events)."""
        wg = self.problem.work_groups[act.wg]
        stream = wg.stream(act.kind)
        if stream is None or stream.fixed:
            return 0
        required = stream_periods(self.problem, wg, act)
        return expected_sessions(stream, len(required[0]) if required else 0)

    def _preferences(self) -> None:
        """S2: one point per attendee or host school whose preferences a session misses.

        A party with `prefer_days` or `prefer_dates` is pleased by a session on one of those
        weekdays or dates; a party with neither never minds.
        """
        p = self.problem
        for act in p.activities:
            parties = [p.people[x] for x in act.attendees] + [p.schools[act.venue]]
            prefs = [(q.prefer_days, q.prefer_dates) for q in parties if q.prefer_days or q.prefer_dates]
            if not prefs:
                continue
            for day, _, x in self.cands[act.key]:
                wd = weekday_name(day)
                missed = sum(1 for days, dates in prefs if wd not in days and day not in dates)
                if missed:
                    self.soft["S2"].append(missed * x)

    def _travel(self) -> None:
        """S3: miles the leader drives, one round trip per venue per date."""
        p, m = self.problem, self.model
        trips: dict[tuple[str, dt.date, str], list] = defaultdict(list)
        acts_at: dict[tuple[str, dt.date, str], set[str]] = defaultdict(set)
        for act in p.activities:
            home = p.school_of(act.leader)
            if act.venue == home:
                continue
            for day, _, x in self.cands[act.key]:
                trips[(act.leader, day, act.venue)].append(x)
                acts_at[(act.leader, day, act.venue)].add(act.key)
        for key in sorted(trips):
            leader, day, venue = key
            miles = round_trip_miles(p.schools[p.school_of(leader)].location, p.schools[venue].location)
            if not miles:
                continue
            xs = trips[key]
            if len(acts_at[key]) == 1:  # one activity meets at most once a day there
                self.soft["S3"].append(round(miles) * sum(xs))
            else:
                trip = m.new_bool_var(f"S3:trip:{leader}:{day}:{venue}")
                for x in xs:
                    m.add_implication(x, trip)
                self.soft["S3"].append(round(miles) * trip)

    def _cost(self) -> None:
        """S4: pounds of teacher release beyond the funding each school receives per WG."""
        p, m = self.problem, self.model
        for wg in p.work_groups.values():
            funding = wg.release_funding
            if funding is None:  # every release day is paid for: never beyond funding
                continue
            for school in wg.schools:
                terms = []
                for act in wg.activities:
                    n = sum(1 for t in act.teachers if p.school_of(t) == school)
                    if n:
                        per_half = round(p.supply_rate * n / 2)
                        terms += [per_half * units(slot) * x for _, slot, x in self.cands[act.key]]
                if not terms:
                    continue
                excess = m.new_int_var(0, 10**7, f"S4:excess:{wg.id}:{school}")
                m.add(excess >= sum(terms) - round(funding))
                self.soft["S4"].append(excess)


def _next_week(week: tuple[int, int]) -> tuple[int, int]:
    monday = dt.date.fromisocalendar(week[0], week[1], 1) + dt.timedelta(days=7)
    return iso_week(monday)
