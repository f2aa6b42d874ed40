"""Why no plan exists, in the user's words, and what to change.

An explanation is a short list of facts, per Work Group, each naming its rule and the
people, school, term and dates involved, followed by relaxations that were checked by
solving again. The facts come from three places, cheapest first:

1. pins that break a rule (R11);
2. counting checks that need no solver: a term, half-term or week that needs a session
   but has no legal date left for it (R7, R8, R13), fewer legal weeks than visits;
3. for Work Groups those miss, the model itself: the constraints of each label (a rule and
   its subject: a person, a visit stream and term, a Work Group; `Builder.about`) sit
   behind one assumption literal on a feasibility copy of the model; CP-SAT returns a set
   of assumptions that cannot hold together, which is shrunk by deletion to a minimal one
   (SOLVER-NOTES: assumptions are not minimal by themselves). Each Work Group is tried
   alone first, so a group that cannot be planned at all is told apart from a clash
   between groups. The rules say each label in the user's words and pick the relaxations
   to try for it; every solve goes through `scheduler.core.solve.run`, which checks an
   INFEASIBLE verdict again (OR-Tools #5274).

A relaxation is a change to the instance (lift a blackout, add a release day, raise a
weekly cap, widen a window, drop a pin). It is shown only if solving again with it
succeeds: for a component with one fact, the relaxation alone; with several facts, the
first working relaxation of every fact together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.core.calendar import Period
from scheduler.core.decompose import components, restrict
from scheduler.core.formulation import post_rules
from scheduler.core.model import Builder, Label
from scheduler.core.plan import SOLVED
from scheduler.core.problem import Activity, Problem
from scheduler.core.progress import OnProgress, Steps
from scheduler.core.relax import (
    Relaxation,
    drop_pin,
    move_pin,
    release_more,
    widen_window,
)
from scheduler.core.rules import RULE, RULES, candidate_slots, iso_week
from scheduler.core.rules.where import day_relaxations, more_dates, no_day_reasons
from scheduler.core.solve import SolveOptions, new_solver, pin_problems, run, solve

CHECK_LIMIT = 10.0  # deterministic seconds for each solve that checks a relaxation
MAX_SHOWN = 3  # relaxations shown per fact
MAX_TRIED = 14  # relaxations tried per fact


@dataclass
class Fact:
    rule: str
    wgs: tuple[str, ...]
    text: str
    relaxations: list[Relaxation] = field(default_factory=list)
    resolved: Callable[[Problem], bool] | None = None  # the fact no longer holds (a cheap check)
    checked: list[Relaxation] = field(default_factory=list)  # relaxations that solve


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
                relax.insert(0, move_pin(pin.index, *legal[0]))
        for note in notes:
            out.append(Fact("R11", (pin.wg,), note.removeprefix("R11: "), relax))
    return out


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
                        f"{subject} in the {t.name} term ({t.start}..{t.end}), but {no_day_reasons(p, act, t)} "
                        f"leave no school day for {'a visit' if act.kind == 'visit' else 'it'}.",
                        day_relaxations(p, act, t),
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
                        release_more(p, list(act.attendees)) + [w for w in [widen_window(p, wg.id)] if w],
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


# -- 3. the model: a minimal set of labels that cannot hold together -----------------------


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


def model_core(p: Problem, time_limit: float = CHECK_LIMIT, steps: Steps | None = None) -> list[Label] | None:
    """A minimal set of labels whose constraints cannot hold together, or None if none was found."""
    steps = steps or Steps(None, "explain")
    b = Builder(p)
    proto = b.model.proto
    lits: dict[Label, cp_model.IntVar] = {}
    for rule in RULES:  # a rule at a time: its labels' assumptions right after its constraints
        done = len(b.blocks)
        post_rules(b, [rule])
        for first, end, label in b.labelled(done):
            if label not in lits:
                lits[label] = b.model.new_bool_var(f"assume:{len(lits)}")
            for i in range(first, end):
                _enforce(proto.constraints[i], lits[label].index)
    order = sorted(lits, key=lambda label: [str(v) for v in label])
    solver = new_solver(time_limit)
    solver.parameters.linearization_level = 2  # the LP proves counting conflicts fast

    def infeasible(subset: list[Label]) -> list[Label] | None:
        steps(f"narrowing the clash down ({len(subset)} rules and subjects)")
        b.model.clear_assumptions()
        b.model.add_assumptions([lits[label] for label in subset])
        if run(solver, b.model) != "infeasible":
            return None
        # The core of the solve that decided: the re-check without presolve when there was one.
        found = set(solver.sufficient_assumptions_for_infeasibility())
        return [label for label in subset if lits[label].index in found]

    core = infeasible(order)
    if core is None:
        return None
    for label in list(core):  # shrink by deletion: keep only what the conflict needs
        if len(core) > 1 and label in core:
            smaller = infeasible([x for x in core if x != label])
            if smaller is not None:
                core = smaller
    return core


def core_facts(p: Problem, wgs: tuple[str, ...], steps: Steps | None = None) -> list[Fact]:
    sub = restrict(p, wgs)
    core = model_core(sub, steps=steps)
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
    lines = _collapse([f"{label.rule}: {RULE[label.rule].describe(label, sub)}" for label in core])
    alone = len(wgs) == 1
    head = (
        f"{wgs[0]} cannot be planned even on its own: these rules cannot all hold"
        if alone
        else f"{', '.join(wgs)} can each be planned alone but not together: these rules cannot all hold"
    )
    return [Fact("", wgs, head + ":\n    " + "\n    ".join(lines), _core_relaxations(sub, core))]


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


def _core_relaxations(p: Problem, core: list[Label]) -> list[Relaxation]:
    """What each label's rule would change first, then more dates for everyone involved
    and the Work Groups' leaders (R1–R2: release days, blackouts, windows)."""
    out = [r for label in core for r in RULE[label.rule].relaxations(label, p)]
    people = [x for label in core for x in RULE[label.rule].people(label, p)]
    wgs = list(dict.fromkeys(w for label in core for w in label.wgs))
    people += [p.work_groups[w].leader for w in wgs]
    out += more_dates(p, people, wgs)
    return list({r.text: r for r in out}.values())


# -- checking relaxations, and the whole explanation ------------------------------------


def _feasible(p: Problem, steps: Steps | None = None, what: str = "") -> bool:
    """Whether `p` has a plan: its first plan, in this process (many small solves)."""
    if steps is not None:
        steps(what)
    plan = solve(p, SolveOptions(time_limit=CHECK_LIMIT, first_solution=True, workers=1, gap=0.0))
    return plan.status in SOLVED


def check_relaxations(p: Problem, facts: list[Fact], steps: Steps | None = None) -> None:
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
                same = sum(1 for c in f.checked if c.field == r.field)
                if (
                    len(f.checked) < MAX_SHOWN
                    and same < 2
                    and _feasible(r.apply(sub), steps, f"trying: {r.text}")
                ):
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
        if len(chosen) == len(part_facts) and _feasible(together, steps, "trying the changes together"):
            for f, r in chosen:
                f.checked.append(r)


def find_facts(p: Problem, replan=None, steps: Steps | None = None) -> list[Fact]:
    facts = pin_facts(p)
    facts += capacity_facts(p)
    explained = {w for f in facts for w in f.wgs}
    for part in components(p):
        if explained & set(part):
            continue
        sub = restrict(p, part)
        if _feasible(sub, steps, f"checking {_names(part)}") and replan is None:
            continue
        alone_bad = [w for w in part if not _feasible(restrict(p, (w,)), steps, f"checking {w} alone")]
        if alone_bad:
            for w in alone_bad:
                facts += core_facts(p, (w,), steps)
        elif replan is None:
            facts += core_facts(p, part, steps)
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


def _names(wgs: tuple[str, ...], most: int = 2) -> str:
    return ", ".join(wgs[:most]) + (f" and {len(wgs) - most} more" if len(wgs) > most else "")


def explain_infeasible(
    p: Problem, plan=None, replan=None, on_progress: OnProgress | None = None, steps: Steps | None = None
) -> str:
    """A short text: the facts that clash, each with its rule id, and checked relaxations.
    Each solve it runs is told to `on_progress` as a step (of `steps`, if counted already),
    with what it checks."""
    steps = steps or Steps(on_progress, "explain")
    facts = find_facts(p, replan, steps)
    check_relaxations(p, facts, steps)
    return render(p, facts)


def explain_instance(
    p: Problem, time_limit: float = 60.0, on_progress: OnProgress | None = None
) -> tuple[bool, str]:
    """(feasible, text) for `hubplan explain`."""
    steps = Steps(on_progress, "explain")
    steps("looking for a plan")
    plan = solve(p, SolveOptions(time_limit=time_limit, first_solution=True, workers=1, gap=0.0))
    if plan.status in SOLVED:
        return True, f"{p.name}: a plan exists that keeps every rule; nothing to explain.\n"
    if plan.status == "unknown":
        return False, f"{p.name}: no plan was found within {time_limit:g} s, nor a proof that none exists.\n"
    return False, explain_infeasible(p, plan, steps=steps)
