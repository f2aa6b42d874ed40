"""Clashes the counting checks miss: the model itself, asked which rules cannot hold together.

The constraints of each label (a rule and its subject: a person, a visit stream and term, a
Work Group, a pin; `Builder.about`) sit behind one assumption literal on a feasibility copy
of the model; CP-SAT returns a set of assumptions that cannot hold together, which is shrunk
by deletion to a minimal one (SOLVER-NOTES: assumptions are not minimal by themselves).
Every solve goes through `scheduler.core.solve.run`, which checks an INFEASIBLE verdict
again (OR-Tools #5274). The rules say each label in the user's words and pick the changes
to try for it.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from scheduler.core.decompose import restrict
from scheduler.core.formulation import post_rules
from scheduler.core.model import Builder, Label
from scheduler.core.problem import Problem
from scheduler.core.progress import Steps
from scheduler.core.relax import Relaxation, widen_window
from scheduler.core.rules import RULE, RULES
from scheduler.core.rules.where import more_dates
from scheduler.core.solve import new_solver, run
from scheduler.services.facts import CHECK_LIMIT, Fact, wg_list


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
    """A minimal set of labels whose constraints cannot hold together, or None if none was
    found; each solve is told to `steps`."""
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
        if steps is not None:
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
    named = [w for w in wgs if any(w in label.wgs for label in core)] or list(wgs)
    head = (
        f"{wgs[0]} cannot be planned even on its own: these rules cannot all hold"
        if len(wgs) == 1
        else f"{wg_list(named)} can each be planned alone but not together: these rules cannot all hold"
    )
    return [Fact("", wgs, head + ":\n    " + "\n    ".join(lines), core_relaxations(sub, core))]


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


def core_relaxations(p: Problem, core: list[Label]) -> list[Relaxation]:
    """What each label's rule would change first, then more dates for everyone involved
    and the Work Groups' leaders (R1–R2: release days, blackouts, windows)."""
    out = [r for label in core for r in RULE[label.rule].relaxations(label, p)]
    people = [x for label in core for x in RULE[label.rule].people(label, p)]
    wgs = list(dict.fromkeys(w for label in core for w in label.wgs))
    people += [p.work_groups[w].leader for w in wgs]
    out += more_dates(p, people, wgs)
    return list({r.text: r for r in out}.values())
