"""Explanations: a few facts in the user's words, each with its rule, and relaxations that solve."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from conftest import EXAMPLE
from ortools.sat.python import cp_model
from test_cli import hubplan

from models.load import load_instance
from scheduler.core.decompose import restrict
from scheduler.core.model import Label
from scheduler.core.problem import Problem
from scheduler.core.rules import RULES
from scheduler.core.solve import SolveOptions, run, solve
from scheduler.services import explain
from scheduler.services.explain import check_relaxations, find_facts


def variant(tmp: Path, name: str, edit) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    edit(doc)
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def item(doc: dict, section: str, ident: str) -> dict:
    return next(x for x in doc[section] if x["id"] == ident)


def spring_blocked(doc: dict) -> None:
    """Parkside's Year 11 mocks fill the spring term but for two closure days: no visit fits."""
    parkside = item(doc, "schools", "parkside")
    parkside["blackouts"] = [{"from": "2027-01-11", "to": "2027-03-26", "reason": "Year 11 mocks"}]
    parkside["closures"] = ["2027-01-05", "2027-01-07"]


def budget_too_small(doc: dict) -> None:
    """Chris Moss can be released 4 days, but the group and Parkside's visits need at least 5."""
    item(doc, "teachers", "chris-moss")["max_release_days"] = 4


def primary_blocked(doc: dict) -> None:
    """Weston is closed all summer term: the primary group cannot visit it then."""
    item(doc, "schools", "weston")["blackouts"] = [
        {"from": "2027-04-12", "to": "2027-07-21", "reason": "building works"}
    ]


@pytest.fixture(scope="module")
def spring(tmp_path_factory) -> Path:
    return variant(tmp_path_factory.mktemp("explain"), "spring", spring_blocked)


def test_solve_and_explain_name_school_term_and_rule(spring, tmp_path):
    solved = hubplan("solve", str(spring), "--out", str(tmp_path / "out"))
    assert solved.returncode == 1
    text = (tmp_path / "out" / "explanation.txt").read_text()
    explained = hubplan("explain", str(spring))
    assert explained.returncode == 1
    assert explained.stdout == text
    fact = next(line for line in text.splitlines() if line.startswith("- "))
    assert fact.startswith("- R7: Parkside High School must be visited in the spring term")
    assert "blackout 2027-01-11..2027-03-26 (Year 11 mocks)" in fact
    assert "Sam Jones's release days (tue, thu)" in fact
    assert "Relax (each checked by solving again with it):" in text


def test_suggested_relaxations_solve(spring):
    problem = Problem.from_instance(load_instance(spring))
    facts = find_facts(problem)
    assert [f.rule for f in facts] == ["R7"]
    check_relaxations(problem, facts)
    assert facts[0].checked
    for relaxation in facts[0].checked:
        assert solve(relaxation.apply(problem), SolveOptions(time_limit=20)).status == "optimal"


def test_suggested_release_day_solves_as_an_instance_edit(spring, tmp_path):
    """The text is a real instruction: doing what it says to the file makes it solve."""
    text = hubplan("explain", str(spring)).stdout
    assert "add wed to Sam Jones's release_days (specialists: sam-jones)" in text
    doc = yaml.safe_load(spring.read_text())
    item(doc, "specialists", "sam-jones")["release_days"].append("wed")
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert hubplan("solve", str(fixed), "--out", str(tmp_path / "out")).returncode == 0


def test_model_core_names_the_budget_and_what_to_raise(tmp_path):
    path = variant(tmp_path, "budget", budget_too_small)
    proc = hubplan("explain", str(path))
    assert proc.returncode == 1
    assert "sec-dev-1 cannot be planned even on its own" in proc.stdout
    assert "R10: Chris Moss may be released at most 4 days" in proc.stdout
    assert "R4:" in proc.stdout
    assert "raise Chris Moss's max_release_days from 4 to 6 (teachers: chris-moss)" in proc.stdout
    doc = yaml.safe_load(path.read_text())
    item(doc, "teachers", "chris-moss")["max_release_days"] = 6
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(yaml.safe_dump(doc, sort_keys=False))
    assert hubplan("solve", str(fixed), "--out", str(tmp_path / "out")).returncode == 0


def test_independent_clashes_are_all_reported_per_work_group(tmp_path):
    def both(doc):
        spring_blocked(doc)
        primary_blocked(doc)

    proc = hubplan("explain", str(variant(tmp_path, "both", both)))
    assert proc.returncode == 1
    sections = proc.stdout.split("\n\n")[1:]
    assert [s.splitlines()[0] for s in sections] == ["sec-dev-1:", "pri-dev-1:"]
    assert "Parkside High School must be visited in the spring term" in sections[0]
    assert "Weston Primary must be visited in the summer term" in sections[1]
    assert "building works" in sections[1]


def test_an_illegal_pin_is_named_with_a_legal_date_to_move_it_to(tmp_path):
    def pin(doc):
        doc["pinned"] = [{"work_group": "sec-dev-1", "kind": "group", "date": "2026-11-17", "slot": "am"}]

    proc = hubplan("explain", str(variant(tmp_path, "pin", pin)))
    assert proc.returncode == 1
    assert "R11: pinned[0] (sec-dev-1 group on 2026-11-17 am) breaks" in proc.stdout
    assert "Sam Jones is unavailable" in proc.stdout
    assert "move pinned[0] to 2026-11-" in proc.stdout


def test_explain_on_a_plannable_instance_exits_0():
    proc = hubplan("explain", str(EXAMPLE))
    assert proc.returncode == 0
    assert "nothing to explain" in proc.stdout


def test_bundled_what_if_instance_is_explained():
    bundled = EXAMPLE.parent / "what-if" / "parkside-spring-mocks.yaml"
    proc = hubplan("explain", str(bundled))
    assert proc.returncode == 1
    assert "- R7: Parkside High School must be visited in the spring term" in proc.stdout


def test_every_rule_is_described_even_for_a_label_naming_no_session(example_problem):
    for rule in RULES:
        bare = rule.describe(Label(rule.id), example_problem)
        named = rule.describe(Label(rule.id, ("sec-dev-1",), None, "sam-jones", "spring"), example_problem)
        assert bare and named
    r5 = Label("R5", ("sec-dev-1",), "sec-dev-1/group")
    assert RULES[4].describe(r5, example_problem) == "sec-dev-1 needs at least 4 group meetings"


def test_explain_reads_labels_never_variable_names():
    """What a constraint is about comes from its label (`Builder.about`), not from parsing
    the names the model gives its variables."""
    source = Path(explain.__file__).read_text()
    assert "import re" not in source and "variables[" not in source


def test_the_clashing_set_is_searched_through_run(tmp_path, monkeypatch):
    """Every solve of the core search goes through `scheduler.core.solve.run`, so an
    INFEASIBLE verdict is checked again without presolve (OR-Tools #5274) before a clash
    is reported."""
    verdicts = []

    def recorded(solver, model, callback=None):
        verdicts.append(run(solver, model, callback))
        return verdicts[-1]

    monkeypatch.setattr(explain, "run", recorded)
    problem = Problem.from_instance(load_instance(variant(tmp_path, "budget", budget_too_small)))
    core = explain.model_core(restrict(problem, ("sec-dev-1",)))
    assert {label.rule for label in core} == {"R4", "R10"}
    assert Label("R10", ("sec-dev-1",), None, "chris-moss") in core
    assert "infeasible" in verdicts


def test_run_trusts_no_infeasible_verdict_that_presolve_alone_gives():
    """A model CP-SAT calls INFEASIBLE with presolve but solves without it (#5274) is feasible."""

    class PresolveBug:
        parameters = SimpleNamespace(cp_model_presolve=True, catch_sigint_signal=True)

        def solve(self, model, callback=None):
            return cp_model.INFEASIBLE if self.parameters.cp_model_presolve else cp_model.OPTIMAL

    assert run(PresolveBug(), cp_model.CpModel()) == "feasible"
