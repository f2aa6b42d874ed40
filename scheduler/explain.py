"""Why no plan exists, in the user's words.

First fast counting checks on the candidates (a term that needs a visit but has no legal
date, fewer legal weeks than sessions needed); then, if those find nothing, each Work
Group is solved alone to tell a Work Group that cannot be planned at all from a clash
between Work Groups.
"""

from __future__ import annotations

import dataclasses

from .calendar import Period
from .problem import Activity, Problem
from .rules import RULE, candidate_slots, iso_week


def _period_gaps(
    p: Problem, act: Activity, cands: list, periods: list[Period], rule: str, what: str
) -> list[str]:
    out = []
    for t in periods:
        if not any(day in t for day, _ in cands):
            leader = p.people[act.leader]
            out.append(
                f"{rule}: {act.label(p)} needs a {what} in the {t.name} term ({t.start}..{t.end}), but no "
                f"date in it is a school day for everyone attending that is also a release day of "
                f"{leader.name} ({', '.join(sorted(leader.release_days))}) and of every teacher, outside "
                f"every blackout. Relax: {_relax(p, act, t)}"
            )
    return out


def _relax(p: Problem, act: Activity, t: Period) -> str:
    schools = dict.fromkeys([act.venue, *(p.school_of(x) for x in act.attendees)])
    blacks = sorted(
        {
            f"{p.schools[s].name}'s blackout ({reason})"
            for s in schools
            for d, reason in p.schools[s].blackouts.items()
            if d in t
        }
    )
    hint = "shorten " + " or ".join(blacks) + ", or " if blacks else ""
    return (
        hint
        + "add release days for the people involved, or narrow the Work Group's window to skip this term."
    )


def capacity_problems(p: Problem) -> list[str]:
    """Counting checks that need no solver."""
    out: list[str] = []
    for wg in p.work_groups.values():
        for act in wg.activities:
            cands = candidate_slots(p, act)
            if act.kind == "visit":
                out += _period_gaps(p, act, cands, RULE["R7"].terms(p, wg, act.school), "R7", "visit")
            elif act.kind == "group":
                out += _period_gaps(p, act, cands, RULE["R8"].cadence(p, wg), "R8", "group meeting")
            elif act.kind == "headteachers":
                out += _period_gaps(p, act, cands, p.wg_terms(wg, None, 10), "R13", "headteachers' meeting")
            weeks = {iso_week(d) for d, _ in cands}
            need = _min_sessions(p, act)
            if act.kind == "visit" and len(weeks) < need:
                out.append(
                    f"R8: {act.label(p)} needs at least {need} visits in different weeks, but only "
                    f"{len(weeks)} weeks have a legal date. Relax: fewer days (params.school_days), more "
                    f"release days, or a longer window."
                )
    return out


def _min_sessions(p: Problem, act: Activity) -> int:
    r = p.work_groups[act.wg].params
    if act.kind == "visit" and "school_days" in r:
        return int(r["school_days"][0])  # whole-day visits: the fewest sessions
    return 0


def _alone(p: Problem, wg_id: str) -> Problem:
    return dataclasses.replace(
        p,
        work_groups={wg_id: p.work_groups[wg_id]},
        pins=[pin for pin in p.pins if pin.wg == wg_id],
    )


def explain_infeasible(p: Problem, plan=None, replan=None) -> str:
    """A short text: the facts that clash, each with its rule id, and what to relax."""
    from .solve import SolveOptions, solve

    lines = list(plan.notes) if plan is not None and plan.notes else []
    if not lines:
        lines = capacity_problems(p)
    if not lines:
        alone_bad = []
        for wg_id in p.work_groups:
            sub = solve(_alone(p, wg_id), SolveOptions(time_limit=10, first_solution=True))
            if sub.status == "infeasible":
                alone_bad.append(wg_id)
        if alone_bad:
            lines = [
                f"{wg_id} cannot be planned even on its own: its rules (R1–R13) leave no legal set of "
                f"sessions. Relax: widen its window, add release days, or shorten blackouts."
                for wg_id in alone_bad
            ]
        else:
            lines = [
                "Each Work Group can be planned on its own, but not all together: they compete for the "
                "same people or venues (R3 double booking, R9 weekly load, R12 travel). Relax: give a "
                "shared specialist more release days or a higher max_days_per_week, or move a Work Group's window."
            ]
    return "No plan satisfies every rule:\n" + "\n".join(f"- {line}" for line in lines) + "\n"


def explain_instance(p: Problem, time_limit: float = 60.0) -> tuple[bool, str]:
    """(feasible, text) for `hubplan explain`."""
    from .solve import SolveOptions, solve

    plan = solve(p, SolveOptions(time_limit=time_limit, first_solution=True))
    if plan.status in ("optimal", "feasible"):
        return True, f"{p.name}: a plan exists that keeps every rule; nothing to explain.\n"
    if plan.status == "unknown":
        return False, f"{p.name}: no plan was found within {time_limit:g} s, nor a proof that none exists.\n"
    return False, explain_infeasible(p, plan)
