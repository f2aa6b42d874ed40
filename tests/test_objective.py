"""The soft goals' helpers: the trip cut (`trip_days`) tightens the bound and cuts off no
plan; the release floor is never above what a plan pays."""

from __future__ import annotations

import pytest
from conftest import HUB

from models.load import load_instance, parse_instance
from scheduler.core import objective
from scheduler.core.decompose import components, lead_apart
from scheduler.core.formulation import build
from scheduler.core.problem import Problem
from scheduler.core.solve import SolveOptions, _solver, run, solve, solve_model
from scheduler.operations.generate import generate_instance

PROOF = SolveOptions(time_limit=60, gap=0.0, workers=1)


@pytest.fixture(scope="module")
def meetings() -> Problem:
    """The TfM Lead's sessions of a generated hub, alone (`lead_apart`): headteachers'
    meetings, three a term at the venue of the three groups one specialist leads there."""
    problem = Problem.from_instance(parse_instance(generate_instance(8, 2)))
    _, lead = lead_apart(problem, max(components(problem), key=len))
    return lead


def _without_cut(monkeypatch) -> None:
    monkeypatch.setattr(objective, "trip_days", lambda *args: None)


def _root_bound(problem: Problem) -> float:
    """The objective bound of the model as built, at the root: no presolve, no search."""
    solver = _solver(PROOF, len(problem.work_groups))
    solver.parameters.cp_model_presolve = False
    solver.parameters.max_number_of_conflicts = 0
    run(solver, build(problem).model)
    return solver.best_objective_bound


def test_the_trip_cut_posts_where_several_meetings_share_a_venue(meetings, monkeypatch):
    with_cut = len(build(meetings).model.proto.constraints)
    _without_cut(monkeypatch)
    assert with_cut > len(build(meetings).model.proto.constraints)


def test_the_trip_cut_raises_the_root_bound_to_the_optimum(meetings, monkeypatch):
    optimum = solve_model(meetings, PROOF)
    assert optimum.status == "optimal"
    tight = _root_bound(meetings)
    _without_cut(monkeypatch)
    loose = _root_bound(meetings)
    assert loose < tight == optimum.objective


def test_the_trip_cut_cuts_off_no_plan(meetings, monkeypatch):
    """The best plan found without the cut keeps it (held, the model with the cut has it,
    at the same objective), and the optimum is the same with the cut and without."""
    with_cut = solve_model(meetings, PROOF)
    _without_cut(monkeypatch)
    without = solve_model(meetings, PROOF)
    monkeypatch.undo()
    assert without.status == with_cut.status == "optimal"
    assert without.objective == with_cut.objective
    held = {act.key: set() for act in meetings.activities}
    for s in without.sessions:
        held[meetings.session_key(s)].add((s.date, s.slot))
    again = solve_model(meetings, PROOF, only=held)
    assert again.status == "optimal" and again.objective == without.objective
    assert sorted(again.sessions) == sorted(without.sessions)


def test_the_release_floor_is_never_above_what_a_plan_pays():
    problem = Problem.from_instance(load_instance(HUB))
    plan = solve(problem, SolveOptions(time_limit=30))
    floor = objective.release_floor(problem)
    assert 0 < floor <= problem.weights["cost"] * plan.objective_terms["S4 cost"]
