"""A plan edited by hand (`scheduler.services.moves`): checking only what a move touches finds
exactly what `check_plan` of the whole plan finds, and a session's panel says, for every date
and slot of its window, what the rules say about it there."""

from __future__ import annotations

import dataclasses
import random

import pytest

from scheduler.core.goal_values import GoalValues
from scheduler.core.model import window_slots
from scheduler.core.rules import check_plan
from scheduler.core.rules.base import ABOUT
from scheduler.services.moves import Draft, Move


def _as_set(violations):
    return sorted((v.rule, v.message, v.about, v.sessions) for v in violations)


@pytest.fixture(scope="module")
def draft(example_problem, example_plan):
    return Draft(example_problem, example_plan.sessions)


def test_the_solver_plan_breaks_nothing(draft):
    assert draft.violations == []


def test_every_violation_says_what_it_is_about_and_which_sessions(draft, example_problem):
    """Whatever a rule finds names what it is about and the sessions it concerns: the
    incremental check and the workspace rely on both."""
    rnd = random.Random(5)
    ids = sorted(draft.sessions)
    seen = set()
    for _ in range(40):
        moves = []
        for sid in rnd.sample(ids, 3):
            day, slot = rnd.choice(window_slots(example_problem, draft.activity(draft.sessions[sid])))
            moves.append(Move(sid, day, slot))
        sessions = list(draft.moved(moves).sessions.values())
        for v in check_plan(example_problem, sessions):
            assert v.about[0] in ABOUT and v.about[1], v
            assert v.sessions and set(v.sessions) <= {s.id for s in sessions}, v
            seen.add(v.rule)
    assert {"R1", "R2", "R3", "R6", "R7", "R8"} <= seen  # the moves broke a good many rules


@pytest.mark.parametrize("seed", range(6))
def test_checking_what_moves_touch_finds_what_a_whole_check_finds(draft, example_problem, seed):
    rnd = random.Random(seed)
    ids = sorted(draft.sessions)
    current = draft
    for _ in range(8):  # moves upon moves: the kept violations of one step feed the next
        sid = rnd.choice(ids)
        choices = window_slots(example_problem, current.activity(current.sessions[sid]))
        day, slot = rnd.choice(choices)
        current = current.moved([Move(sid, day, slot)])
        whole = check_plan(example_problem, list(current.sessions.values()))
        assert _as_set(current.violations) == _as_set(whole)


def test_central_events_checked_again_alike():
    """The specialist programme's cohort: central events, one event for the cohort at a venue."""
    from conftest import ROOT

    from models.load import load_instance
    from scheduler.core.problem import Problem
    from scheduler.core.solve import SolveOptions, solve

    p = Problem.from_instance(load_instance(ROOT / "instances" / "specialist-cohort-2026-27.yaml"))
    plan = solve(p, SolveOptions(time_limit=20))
    current = Draft(p, plan.sessions)
    rnd = random.Random(3)
    ids = sorted(current.sessions)
    for _ in range(12):
        sid = rnd.choice(ids)
        day, slot = rnd.choice(window_slots(p, current.activity(current.sessions[sid])))
        current = current.moved([Move(sid, day, slot)])
        assert _as_set(current.violations) == _as_set(check_plan(p, list(current.sessions.values())))


def test_moving_back_restores_a_clean_plan(draft):
    s = next(s for s in draft.sessions.values() if s.kind == "visit")
    away = draft.moved([Move(s.id, s.date.replace(day=1), "am")])
    assert away.violations
    back = away.moved([Move(s.id, s.date, s.slot)])
    assert back.violations == []


def _blackout_day(problem, draft):
    """A visit, and a date in its school's blackout inside its Work Group's window."""
    for s in sorted(draft.sessions.values()):
        if s.kind != "visit":
            continue
        act = draft.activity(s)
        for day, slot in window_slots(problem, act):
            if day in problem.schools[s.school].blackouts and day.weekday() < 5:
                return s, day, slot
    raise AssertionError("the example has no visit whose school has a blackout in its window")


def test_panel_says_why_not_with_the_rule_and_prices_what_is_allowed(draft, example_problem):
    s, day, slot = _blackout_day(example_problem, draft)
    panel = {(c.date, c.slot): c for c in draft.where_else(s.id)}
    act = draft.activity(s)
    assert set(panel) == set(window_slots(example_problem, act))  # every date and slot of the window
    assert panel[(s.date, s.slot)].current and panel[(s.date, s.slot)].allowed
    blocked = panel[(day, slot)]
    assert not blocked.allowed
    reason = example_problem.schools[s.school].blackouts[day]
    assert any(rule == "R2" and "inside a blackout" in why and reason in why for rule, why in blocked.reasons)

    allowed = [c for c in panel.values() if c.allowed and not c.current]
    refused = [c for c in panel.values() if not c.allowed]
    assert allowed and refused
    for c in allowed[:15]:  # allowed: the move adds no violation that concerns the session
        after = draft.moved([Move(s.id, c.date, c.slot)])
        assert not [v for v in after.violations if s.id in v.sessions], (c.date, c.slot)
        assert c.cost is not None and set(c.cost) == {"S1", "S2", "S3", "S4"}
    for c in refused[:: max(1, len(refused) // 15)]:  # not allowed: the move breaks what it says
        after = draft.moved([Move(s.id, c.date, c.slot)])
        found = {v.rule for v in after.violations if s.id in v.sessions}
        assert {rule for rule, _ in c.reasons} <= found | {"R1", "R2", "R3"}, (c.date, c.slot)
        assert c.reasons and c.cost is None


def test_a_clash_with_another_session_is_a_reason(draft, example_problem):
    """Not only the calendar: another session of the same person on that half-day (R3)."""
    s = next(s for s in sorted(draft.sessions.values()) if s.kind == "visit")
    other = next(
        t
        for t in sorted(draft.sessions.values())
        if t.id != s.id
        and s.specialist in t.attendees
        and (t.date, t.slot) != (s.date, s.slot)
        and t.slot in draft.activity(s).slots
    )
    panel = {(c.date, c.slot): c for c in draft.where_else(s.id)}
    there = panel[(other.date, other.slot)]
    assert not there.allowed
    assert any(rule == "R3" for rule, _ in there.reasons), there.reasons


def test_costs_are_the_objective_terms_of_the_moved_plan(draft, example_problem, example_plan):
    """The panel's cost of a date is the change in S1–S4 between the plan and the plan with
    the session there, each valued by the solver's own terms."""
    whole = GoalValues(example_problem)
    placed = [(example_problem.session_key(s), s.date, s.slot) for s in example_plan.sessions]
    before = whole.goals(whole.values(placed))
    assert before == {k.split()[0]: v for k, v in example_plan.objective_terms.items()}
    s = next(s for s in sorted(draft.sessions.values()) if s.kind == "group")
    key = example_problem.session_key(s)
    checked = 0
    for c in draft.where_else(s.id):
        if c.cost is None:
            continue
        moved = [(key, c.date, c.slot) if x == (key, s.date, s.slot) else x for x in placed]
        after = whole.goals(whole.values(moved))
        assert c.cost == {g: after[g] - before[g] for g in before}, (c.date, c.slot)
        checked += 1
    assert checked >= 5


def test_a_session_moved_off_its_candidates_still_has_a_price_elsewhere(draft, example_problem):
    """A session placed where the rules forbid it (by hand) keeps a place in the goals' model."""
    s, day, slot = _blackout_day(example_problem, draft)
    moved = draft.moved([Move(s.id, day, slot)])
    panel = moved.where_else(s.id)
    assert any(c.cost is not None for c in panel if c.allowed and not c.current)
    assert dataclasses.replace(s, date=day, slot=slot) in moved.sessions.values()
