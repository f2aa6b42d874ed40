"""The model really enforces the rules: tighten one, and the old plan breaks it while the
new plan keeps it."""

from __future__ import annotations

from collections import defaultdict

import pytest
import yaml
from conftest import EXAMPLE

from models.load import parse_instance
from scheduler.core import objective
from scheduler.core.formulation import build, post_rules
from scheduler.core.model import Builder, Label
from scheduler.core.problem import Problem
from scheduler.core.rules import Rule, candidate_slots, check_plan
from scheduler.core.solve import SolveOptions, _solver, solve


def _tightened(change) -> Problem:
    raw = yaml.safe_load(EXAMPLE.read_text())
    change(raw)
    return Problem.from_instance(parse_instance(raw))


def _person(raw, pid):
    return next(p for p in raw["specialists"] + raw["teachers"] if p["id"] == pid)


def _unavailable_on_old_visits(raw, plan, teacher="alex-khan", school="oakfield"):
    days = [s.date.isoformat() for s in plan.sessions if s.kind == "visit" and s.school == school]
    _person(raw, teacher).update(unavailable=days)


# Each change tightens one rule so that the solver's plan for the example breaks it.
TIGHTER = {
    # Alex Khan is away on every date Oakfield was visited.
    "R2": _unavailable_on_old_visits,
    # 9 support days instead of 10.
    "R4": lambda r, plan: r["work_groups"][0].update(params={"support_days": 9}),
    # Group meetings of one WG at least 60 days apart.
    "R8": lambda r, plan: r["work_groups"][0].update(params={"group_gap_days": 60}),
    # Sam Jones may lead only half a day a week: no whole-day visits any more.
    "R9": lambda r, plan: _person(r, "sam-jones").update(max_days_per_week=0.5),
    # Alex Khan: 5.5 release days, with 9–10 support days to share.
    "R10": lambda r, plan: (
        _person(r, "alex-khan").update(max_release_days=5.5),
        r["work_groups"][0].update(params={"support_days": [9, 10]}),
    ),
    # Venues 1.5 km apart or more may not share a date for one person.
    "R12": lambda r, plan: r.update(max_same_day_km=1.5),
}


@pytest.mark.parametrize("rule", sorted(TIGHTER, key=lambda r: int(r[1:])))
def test_model_enforces(rule, example_plan):
    problem = _tightened(lambda raw: TIGHTER[rule](raw, example_plan))
    assert rule in {v.rule for v in check_plan(problem, example_plan.sessions)}, (
        "the old plan should break it"
    )
    plan = solve(problem, SolveOptions(time_limit=30))
    assert plan.status in ("optimal", "feasible")
    assert check_plan(problem, plan.sessions) == []


def test_split_of_support_days_is_the_solvers_choice(example_plan):
    """S4 prefers the split with least release beyond funding: 2 group days, 4 + 4 at schools."""
    sec = [s for s in example_plan.sessions if s.work_group == "sec-dev-1"]
    group = sum(s.days for s in sec if s.kind == "group")
    per_school = {sch: sum(s.days for s in sec if s.school == sch) for sch in ("oakfield", "parkside")}
    assert group + sum(per_school.values()) == 10
    assert (group, per_school) == (2, {"oakfield": 4, "parkside": 4})


def test_s2_preferred_weekdays_and_dates(example_plan):
    """Parkside prefers Wednesdays and Thursdays; Sam is released Tue/Thu: Thursdays."""
    parkside = [s for s in example_plan.sessions if s.school == "parkside"]
    assert parkside and all(s.date.strftime("%a") == "Thu" for s in parkside)
    wanted = "2027-03-11"  # a Thursday Sam is free, in Parkside's term, outside its blackouts
    problem = _tightened(lambda raw: _person(raw, "chris-moss").update(prefer_dates=[wanted]))
    plan = solve(problem, SolveOptions(time_limit=30))
    assert any(s.date.isoformat() == wanted and "chris-moss" in s.teachers for s in plan.sessions)


def test_s1_visits_spread_and_never_in_consecutive_weeks(example_plan):
    for school in ("oakfield", "parkside"):
        weeks = sorted(
            s.date.isocalendar()[1] + 53 * (s.date.year - 2026)
            for s in example_plan.sessions
            if s.school == school
        )
        assert all(b - a >= 3 for a, b in zip(weeks, weeks[1:])), (school, weeks)


def test_s3_whole_day_visits_beat_two_half_days(example_plan):
    """Secondary visits may be half or whole days; travel makes whole days cheaper."""
    sec_visits = [s for s in example_plan.sessions if s.work_group == "sec-dev-1" and s.kind == "visit"]
    assert sec_visits and all(s.slot == "day" for s in sec_visits)


def test_s1_leaves_out_runs_a_required_period_fills_without_changing_the_optimum(
    example_problem, example_plan, monkeypatch
):
    """A run of weeks holding a whole term (or half-term) that needs a session is never
    empty: the model has no literal for it, and the optimum is what it was with one."""
    pruned = build(example_problem).num_variables
    monkeypatch.setattr(objective, "forced_weeks", lambda b, wg, act: [])
    assert build(example_problem).num_variables > pruned
    every_run = solve(example_problem, SolveOptions(time_limit=30))
    assert every_run.status == "optimal"
    assert every_run.objective == example_plan.objective
    assert every_run.objective_terms == example_plan.objective_terms


def test_only_holds_an_activity_to_the_dates_given(example_problem):
    act = next(a for a in example_problem.activities if a.kind == "group")
    held = set(candidate_slots(example_problem, act)[::5])
    b = post_rules(Builder(example_problem, only={act.key: held}))
    assert {(day, slot) for day, slot, _ in b.cands[act.key]} == held
    for other in example_problem.activities:
        if other.key != act.key:  # the rest keep every candidate
            assert [(d, s) for d, s, _ in b.cands[other.key]] == candidate_slots(example_problem, other)


def test_people_who_attend_the_same_sessions_are_indexed_once(example_problem, example_plan, monkeypatch):
    """Their R3 and R12 constraints would be the same ones again: one person of each such
    group is indexed, everyone is represented, and the optimum is what it was with all."""
    attends = defaultdict(list)
    for act in example_problem.activities:
        for person in act.attendees:
            attends[person].append(act.key)
    groups = defaultdict(set)
    for person, keys in attends.items():
        groups[tuple(keys)].add(person)
    assert any(len(g) > 1 for g in groups.values())  # else there is nothing to share
    b = build(example_problem)
    indexed = {person for person, _, _ in b.by_person_half}
    assert indexed == {person for person, _ in b.by_person_day_venue}
    assert all(len(g & indexed) == 1 for g in groups.values())

    monkeypatch.setattr(Builder, "_one_per_attendance", lambda self: set(attends))
    everyone = build(example_problem)
    assert {person for person, _, _ in everyone.by_person_half} == set(attends)
    assert len(everyone.model.proto.constraints) > len(b.model.proto.constraints)
    plan = solve(example_problem, SolveOptions(time_limit=30))
    assert plan.status == "optimal"
    assert plan.objective == example_plan.objective


@pytest.mark.parametrize("gap, cut_free", [(0.0, False), (0.002, False), (0.005, True), (0.01, True)])
def test_only_a_wide_gap_is_solved_without_cuts(gap, cut_free):
    """From a 0.5% gap up, a hub's pieces stop at their first plans, which cuts and symmetry
    detection only delay; closer gaps and proofs of optimality need both."""
    prm = _solver(SolveOptions(gap=gap), work_groups=3).parameters
    assert (prm.cut_level == 0) is cut_free
    assert (prm.symmetry_level == 0) is cut_free
    assert prm.cp_model_probing_level == (0 if gap else 2)


def test_every_hard_rule_constraint_carries_its_label(example_problem):
    """Each rule posts inside `Builder.about`, so an explanation can tell what every
    constraint is about; the labels name subjects, never variable names."""
    b = post_rules(Builder(example_problem))
    spans = [(first, end) for first, end, _ in b.labelled()]
    assert spans[0][0] == 0 and spans[-1][1] == len(b.model.proto.constraints)
    assert all(end == first for (_, end), (first, _) in zip(spans, spans[1:]))  # no gap, no overlap
    labels = {label for _, _, label in b.labelled()}
    # R1 and R2 only narrow the candidates; no two of the example's venues are 30 km apart (R12).
    assert {label.rule for label in labels} == {f"R{i}" for i in range(3, 14)} - {"R12"}
    pin = next(label for label in labels if label.pin == 0)
    assert pin == Label("R11", ("sec-dev-1",), "sec-dev-1/group", None, "autumn", None, 0)
    assert Label("R10", ("sec-dev-1",), None, "chris-moss") in labels  # Chris is at two streams
    assert any(label.rule == "R9" and label.person == "sam-jones" for label in labels)
    assert any(label.rule == "R3" and label.school == "lindale" for label in labels)  # a venue


def test_a_rule_posting_without_a_label_is_refused(example_problem):
    class Unlabelled(Rule):
        id = "R0"

        def add(self, b: Builder) -> None:
            b.model.add(b.count_of(*b.problem.activities) >= 1)

    with pytest.raises(RuntimeError, match="R0 posted 1 constraints outside Builder.about"):
        post_rules(Builder(example_problem), [Unlabelled()])


def test_candidates_are_narrowed_before_the_variables_exist(example_problem):
    b = post_rules(Builder(example_problem))
    with pytest.raises(RuntimeError, match="before the variables are made"):
        b.narrow(lambda p, act, slots: slots)
