"""Why no plan exists, in the user's words, and what to change.

An explanation is a short list of facts, per Work Group, each naming its rule and the
people, school, term and dates involved, followed by relaxations that were checked by
solving again. The facts come from three places, cheapest first:

1. pins that break a rule (R11);
2. counting checks that need no solver: a term, half-term or week that needs a session
   but has no legal date left for it (R7, R8, R13), fewer legal weeks than visits;
3. for Work Groups those miss, the model itself: each rule's constraints for each subject
   (a person, a visit stream and term, a Work Group) sit behind an assumption literal on
   a feasibility copy of the model; CP-SAT returns a set of assumptions that cannot hold
   together, which is shrunk by deletion to a minimal one (SOLVER-NOTES: assumptions are
   not minimal by themselves). Each Work Group is tried alone first, so a group that
   cannot be planned at all is told apart from a clash between groups.

A relaxation is a change to the instance (lift a blackout, add a release day, raise a
weekly cap, widen a window, drop a pin). It is shown only if solving again with it
succeeds: for a component with one fact, the relaxation alone; with several facts, the
first working relaxation of every fact together.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.core.calendar import WEEKDAY_NAMES, Period
from scheduler.core.decompose import components, restrict
from scheduler.core.model import Builder
from scheduler.core.plan import SOLVED
from scheduler.core.problem import Activity, Problem
from scheduler.core.rules import RULE, RULES, candidate_slots, iso_week
from scheduler.core.solve import SolveOptions, pin_problems, run_interruptibly, solve

CHECK_LIMIT = 10.0  # deterministic seconds for each solve that checks a relaxation
MAX_SHOWN = 3  # relaxations shown per fact
MAX_TRIED = 14  # relaxations tried per fact


@dataclass(frozen=True)
class Relaxation:
    text: str  # what to change, naming the instance field
    apply: Callable[[Problem], Problem]


@dataclass
class Fact:
    rule: str
    wgs: tuple[str, ...]
    text: str
    relaxations: list[Relaxation] = field(default_factory=list)
    resolved: Callable[[Problem], bool] | None = None  # the fact no longer holds (a cheap check)
    checked: list[Relaxation] = field(default_factory=list)  # relaxations that solve


# -- changes to a problem ------------------------------------------------------------


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


def _day_span(days: list[dt.date]) -> str:
    days = sorted(days)
    return f"{days[0]}" if len(days) == 1 else f"{days[0]}..{days[-1]}"


def _blackout_runs(p: Problem, sid: str, period: Period | None) -> list[tuple[str, list[dt.date]]]:
    """A school's blackouts as (reason, dates), within `period` if given."""
    runs: dict[str, list[dt.date]] = {}
    for day, reason in sorted(p.schools[sid].blackouts.items()):
        if period is None or day in period:
            runs.setdefault(reason, []).append(day)
    return list(runs.items())


def lift_blackout(p: Problem, sid: str, reason: str, days: list[dt.date], text: str = "") -> Relaxation:
    gone = set(days)

    def apply(q: Problem) -> Problem:
        kept = {d: r for d, r in q.schools[sid].blackouts.items() if d not in gone}
        return _school(q, sid, blackouts=kept)

    name = p.schools[sid].name
    return Relaxation(
        (text or f"lift {name}'s blackout '{reason}' on {_day_span(days)}") + f" (schools: {sid}, blackouts)",
        apply,
    )


def _shorter_blackouts(p: Problem, sid: str, reason: str, days: list[dt.date]) -> list[Relaxation]:
    """Start a blackout a week later, end it a week sooner, or lift it: smallest change first."""
    run = sorted(d for d, r in p.schools[sid].blackouts.items() if r == reason)
    open_days = [d for d in days if d in p.schools[sid].days]
    name, span = p.schools[sid].name, f"'{reason}' ({_day_span(run)})"
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
    )


def free_dates(p: Problem, pid: str, days: list[dt.date]) -> Relaxation:
    gone = set(days)
    return Relaxation(
        f"make {p.people[pid].name} available on {_day_span(days)} ({_field(p, pid)}, unavailable)",
        lambda q: _person(q, pid, unavailable=q.people[pid].unavailable - gone),
    )


def raise_weekly(p: Problem, pid: str) -> Relaxation:
    now = p.people[pid].max_days_per_week or 5
    new = min(5.0, now + (0.5 if now < 1 else 1))
    return Relaxation(
        f"raise {p.people[pid].name}'s max_days_per_week from {now:g} to {new:g} ({_field(p, pid)})",
        lambda q: _person(q, pid, max_days_per_week=new),
    )


def raise_budget(p: Problem, pid: str) -> Relaxation:
    now = p.people[pid].max_release_days or 0
    new = now + 2
    return Relaxation(
        f"raise {p.people[pid].name}'s max_release_days from {now:g} to {new:g} ({_field(p, pid)})",
        lambda q: _person(q, pid, max_release_days=new),
    )


def raise_km(p: Problem) -> Relaxation:
    new = round(p.max_same_day_km * 2)
    return Relaxation(
        f"raise max_same_day_km from {p.max_same_day_km:g} to {new:g}",
        lambda q: dataclasses.replace(q, max_same_day_km=new),
    )


def lower_gap(p: Problem, wid: str) -> Relaxation:
    now = p.work_groups[wid].params.get("group_gap_days", (14, 14))[0]
    new = max(1.0, now // 2)

    def apply(q: Problem) -> Problem:
        wg = q.work_groups[wid]
        return _wg(q, wid, params={**wg.params, "group_gap_days": (new, new)})

    return Relaxation(
        f"lower {wid}'s params.group_gap_days from {now:g} to {new:g} (work_groups: {wid})", apply
    )


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
    )


def drop_pin(p: Problem, index: int) -> Relaxation:
    return Relaxation(
        f"remove pinned[{index}]",
        lambda q: dataclasses.replace(q, pins=[x for x in q.pins if x.index != index]),
    )


def _people_relaxations(p: Problem, people: list[str], days: list[dt.date] | None = None) -> list[Relaxation]:
    """More release days for each person who has fewer than every weekday they work."""
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


# -- 1. pins ---------------------------------------------------------------------------


def pin_facts(p: Problem) -> list[Fact]:
    out = []
    for pin in p.pins:
        notes = pin_problems(dataclasses.replace(p, pins=[pin]))
        if not notes:
            continue
        relax = [drop_pin(p, pin.index)]
        wg = p.work_groups[pin.wg]
        act = wg.activity(pin.kind, pin.school if pin.kind == "visit" else None)
        if act is not None:
            legal = sorted(candidate_slots(p, act), key=lambda c: (abs((c[0] - pin.date).days), c))
            if legal:
                day, slot = legal[0]
                relax.insert(
                    0,
                    Relaxation(
                        f"move pinned[{pin.index}] to {day} {slot}, the nearest date the rules allow",
                        _move_pin(pin.index, day, slot),
                    ),
                )
        for note in notes:
            out.append(Fact("R11", (pin.wg,), note.removeprefix("R11: "), relax))
    return out


def _move_pin(index: int, day: dt.date, slot: str) -> Callable[[Problem], Problem]:
    def apply(q: Problem) -> Problem:
        pins = [dataclasses.replace(x, date=day, slot=slot) if x.index == index else x for x in q.pins]
        return dataclasses.replace(q, pins=pins)

    return apply


# -- 2. counting checks ------------------------------------------------------------------


def _needs(p: Problem, act: Activity) -> tuple[str, str, list[Period]]:
    """(rule, what, periods) in each of which `act` needs at least one session."""
    wg = p.work_groups[act.wg]
    if act.kind == "visit":
        return "R7", "visit", RULE["R7"].terms(p, wg, act.school)
    if act.kind == "group":
        return "R8", "group meeting", RULE["R8"].cadence(p, wg)
    if act.kind == "headteachers":
        return "R13", "headteachers' meeting", p.wg_terms(wg, None, 10)
    return "", "", []


def _why_no_day(p: Problem, act: Activity, t: Period) -> str:
    """What removes every school day of `t` for `act`, in plain words."""
    schools = list(dict.fromkeys([act.venue, *(p.school_of(x) for x in act.attendees)]))
    parts = []
    for sid in schools:
        closed = sorted(d for d in p.hub_days if d in t and d not in p.schools[sid].days)
        if closed:
            more = f" and {len(closed) - 4} more" if len(closed) > 4 else ""
            parts.append(f"{p.schools[sid].name}'s closures on {', '.join(map(str, closed[:4]))}{more}")
        for reason, days in _blackout_runs(p, sid, t):
            parts.append(f"{p.schools[sid].name}'s blackout {_day_span(days)} ({reason})")
    for pid in act.attendees:
        person = p.people[pid]
        released = sorted(person.release_days, key=WEEKDAY_NAMES.index)
        if len(released) < 5:
            parts.append(f"{person.name}'s release days ({', '.join(released) or 'none'})")
        away = sorted(d for d in person.unavailable if d in t)
        if away:
            parts.append(f"{person.name}'s unavailable dates {_day_span(away)}")
        busy = sorted({d for d, _ in person.busy if d in t})
        if busy:
            parts.append(f"{person.name}'s commitments on {', '.join(map(str, busy))}")
    return " and ".join(parts) if parts else "the school calendars"


def _gap_relaxations(p: Problem, act: Activity, t: Period) -> list[Relaxation]:
    """Ways to give `act` a legal date in `t`, one of each kind first, then the rest."""
    schools = list(dict.fromkeys([act.venue, *(p.school_of(x) for x in act.attendees)]))
    blackouts = [
        _shorter_blackouts(p, sid, reason, days)
        for sid in schools
        for reason, days in _blackout_runs(p, sid, t)
    ]
    term_days = [d for d in sorted(p.hub_days) if d in t]
    people = _people_relaxations(p, list(act.attendees), term_days)
    window = widen_window(p, act.wg)
    first = [b[0] for b in blackouts] + people[:1]
    rest = [r for b in blackouts for r in b[1:]] + people[1:] + ([window] if window else [])
    return first + rest


def capacity_facts(p: Problem) -> list[Fact]:
    """Counting checks that need no solver."""
    out: list[Fact] = []
    for wg in p.work_groups.values():
        for act in wg.activities:
            cands = candidate_slots(p, act)
            rule, what, periods = _needs(p, act)
            for t in periods:
                if any(day in t for day, _ in cands):
                    continue
                subject = (
                    f"{p.schools[act.school].name} must be visited"
                    if act.kind == "visit"
                    else f"{act.label(p)} needs a {what}"
                )
                out.append(
                    Fact(
                        rule,
                        (wg.id,),
                        f"{subject} in the {t.name} term ({t.start}..{t.end}), but {_why_no_day(p, act, t)} "
                        f"leave no school day for {'a visit' if act.kind == 'visit' else 'it'}.",
                        _gap_relaxations(p, act, t),
                        _has_date(act.key, t),
                    )
                )
            need = _min_visits(p, act)
            weeks = {iso_week(d) for d, _ in cands}
            if act.kind == "visit" and len(weeks) < need:
                out.append(
                    Fact(
                        "R8",
                        (wg.id,),
                        f"{act.label(p)} needs at least {need} visits in different weeks, but only "
                        f"{len(weeks)} weeks have a legal date.",
                        _people_relaxations(p, list(act.attendees))
                        + [w for w in [widen_window(p, wg.id)] if w],
                    )
                )
    return out


def _has_date(key: str, t: Period) -> Callable[[Problem], bool]:
    def resolved(q: Problem) -> bool:
        act = next(a for a in q.activities if a.key == key)
        return any(day in t for day, _ in candidate_slots(q, act))

    return resolved


def _min_visits(p: Problem, act: Activity) -> int:
    r = p.work_groups[act.wg].params
    if act.kind == "visit" and "school_days" in r:
        return int(r["school_days"][0])  # whole-day visits: the fewest sessions
    return 0


# -- 3. the model: a minimal set of rules that cannot hold together ---------------------

_ACT = re.compile(r"^(.+)@(\d{4}-\d\d-\d\d):")
_STARTED = re.compile(r"^started:([^:]+):(\d{4}-\d\d-\d\d)$")
_AT = re.compile(r"^at:([^:]+):(\d{4}-\d\d-\d\d):")


@dataclass(frozen=True)
class Subject:
    """What one group of constraints is about: a rule, for a Work Group, stream, person, term."""

    rule: str
    wgs: tuple[str, ...]
    act: str | None
    person: str | None
    term: str | None


PERSON_RULES = ("R3", "R9", "R10", "R12")


def _whose(rule: str, keys: set[str], p: Problem, acts: dict[str, Activity]) -> set[str]:
    """The person a per-person constraint is about: someone at every activity it mentions,
    whom the rule applies to; the one whose activities are exactly these if that decides."""
    shared = set.intersection(*(set(acts[k].attendees) for k in keys if k in acts))
    if rule == "R9":
        shared = {x for x in shared if p.people[x].max_days_per_week}
    elif rule == "R10":
        shared = {x for x in shared if p.people[x].max_release_days}
    if len(shared) > 1:
        exact = {x for x in shared if {k for k, a in acts.items() if x in a.attendees} == keys}
        shared = exact or shared
    return shared


def _subject(rule: str, names: list[str], p: Problem, acts: dict[str, Activity]) -> Subject:
    keys, wgs, people, days = set(), set(), set(), []
    for name in names:
        if m := _ACT.match(name):
            keys.add(m[1])
            wgs.add(acts[m[1]].wg) if m[1] in acts else None
            days.append(dt.date.fromisoformat(m[2]))
        elif m := _STARTED.match(name):
            wgs.add(m[1])
            days.append(dt.date.fromisoformat(m[2]))
        elif m := _AT.match(name):
            people.add(m[1])
            days.append(dt.date.fromisoformat(m[2]))
    if not people and keys and rule in PERSON_RULES:
        people = _whose(rule, keys, p, acts)
    term = None
    if days:
        lo, hi = min(days), max(days)
        term = next((t.name for t in p.hub_terms if lo in t and hi in t), None)
    return Subject(
        rule,
        tuple(sorted(wgs)),
        next(iter(keys)) if len(keys) == 1 else None,
        next(iter(people)) if len(people) == 1 else None,
        term,
    )


def _describe(p: Problem, s: Subject, acts: dict[str, Activity]) -> str:
    rule = RULE[s.rule]
    name = ", ".join(s.wgs) or "the Work Groups"  # a constraint may name no session
    who = p.people[s.person].name if s.person else None
    where = f" in the {s.term} term" if s.term else ""
    wg = p.work_groups[s.wgs[0]] if len(s.wgs) == 1 else None
    stream = acts[s.act].label(p) if s.act in acts else None
    r = wg.params if wg else {}
    text = {
        "R3": f"{who} cannot be in two places at once{where}" if who else f"no double booking{where}",
        "R4": _r4_text(p, s, name, acts, r),
        "R5": f"{name} needs at least {_range(r.get('group_meetings'))} group meetings"
        if wg and "group_meetings" in r
        else f"{stream or 'the group'} needs its group meetings",
        "R6": f"{name}'s first group meeting must come before any visit",
        "R7": f"{stream} is needed{where}" if stream else f"a visit is needed{where}",
        "R8": f"{stream or name}: sessions spread one per period, group meetings at least "
        f"{_range(r.get('group_gap_days'))} days apart, visits to a school in different weeks",
        "R9": f"{who} may work at most {p.people[s.person].max_days_per_week:g} days a week on Work Groups"
        if who and p.people[s.person].max_days_per_week
        else "the weekly load cap",
        "R10": f"{who} may be released at most {p.people[s.person].max_release_days:g} days"
        if who and p.people[s.person].max_release_days
        else "the release budget",
        "R11": f"the pinned sessions of {', '.join(s.wgs)}",
        "R12": f"{who} may not travel more than {p.max_same_day_km:g} km between venues on one day"
        if who
        else "the same-day travel limit",
        "R13": f"{stream or name} needs a headteachers' meeting{where}",
    }.get(s.rule, f"{rule.title}")
    return text


def _r4_text(p: Problem, s: Subject, name: str, acts: dict[str, Activity], r: dict) -> str:
    act = acts.get(s.act or "")
    if act is not None and act.kind == "visit" and "school_days" in r:
        return f"{name} must spend {_range(r['school_days'])} days at {p.schools[act.school].name}"
    if act is not None and act.kind == "group" and "group_days" in r:
        return f"{name}'s group meetings must take {_range(r['group_days'])} days"
    if "support_days" in r:
        return f"{name}'s support days must add up to {_range(r['support_days'])}"
    return f"{act.label(p) if act else name} must take the days its programme sets"


def _range(rng) -> str:
    if not rng:
        return "?"
    lo, hi = rng
    if lo == hi:
        return f"{lo:g}"
    return f"at least {lo:g}" if hi >= 1000 else f"{lo:g}–{hi:g}"


def _enforce(ct, lit: int) -> None:
    """Put constraint `ct` behind literal `lit`; at-most-one and exactly-one, which take no
    enforcement literal, become the linear constraints they are."""
    for kind in ("at_most_one", "exactly_one"):
        if not getattr(ct, f"has_{kind}")():
            continue
        lits = list(getattr(ct, kind).literals)
        getattr(ct, f"clear_{kind}")()
        upper = 1
        for x in lits:  # a negated literal ~v is 1 - v
            ct.linear.vars.append(x if x >= 0 else -x - 1)
            ct.linear.coeffs.append(1 if x >= 0 else -1)
            upper -= 0 if x >= 0 else 1
        ct.linear.domain.extend([upper if kind == "exactly_one" else -(2**40), upper])
    ct.enforcement_literal.append(lit)


def model_core(p: Problem, time_limit: float = CHECK_LIMIT) -> list[Subject] | None:
    """A minimal set of rule subjects that cannot hold together, or None if none was found."""
    b = Builder(p)
    proto = b.model.proto
    acts = {a.key: a for a in p.activities}
    lits: dict[Subject, cp_model.IntVar] = {}
    for rule in RULES:
        first = len(proto.constraints)
        rule.add(b)
        for i in range(first, len(proto.constraints)):
            ct = proto.constraints[i]
            refs = _refs(ct)
            subject = _subject(rule.id, [proto.variables[v].name for v in refs], p, acts)
            if subject not in lits:
                lits[subject] = b.model.new_bool_var(f"assume:{len(lits)}")
            _enforce(ct, lits[subject].index)
    order = sorted(lits, key=lambda s: [str(v) for v in dataclasses.astuple(s)])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.linearization_level = 2  # the LP proves counting conflicts fast

    def infeasible(subset: list[Subject]) -> list[Subject] | None:
        b.model.clear_assumptions()
        b.model.add_assumptions([lits[s] for s in subset])
        if run_interruptibly(solver, b.model) != cp_model.INFEASIBLE:
            return None
        found = set(solver.sufficient_assumptions_for_infeasibility())
        return [s for s in subset if lits[s].index in found]

    core = infeasible(order)
    if core is None:
        return None
    for s in list(core):  # shrink by deletion: keep only what the conflict needs
        if len(core) > 1 and s in core:
            smaller = infeasible([x for x in core if x != s])
            if smaller is not None:
                core = smaller
    return core


def _refs(ct) -> list[int]:
    """Variable indices a constraint mentions (enough to tell what it is about)."""
    refs = list(ct.enforcement_literal)
    if ct.has_linear():
        refs += list(ct.linear.vars)
    for kind in ("bool_or", "bool_and", "at_most_one", "exactly_one"):
        if getattr(ct, f"has_{kind}")():
            refs += list(getattr(ct, kind).literals)
    return sorted({r if r >= 0 else -r - 1 for r in refs})


def core_facts(p: Problem, wgs: tuple[str, ...]) -> list[Fact]:
    sub = restrict(p, wgs)
    core = model_core(sub)
    if not core:
        return [
            Fact(
                "",
                wgs,
                f"{', '.join(wgs)} could not be planned, and no single reason was found within "
                f"{CHECK_LIMIT:g} s.",
                [r for w in wgs for r in [widen_window(p, w)] if r],
            )
        ]
    acts = {a.key: a for a in sub.activities}
    lines = _collapse([f"{s.rule}: {_describe(sub, s, acts)}" for s in core])
    alone = len(wgs) == 1
    head = (
        f"{wgs[0]} cannot be planned even on its own: these rules cannot all hold"
        if alone
        else f"{', '.join(wgs)} can each be planned alone but not together: these rules cannot all hold"
    )
    return [Fact("", wgs, head + ":\n    " + "\n    ".join(lines), _core_relaxations(sub, core, acts))]


def _collapse(lines: list[str], most: int = 3) -> list[str]:
    """Like lines once each (with a count), at most `most` per rule, so the text stays short."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    out, per_rule = [], {}
    for line, n in counts.items():
        rule = line.split(":", 1)[0]
        per_rule[rule] = per_rule.get(rule, 0) + 1
        if per_rule[rule] <= most:
            out.append(line + (f" (in {n} places)" if n > 1 else ""))
    for rule, n in per_rule.items():
        if n > most:
            out.append(f"{rule}: … and {n - most} more like these")
    return out


def _core_relaxations(p: Problem, core: list[Subject], acts: dict[str, Activity]) -> list[Relaxation]:
    out: list[Relaxation] = []
    people: list[str] = []
    for s in core:
        if s.person:
            people.append(s.person)
            if s.rule == "R9" and p.people[s.person].max_days_per_week:
                out.append(raise_weekly(p, s.person))
            if s.rule == "R10" and p.people[s.person].max_release_days:
                out.append(raise_budget(p, s.person))
        if s.rule == "R12":
            out.append(raise_km(p))
        if s.rule == "R8":
            out += [lower_gap(p, w) for w in s.wgs]
        if s.act in acts:
            people += list(acts[s.act].attendees)
    for w in dict.fromkeys(w for s in core for w in s.wgs):
        people.append(p.work_groups[w].leader)
    out += _people_relaxations(p, people)
    for w in dict.fromkeys(w for s in core for w in s.wgs):
        for sid in dict.fromkeys([p.work_groups[w].venue, *p.work_groups[w].schools]):
            out += [lift_blackout(p, sid, reason, days) for reason, days in _blackout_runs(p, sid, None)]
        window = widen_window(p, w)
        out += [window] if window else []
    return list({r.text: r for r in out}.values())


# -- checking relaxations, and the whole explanation ------------------------------------


def _feasible(p: Problem) -> bool:
    plan = solve(p, SolveOptions(time_limit=CHECK_LIMIT, first_solution=True))
    return plan.status in SOLVED


def check_relaxations(p: Problem, facts: list[Fact]) -> None:
    """Fill each fact's `checked` with relaxations that were solved and worked."""
    by_part: dict[tuple[str, ...], list[Fact]] = {}
    for part in components(p):
        for f in facts:
            if set(f.wgs) & set(part):
                by_part.setdefault(part, []).append(f)
    for part, part_facts in by_part.items():
        sub = restrict(p, part)
        if len(part_facts) == 1:
            f = part_facts[0]
            for r in f.relaxations[:MAX_TRIED]:
                same = sum(1 for c in f.checked if _field_of(c) == _field_of(r))
                if len(f.checked) < MAX_SHOWN and same < 2 and _feasible(r.apply(sub)):
                    f.checked.append(r)
            continue
        # Several facts: each fact's first relaxation that removes it, all applied together.
        chosen = []
        for f in part_facts:
            for r in f.relaxations[:MAX_TRIED]:
                if f.resolved is None or f.resolved(r.apply(sub)):
                    chosen.append((f, r))
                    break
        together = sub
        for _, r in chosen:
            together = r.apply(together)
        if len(chosen) == len(part_facts) and _feasible(together):
            for f, r in chosen:
                f.checked.append(r)


def _field_of(r: Relaxation) -> str:
    """The instance field a relaxation changes (the text in its last brackets)."""
    return r.text.rsplit("(", 1)[-1]


def find_facts(p: Problem, replan=None) -> list[Fact]:
    facts = pin_facts(p)
    facts += capacity_facts(p)
    explained = {w for f in facts for w in f.wgs}
    for part in components(p):
        if explained & set(part):
            continue
        sub = restrict(p, part)
        if _feasible(sub) and replan is None:
            continue
        alone_bad = [w for w in part if not _feasible(restrict(p, (w,)))]
        if alone_bad:
            for w in alone_bad:
                facts += core_facts(p, (w,))
        elif replan is None:
            facts += core_facts(p, part)
    if not facts and replan is not None:
        facts.append(
            Fact(
                "S5",
                tuple(p.work_groups),
                f"the instance can be planned, but not while keeping every session before "
                f"{replan.today} as it was in the previous plan.",
            )
        )
    return facts


def render(p: Problem, facts: list[Fact]) -> str:
    lines = ["No plan satisfies every rule:"]
    by_wg: dict[tuple[str, ...], list[Fact]] = {}
    for f in facts:
        by_wg.setdefault(f.wgs, []).append(f)
    for wgs, group in by_wg.items():
        lines.append("")
        lines.append(", ".join(wgs) + ":")
        for f in group:
            lines.append(f"- {f.rule + ': ' if f.rule else ''}{f.text}")
            if f.checked:
                lines.append("  Relax (each checked by solving again with it):")
                lines += [f"    - {r.text}" for r in f.checked]
            elif f.relaxations:
                lines.append("  No single change tried here was enough; consider: " + f.relaxations[0].text)
    return "\n".join(lines) + "\n"


def explain_infeasible(p: Problem, plan=None, replan=None) -> str:
    """A short text: the facts that clash, each with its rule id, and checked relaxations."""
    facts = find_facts(p, replan)
    check_relaxations(p, facts)
    return render(p, facts)


def explain_instance(p: Problem, time_limit: float = 60.0) -> tuple[bool, str]:
    """(feasible, text) for `hubplan explain`."""
    plan = solve(p, SolveOptions(time_limit=time_limit, first_solution=True))
    if plan.status in SOLVED:
        return True, f"{p.name}: a plan exists that keeps every rule; nothing to explain.\n"
    if plan.status == "unknown":
        return False, f"{p.name}: no plan was found within {time_limit:g} s, nor a proof that none exists.\n"
    return False, explain_infeasible(p, plan)
