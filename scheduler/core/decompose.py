"""Splitting a hub into models that share nothing, and putting their plans together.

Every hard rule that spans Work Groups (R3 double booking and venue capacity, R9, R10,
R12) and every soft term (S1–S5) is about one person, one venue or one Work Group, so a hub
whose groups fall into components that share no person and no venue is solved exactly by
solving each component as its own model: nothing is lost, and the pieces run in parallel.
"""

from __future__ import annotations

import dataclasses

from scheduler.core.objective import fewest_halves, release_per_half
from scheduler.core.plan import SOLVED, Plan
from scheduler.core.problem import Problem, WorkGroupSpec


def components(problem: Problem, ignore: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Work Groups that share nothing (no person, no venue) in separate tuples.

    Every hard rule that spans Work Groups (R3 double booking and venue capacity, R9, R10,
    R12) and every soft term (S1–S5) is about one person, one venue or one Work Group, so
    the model splits exactly along these lines: solving the parts apart loses nothing.
    """
    parent = {wg: wg for wg in problem.work_groups}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for wg in problem.work_groups.values():
        for act in wg.activities:
            for key in (*act.attendees, f"venue:{act.venue}"):
                if key in ignore:
                    continue
                first = owner.setdefault(key, wg.id)
                a, b = root(first), root(wg.id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for wg in problem.work_groups:  # instance order, so the split is stable
        groups.setdefault(root(wg), []).append(wg)
    return [tuple(g) for g in groups.values()]


def restrict(problem: Problem, wg_ids: tuple[str, ...] | list[str]) -> Problem:
    """The same problem with only these Work Groups (and their pins)."""
    keep = set(wg_ids)
    return dataclasses.replace(
        problem,
        work_groups={k: v for k, v in problem.work_groups.items() if k in keep},
        pins=[pin for pin in problem.pins if pin.wg in keep],
    )


def lead_apart(problem: Problem, part: tuple[str, ...]) -> tuple[Problem, Problem] | None:
    """The Work Groups `part` as two problems: everything but the TfM Lead's sessions
    (`rest`, which falls apart into pieces), and the lead's sessions alone (`lead`); None
    where that split would not be a relaxation (below).

    In a hub, the TfM Lead's termly headteachers' meetings are all that links the primary
    groups; planned apart from the rest, they are one small model and the rest many.
    Solving the two apart is a relaxation of the whole, so their bounds add up to one for
    it (`scheduler.core.solve.join` then fits the lead's meetings around the rest):

    - every hard rule restricted to either side's sessions is one the whole keeps, or a
      weaker one (R3, R8's weeks, R9, R10, R12 lose the pairs across the sides). Not so a
      Work Group's day total over all its streams (R4's `total_days`): a Work Group with
      such a total and sessions on both sides is not split;
    - S1 and S2 are per activity or session; S3 per leader, venue and date, and the lead
      leads every session they attend (else None), so no trip mixes the sides;
    - S4 is `max(0, release - funding)` per Work Group and school, with release on both
      sides: `lead` counts none, and `rest` counts the release of the lead's sessions
      that every plan pays (`fewest_halves`) by taking it off the funding, at the school
      of the Work Group that pays least (funding is per Work Group). Never more than the
      whole pays, and exactly it when those sessions are fixed in number and the same for
      every school, as the headteachers' meetings are.
    """
    lead = problem.tfm_lead
    sub = restrict(problem, part)
    theirs = {a.key for a in sub.activities if lead in a.attendees}
    if not theirs or any(a.leader != lead for a in sub.activities if a.key in theirs):
        return None
    rest: dict[str, WorkGroupSpec] = {}
    led: dict[str, WorkGroupSpec] = {}
    for wg in sub.work_groups.values():
        mine = tuple(a for a in wg.activities if a.key in theirs)
        others = tuple(a for a in wg.activities if a.key not in theirs)
        if mine and others and wg.programme.total_days is not None:
            return None
        if mine:
            led[wg.id] = dataclasses.replace(wg, activities=mine, release_funding=None)
        if others:
            funding = wg.release_funding
            if funding is not None and mine:
                funding -= min(
                    sum(fewest_halves(sub, a) * (release_per_half(sub, a, school) or 0) for a in mine)
                    for school in wg.schools
                )
            rest[wg.id] = dataclasses.replace(wg, activities=others, release_funding=funding)
    pins = {side: [] for side in ("rest", "lead")}
    for pin in sub.pins:
        act = sub.pin_activity(pin)
        pins["lead" if act is not None and act.key in theirs else "rest"].append(pin)
    return (
        dataclasses.replace(sub, work_groups=rest, pins=pins["rest"]),
        dataclasses.replace(sub, work_groups=led, pins=pins["lead"]),
    )


def own_only(problem: Problem) -> Problem:
    """`problem` without the people and schools none of its Work Groups involves: what a
    worker process needs, at a fraction of the pickling (a piece of a hub is ~1/30 of it)."""
    people = {problem.tfm_lead} if problem.tfm_lead else set()
    for wg in problem.work_groups.values():
        people.update((wg.leader, *wg.all_teachers, *wg.headteachers))
        for act in wg.activities:
            people.update(act.attendees)
    people &= problem.people.keys()
    schools = {problem.people[x].school for x in people}
    for wg in problem.work_groups.values():
        schools.update((*wg.schools, wg.venue, *(act.venue for act in wg.activities)))
    return dataclasses.replace(
        problem,
        people={k: v for k, v in problem.people.items() if k in people},
        schools={k: v for k, v in problem.schools.items() if k in schools},
    )


def merge_plans(name: str, plans: list[Plan]) -> Plan:
    """One plan from the plans of independent components: sums, and the weakest status."""
    rank = {"optimal": 0, "feasible": 1, "unknown": 2, "infeasible": 3}
    # No plans at all: an instance without Work Groups, planned in full by planning nothing.
    status = max((p.status for p in plans), key=rank.__getitem__, default="optimal")
    merged = Plan(name, status, notes=[n for p in plans for n in p.notes])
    merged.solve_seconds = round(sum(p.solve_seconds for p in plans), 2)
    merged.wall_seconds = sum(p.wall_seconds for p in plans)
    for key in ("variables", "constraints"):
        merged.stats[key] = sum(p.stats.get(key, 0) for p in plans)
    merged.stats["components"] = len(plans)
    if status in SOLVED:
        merged.sessions = sorted(s for p in plans for s in p.sessions)
        merged.objective = sum(p.objective for p in plans)
        merged.best_bound = sum(p.best_bound for p in plans)
        for p in plans:
            for term, value in p.objective_terms.items():
                merged.objective_terms[term] = merged.objective_terms.get(term, 0) + value
    return merged
