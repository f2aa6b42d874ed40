"""Programmes as data (models/programmes/): the built-ins unchanged, instance-defined
programmes solved and checked stream rule by stream rule, definitions that cannot mean
anything named by field, and the Secondary Mastery Specialist programme (seed 004)."""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime as dt
import json
import math
import subprocess
import sys
from collections import defaultdict

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, EXAMPLE, HUB, ROOT

from cli import main
from models.load import load_instance, parse_instance
from models.programmes import PROGRAMMES
from models.units import INF
from scheduler.core.objective import expected_count
from scheduler.core.options import DEFAULT_GAP
from scheduler.core.plan import Plan
from scheduler.core.problem import Problem
from scheduler.core.rules import check_plan
from scheduler.core.solve import SolveOptions, solve
from scheduler.outputs.costs import cost_lines
from scheduler.services.plans import read_plan

PATHWAYS = ROOT / "instances" / "pathways-hub-2026-27.yaml"
OPTIONS = DATA / "programmes-options.yaml"
D = dt.date.fromisoformat


def week(day: dt.date) -> tuple[int, int]:
    return day.isocalendar()[:2]


def rules_broken(problem, sessions) -> set[str]:
    return {v.rule for v in check_plan(problem, sessions)}


def messages(problem, sessions, rule: str) -> list[str]:
    return [v.message for v in check_plan(problem, sessions) if v.rule == rule]


def replaced(sessions, s, **change):
    return [dataclasses.replace(x, **change) if x is s else x for x in sessions]


# --------------------------------------------------------------------------- the built-ins, as before

# What the four built-ins were before they became data: boolean flags and a table of defaults.
LEGACY_FLAGS = {
    "secondary-development": (True, True, False, ("am", "pm", "day"), None, False),
    "primary-development": (True, True, True, ("am", "pm"), "half_term", True),
    "secondary-embedding": (True, True, False, ("am", "pm", "day"), "term", False),
    "sustaining": (True, False, False, (), "term", False),
}  # has_group, has_visits, has_headteachers, visit_slots, group_cadence, visits_exact_per_term
LEGACY_DEFAULTS = {
    "secondary-development": {
        "group_gap_days": (14, 14),
        "schools": (2, 2),
        "support_days": (10, 10),
        "group_days": (2, 4),
        "school_days": (3, 4),
        "group_meetings": (4, INF),
    },
    "primary-development": {"group_gap_days": (14, 14), "schools": (6, 7)},
    "secondary-embedding": {"group_gap_days": (14, 14), "schools": (4, 6), "school_days": (3, 3)},
    "sustaining": {"group_gap_days": (14, 14), "schools": (4, 6)},
}


def legacy_activities(inst) -> list[tuple]:
    """The activities the flag-based code built, as (key, kind, school, venue, leader, teachers, slots)."""
    home = {p.id: p.school for p in inst.specialists}
    out = []
    for w in inst.work_groups:
        group, visits, heads_meet, visit_slots, _, _ = LEGACY_FLAGS[w.programme]
        venue = w.venue or home[w.specialist]
        teachers = tuple(t for ws in w.schools for t in ws.teachers)
        heads = tuple(ws.headteacher for ws in w.schools if ws.headteacher)
        if group:
            out.append((f"{w.id}/group", "group", None, venue, w.specialist, teachers, ("am", "pm")))
        for ws in w.schools if visits else ():
            key = f"{w.id}/visit/{ws.school}"
            out.append((key, "visit", ws.school, ws.school, w.specialist, tuple(ws.teachers), visit_slots))
        if heads_meet and heads and inst.hub.tfm_lead:
            out.append(
                (f"{w.id}/headteachers", "headteachers", None, venue, inst.hub.tfm_lead, heads, ("am", "pm"))
            )
    return out


@pytest.mark.parametrize("path", [EXAMPLE, HUB, *sorted(DATA.glob("[dfj]*.*"))], ids=lambda p: p.stem)
def test_builtins_as_data_give_the_same_activities(path):
    inst = load_instance(path)
    problem = Problem.from_instance(inst)
    got = [(a.key, a.kind, a.school, a.venue, a.leader, a.teachers, a.slots) for a in problem.activities]
    assert got == legacy_activities(inst)


@pytest.mark.parametrize("name", sorted(LEGACY_DEFAULTS))
def test_builtin_numbers_are_the_old_ones(name):
    assert PROGRAMMES[name].defaults == LEGACY_DEFAULTS[name]
    group, visits, heads, visit_slots, cadence, exact = LEGACY_FLAGS[name]
    p = PROGRAMMES[name].resolve(name, {})
    g, v, h = p.stream("group"), p.stream("visit"), p.stream("headteachers")
    assert (g is not None, v is not None, h is not None) == (group, visits, heads)
    assert g.gap_days == 14 and g.slots == ("am", "pm")
    assert {"half_term": g.per_half_term == (1, 1), "term": g.per_term == (1, 1), None: True}[cadence]
    if v is not None:  # R7 at least one visit a term, or exactly one; R6 after the launch meeting
        assert v.slots == visit_slots and v.after == "group"
        assert v.per_term == ((1, 1) if exact else (1, INF))
    if h is not None:  # R13
        assert (h.leader, h.attendees, h.per_term, h.optional) == (
            "tfm-lead",
            ("headteachers",),
            (1, 1),
            True,
        )


def test_s1_expects_as_many_sessions_as_before():
    """S1 spreads the fewest sessions a stream allows; the old code said the same per kind."""
    problem = Problem.from_instance(load_instance(HUB))
    for act in problem.activities:
        wg = problem.work_groups[act.wg]
        r = wg.params
        if act.kind == "group":
            cadence = LEGACY_FLAGS[wg.programme.name][4]
            periods = {"half_term": problem.wg_half_terms(wg, 5), "term": problem.wg_terms(wg, None, 10)}
            old = int(r["group_meetings"][0]) if "group_meetings" in r else len(periods.get(cadence, []))
        elif act.kind == "visit":
            days = math.ceil(r["school_days"][0]) if "school_days" in r else 0
            old = max(days, len(problem.wg_terms(wg, act.school, 10)))
        else:
            old = len(problem.wg_terms(wg, None, 10))
        assert expected_count(problem, act) == old, act.key


# --------------------------------------------------------------------------- the bundled instance, end to end


def hubplan(*args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The pathways hub solved by the CLI, as a user runs it."""
    out = tmp_path_factory.mktemp("pathways") / "out"
    proc = hubplan("solve", str(PATHWAYS), "--out", str(out), "--time-limit", "30")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def pathways():
    inst = load_instance(PATHWAYS)
    return inst, Problem.from_instance(inst)


@pytest.fixture(scope="module")
def sessions(solved, pathways):
    return read_plan(solved / "plan.json", pathways[1])


def test_bundled_pathways_hub_solves_and_checks(solved):
    assert hubplan("check", str(PATHWAYS), str(solved / "plan.json")).returncode == 0
    plan = json.loads((solved / "plan.json").read_text())
    assert plan["status"] == "optimal" or plan["gap"] <= DEFAULT_GAP  # proven within the default gap
    assert len({s["id"] for s in plan["sessions"]}) == len(plan["sessions"])
    programmes = {w.programme for w in load_instance(PATHWAYS).work_groups}
    assert set(PROGRAMMES) | {"maths-thinking-gcse", "years-5-8-continuity"} == programmes
    kinds = {s["kind"] for s in plan["sessions"]}
    assert kinds == {"group", "visit", "headteachers", "development", "central"}


def test_solver_plan_keeps_every_rule(pathways, sessions):
    assert check_plan(pathways[1], sessions) == []


# --------------------------------------------------------------------------- an instance-defined programme


def of(sessions, wg: str, kind: str, school: str | None = None):
    return sorted(
        s
        for s in sessions
        if s.work_group == wg and s.kind == kind and (school is None or s.school == school)
    )


def test_instance_programme_streams_in_the_plan(sessions):
    """Mathematical Thinking for GCSE: 5 half-day meetings, 1–2 a term, 21+ days apart; one
    half-day visit a school after the launch."""
    groups = of(sessions, "mtg-north", "group")
    assert len(groups) == 5 and all(s.slot in ("am", "pm") for s in groups)
    assert all((b.date - a.date).days >= 21 for a, b in zip(groups, groups[1:]))
    for school in ("kenton-vale", "cramlington-west", "jesmond-park"):
        (visit,) = of(sessions, "mtg-north", "visit", school)
        assert visit.slot in ("am", "pm") and (visit.date, visit.slot) > (groups[0].date, groups[0].slot)
    terms = [
        (D("2026-09-03"), D("2026-12-18")),
        (D("2027-01-05"), D("2027-03-26")),
        (D("2027-04-12"), D("2027-07-21")),
    ]
    continuity = of(sessions, "y58-gosforth", "group")  # Years 5–8 Continuity: one a term
    assert [sum(a <= s.date <= b for s in continuity) for a, b in terms] == [1, 1, 1]


def _mtg_no_spring_meeting(p, ss):  # a term with none (count per term, R8)
    spring = [s for s in of(ss, "mtg-north", "group") if D("2027-01-01") <= s.date <= D("2027-03-31")]
    return [s for s in ss if s not in spring], "mtg-north has 0 group meetings in the spring term"


def _mtg_meetings_a_week_apart(p, ss):  # spacing (R8)
    a, b = of(ss, "mtg-north", "group")[1:3]
    return replaced(ss, b, date=a.date + dt.timedelta(days=7)), "less than 21 days apart"


def _mtg_visit_before_launch(p, ss):  # ordering (R6)
    launch = of(ss, "mtg-north", "group")[0]
    visit = of(ss, "mtg-north", "visit", "cramlington-west")[0]
    return replaced(
        ss, visit, date=launch.date - dt.timedelta(days=7)
    ), "comes before mtg-north's first group"


def _mtg_whole_day_visit(p, ss):  # length (R4)
    visit = of(ss, "mtg-north", "visit", "jesmond-park")[0]
    return replaced(ss, visit, slot="day"), "visits are half-days"


def _mtg_sixth_meeting(p, ss):  # how many sessions (R5)
    last = of(ss, "mtg-north", "group")[-1]
    return [*ss, dataclasses.replace(last, date=D("2027-07-20"), id="x")], "has 6 group meetings; needs 5"


BREAKERS = {
    "R8 per term": ("R8", _mtg_no_spring_meeting),
    "R8 spacing": ("R8", _mtg_meetings_a_week_apart),
    "R6 ordering": ("R6", _mtg_visit_before_launch),
    "R4 length": ("R4", _mtg_whole_day_visit),
    "R5 count": ("R5", _mtg_sixth_meeting),
}


@pytest.mark.parametrize("case", sorted(BREAKERS))
def test_check_catches_each_stream_rule_of_an_instance_programme(case, pathways, sessions):
    rule, breaker = BREAKERS[case]
    broken, words = breaker(pathways[1], sessions)
    found = messages(pathways[1], broken, rule)
    assert any(words in m for m in found), found


def test_variant_and_params_of_an_instance_programme_reach_the_model():
    """programmes-options.yaml: `cycles: 2` picks the variant with 4–6 meetings."""
    raw = yaml.safe_load(OPTIONS.read_text())
    plans = {}
    for cycles in (1, 2):
        raw["work_groups"][1]["params"] = {"cycles": cycles}
        problem = Problem.from_instance(parse_instance(copy.deepcopy(raw)))
        plan = solve(problem, SolveOptions(time_limit=20))
        assert plan.status == "optimal" and check_plan(problem, plan.sessions) == []
        plans[cycles] = len(of(plan.sessions, "ls-1", "group"))
    assert plans[1] in (2, 3) and plans[2] in (4, 5, 6)


# --------------------------------------------------------------------------- definitions that mean nothing


@pytest.fixture()
def raw():
    with open(PATHWAYS, encoding="utf-8") as f:
        return yaml.safe_load(f)


def run_validate(tmp_path, data) -> tuple[int, str]:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _stream(r, kind="group", programme="maths-thinking-gcse"):
    return r["programmes"][programme]["streams"][kind]


BAD = {
    "unknown attendee role": (
        lambda r: _stream(r)["attendees"].append("parents"),
        "programmes.maths-thinking-gcse.streams.group.attendees[1]: 'parents' is not an attendee role; use teachers, "
        "school-teachers, headteachers or trainee",
    ),
    "unknown stream kind": (
        lambda r: r["programmes"]["maths-thinking-gcse"]["streams"].update(workshop={"slots": ["am"]}),
        "programmes.maths-thinking-gcse.streams.workshop",
    ),
    "min above max": (
        lambda r: _stream(r).update(per_term=[2, 1]),
        "programmes.maths-thinking-gcse.streams.group.per_term: [2, 1] has max below min; swap them",
    ),
    "impossible counts": (
        lambda r: _stream(r).update(days=1),
        "programmes.maths-thinking-gcse.streams.group.sessions: 5 sessions of at least 0.5 day need 2.5 days, "
        "more than streams.group.days allows (1); lower meetings or raise streams.group.days",
    ),
    "no allowed slots": (
        lambda r: _stream(r, "visit").update(slots=[]),
        "programmes.maths-thinking-gcse.streams.visit.slots: [] allows no slot; a stream needs at least one",
    ),
    "name of a built-in": (
        lambda r: r["programmes"].update(sustaining=r["programmes"]["years-5-8-continuity"]),
        "programmes.sustaining: 'sustaining' is a built-in programme; choose another name",
    ),
    "unknown parameter named": (
        lambda r: _stream(r).update(gap_days="gap"),
        "programmes.maths-thinking-gcse.streams.group.gap_days: 'gap' is not a parameter of this programme",
    ),
    "after a missing stream": (
        lambda r: _stream(r, "group", "years-5-8-continuity").update(after="headteachers"),
        "streams.group.after: 'headteachers' is not a stream of this programme (group, visit)",
    ),
    "streams in a circle": (
        lambda r: _stream(r).update(after="visit"),
        "streams come after each other in a circle (group → visit → group)",
    ),
    "visit held elsewhere": (
        lambda r: _stream(r, "visit").update(venue="wg-venue"),
        "streams.visit.venue: 'wg-venue': a visit is held at the visited school",
    ),
    "unknown programme of a work group": (
        lambda r: r["work_groups"][4].update(programme="maths-thinking"),
        "work_groups[4].programme: unknown programme 'maths-thinking'; built-in: secondary-development",
    ),
    "parameter unknown to the programme": (
        lambda r: r["work_groups"][4].update(params={"group_days": 2}),
        "work_groups[4].params.group_days: unknown parameter 'group_days' for maths-thinking-gcse; known: "
        "meeting_gap_days,",
    ),
    "whole numbers of sessions": (
        lambda r: r["work_groups"][4].update(params={"meetings": 4.5}),
        "work_groups[4].params.meetings: the group stream's sessions must be whole numbers",
    ),
    "support days that cannot add up": (
        lambda r: r["work_groups"][0].update(params={"support_days": 20}),
        "work_groups[0].params.support_days: group 2–4 days + 2 schools × 3–4 days make 8–12 days, which "
        "cannot be 20 support days; change group_days, school_days or support_days",
    ),
    "a year the programme has not": (
        lambda r: r["work_groups"][6].update(params={"year": 3}),
        "work_groups[6].params.year: specialist-programme has year 1 or 2, not 3",
    ),
    "no trainee": (
        lambda r: r["teachers"][0].update(role="teacher"),
        "work_groups[6].schools: specialist-programme is for one trainee: list exactly one teacher with role: trainee",
    ),
    "central days that do not add up": (
        lambda r: r["work_groups"][6]["central_events"].pop(),
        "work_groups[6].central_events: specialist-programme has 5 days of central events, these add up to 4; "
        "add or remove events, or set params.central_days",
    ),
    "central events in a programme without": (
        lambda r: r["work_groups"][3].update(central_events=[{"date": "2026-10-06"}]),
        "work_groups[3].central_events: sustaining has no central events; remove them",
    ),
    "central event at an unknown place": (
        lambda r: r["work_groups"][7]["central_events"][0].update(venue="sheffield"),
        "work_groups[7].central_events[0].venue: unknown school or venue 'sheffield'; add it to venues",
    ),
    "a pinned central event": (
        lambda r: r["pinned"].append(
            {"work_group": "smp-lee-park", "kind": "central", "date": "2026-11-10", "slot": "day"}
        ),
        "pinned[2].kind: 'central' cannot be pinned: central events are fixed already; list them under the "
        "Work Group's central_events",
    ),
    "a specialist in year 2": (
        lambda r: r["specialists"][1].update(programme_year=2),
        "specialists[1].programme_year: a specialist in year 2 of the programme is a trainee: list them under teachers",
    ),
    "funding that is not money": (
        lambda r: r["programmes"]["maths-thinking-gcse"].update(release_funding="lots"),
        "programmes.maths-thinking-gcse.release_funding: 'lots' is not one of secondary_release_funding",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_programme_names_the_field(case, raw, tmp_path):
    mutate, expected = BAD[case]
    mutate(raw)
    code, out = run_validate(tmp_path, raw)
    assert code == 2
    assert expected in out, out


def test_the_pathways_hub_is_valid_as_json_too(raw, tmp_path):
    """JSON has only string keys: the variants' years still read as numbers."""
    code, out = run_validate(tmp_path, raw)
    assert code == 0, out


# --------------------------------------------------------------------------- the Specialist programme (seed 004)


def test_year_1_and_year_2_day_counts(sessions):
    for wg, central, development in (("smp-kim-lowe", 5, 10), ("smp-lee-park", 3, 12)):
        assert sum(s.days for s in of(sessions, wg, "central")) == central
        assert sum(s.days for s in of(sessions, wg, "development")) == development


def test_central_events_are_on_their_dates_at_their_venues(pathways, sessions):
    inst = pathways[0]
    for w in (w for w in inst.work_groups if w.programme == "specialist-programme"):
        home = next(t.school for t in inst.teachers if t.id == w.schools[0].teachers[0])
        want = [(e.date, e.slot, e.venue or home) for e in w.central_events]  # online: from school
        assert [(s.date, s.slot, s.venue) for s in of(sessions, w.id, "central")] == want


def test_at_most_one_day_a_week_on_release_days(sessions):
    release = {"smp-kim-lowe": {"Tue", "Wed", "Thu"}, "smp-lee-park": {"Mon", "Tue"}}
    for wg, days in release.items():
        # Development days on release days; central events on the programme's dates.
        assert {s.date.strftime("%a") for s in of(sessions, wg, "development")} <= days
        central = {week(s.date) for s in of(sessions, wg, "central")}
        by_week = defaultdict(float)
        for s in of(sessions, wg, "development"):
            by_week[week(s.date)] += s.days
        assert max(by_week.values()) <= 1 and not central & set(by_week)


def test_check_catches_the_specialist_programme_rules(pathways, sessions):
    p = pathways[1]
    dev = of(sessions, "smp-kim-lowe", "development")
    residential = D("2026-10-08")  # the Thursday of the launch residential week
    assert any(
        "besides 2 days of central events" in m
        for m in messages(p, replaced(sessions, dev[3], date=residential), "R9")
    )
    two = replaced(sessions, dev[4], date=dev[3].date + dt.timedelta(days=1))
    assert any("smp-kim-lowe has 2 days in week" in m for m in messages(p, two, "R9"))
    assert any(
        "development days; needs 10" in m for m in messages(p, [s for s in sessions if s is not dev[5]], "R4")
    )
    central = of(sessions, "smp-kim-lowe", "central")[2]
    moved = replaced(sessions, central, date=D("2026-12-03"))
    assert any(
        "2026-12-02 day (its central_events) is not in the plan" in m for m in messages(p, moved, "R11")
    )
    monday = replaced(sessions, dev[0], date=dev[0].date - dt.timedelta(days=dev[0].date.weekday()))
    assert any("Kim Lowe is not released" in m for m in messages(p, monday, "R2"))


def test_central_events_block_the_trainee_elsewhere(pathways, sessions):
    """Kim Lowe is also in an Embedding Work Group: her central events are her sessions, so
    no other session of hers shares their dates (R3), in the plan, in check and in the model."""
    inst, p = pathways
    central = {s.date for s in of(sessions, "smp-kim-lowe", "central")}
    assert not [s for s in sessions if "kim-lowe" in s.teachers and s.kind != "central" and s.date in central]
    meeting = of(sessions, "se-newcastle-east", "group")[0]
    clash = replaced(sessions, meeting, date=D("2027-02-03"), slot="am")
    assert any("Kim Lowe is booked twice on 2027-02-03 am" in m for m in messages(p, clash, "R3"))
    raw = yaml.safe_load(PATHWAYS.read_text())
    raw["pinned"].append(
        {"work_group": "se-newcastle-east", "kind": "group", "date": "2027-02-03", "slot": "am"}
    )
    pinned = Problem.from_instance(parse_instance(raw))
    assert solve(pinned, SolveOptions(time_limit=20)).status == "infeasible"


def test_a_central_event_is_kept_on_any_weekday_but_not_when_the_trainee_is_away(raw, tmp_path):
    """A central event is the programme's: on a Friday, which is not one of Kim's release
    days, she still goes (R2 spares it); on a date she is unavailable, no plan, and the
    explanation names the event, its date and what blocks it."""
    raw["work_groups"][6]["central_events"][2]["date"] = "2026-12-04"
    friday = tmp_path / "friday.yaml"
    friday.write_text(yaml.safe_dump(raw, sort_keys=False))
    proc = hubplan("solve", str(friday), "--out", str(tmp_path / "friday"), "--time-limit", "20")
    assert proc.returncode == 0, proc.stdout
    kim = next(t for t in raw["teachers"] if t["id"] == "kim-lowe")
    kim["unavailable"] = ["2026-12-04"]
    away = tmp_path / "away.yaml"
    away.write_text(yaml.safe_dump(raw, sort_keys=False))
    proc = hubplan("solve", str(away), "--out", str(tmp_path / "out"), "--time-limit", "20")
    assert proc.returncode == 1
    text = (tmp_path / "out" / "explanation.txt").read_text()
    assert (
        "- R2: smp-kim-lowe's central event 'Online central event' on 2026-12-04, all day, online is "
        "fixed by the programme and cannot be kept: Kim Lowe is unavailable." in text
    )
    assert "    - make Kim Lowe available on 2026-12-04 (teachers: kim-lowe, unavailable)" in text


def _costs(solved) -> dict[tuple[str, str, str], dict]:
    with open(solved / "costs.csv", newline="") as f:
        return {(r["work_group"], r["party"], r["item"]): r for r in csv.DictReader(f)}


def test_trainee_release_costed_at_200_a_day_and_paid_in_full(solved):
    costs = _costs(solved)
    for wg, school in (("smp-kim-lowe", "westfield"), ("smp-lee-park", "kenton-vale")):
        release = costs[(wg, school, "teacher release")]
        assert (release["quantity"], release["rate"], release["amount_gbp"]) == ("15.00", "200.00", "3000.00")
        assert costs[(wg, school, "release funding")]["amount_gbp"] == "-3000.00"
        assert costs[(wg, school, "release beyond funding")]["amount_gbp"] == "0.00"
        assert not [
            k for k in costs if k[0] == wg and k[2] == "specialist days"
        ]  # a trainee is no specialist


def test_year_3_specialist_paid_at_the_sle_rate(solved, pathways, sessions):
    costs = _costs(solved)
    days = costs[("sd-tyneside", "sam-jones", "specialist days")]
    assert (days["quantity"], days["rate"], days["amount_gbp"]) == ("10.00", "350.00", "3500.00")
    inst = pathways[0]
    plain = inst.model_copy(
        update={"specialists": [p.model_copy(update={"programme_year": None}) for p in inst.specialists]}
    )
    lines = cost_lines(plain, Plan(inst.name, "feasible", sessions=list(sessions)))
    line = next(
        c for c in lines if (c.work_group, c.party, c.item) == ("sd-tyneside", "sam-jones", "specialist days")
    )
    assert (line.rate, line.amount) == (200.0, 2000.0)
