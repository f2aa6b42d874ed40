"""Greedy first-fit: what a coordinator does by hand, as a baseline for the optimiser.

Every session goes into the first slot the hard rules allow: activities one after another
in instance order, each filling its earliest legal dates first. This is the CP-SAT model of
`scheduler.core.formulation` searched in a fixed order (candidates chronologically per activity, value
1 first) with no regard for the objective, stopping at the first plan. Propagation and
backtracking keep it legal, so it is first-fit that looks ahead only as far as the rules
force it to. The plan's soft goals S1–S4 are then scored with the plan held fixed.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from scheduler.core.decompose import restrict
from scheduler.core.formulation import build
from scheduler.core.model import SOFT_GOALS, Builder
from scheduler.core.plan import Plan
from scheduler.core.problem import Problem
from scheduler.core.solve import extract_sessions, new_solver, pin_problems

STATUS = {cp_model.OPTIMAL: "feasible", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible"}


def first_fit_order(problem: Problem, builder: Builder) -> list[cp_model.IntVar]:
    """Every candidate boolean: activity by activity in instance order, then by date and slot."""
    return [x for act in problem.activities for _, _, x in builder.cands[act.key]]


def _first_fit(
    builder: Builder, order: list[cp_model.IntVar], time_limit: float
) -> tuple[cp_model.CpSolver, int]:
    builder.model.add_decision_strategy(order, cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE)
    solver = new_solver(time_limit)
    prm = solver.parameters
    prm.search_branching = cp_model.FIXED_SEARCH
    prm.stop_after_first_solution = True
    return solver, solver.solve(builder.model)


def _score(
    builder: Builder, order: list[cp_model.IntVar], first: cp_model.CpSolver, time_limit: float
) -> cp_model.CpSolver:
    """The soft goals of the first-fit plan: its sessions fixed, the auxiliaries minimised."""
    for x in order:
        builder.model.add(x == first.value(x))
    builder.model.clear_hints()
    solver = new_solver(time_limit)
    code = solver.solve(builder.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # cannot happen: the plan is legal
        raise RuntimeError(f"scoring the first-fit plan failed ({solver.status_name(code)})")
    return solver


def greedy_plan(problem: Problem, time_limit: float = 60.0) -> Plan:
    """The first-fit plan of `problem`, with objective and S1–S4 filled in as `solve` does.

    `best_bound` stays empty: first-fit proves nothing about how good a plan could be."""
    started = time.perf_counter()
    blocked = pin_problems(problem)
    if blocked:
        return Plan(problem.name, "infeasible", notes=blocked)
    builder = build(problem)
    order = first_fit_order(problem, builder)
    stats = {"variables": builder.num_variables, "constraints": len(builder.model.proto.constraints)}
    first, code = _first_fit(builder, order, time_limit)
    plan = Plan(problem.name, STATUS.get(code, "unknown"), stats=stats)
    plan.solve_seconds = round(first.deterministic_time, 2)
    if plan.status == "feasible":
        plan.sessions = extract_sessions(problem, builder, first)
        scored = _score(builder, order, first, time_limit)
        plan.objective = scored.objective_value
        plan.objective_terms = {
            f"{k} {name}": scored.value(sum(builder.soft[k])) if builder.soft[k] else 0
            for k, name in SOFT_GOALS.items()
        }
    plan.wall_seconds = time.perf_counter() - started
    return plan


def cost_floor(problem: Problem, time_limit: float = 60.0) -> float:
    """A proven lower bound on S4 (pounds of release beyond funding) for every plan of
    `problem`: each Work Group alone, S4 its only goal, its CP-SAT bound, summed.

    S4 is counted per Work Group and school, so dropping every rule between Work Groups
    only relaxes it: no plan, however good, pays less. It is the part of the objective the
    schedule cannot change, against which greedy and optimised plans are compared fairly.
    """
    floor = 0.0
    for wg in problem.work_groups:
        builder = build(restrict(problem, (wg,)))
        if not builder.soft["S4"]:
            continue
        builder.model.minimize(sum(builder.soft["S4"]))
        solver = new_solver(time_limit)
        code = solver.solve(builder.model)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            raise ValueError(f"{wg} has no plan on its own, so it has no cost floor")
        floor += solver.best_objective_bound
    return floor
