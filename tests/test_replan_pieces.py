"""Re-planning a component by its pieces (`solve(…, replan_pieces=True)`, the workspace's "re-plan
from here") gives the very re-plan of the whole component: the fewest changes, then S1–S4."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import HUB

from models.edits import Edit, apply_edit
from models.load import load_instance
from scheduler.core.decompose import components
from scheduler.core.problem import Problem
from scheduler.core.solve import SolveOptions, solve
from scheduler.services.replan import previous_plan

TODAY = dt.date(2026, 11, 2)


@pytest.fixture(scope="module")
def hub():
    inst = load_instance(HUB)
    plan = solve(Problem.from_instance(inst), SolveOptions(time_limit=30, gap=0.01))
    return inst, plan


def _placed(plan):
    return sorted((s.work_group, s.kind, s.school, s.date, s.slot) for s in plan.sessions)


@pytest.mark.parametrize("school", ["fulwell-primary", "low-fell-primary"])
def test_pieces_give_the_whole_components_replan(hub, school):
    inst, plan = hub
    p = Problem.from_instance(inst)
    assert any(len(c) > 1 for c in components(p))  # the TfM Lead links the primary groups
    visit = min((s for s in plan.sessions if s.school == school and s.date > TODAY), key=lambda s: s.date)
    monday = visit.date - dt.timedelta(days=visit.date.weekday())
    edit = Edit(
        "add_blackout", {"school": school, "start": str(monday), "end": str(monday + dt.timedelta(days=11))}
    )
    q = Problem.from_instance(apply_edit(inst, edit))
    found = []
    for pieces in (False, True):
        replan = previous_plan(q, plan.sessions, [], TODAY)
        again = solve(q, SolveOptions(time_limit=30), replan=replan, replan_pieces=pieces)
        assert again.status == "optimal"
        moved = {c.session.id for c in replan.label(q, again) if c.change != "kept"}
        found.append((_placed(again), again.objective, moved))
    assert found[0] == found[1]
    assert visit.id in found[1][2]
