"""Explanations: a few facts in the user's words, each with its rule and a minimal cause, and
only changes that were solved again and worked."""

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
from scheduler.core.model import Label, window_slots
from scheduler.core.problem import Problem
from scheduler.core.rules import RULE, RULES
from scheduler.core.rules.where import date_obstacles
from scheduler.core.solve import SolveOptions, run, solve
from scheduler.services import causes, clash, explain
from scheduler.services.explain import find_facts
from scheduler.services.proof import Prover, check_relaxations


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
    assert fact.startswith("- R7: sec-dev-1 needs a visit to Parkside High School in the spring term")
    assert "blackout 2027-01-11..2027-03-26 (Year 11 mocks)" in fact
    assert "Sam Jones's release days (tue, thu)" in fact
    assert "Relax (each checked by solving again with it):" in text


def test_suggested_relaxations_solve(spring):
    problem = Problem.from_instance(load_instance(spring))
    facts = find_facts(problem)
    assert [f.rule for f in facts] == ["R7"]
    check_relaxations(problem, facts, Prover())
    assert facts[0].checked
    for (relaxation,) in facts[0].checked:
        assert solve(relaxation.apply(problem), SolveOptions(time_limit=20)).status in (
            "optimal",
            "feasible",
        )  # it has a plan


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
    facts = [s.splitlines()[0] for s in sections]
    assert facts[0].startswith("- R7: sec-dev-1 needs a visit to Parkside High School in the spring term")
    assert facts[1].startswith("- R7, R8, R13: pri-dev-1 needs ")
    assert "a visit to Weston Primary in the summer term" in facts[1] and "building works" in facts[1]
    assert all("Relax (each checked by solving again with it):" in s for s in sections)


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
    assert "- R7: sec-dev-1 needs a visit to Parkside High School in the spring term" in proc.stdout


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
    for module in (explain, clash):
        source = Path(module.__file__).read_text()
        assert "import re\n" not in source and "variables[" not in source


def test_the_clashing_set_is_searched_through_run(tmp_path, monkeypatch):
    """Every solve of the core search goes through `scheduler.core.solve.run`, so an
    INFEASIBLE verdict is checked again without presolve (OR-Tools #5274) before a clash
    is reported."""
    verdicts = []

    def recorded(solver, model, callback=None):
        verdicts.append(run(solver, model, callback))
        return verdicts[-1]

    monkeypatch.setattr(clash, "run", recorded)
    problem = Problem.from_instance(load_instance(variant(tmp_path, "budget", budget_too_small)))
    core = clash.model_core(restrict(problem, ("sec-dev-1",)))
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


# -- minimal causes, one fact per cause, only checked changes -----------------------------------


def assert_minimal(problem: Problem, found: list) -> None:
    """Each blocked period's reasons leave it no date together, and any one dropped would."""
    assert found
    for need, cause in found:
        slots = [(d, s) for d, s in window_slots(problem, need.act) if d in need.period]
        every = date_obstacles(problem, need.act, slots)
        calendar = set().union(*(ob.blocks for ob in every if not ob.removable))

        def leaves_a_date(obstacles, slots=slots, calendar=calendar):
            return any(x not in calendar and not any(x in ob.blocks for ob in obstacles) for x in slots)

        assert not leaves_a_date(cause)  # together they still block every date
        for ob in cause:
            assert leaves_a_date([o for o in cause if o is not ob]), ob.key  # each one is needed


def test_each_reason_of_a_counting_fact_is_needed(tmp_path):
    """The 'why' of a counting fact is minimal: dropping any one reason leaves a date.
    Sam Jones away for a week inside Parkside's mocks is no reason at all, so unsaid."""

    def more(doc):
        spring_blocked(doc)
        item(doc, "specialists", "sam-jones")["unavailable"] = [{"from": "2027-02-01", "to": "2027-02-05"}]

    problem = Problem.from_instance(load_instance(variant(tmp_path, "more", more)))
    found = causes.blocked(problem)
    assert_minimal(problem, found)
    assert {ob.key for _, cause in found for ob in cause} == {
        ("closures", "parkside"),
        ("blackout", "parkside", "Year 11 mocks"),
        ("release", "sam-jones"),
    }
    text = explain.explain_infeasible(problem)
    assert "Sam Jones's unavailable dates" not in text and "Sam Jones's release days (tue, thu)" in text


def test_nothing_is_printed_that_no_solve_proved(spring):
    """A change is shown only after the instance with it had a plan: with every check
    failing, the facts stand alone, with no change to make and no 'consider'."""

    class NeverProved(Prover):
        def feasible(self, q, likely=True, what=""):
            return False

    problem = Problem.from_instance(load_instance(spring))
    text = explain.explain_infeasible(problem, prover=NeverProved())
    assert "- R7: sec-dev-1 needs a visit to Parkside High School" in text
    assert "Relax" not in text and "consider" not in text and "\n    - " not in text
    assert "No change tried here was enough" in text


def test_a_clash_needing_two_changes_gets_the_checked_pair(tmp_path):
    """Chris Moss and Dee Nash, Parkside's advocates, may each be released 4 days, but the
    group meetings and Parkside's visits take at least 5: raising one budget is not enough,
    raising both is, and that pair is what is printed, checked by solving."""

    def both(doc):
        budget_too_small(doc)
        item(doc, "teachers", "dee-nash")["max_release_days"] = 4

    path = variant(tmp_path, "pair", both)
    proc = hubplan("explain", str(path))
    assert proc.returncode == 1
    head = "  No single change tried here was enough; these together were (checked by solving again):\n"
    assert head in proc.stdout
    pair = proc.stdout.split(head, 1)[1].splitlines()[:2]
    assert sorted(pair) == [
        "    - raise Chris Moss's max_release_days from 4 to 6 (teachers: chris-moss)",
        "    - raise Dee Nash's max_release_days from 4 to 6 (teachers: dee-nash)",
    ]

    def solved(*who):
        doc = yaml.safe_load(path.read_text())
        for t in who:
            item(doc, "teachers", t)["max_release_days"] = 6
        fixed = tmp_path / f"{'-'.join(who)}.yaml"
        fixed.write_text(yaml.safe_dump(doc, sort_keys=False))
        return hubplan("solve", str(fixed), "--out", str(tmp_path / fixed.stem)).returncode

    assert (solved("chris-moss"), solved("dee-nash"), solved("chris-moss", "dee-nash")) == (1, 1, 0)


def test_a_pin_in_a_clash_is_named_with_its_session_date_and_slot(example_problem):
    r11 = RULE["R11"]
    pin = r11.describe(Label("R11", ("sec-dev-1",), pin=0), example_problem)
    assert pin == "pinned[0] (sec-dev-1 group meeting on 2026-11-05 am) must stay as it is"
    assert [r.text for r in r11.relaxations(Label("R11", ("sec-dev-1",), pin=0), example_problem)][-1] == (
        "remove pinned[0]"
    )


# -- a hub of 43 Work Groups: the TfM Lead away all summer, a school blacked out all spring ------


@pytest.fixture(scope="module")
def hub43(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("hub43")
    made = folder / "gen43.yaml"
    assert hubplan("generate", "-n", "43", "--seed", "1", "-o", str(made)).returncode == 0
    doc = yaml.safe_load(made.read_text())
    lead = item(doc, "specialists", doc["hub"]["tfm_lead"])
    terms = {t["name"]: t for t in doc["calendar"]["terms"]}
    lead["unavailable"] = [
        *lead.get("unavailable", []),
        {"from": terms["summer"]["start"], "to": terms["summer"]["end"]},
    ]
    primary = next(w for w in doc["work_groups"] if w["programme"] == "primary-development")
    school = item(doc, "schools", primary["schools"][0]["school"])
    spring = {"from": terms["spring"]["start"], "to": terms["spring"]["end"], "reason": "building works"}
    school["blackouts"] = [*school.get("blackouts", []), spring]
    path = folder / "broken.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, school["name"]


def test_a_hub_of_43_gets_one_fact_per_cause_on_one_screen(hub43):
    path, school = hub43
    proc = hubplan("explain", str(path))
    assert proc.returncode == 1
    text = proc.stdout
    facts = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(facts) == 2, text
    lead_fact = next(f for f in facts if "the TfM Lead" in f)
    assert (
        lead_fact.startswith("- R13: ") and "(30 Work Groups) each need a headteachers' meeting" in lead_fact
    )
    assert "unavailable dates 2027-04-12..2027-07-21 (the whole summer term) leave no school day" in lead_fact
    assert "closures" not in lead_fact and "blackout" not in lead_fact  # one reason, the one that matters
    school_fact = next(f for f in facts if f is not lead_fact)
    assert (
        f"{school}'s blackout 2027-01-05..2027-03-25 (building works, the whole spring term) leaves"
        in school_fact
    )
    assert " and " not in school_fact.split(", but ", 1)[1]  # the blackout alone
    problem = Problem.from_instance(load_instance(path))
    found = causes.blocked(problem)
    assert_minimal(problem, found)
    assert {tuple(ob.key[0] for ob in cause) for _, cause in found} == {("unavailable",), ("blackout",)}
    rows = sum(max(1, -(-len(line) // 100)) for line in text.splitlines())  # on a screen 100 wide
    assert rows <= 40, text
    assert text.count("Relax:") == 2 and "These 2 facts are one clash" in text


def test_pins_in_a_clash_the_model_finds_are_named_with_their_sessions(tmp_path):
    """Two group meetings pinned a week apart break R8's 14 days: the clash names each pin's
    session, date and slot, and what stands in their way, not 'the pinned sessions'."""

    def second(doc):
        doc["pinned"].append({"work_group": "sec-dev-1", "kind": "group", "date": "2026-11-12", "slot": "am"})

    text = explain.explain_infeasible(Problem.from_instance(load_instance(variant(tmp_path, "pins", second))))
    assert "    R11: pinned[0] (sec-dev-1 group meeting on 2026-11-05 am) must stay as it is" in text
    assert "    R11: pinned[1] (sec-dev-1 group meeting on 2026-11-12 am) must stay as it is" in text
    assert "R8: " in text and "at least 14 days apart" in text and "pinned sessions of" not in text
    assert "    - remove pinned[1]" in text


def test_a_check_solves_again_only_the_pieces_a_change_touches(example_problem):
    """Each piece's first plan is kept per version of its data: a change to Chris Moss (of
    sec-dev-1) solves sec-dev-1's piece again and not the primary group's."""
    prover = Prover()
    assert prover.status(example_problem) == "feasible"
    assert prover.solved == 2  # the secondary and the primary group: two pieces
    assert prover.status(example_problem) == "feasible" and prover.solved == 2
    raised = next(r for r in RULE["R10"].relaxations(Label("R10", person="chris-moss"), example_problem))
    assert prover.status(raised.apply(example_problem)) == "feasible" and prover.solved == 3
