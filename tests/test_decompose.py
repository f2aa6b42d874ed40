"""Decomposition: Work Groups that share no one and no venue are solved as separate models,
with the same plan quality as one model."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import HUB

from models.load import load_instance, parse_instance
from scheduler.core.decompose import components, lead_apart, restrict
from scheduler.core.problem import Problem
from scheduler.core.rules import check_plan
from scheduler.core.solve import POOL_ACTIVITIES, SolveOptions, solve, solve_model
from scheduler.operations.generate import generate_instance


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
    options = SolveOptions(time_limit=60, gap=0.0)
    split = solve(small_hub, options)
    whole = solve(small_hub, dataclasses.replace(options, decompose=False))
    assert split.stats["components"] == 3 and whole.stats["components"] == 1
    assert split.status == whole.status == "optimal"
    assert split.objective == whole.objective
    assert split.objective_terms == whole.objective_terms


def test_workers_over_components_give_the_same_plan(hub):
    assert len(hub.activities) >= POOL_ACTIVITIES  # so that two processes do plan it
    one = solve(hub, SolveOptions(time_limit=60, workers=1))
    two = solve(hub, SolveOptions(time_limit=60, workers=2))  # this process and one in a pool
    assert one.sessions == two.sessions and one.objective == two.objective
    assert [s.id for s in one.sessions] == [s.id for s in two.sessions]


@pytest.fixture(scope="module")
def lead_linked() -> Problem:
    """A generated hub's component that only the TfM Lead links: primary groups in pieces
    of their own, one of three groups led by one specialist at one venue, whose
    headteachers' meetings the lead holds at that venue each term."""
    problem = Problem.from_instance(parse_instance(generate_instance(8, 2)))
    part = max(components(problem), key=len)
    return restrict(problem, part)


def test_lead_apart_splits_the_leads_sessions_from_the_rest(lead_linked):
    rest, lead = lead_apart(lead_linked, tuple(lead_linked.work_groups))
    tfm = lead_linked.tfm_lead
    assert lead.activities and all(a.leader == tfm for a in lead.activities)
    assert not any(tfm in a.attendees for a in rest.activities)
    assert sorted(a.key for a in rest.activities + lead.activities) == sorted(
        a.key for a in lead_linked.activities
    )
    assert len(components(rest)) > 2  # the rest falls apart into pieces: the lead linked them
    # The lead's release cost stays with the rest: taken off each Work Group's funding.
    wg = next(w for w in lead.work_groups.values())
    assert lead.work_groups[wg.id].release_funding is None
    assert rest.work_groups[wg.id].release_funding < lead_linked.work_groups[wg.id].release_funding


def test_lead_apart_is_a_relaxation_and_the_join_meets_the_optimum(lead_linked):
    """The parts' bounds add up to at most the optimum of one model of the whole, and the
    joined plan is that optimum, proven."""
    options = SolveOptions(time_limit=60, gap=0.0, workers=1)
    rest, lead = lead_apart(lead_linked, tuple(lead_linked.work_groups))
    parts = [solve_model(restrict(rest, piece), options) for piece in components(rest)]
    parts.append(solve_model(lead, options))
    whole = solve(lead_linked, dataclasses.replace(options, decompose=False))
    assert whole.status == "optimal"
    assert sum(p.best_bound for p in parts) <= whole.objective
    joined = solve(lead_linked, options)
    assert joined.status == "optimal" and check_plan(lead_linked, joined.sessions) == []
    assert joined.objective == whole.objective == joined.best_bound


def test_with_a_gap_the_join_is_within_it(lead_linked):
    plan = solve(lead_linked, SolveOptions(time_limit=30, gap=0.005, workers=1))
    assert plan.status in ("optimal", "feasible") and check_plan(lead_linked, plan.sessions) == []
    assert plan.gap <= 0.005


def test_a_lead_who_attends_anothers_session_is_not_split(lead_linked):
    """S3 counts a leader's trips: were the lead among another leader's attendees, a trip
    could mix both sides, and the parts would not bound the whole."""
    wg = next(w for w in lead_linked.work_groups.values() if len(w.activities) > 1)
    act = next(a for a in wg.activities if lead_linked.tfm_lead not in a.attendees)
    joined = dataclasses.replace(act, teachers=(*act.teachers, lead_linked.tfm_lead))
    changed = dataclasses.replace(wg, activities=tuple(joined if a is act else a for a in wg.activities))
    problem = dataclasses.replace(lead_linked, work_groups={**lead_linked.work_groups, wg.id: changed})
    assert lead_apart(problem, tuple(problem.work_groups)) is None
