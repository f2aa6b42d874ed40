"""`hubplan generate` (synthetic hubs) and the greedy first-fit baseline."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml
from ortools.sat.python import cp_model
from test_cli import hubplan

from models.load import load_instance, parse_instance
from models.programmes import PROGRAMMES
from scheduler.core.decompose import restrict
from scheduler.core.formulation import build
from scheduler.core.geo import haversine_km
from scheduler.core.greedy import cost_floor, first_fit_order, greedy_plan
from scheduler.core.problem import Problem
from scheduler.core.rules import check_plan
from scheduler.core.solve import SolveOptions, solve
from scheduler.operations.generate import (
    FACTS,
    HUB_RADIUS_KM,
    PROGRAMME_MIX,
    REGIONS,
    generate_instance,
    programme_sequence,
    render_instance,
    write_hubs,
    write_instance,
)


@pytest.fixture(scope="module")
def typical() -> dict:
    return generate_instance(43, seed=0)


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_the_same_bytes_across_processes(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for path, hash_seed in ((a, "1"), (b, "987")):  # set iteration order would differ
        proc = hubplan(
            "generate",
            "--work-groups",
            "5",
            "--seed",
            "7",
            "-o",
            str(path),
            env={"PYTHONHASHSEED": hash_seed},
        )
        assert proc.returncode == 0, proc.stderr
    assert a.read_bytes() == b.read_bytes()
    assert render_instance(generate_instance(5, 7)) == render_instance(generate_instance(5, 7))


def test_another_seed_or_hub_gives_another_instance():
    base = render_instance(generate_instance(5, 7))
    assert render_instance(generate_instance(5, 8)) != base
    assert render_instance(generate_instance(5, 7, hub=2)) != base


# --------------------------------------------------------------------------- sizes and realism


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6, 43])
def test_sizes_as_asked(n):
    data = generate_instance(n, seed=n)
    assert len(data["work_groups"]) == n
    assert len(programme_sequence(n)) == n
    phases = {FACTS[w["programme"]].phase for w in data["work_groups"]}
    assert phases == ({"primary"} if n == 1 else {"primary", "secondary"})


def test_a_typical_hub_looks_like_one(typical):
    """~43 WGs, ~265 schools, ~26 specialists (+ the TfM Lead), mostly primary development."""
    assert Counter(w["programme"] for w in typical["work_groups"]) == PROGRAMME_MIX
    assert 240 <= len(typical["schools"]) <= 300
    assert 22 <= len(typical["specialists"]) - 1 <= 32
    heads = [t for t in typical["teachers"] if t.get("role") == "headteacher"]
    primary_schools = [
        s for w in typical["work_groups"] if w["programme"] == "primary-development" for s in w["schools"]
    ]
    assert len(heads) == len(primary_schools)
    assert 400 <= len(typical["teachers"]) - len(heads) <= 560
    leads = Counter(w["specialist"] for w in typical["work_groups"])
    assert set(leads.values()) <= {1, 2, 3}
    assert typical["hub"]["tfm_lead"] not in leads


def test_programmes_follow_domain_numbers(typical):
    teachers = {t["id"]: t for t in typical["teachers"]}
    for wg in typical["work_groups"]:
        lo, hi = PROGRAMMES[wg["programme"]].defaults["schools"]
        assert lo <= len(wg["schools"]) <= hi
        for member in wg["schools"]:
            n_lo, n_hi = FACTS[wg["programme"]].teachers_per_school
            assert n_lo <= len(member["teachers"]) <= n_hi
            assert ("headteacher" in member) == (wg["programme"] == "primary-development")
        if wg["programme"] == "secondary-development":
            assert {teachers[t]["role"] for m in wg["schools"] for t in m["teachers"]} == {"advocate"}


def test_calendars_closures_and_blackouts(typical):
    assert typical["calendar"]["bank_holidays"] == "england"
    term_sets = {yaml.safe_dump(s.get("terms")) for s in typical["schools"]}
    assert 3 <= len(term_sets) <= 4  # the hub's own and 2–3 variants
    assert all(len(s["closures"]) == 5 for s in typical["schools"])
    reasons = {
        phase: {
            b["reason"] for s in typical["schools"] if s["phase"] == phase for b in s.get("blackouts", [])
        }
        for phase in ("primary", "secondary")
    }
    assert {"Year 11 mocks", "GCSE exams"} <= reasons["secondary"]
    assert "KS2 SATs week" in reasons["primary"]
    assert not reasons["primary"] & {"Year 11 mocks", "GCSE exams"}


def test_part_time_teachers_still_work_their_groups_meeting_day(typical):
    """Every teacher of a Work Group shares a weekday with its specialist's release days."""
    people = {p["id"]: p for p in typical["specialists"] + typical["teachers"]}
    assert sum(1 for t in typical["teachers"] if "works" in t) >= 40
    for wg in typical["work_groups"]:
        common = set(people[wg["specialist"]]["release_days"])
        for member in wg["schools"]:
            for t in member["teachers"]:
                common &= set(
                    people[t].get("release_days", people[t].get("works", ["mon", "tue", "wed", "thu", "fri"]))
                )
        assert common, wg["id"]


def test_schools_lie_within_the_hub_region(typical):
    _, lat, lon = REGIONS[0]
    far = max(
        haversine_km((lat, lon), (s["location"]["lat"], s["location"]["lon"])) for s in typical["schools"]
    )
    assert far <= HUB_RADIUS_KM + 0.5
    assert len({s["name"] for s in typical["schools"]}) == len(typical["schools"])


def test_a_typical_hub_loads(tmp_path, typical):
    path = write_instance(typical, tmp_path / "hub.yaml")
    inst = load_instance(path)
    assert len(inst.work_groups) == 43


# --------------------------------------------------------------------------- valid and feasible


@pytest.mark.parametrize(("n", "seed", "hub"), [(2, 0, 1), (3, 1, 1), (4, 2, 7), (6, 3, 1)])
def test_generated_hubs_load_and_solve(tmp_path, n, seed, hub):
    path = write_instance(generate_instance(n, seed, hub), tmp_path / "hub.json")
    problem = Problem.from_instance(load_instance(path))
    plan = solve(problem, SolveOptions(first_solution=True, time_limit=30))
    assert plan.status in ("optimal", "feasible")
    assert check_plan(problem, plan.sessions) == []


def test_one_secondary_work_group_by_mix():
    data = generate_instance(1, mix={"secondary-development": 1})
    assert [w["programme"] for w in data["work_groups"]] == ["secondary-development"]
    plan = solve(Problem.from_instance(parse_instance(data)), SolveOptions(first_solution=True))
    assert plan.status in ("optimal", "feasible")


# --------------------------------------------------------------------------- writing and the CLI


def test_several_hubs_each_a_whole_instance(tmp_path):
    paths = write_hubs(2, 3, seed=1, folder=tmp_path / "national")
    assert [p.name for p in paths] == ["hub-01.yaml", "hub-02.yaml", "hub-03.yaml"]
    instances = [load_instance(p) for p in paths]
    assert all(len(i.work_groups) == 2 for i in instances)
    assert len({i.name for i in instances}) == 3
    assert len({i.hub.name for i in instances}) == 3


def test_cli_generate_hubs_and_its_errors(tmp_path):
    proc = hubplan("generate", "-n", "2", "--hubs", "2", "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hub-01.yaml", "hub-02.yaml"]
    assert hubplan("validate", str(tmp_path / "out" / "hub-02.yaml")).returncode == 0
    bad = hubplan("generate", "-n", "2", "--hubs", "2", "-o", str(tmp_path / "x.yaml"))
    assert bad.returncode == 2 and "names a folder" in bad.stderr
    bad = hubplan("generate", "-n", "2", "-o", str(tmp_path / "x.txt"))
    assert bad.returncode == 2 and ".yaml" in bad.stderr


def test_the_yaml_reads_like_a_hand_written_hub():
    text = render_instance(generate_instance(2, 0), header="made by a test").decode()
    assert text.startswith("# made by a test\nname: ")
    assert "&id" not in text and "*id" not in text  # no anchors
    assert (
        "\n    - {name: autumn, start: 2026-09-03, end: 2026-12-18, half_term: [2026-10-26, 2026-10-30]}\n"
        in text
    )


# --------------------------------------------------------------------------- greedy first-fit


@pytest.fixture(scope="module")
def greedy_example(example_problem):
    return greedy_plan(example_problem)


def test_greedy_plan_keeps_every_rule(example_problem, greedy_example):
    assert greedy_example.status == "feasible"
    assert greedy_example.best_bound is None
    assert check_plan(example_problem, greedy_example.sessions) == []


def test_greedy_puts_the_first_activity_in_its_first_legal_slot(example_problem, greedy_example):
    builder = build(example_problem)
    assert (
        first_fit_order(example_problem, builder)[0] is builder.cands[example_problem.activities[0].key][0][2]
    )
    pinned = {pin.wg for pin in example_problem.pins}  # a pin can rule out the earliest slots
    first = next(a for a in example_problem.activities if a.wg not in pinned)
    day, slot, _ = builder.cands[first.key][0]
    planned = min(
        (s.date, s.slot) for s in greedy_example.sessions if s.work_group == first.wg and s.kind == first.kind
    )
    assert planned == (day, slot)


def test_greedy_objective_is_its_weighted_terms_and_no_better_than_optimal(
    example_problem, greedy_example, example_plan
):
    w = example_problem.weights
    weights = {"S1": w["spread"], "S2": w["preferences"], "S3": w["travel"], "S4": w["cost"]}
    total = sum(
        weights.get(term.split()[0], 0) * value for term, value in greedy_example.objective_terms.items()
    )
    assert greedy_example.objective == total
    assert greedy_example.objective >= example_plan.objective
    again = greedy_plan(example_problem)
    assert [s.as_dict() for s in again.sessions] == [s.as_dict() for s in greedy_example.sessions]


def test_cost_floor_bounds_every_plans_release_cost(example_problem, greedy_example, example_plan):
    """The release beyond funding no plan avoids: at most what the optimiser and greedy pay,
    and more than nothing on a hub whose primary schools are released beyond £1,000."""
    floor = cost_floor(example_problem)
    s4 = lambda plan: plan.objective_terms["S4 cost"]  # noqa: E731
    assert 0 < floor <= s4(example_plan) <= s4(greedy_example)


def test_cost_floor_is_the_release_a_work_group_alone_must_pay(example_problem):
    """On a single Work Group the floor is the least S4 of its own optimal plans."""
    wg = next(w for w, spec in example_problem.work_groups.items() if spec.release_funding is not None)
    alone = restrict(example_problem, (wg,))
    builder = build(alone)
    builder.model.minimize(sum(builder.soft["S4"]))
    solver = cp_model.CpSolver()
    assert solver.solve(builder.model) == cp_model.OPTIMAL
    assert cost_floor(alone) == solver.objective_value
