"""Each hard rule: a plan that keeps it and a plan that breaks it.

The plan that keeps every rule is the solver's plan for the contract example; each
breaking plan is that plan with one deliberate change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from scheduler.core.plan import Session
from scheduler.core.rules import RULES, check_plan

D = dt.date.fromisoformat


def rules_broken(problem, sessions) -> set[str]:
    return {v.rule for v in check_plan(problem, sessions)}


def first(sessions, **where) -> Session:
    return next(s for s in sessions if all(getattr(s, k) == v for k, v in where.items()))


def moved(sessions, s: Session, **change) -> list[Session]:
    return [dataclasses.replace(x, **change) if x is s else x for x in sessions]


def test_solver_plan_keeps_every_rule(example_problem, example_plan):
    assert check_plan(example_problem, example_plan.sessions) == []


def test_every_rule_has_an_id_and_a_check():
    assert [r.id for r in RULES] == [f"R{i}" for i in range(1, 14)]


def _visit(plan, school):
    return first(plan.sessions, kind="visit", school=school)


# Each case: (rule, how to break the example plan). The unbroken plan is the solver's.
def break_r1(p, plan):  # a visit in the February half-term, on one of Sam's release days
    return moved(plan.sessions, _visit(plan, "oakfield"), date=D("2027-02-16"))


def break_r2(p, plan):  # a Wednesday: Sam Jones is released Tuesdays and Thursdays only
    s = _visit(plan, "oakfield")
    return moved(plan.sessions, s, date=s.date - dt.timedelta(days=s.date.weekday() - 2))


def break_r3(p, plan):  # two of Ria's visits in one slot
    a = first(plan.sessions, kind="visit", work_group="pri-dev-1", school="lindale")
    b = first(plan.sessions, kind="visit", work_group="pri-dev-1", school="hollins")
    return moved(plan.sessions, b, date=a.date, slot=a.slot)


def break_r4(p, plan):  # one day of support fewer
    s = next(
        s for s in plan.sessions if s.work_group == "sec-dev-1" and s.kind == "visit" and s.slot == "day"
    )
    return [x for x in plan.sessions if x is not s]


def break_r5(p, plan):  # a group meeting missing an Advocate
    s = first(plan.sessions, kind="group", work_group="sec-dev-1")
    return moved(plan.sessions, s, teachers=s.teachers[1:])


def break_r6(p, plan):  # a visit before the launch meeting of 2026-11-05
    return moved(plan.sessions, _visit(plan, "parkside"), date=D("2026-11-03"), slot="day")


def break_r7(p, plan):  # Lindale loses its spring visit
    s = next(
        s for s in plan.sessions if s.school == "lindale" and D("2027-01-05") <= s.date <= D("2027-03-26")
    )
    return [x for x in plan.sessions if x is not s]


def break_r8(p, plan):  # a second group meeting a week after the first
    s = first(plan.sessions, kind="group", work_group="sec-dev-1")
    return [*plan.sessions, dataclasses.replace(s, date=s.date + dt.timedelta(days=7), id="extra")]


def break_r9(p, plan):  # Sam (max 1 day a week) gets a second day in one week
    s = next(s for s in plan.sessions if s.work_group == "sec-dev-1" and s.slot == "day")
    other = next(x for x in plan.sessions if x.work_group == "sec-dev-1" and x.slot == "day" and x is not s)
    tuesday = s.date - dt.timedelta(days=s.date.weekday() - 1)
    thursday = tuesday + dt.timedelta(days=2)
    return moved(moved(plan.sessions, s, date=tuesday), other, date=thursday)


def break_r10(p, plan):  # Chris Moss (max 6 release days) gets three more day visits
    s = _visit(plan, "parkside")
    extra = [
        dataclasses.replace(s, date=D(d), slot="day", id=f"x{d}")
        for d in ("2027-01-12", "2027-01-19", "2027-01-26")
    ]
    return [*plan.sessions, *extra]


def break_r11(p, plan):  # the pinned launch meeting moves
    s = first(plan.sessions, kind="group", work_group="sec-dev-1", date=D("2026-11-05"))
    return moved(plan.sessions, s, slot="pm")


def break_r13(p, plan):  # no headteachers' meeting in the summer term
    s = next(s for s in plan.sessions if s.kind == "headteachers" and s.date >= D("2027-04-12"))
    return [x for x in plan.sessions if x is not s]


BREAKERS = {
    "R1": break_r1,
    "R2": break_r2,
    "R3": break_r3,
    "R4": break_r4,
    "R5": break_r5,
    "R6": break_r6,
    "R7": break_r7,
    "R8": break_r8,
    "R9": break_r9,
    "R10": break_r10,
    "R11": break_r11,
    "R13": break_r13,
}


@pytest.mark.parametrize("rule", sorted(BREAKERS, key=lambda r: int(r[1:])))
def test_rule_broken_and_kept(rule, example_problem, example_plan):
    assert rule not in rules_broken(example_problem, example_plan.sessions)
    broken = BREAKERS[rule](example_problem, example_plan)
    assert rule in rules_broken(example_problem, broken)


def test_r12_travel(example_problem, example_plan):
    """Two venues on one date are fine within max_same_day_km, a violation beyond it."""
    a = first(example_plan.sessions, kind="visit", work_group="pri-dev-1", school="lindale")
    b = first(example_plan.sessions, kind="visit", work_group="pri-dev-1", school="weston")
    other = "pm" if a.slot == "am" else "am"
    sessions = moved(example_plan.sessions, b, date=a.date, slot=other)
    # Lindale and Weston are about 7 km apart.
    assert "R12" not in rules_broken(example_problem, sessions)
    near = dataclasses.replace(example_problem, max_same_day_km=3)
    assert "R12" in rules_broken(near, sessions)


def test_r3_venue_capacity(example_problem, example_plan):
    """Two Work Groups' sessions at one venue in one slot exceed capacity 1."""
    g = first(example_plan.sessions, kind="group", work_group="sec-dev-1")
    clash = dataclasses.replace(
        g, work_group="pri-dev-1", specialist="jo-reed", teachers=(), kind="headteachers", id="h"
    )
    found = [v for v in check_plan(example_problem, [*example_plan.sessions, clash]) if v.rule == "R3"]
    assert any("capacity" in v.message for v in found)


def test_r4_primary_visits_are_half_days(example_problem, example_plan):
    s = first(example_plan.sessions, kind="visit", work_group="pri-dev-1")
    found = check_plan(example_problem, moved(example_plan.sessions, s, slot="day"))
    assert any(v.rule == "R4" and "half-days" in v.message for v in found)


def test_r3_commitment(example_problem, example_plan):
    """Sam Jones's central event on 2026-11-24 blocks that day."""
    s = _visit(example_plan, "oakfield")
    found = check_plan(example_problem, moved(example_plan.sessions, s, date=D("2026-11-24")))
    assert any(v.rule == "R3" and "commitment" in v.message for v in found)
