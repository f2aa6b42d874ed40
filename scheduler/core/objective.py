"""The soft goals S1–S4 of DOMAIN.md, each a helper returning its terms.

Each goal adds the variables it needs to the model and returns the linear terms it costs;
`add_goals` keeps each goal's terms apart (`Builder.soft`) so a plan reports them one by
one, and the objective is their weighted sum (`Builder.objective`). S5 (changes, when
re-planning) is `scheduler.services.replan`'s.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from models.programmes import expected_sessions
from models.units import units
from scheduler.core.calendar import weekday_name
from scheduler.core.geo import round_trip_miles
from scheduler.core.model import Builder
from scheduler.core.problem import Activity, Problem, WorkGroupSpec
from scheduler.core.rules import iso_week, stream_periods


def add_goals(b: Builder) -> None:
    """S1–S4 into `b.soft`, in this order (the order the model's variables are made in)."""
    b.soft["S1"] += spread(b)
    b.soft["S2"] += preferences(b)
    b.soft["S3"] += travel(b)
    b.soft["S4"] += cost(b)


def spread(b: Builder) -> list:
    """S1: sessions evenly spaced through the window, visits never in back-to-back weeks.

    With n sessions expected over W teaching weeks the ideal gap is g = W / n. Every run
    of round(g) teaching weeks without a session costs 1 and every run of 1.5 g costs 2
    more (a long gap), so bunching costs and even spacing costs nothing. Holiday weeks
    are not teaching weeks, so a gap over Christmas is not held against a plan.
    """
    p, m = b.problem, b.model
    terms: list = []
    for wg in p.work_groups.values():
        weeks = sorted({iso_week(d) for d in p.hub_days if wg.start <= d <= wg.end})
        for act in wg.activities:
            xs_by_week: dict[tuple[int, int], list] = defaultdict(list)
            for day, _, x in b.cands[act.key]:
                xs_by_week[iso_week(day)].append(x)
            expected = expected_count(p, act)
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
                forced = forced_weeks(b, wg, act)
                for span, cost_ in ((max(2, round(gap)), 1), (max(3, math.ceil(1.5 * gap)), 2)):
                    for i in range(0, max(1, len(weeks) - span + 1)):
                        span_weeks = set(weeks[i : i + span])
                        if any(f <= span_weeks for f in forced):
                            continue  # a period inside it needs a session: never empty
                        window = [met[w] for w in weeks[i : i + span] if w in met]
                        miss = m.new_bool_var(f"S1:miss{span}:{act.key}:{i}")
                        m.add_bool_or([*window, miss])
                        terms.append(cost_ * miss)
            if act.kind == "visit":
                for w in sorted(met):
                    nxt = _next_week(w)
                    if nxt in met:
                        both = m.new_bool_var(f"S1:b2b:{act.key}:{w}")
                        m.add_bool_or([met[w].Not(), met[nxt].Not(), both])
                        terms.append(2 * both)
    return terms


def forced_weeks(b: Builder, wg: WorkGroupSpec, act: Activity) -> list[set[tuple[int, int]]]:
    """The weeks with candidates of each period in which `act` needs a session (R5, R7,
    R13): a spread window holding all of one always has a session."""
    required = stream_periods(b.problem, wg, act)
    if required is None or required[1][0] < 1:
        return []
    cands = b.cands[act.key]
    weeks = [{iso_week(day) for day, _, _ in cands if day in t} for t in required[0]]
    return [w for w in weeks if w]  # an empty period leaves no plan anyway (R5, R7)


def expected_count(p: Problem, act: Activity) -> int:
    """The fewest sessions the activity's stream allows (none to spread for central events)."""
    wg = p.work_groups[act.wg]
    stream = wg.stream(act.kind)
    if stream is None or stream.fixed:
        return 0
    required = stream_periods(p, wg, act)
    return expected_sessions(stream, len(required[0]) if required else 0)


def preferences(b: Builder) -> list:
    """S2: one point per attendee or host school whose preferences a session misses.

    A party with `prefer_days` or `prefer_dates` is pleased by a session on one of those
    weekdays or dates; a party with neither never minds.
    """
    p = b.problem
    terms: list = []
    for act in p.activities:
        parties = [p.people[x] for x in act.attendees] + [p.schools[act.venue]]
        prefs = [(q.prefer_days, q.prefer_dates) for q in parties if q.prefer_days or q.prefer_dates]
        if not prefs:
            continue
        for day, _, x in b.cands[act.key]:
            wd = weekday_name(day)
            missed = sum(1 for days, dates in prefs if wd not in days and day not in dates)
            if missed:
                terms.append(missed * x)
    return terms


def travel(b: Builder) -> list:
    """S3: miles the leader drives, one round trip per venue per date."""
    p, m = b.problem, b.model
    terms: list = []
    trips: dict[tuple[str, dt.date, str], list] = defaultdict(list)
    acts_at: dict[tuple[str, dt.date, str], set[str]] = defaultdict(set)
    for act in p.activities:
        home = p.school_of(act.leader)
        if act.venue == home:
            continue
        for day, _, x in b.cands[act.key]:
            trips[(act.leader, day, act.venue)].append(x)
            acts_at[(act.leader, day, act.venue)].add(act.key)
    for key in sorted(trips):
        leader, day, venue = key
        miles = round_trip_miles(p.schools[p.school_of(leader)].location, p.schools[venue].location)
        if not miles:
            continue
        xs = trips[key]
        if len(acts_at[key]) == 1:  # one activity meets at most once a day there
            terms.append(round(miles) * sum(xs))
        else:
            trip = m.new_bool_var(f"S3:trip:{leader}:{day}:{venue}")
            for x in xs:
                m.add_implication(x, trip)
            terms.append(round(miles) * trip)
    return terms


def cost(b: Builder) -> list:
    """S4: pounds of teacher release beyond the funding each school receives per WG."""
    p, m = b.problem, b.model
    out: list = []
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
                    terms += [per_half * units(slot) * x for _, slot, x in b.cands[act.key]]
            if not terms:
                continue
            excess = m.new_int_var(0, 10**7, f"S4:excess:{wg.id}:{school}")
            m.add(excess >= sum(terms) - round(funding))
            out.append(excess)
    return out


def _next_week(week: tuple[int, int]) -> tuple[int, int]:
    monday = dt.date.fromisocalendar(week[0], week[1], 1) + dt.timedelta(days=7)
    return iso_week(monday)
