from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.load import load_instance  # noqa: E402
from scheduler.core.problem import Problem  # noqa: E402
from scheduler.core.solve import SolveOptions, solve  # noqa: E402

SPEC = ROOT.parent / "shared" / "spec"
EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
HUB = ROOT / "instances" / "north-east-hub-2026-27.yaml"
DATA = ROOT / "tests" / "data"
# The contract's example, beside the project; a checkout on its own has the bundled copy.
SPEC_EXAMPLE = SPEC / "example-instance.yaml" if (SPEC / "example-instance.yaml").exists() else EXAMPLE


@pytest.fixture(scope="session")
def example_instance():
    return load_instance(EXAMPLE)


@pytest.fixture(scope="session")
def example_problem(example_instance):
    return Problem.from_instance(example_instance)


@pytest.fixture(scope="session")
def example_plan(example_problem):
    plan = solve(example_problem, SolveOptions(time_limit=30))
    assert plan.status == "optimal"
    return plan
