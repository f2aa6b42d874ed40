"""Decomposition: Work Groups that share no one and no venue are solved as separate models,
with the same plan quality as one model."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import HUB

from models.load import load_instance
from scheduler.core.decompose import components, merge_plans, restrict
from scheduler.core.problem import Problem
from scheduler.core.rules import check_plan
from scheduler.core.solve import SolveOptions, repair, solve, solve_model
from scheduler.operations.generate import generate_instance, write_instance


@pytest.fixture(scope="module")
def hub() -> Problem:
    return Problem.from_instance(load_instance(HUB))


def test_components_split_exactly_on_shared_people_and_venues(hub):
    parts = components(hub)
    assert sorted(w for part in parts for w in part) == sorted(hub.work_groups)
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            people_a = {x for w in a for act in hub.work_groups[w].activities for x in act.attendees}
            people_b = {x for w in b for act in hub.work_groups[w].activities for x in act.attendees}
            venues_a = {act.venue for w in a for act in hub.work_groups[w].activities}
            venues_b = {act.venue for w in b for act in hub.work_groups[w].activities}
            assert not people_a & people_b and not venues_a & venues_b
    for part in parts:  # and each part is connected: no smaller split exists
        assert components(restrict(hub, part)) == [part]


def test_primary_groups_sharing_the_tfm_lead_stay_together(hub):
    primary = [w for w, spec in hub.work_groups.items() if spec.programme.name == "primary-development"]
    part = next(p for p in components(hub) if primary[0] in p)
    assert set(primary) <= set(part)


@pytest.fixture(scope="module")
def small_hub(hub) -> Problem:
    """Three components of the bundled hub: a shared-specialist cluster and two singles."""
    parts = sorted(components(hub), key=len)
    keep = [w for part in (parts[0], parts[1], parts[-2]) for w in part]
    return restrict(hub, keep)


def test_same_objective_as_one_monolithic_model(small_hub):
    options = SolveOptions(time_limit=60)
    split = solve(small_hub, options)
    whole = solve(small_hub, dataclasses.replace(options, decompose=False))
    assert split.stats["components"] == 3 and whole.stats["components"] == 1
    assert split.status == whole.status == "optimal"
    assert split.objective == whole.objective
    assert split.objective_terms == whole.objective_terms


def test_workers_over_components_give_the_same_plan(small_hub):
    one = solve(small_hub, SolveOptions(time_limit=60, workers=1))
    two = solve(small_hub, SolveOptions(time_limit=60, workers=2))  # two processes, one component each
    assert one.sessions == two.sessions and one.objective == two.objective
    assert [s.id for s in one.sessions] == [s.id for s in two.sessions]


@pytest.fixture(scope="module")
def lead_linked(tmp_path_factory):
    """A generated hub whose primary groups, each planned on its own, book the TfM Lead
    for two headteachers' meetings on one date: the component `repair` is for."""
    path = tmp_path_factory.mktemp("tfm") / "hub.yaml"
    write_instance(generate_instance(16, 1), path)
    problem = Problem.from_instance(load_instance(path))
    part = max(components(problem), key=len)
    pieces = components(restrict(problem, part), ignore=(problem.tfm_lead,))
    options = SolveOptions(time_limit=30)
    plans = [solve_model(restrict(problem, piece), options) for piece in pieces]
    return restrict(problem, part), pieces, plans, options


def test_pieces_solved_apart_clash_over_the_tfm_lead(lead_linked):
    whole, pieces, plans, _ = lead_linked
    assert len(pieces) > 2
    clashes = check_plan(whole, merge_plans(whole.name, plans).sessions)
    assert clashes and all(v.rule in ("R3", "R12") for v in clashes)


def test_repair_moves_only_the_tfm_leads_meetings_and_keeps_the_bound(lead_linked):
    whole, pieces, plans, options = lead_linked
    relaxed = merge_plans(whole.name, plans)
    repaired = repair(whole, pieces, plans, options)
    assert repaired.status in ("optimal", "feasible")
    assert check_plan(whole, repaired.sessions) == []
    lead = whole.tfm_lead
    others = lambda plan: sorted(s for s in plan.sessions if lead not in s.attendees)  # noqa: E731
    assert others(repaired) == others(relaxed)
    moved = {s for s in repaired.sessions if lead in s.attendees} - set(relaxed.sessions)
    assert moved
    # Solving the pieces apart is a relaxation: their bounds add up to one for the whole.
    assert repaired.best_bound == relaxed.best_bound <= repaired.objective
    assert repaired.gap <= 0.01


def test_whole_hub_solve_repairs_the_same_way(lead_linked):
    whole, _, _, options = lead_linked
    plan = solve(whole, options)
    assert plan.status in ("optimal", "feasible") and check_plan(whole, plan.sessions) == []
