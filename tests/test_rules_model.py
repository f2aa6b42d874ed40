"""The model side of each hard rule, rule by rule (in the spirit of Timefold's constraint
verifier): on a tiny hand-built hub, the variables and that one rule alone, a plan forced
on them, and the solver's verdict. What the rule forbids is infeasible, what it allows is
feasible; and with the rule's `add` taken away, what it forbade becomes feasible, so each
of these tests fails without the code it is about.

A forced plan names, per activity, every session it has (date and slot): those are held,
every other candidate of that activity is not. A session on a (date, slot) that has no
variable (R1–R3 narrowed it away) cannot be held.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field

import pytest

from models.load import parse_instance
from scheduler.core.formulation import post_rules
from scheduler.core.model import Builder
from scheduler.core.problem import Problem
from scheduler.core.rules import RULE
from scheduler.core.solve import new_solver, run

Plan = dict[str, list[tuple[str, str]]]  # activity key -> (date, slot) of each of its sessions

GROUP = {"attendees": ["teachers"], "slots": ["am", "pm"]}
VISIT = {"attendees": ["school-teachers"], "venue": "visited-school", "slots": ["am", "pm", "day"]}

# Autumn 2026-09-07..10-23 with a half-term break 10-12..10-16; spring 2027-01-04..01-29.
# Sam and Tess are specialists at Home; Ann teaches at Near (3 km away), Bob at Far (48 km).
TINY = {
    "name": "tiny",
    "hub": {"name": "Tiny Hub", "tfm_lead": "tess"},
    "calendar": {
        "bank_holidays": "none",
        "terms": [
            {
                "name": "autumn",
                "start": "2026-09-07",
                "end": "2026-10-23",
                "half_term": ["2026-10-12", "2026-10-16"],
            },
            {"name": "spring", "start": "2027-01-04", "end": "2027-01-29"},
        ],
    },
    "schools": [
        {"id": "home", "name": "Home School", "phase": "secondary", "location": {"lat": 54.97, "lon": -1.64}},
        {"id": "near", "name": "Near School", "phase": "secondary", "location": {"lat": 54.98, "lon": -1.60}},
        {"id": "far", "name": "Far School", "phase": "secondary", "location": {"lat": 55.40, "lon": -1.64}},
    ],
    "specialists": [
        {"id": "sam", "name": "Sam", "school": "home"},
        {"id": "tess", "name": "Tess", "school": "home"},
    ],
    "teachers": [
        {"id": "ann", "name": "Ann", "school": "near", "role": "teacher"},
        {"id": "bob", "name": "Bob", "school": "far", "role": "teacher"},
        {"id": "hana", "name": "Hana", "school": "near", "role": "headteacher"},
    ],
    "programmes": {},
    "work_groups": [],
}


def wg(wid: str, specialist: str, school: str, teachers=(), headteacher=None, **more) -> dict:
    """A Work Group on programme `p` with one school (and its teachers, its headteacher)."""
    entry = {"school": school, "teachers": list(teachers)} | (
        {"headteacher": headteacher} if headteacher else {}
    )
    return {"id": wid, "programme": "p", "specialist": specialist, "schools": [entry], **more}


SAM_TWICE = [wg("a", "sam", "near", ["ann"]), wg("b", "sam", "far", ["bob"])]  # Sam leads both


def hub(streams: dict, wgs: list[dict] | None = None, edit=None) -> Problem:
    """The tiny hub with one programme `p` of these streams, Work Groups `wgs` on it (default
    one, `wg`, led by Sam with Ann of Near), and `edit` done to the instance."""
    doc = copy.deepcopy(TINY)
    doc["programmes"]["p"] = {"streams": streams}
    default = wg("wg", "sam", "near", ["ann"])
    doc["work_groups"] = wgs or [default]
    if edit is not None:
        edit(doc)
    return Problem.from_instance(parse_instance(doc))


def person(doc: dict, pid: str) -> dict:
    return next(x for x in doc["specialists"] + doc["teachers"] if x["id"] == pid)


@dataclass
class Case:
    problem: Problem
    forbids: list[Plan]  # each infeasible with the rule alone
    allows: list[Plan] = field(default_factory=list)  # each feasible with the rule alone


def verdict(problem: Problem, rule_id: str, plan: Plan) -> str:
    """The solver's status for the variables, rule `rule_id` alone and `plan` forced."""
    b = post_rules(Builder(problem), [RULE[rule_id]])
    for key, sessions in plan.items():
        held = {(dt.date.fromisoformat(day), slot) for day, slot in sessions}
        for day, slot, x in b.cands[key]:
            b.model.add(x == int((day, slot) in held))
        if held - {(day, slot) for day, slot, _ in b.cands[key]}:
            b.model.add_bool_or([])  # a session without a variable cannot be held
    return run(new_solver(10), b.model)


def _r1() -> Case:
    """A school day of the venue and of everyone attending (Near closes on 2026-09-10)."""
    p = hub({"group": GROUP}, edit=lambda d: d["schools"][1].update(closures=["2026-09-10"]))
    return Case(
        p, forbids=[{"wg/group": [("2026-09-10", "am")]}], allows=[{"wg/group": [("2026-09-09", "am")]}]
    )


def _r2() -> Case:
    """Release days, unavailable dates and blackouts (Sam: mon and tue; Near: 2026-09-14..18)."""

    def edit(d):
        person(d, "sam").update(release_days=["mon", "tue"], unavailable=["2026-09-21"])
        d["schools"][1]["blackouts"] = [{"from": "2026-09-14", "to": "2026-09-18", "reason": "mocks"}]

    p = hub({"group": GROUP}, edit=edit)
    return Case(
        p,
        forbids=[
            {"wg/group": [("2026-09-09", "am")]},  # a Wednesday
            {"wg/group": [("2026-09-21", "am")]},  # Sam unavailable
            {"wg/group": [("2026-09-15", "am")]},  # Near's blackout
        ],
        allows=[{"wg/group": [("2026-09-08", "am")]}],
    )


def _r3() -> Case:
    """Sam leads two groups: never both in one slot, nor in his commitment; Home hosts one
    session at a time (Tess's group meets there too)."""

    def edit(d):
        person(d, "sam")["commitments"] = [{"date": "2026-09-08", "slot": "am"}]

    wgs = [*SAM_TWICE, wg("c", "tess", "far", venue="home")]
    p = hub({"group": GROUP}, wgs, edit)
    return Case(
        p,
        forbids=[
            {"a/group": [("2026-09-08", "am")]},  # Sam's commitment
            {"a/group": [("2026-09-08", "pm")], "b/group": [("2026-09-08", "pm")]},  # Sam twice
            {"a/group": [("2026-09-09", "pm")], "c/group": [("2026-09-09", "pm")]},  # Home twice
        ],
        allows=[
            {
                "a/group": [("2026-09-08", "pm")],
                "b/group": [("2026-09-09", "pm")],
                "c/group": [("2026-09-10", "pm")],
            }
        ],
    )


def _r4() -> Case:
    """One day of visits to each school: a whole day or two half-days, not one half-day."""
    p = hub({"visit": {**VISIT, "days": 1}})
    return Case(
        p,
        forbids=[{"wg/visit/near": [("2026-09-08", "am")]}, {"wg/visit/near": []}],
        allows=[
            {"wg/visit/near": [("2026-09-08", "day")]},
            {"wg/visit/near": [("2026-09-08", "am"), ("2026-09-22", "pm")]},
        ],
    )


def _r5() -> Case:
    """Two group meetings, no more, no fewer."""
    p = hub({"group": {**GROUP, "sessions": 2}})
    two = [("2026-09-08", "am"), ("2026-09-22", "am")]
    return Case(
        p,
        forbids=[{"wg/group": two[:1]}, {"wg/group": [*two, ("2027-01-05", "pm")]}],
        allows=[{"wg/group": two}],
    )


def _r6() -> Case:
    """No visit before the first group meeting; a later slot of the same date is fine."""
    p = hub({"group": GROUP, "visit": {**VISIT, "after": "group"}})
    return Case(
        p,
        forbids=[
            {"wg/group": [("2026-09-09", "am")], "wg/visit/near": [("2026-09-08", "am")]},
            {"wg/group": [("2026-09-09", "pm")], "wg/visit/near": [("2026-09-09", "am")]},
        ],
        allows=[{"wg/group": [("2026-09-09", "am")], "wg/visit/near": [("2026-09-09", "pm")]}],
    )


def _r7() -> Case:
    """One visit in each term: autumn's and spring's, none twice."""
    p = hub({"visit": {**VISIT, "per_term": 1}})
    return Case(
        p,
        forbids=[
            {"wg/visit/near": [("2026-09-08", "am"), ("2026-10-06", "am")]},
            {"wg/visit/near": [("2026-09-08", "am")]},
        ],
        allows=[{"wg/visit/near": [("2026-09-08", "am"), ("2027-01-05", "am")]}],
    )


def _r8() -> Case:
    """Group meetings 14 days apart; visits to one school in different weeks, across Work
    Groups; one group meeting each half-term."""
    streams = {"group": {**GROUP, "gap_days": 14}, "visit": VISIT}
    wgs = [
        wg("a", "sam", "near", ["ann"]),
        wg("b", "tess", "near", ["hana"]),
    ]
    p = hub(streams, wgs)
    half_terms = hub({"group": {**GROUP, "per_half_term": 1}})
    each = [("2026-09-08", "am"), ("2026-10-20", "am"), ("2027-01-05", "am")]
    return Case(
        p,
        forbids=[
            {"a/group": [("2026-09-08", "am"), ("2026-09-15", "am")]},
            {"a/visit/near": [("2026-09-08", "am")], "b/visit/near": [("2026-09-10", "am")]},
        ],
        allows=[
            {"a/group": [("2026-09-08", "am"), ("2026-09-22", "am")]},
            {"a/visit/near": [("2026-09-08", "am")], "b/visit/near": [("2026-09-15", "am")]},
        ],
    ), Case(half_terms, forbids=[{"wg/group": each[:2]}], allows=[{"wg/group": each}])


def _r9() -> Case:
    """Sam leads at most one day a week, across his Work Groups."""
    p = hub({"visit": VISIT}, SAM_TWICE, lambda d: person(d, "sam").update(max_days_per_week=1))
    return Case(
        p,
        forbids=[{"a/visit/near": [("2026-09-08", "day")], "b/visit/far": [("2026-09-10", "am")]}],
        allows=[{"a/visit/near": [("2026-09-08", "am")], "b/visit/far": [("2026-09-10", "pm")]}],
    )


def _r10() -> Case:
    """Ann may be released for one day in all."""
    p = hub({"visit": VISIT}, edit=lambda d: person(d, "ann").update(max_release_days=1))
    return Case(
        p,
        forbids=[{"wg/visit/near": [("2026-09-08", "day"), ("2026-09-22", "am")]}],
        allows=[{"wg/visit/near": [("2026-09-08", "am"), ("2026-09-22", "am")]}],
    )


def _r11() -> Case:
    """The group meeting pinned on 2026-09-08 am stays there."""
    pin = {"work_group": "wg", "kind": "group", "date": "2026-09-08", "slot": "am"}
    p = hub({"group": GROUP}, edit=lambda d: d.update(pinned=[pin]))
    return Case(
        p,
        forbids=[{"wg/group": [("2026-09-08", "pm")]}, {"wg/group": []}],
        allows=[
            {"wg/group": [("2026-09-08", "am")]},
            {"wg/group": [("2026-09-08", "am"), ("2026-09-22", "am")]},
        ],
    )


def _r12() -> Case:
    """Sam may not be at Near and at Far (48 km apart) on one date; Home and Near are fine."""
    p = hub({"group": GROUP, "visit": VISIT}, SAM_TWICE)
    return Case(
        p,
        forbids=[{"a/visit/near": [("2026-09-08", "am")], "b/visit/far": [("2026-09-08", "pm")]}],
        allows=[
            {"a/visit/near": [("2026-09-08", "am")], "b/visit/far": [("2026-09-09", "pm")]},
            {"a/visit/near": [("2026-09-08", "am")], "b/group": [("2026-09-08", "pm")]},
        ],
    )


def _r13() -> Case:
    """A headteachers' meeting each term, led by the TfM Lead (Tess) with Near's headteacher."""
    heads = {
        "leader": "tfm-lead",
        "attendees": ["headteachers"],
        "slots": ["am", "pm"],
        "per_term": 1,
        "optional": True,
    }
    led = wg("wg", "sam", "near", ["ann"], headteacher="hana")
    p = hub({"group": GROUP, "headteachers": heads}, [led])
    return Case(
        p,
        forbids=[{"wg/headteachers": [("2026-09-08", "am")]}, {"wg/headteachers": []}],
        allows=[{"wg/headteachers": [("2026-09-08", "am"), ("2027-01-05", "am")]}],
    )


def _cases() -> list[tuple[str, Case]]:
    out = []
    for rule_id, make in sorted(BUILDERS.items(), key=lambda kv: int(kv[0][1:])):
        made = make()
        out += [(rule_id, case) for case in (made if isinstance(made, tuple) else (made,))]
    return out


BUILDERS = {
    f"R{i}": f for i, f in enumerate((_r1, _r2, _r3, _r4, _r5, _r6, _r7, _r8, _r9, _r10, _r11, _r12, _r13), 1)
}
CASES = _cases()
IDS = [f"{rule}-{i}" for i, (rule, _) in enumerate(CASES)]


def test_every_rule_has_a_model_test():
    assert sorted({rule for rule, _ in CASES}, key=lambda r: int(r[1:])) == [f"R{i}" for i in range(1, 14)]


@pytest.mark.parametrize("rule, case", CASES, ids=IDS)
def test_the_rule_forbids(rule, case):
    for plan in case.forbids:
        assert verdict(case.problem, rule, plan) == "infeasible", plan


@pytest.mark.parametrize("rule, case", CASES, ids=IDS)
def test_the_rule_allows(rule, case):
    assert case.allows
    for plan in case.allows:
        assert verdict(case.problem, rule, plan) in ("optimal", "feasible"), plan


@pytest.mark.parametrize("rule, case", CASES, ids=IDS)
def test_without_its_add_the_rule_forbids_nothing(rule, case, monkeypatch):
    """The literal proof that each test above fails when the rule's `add` is removed."""
    monkeypatch.setattr(type(RULE[rule]), "add", lambda self, b: None)
    for plan in case.forbids:
        assert verdict(case.problem, rule, plan) in ("optimal", "feasible"), plan
