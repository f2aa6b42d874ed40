"""Why no plan exists, in the user's words, and what to change.

An explanation is a short list of facts, each naming its rule, the Work Groups, the sessions
that cannot be had and the fewest reasons that stand in their way, followed by the changes
that were checked by solving again. The facts come from three places, cheapest first:

1. sessions fixed in advance (`fixed`): pins a rule forbids (R11), central events their
   trainee cannot keep on the programme's date, two fixed sessions of one person at once;
2. counting checks that need no solver (`causes`): a term or half-term that needs a
   session and has no legal date left, told with a minimal cause, periods with one cause
   told as one fact; fewer legal weeks than visits;
3. for parts of the hub those miss, the model itself (`clash`): a minimal set of labels
   (rule and subject) that cannot hold together. Each Work Group is tried alone first, so
   a group that cannot be planned at all is told apart from a clash between groups.

If the first two find anything, the instance has no plan, and nothing is solved to say so.
A change is printed only if the instance with it was solved and had a plan (`proof`): a
fact alone in its part of the hub shows its changes that work, or the first pair that
does; facts that share a part show a change each, checked together.
"""

from __future__ import annotations

from scheduler.core.decompose import components, restrict
from scheduler.core.problem import Problem
from scheduler.core.progress import OnProgress, Steps
from scheduler.core.relax import Relaxation
from scheduler.services.causes import counting_facts
from scheduler.services.clash import core_facts
from scheduler.services.facts import CHECK_LIMIT, Fact
from scheduler.services.fixed import fixed_facts
from scheduler.services.proof import Prover, check_relaxations

__all__ = ["Fact", "explain_infeasible", "explain_instance", "find_facts", "render"]


def find_facts(
    p: Problem, replan=None, prover: Prover | None = None, found: list[Fact] | None = None
) -> list[Fact]:
    """Every fact of the instance: `found` (the fixed and counting facts, if already made),
    then for each part of the hub they miss that has no plan, the model's clash."""
    prover = prover or Prover()
    facts = list(found) if found is not None else fixed_facts(p) + counting_facts(p)
    explained = {w for f in facts for w in f.wgs}
    for part in components(p):
        if explained & set(part):
            continue
        status = prover.status(restrict(p, part), what=f"checking {_short(part)}")
        if status == "feasible" and replan is None:
            continue
        if status == "unknown":
            facts.append(_unknown(part, prover))
            continue
        alone_bad = [
            w for w in part if prover.status(restrict(p, (w,)), what=f"checking {w} alone") == "infeasible"
        ]
        if alone_bad:
            for w in alone_bad:
                facts += core_facts(p, (w,), prover.steps)
        elif replan is None:
            facts += core_facts(p, part, prover.steps)
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


def _unknown(part: tuple[str, ...], prover: Prover) -> Fact:
    return Fact(
        "",
        part,
        f"{', '.join(part)}: no plan was found within {prover.time_limit:g} s, nor a proof that none exists.",
    )


def render(p: Problem, facts: list[Fact]) -> str:
    """The facts in order, each with the changes checked for it; facts that need a change
    each (one part of the hub) under one line that says so."""
    lines = ["No plan satisfies every rule:"]
    shown: set[int] = set()
    for f in facts:
        if id(f) in shown:
            continue
        group = [g for g in f.together if g in facts] or [f]
        shown |= {id(g) for g in group}
        lines.append("")
        if len(group) > 1:
            lines.append(_together_line(group))
        for g in group:
            lines += _fact_lines(g, alone=len(group) == 1)
    return "\n".join(lines) + "\n"


def _together_line(group: list[Fact]) -> str:
    n = len(group)
    if all(f.checked for f in group):
        return (
            f"These {n} facts are one clash: a plan needs a change under each. Each change shown was "
            f"checked by solving again with the first change under every other one."
        )
    return (
        f"These {n} facts are one clash and must change together: no change tried for each, "
        "with one for every other, was enough (each solved again)."
    )


def _fact_lines(f: Fact, alone: bool) -> list[str]:
    lines = [f"- {f.rule + ': ' if f.rule else ''}{f.text}"]
    shown = _shown(f)
    if shown and len(shown[0]) > 1:
        lines.append(
            "  No single change tried here was enough; these together were (checked by solving again):"
        )
        lines += [f"    - {r.text}" for r in shown[0]]
    elif shown:
        lines.append("  Relax (each checked by solving again with it):" if alone else "  Relax:")
        lines += [f"    - {change[0].text}" for change in shown]
    elif f.note:
        lines.append(f"  {f.note}")
    return lines


def _short(wgs: tuple[str, ...]) -> str:
    """A part of the hub in a few words, for the progress line."""
    return wgs[0] + (f" and {len(wgs) - 1} more" if len(wgs) > 1 else "")


def _shown(f: Fact) -> list[tuple[Relaxation, ...]]:
    """The changes a fact shows: the first pair that worked when no single change did, else
    each single change that worked."""
    pairs = [change for change in f.checked if len(change) > 1]
    return pairs[:1] if pairs else [change[:1] for change in f.checked]


def explain_infeasible(
    p: Problem,
    plan=None,
    replan=None,
    prover: Prover | None = None,
    found: list[Fact] | None = None,
    on_progress: OnProgress | None = None,
) -> str:
    """A short text: the facts that clash, each with its rule id, and checked changes. Each
    solve it runs is told to `on_progress` as a step, with what it checks."""
    return explanation(p, plan, replan, prover, found, on_progress)[0]


def explanation(
    p: Problem,
    plan=None,
    replan=None,
    prover: Prover | None = None,
    found: list[Fact] | None = None,
    on_progress: OnProgress | None = None,
) -> tuple[str, list[tuple[Relaxation, ...]]]:
    """The explanation's text, and every change it shows as checked (a pair when neither
    alone was enough): the workspace offers each as a button that makes it and plans again."""
    prover = prover or Prover(steps=Steps(on_progress, "explain"))
    facts = check_relaxations(p, find_facts(p, replan, prover, found), prover)
    return render(p, facts), [change for f in facts for change in _shown(f)]


def explain_instance(
    p: Problem, time_limit: float = 60.0, on_progress: OnProgress | None = None
) -> tuple[bool, str]:
    """(feasible, text) for `hubplan explain`. Facts found without a solver prove there is
    no plan; only without them is the instance solved (part by part) to find out. Each
    solve is told to `on_progress` as a step, with what it checks."""
    steps = Steps(on_progress, "explain")
    prover = Prover(min(time_limit, CHECK_LIMIT), steps)
    found = fixed_facts(p) + counting_facts(p)
    if not found:
        first = Prover(time_limit, steps)
        statuses = [
            first.status(restrict(p, part), what=f"checking {_short(part)}") for part in components(p)
        ]
        if all(s == "feasible" for s in statuses):
            return True, f"{p.name}: a plan exists that keeps every rule; nothing to explain.\n"
        if "infeasible" not in statuses:
            return (
                False,
                f"{p.name}: no plan was found within {time_limit:g} s, nor a proof that none exists.\n",
            )
        prover = first
    return False, explain_infeasible(p, prover=prover, found=found)
