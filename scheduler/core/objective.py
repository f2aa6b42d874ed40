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
    """S3: miles the leader drives, one round trip per venue per date.

    A day's trip is `sum(xs)` where one activity meets at the venue that day (it meets
    there at most once a day), else a literal at least each session's. Where several
    activities meet at one venue, `trip_days` says how many of those days each term needs
    at the least, which the LP relaxation alone does not see."""
    p, m = b.problem, b.model
    terms: list = []
    trips: dict[tuple[str, dt.date, str], list] = defaultdict(list)
    acts_at: dict[tuple[str, dt.date, str], set[str]] = defaultdict(set)
    led: dict[tuple[str, str], list[Activity]] = defaultdict(list)  # (leader, venue) -> activities
    for act in p.activities:
        home = p.school_of(act.leader)
        if act.venue == home:
            continue
        led[(act.leader, act.venue)].append(act)
        for day, _, x in b.cands[act.key]:
            trips[(act.leader, day, act.venue)].append(x)
            acts_at[(act.leader, day, act.venue)].add(act.key)
    days_at: dict[tuple[str, str], list[tuple[dt.date, object]]] = defaultdict(list)
    miles_of = {  # a leader's round trip to each venue they lead at
        pair: round_trip_miles(p.schools[p.school_of(pair[0])].location, p.schools[pair[1]].location)
        for pair in led
    }
    for key in sorted(trips):
        leader, day, venue = key
        miles = miles_of[(leader, venue)]
        if not miles:
            continue
        xs = trips[key]
        if len(acts_at[key]) == 1:  # one activity meets at most once a day there
            trip = sum(xs)
        else:
            trip = m.new_bool_var(f"S3:trip:{leader}:{day}:{venue}")
            for x in xs:
                m.add_implication(x, trip)
        terms.append(round(miles) * trip)
        days_at[(leader, venue)].append((day, trip))
    for pair, days in days_at.items():
        if len(led[pair]) > 1:  # one activity's trips are its sessions: nothing to add
            trip_days(b, led[pair], days)
    return terms


def trip_days(b: Builder, acts: list[Activity], days: list[tuple[dt.date, object]]) -> None:
    """A cut: in each hub term, the leader of `acts` (activities they lead at one venue)
    goes there on at least ⌈U / 2⌉ of `days`, where U is the fewest half-days of those
    sessions that the rules require inside the term (each activity's count per term or
    half-term, R7, R8 and R13, times its shortest slot, over the periods inside the term).

    Why every plan keeps it: those sessions fall on dates inside the term, and the leader
    attends every session they lead, at most one a half-day (R3), so at most two
    half-days of them fall on one date: they take at least ⌈U / 2⌉ dates. On each such
    date the trip term is at least 1 (a trip literal is at least each session's; a lone
    activity's `sum(xs)` is its session), so the trip terms of the term's days add up to
    at least ⌈U / 2⌉. No rule-abiding plan is cut off, so the optimum is unchanged.

    Why it is needed: the TfM Lead meets the headteachers of three primary groups at one
    venue each term, and the LP relaxation lets the three meetings share fractions of
    one trip, though at most two half-days fit in a day. On the typical hub (generated,
    43 Work Groups, seed 1) the root bound of such a model stalled 0.08% below the
    optimum, unproven after 60 deterministic s; with the cut its root bound is the optimum.
    """
    p = b.problem
    needs = []
    for act in acts:
        required = stream_periods(p, p.work_groups[act.wg], act)
        if required is not None and required[1][0] >= 1:
            needs.append((required[0], int(required[1][0]) * min(units(s) for s in act.slots)))
    for term in p.hub_terms:
        need = sum(n for periods, n in needs for t in periods if term.start <= t.start and t.end <= term.end)
        inside = [trip for day, trip in days if day in term]
        if need >= 3 and inside:  # at least one trip the LP already knows
            b.model.add(sum(inside) >= (need + 1) // 2)


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
                per_half = release_per_half(p, act, school)
                if per_half is not None:
                    terms += [per_half * units(slot) * x for _, slot, x in b.cands[act.key]]
            if not terms:
                continue
            excess = m.new_int_var(0, 10**7, f"S4:excess:{wg.id}:{school}")
            m.add(excess >= sum(terms) - round(funding))
            out.append(excess)
    return out


def release_floor(p: Problem) -> int:
    """The least S4 term of any plan, weighted: the release beyond funding that the fewest
    sessions (`fewest_halves`) already cost, per Work Group and school, as `cost` counts
    it. Known without solving, so a model's absolute slack can be sized by it
    (`scheduler.core.solve`)."""
    total = 0
    for wg in p.work_groups.values():
        if wg.release_funding is None:
            continue
        for school in wg.schools:
            pounds = [(release_per_half(p, a, school), a) for a in wg.activities]
            paid = sum(per_half * fewest_halves(p, a) for per_half, a in pounds if per_half is not None)
            total += max(0, paid - round(wg.release_funding))
    return p.weights["cost"] * total


def release_per_half(p: Problem, act: Activity, school: str) -> int | None:
    """S4: pounds of cover for `school`'s teachers at a half-day of `act` (None: none attend)."""
    n = sum(1 for t in act.teachers if p.school_of(t) == school)
    return round(p.supply_rate * n / 2) if n else None


def fewest_halves(p: Problem, act: Activity) -> int:
    """The fewest half-days of sessions `act` has in any rule-abiding plan: its stream's
    fewest sessions (`expected_count`) in its shortest slot, or its fewest days (R4)."""
    stream = p.work_groups[act.wg].stream(act.kind)
    n = expected_count(p, act) * min(units(slot) for slot in act.slots)
    if stream is not None and stream.days is not None and not stream.fixed:
        n = max(n, math.ceil(2 * stream.days[0]))
    return n


def _next_week(week: tuple[int, int]) -> tuple[int, int]:
    monday = dt.date.fromisocalendar(week[0], week[1], 1) + dt.timedelta(days=7)
    return iso_week(monday)
