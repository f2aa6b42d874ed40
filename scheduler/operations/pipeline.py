"""One instance file in, one output folder out: what `solve` and `batch` both run.

`solve_file` never raises for a user's mistake (a bad file, an unwritable folder, no plan):
it returns an Outcome whose `exit_code` is the one CONTRACT.md gives, and the caller prints.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.core.collector import collector_spared
from scheduler.core.plan import SOLVED, Plan

if TYPE_CHECKING:
    from scheduler.core.problem import Problem

EXIT_OK, EXIT_NO_PLAN, EXIT_INVALID, EXIT_TIME_LIMIT = 0, 1, 2, 3


@dataclass
class Outcome:
    source: str  # the instance file as given
    status: str  # optimal | feasible | infeasible | unknown | invalid
    exit_code: int
    plan: Plan | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field path, message) when invalid
    explanation: str | None = None
    notes: list[str] = field(default_factory=list)
    total_cost: float | None = None  # hub "total after funding", GBP
    changes: list | None = None  # re-planning: scheduler.services.replan.Change rows
    relaxations: list = field(default_factory=list)  # infeasible: the checked relaxations shown
    wall_seconds: float = 0.0
    problem: Problem | None = None  # the problem planned, once the instance loaded

    @property
    def message(self) -> str:
        """One line for a summary table."""
        if self.problems:
            path, msg = self.problems[0]
            more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            return (f"{path}: {msg}" if path else msg) + more
        if self.status == "infeasible" and self.explanation:
            lines = [x for x in self.explanation.splitlines() if x.startswith("- ")]
            return lines[0][2:] if lines else "infeasible"
        if self.status == "unknown":
            return "no plan within the time limit"
        return ""

    def summary(self) -> list[str]:
        """What `hubplan solve` prints of a plan: how good it is, each goal, notes, changes."""
        from scheduler.core.progress import closeness

        plan = self.plan
        lines = [
            f"{plan.status}: {len(plan.sessions)} sessions, objective {plan.objective:g}, "
            f"{closeness(plan.gap)}, {self.wall_seconds:.1f} s"
        ]
        lines += [f"  {term:<16} {value:g}" for term, value in plan.objective_terms.items()]
        lines += [f"  note: {note}" for note in self.notes]
        if self.changes is not None:
            from scheduler.services.replan import summary_lines

            lines += summary_lines(self.changes)
        return lines


def invalid(source: str, problems: list[tuple[str, str]], started: float) -> Outcome:
    return Outcome(
        source, "invalid", EXIT_INVALID, problems=problems, wall_seconds=time.perf_counter() - started
    )


def solve_file(
    source: str | Path,
    out_dir: str | Path,
    options=None,
    previous: str | Path | None = None,
    today=None,
    plan_only: bool = False,
    replan_pieces: bool = False,
) -> Outcome:
    """Load, plan (or re-plan against `previous` from `today` on), explain, render and write
    (with `plan_only`, the plan and its changes alone: see `render_outputs`; `replan_pieces`:
    see `solve`)."""
    from models.load import InstanceError, load_instance
    from scheduler.core.problem import Problem
    from scheduler.core.progress import Progress
    from scheduler.core.solve import SolveOptions, solve
    from scheduler.outputs.costs import cost_lines, missing_locations
    from scheduler.outputs.export import render_outputs
    from scheduler.outputs.files import OutputFolderError, writable_output, write_outputs
    from scheduler.outputs.manifest import manifest, manifest_json
    from scheduler.services.explain import explanation

    started = time.perf_counter()
    source = str(source)
    options = options or SolveOptions()
    try:
        inst = load_instance(source)
    except InstanceError as exc:
        return invalid(source, exc.problems, started)
    try:
        writable_output(out_dir)
    except OutputFolderError as exc:
        return invalid(source, [("", str(exc))], started)
    problem = Problem.from_instance(inst)
    replan = None
    if previous is not None:
        from scheduler.services.replan import ReplanError, prepare

        try:
            replan = prepare(problem, previous, today)
        except ReplanError as exc:
            return invalid(source, exc.problems, started)
    with collector_spared():  # planning, explaining and rendering
        plan = solve(problem, options, replan=replan, replan_pieces=replan_pieces)
        outcome = Outcome(source, plan.status, EXIT_OK, plan=plan, problem=problem)
        if plan.status == "unknown":
            outcome.exit_code = EXIT_TIME_LIMIT
            outcome.wall_seconds = time.perf_counter() - started
            return outcome
        if plan.status == "infeasible":
            outcome.explanation, outcome.relaxations = explanation(
                problem, plan, replan=replan, on_progress=options.on_progress
            )
            outcome.exit_code = EXIT_NO_PLAN
        elif replan is not None:
            outcome.changes = replan.label(problem, plan)
        if options.on_progress is not None:
            options.on_progress(Progress("write", 0, 1, time.perf_counter() - started))
        files = render_outputs(
            inst, plan, outcome.explanation, replan=replan, changes=outcome.changes, plan_only=plan_only
        )
    files["manifest.json"] = manifest_json(
        manifest(source, options, plan, files, previous=previous, today=today)
    )
    try:
        write_outputs(out_dir, files)
    except OSError as exc:
        return invalid(source, [("", f"--out {out_dir}: cannot be written ({exc.strerror or exc})")], started)
    if plan.status in SOLVED:
        outcome.total_cost = next(
            c.amount
            for c in cost_lines(inst, plan)
            if c.work_group == "hub" and c.item == "total after funding"
        )
        outcome.notes = [*plan.notes, *missing_locations(inst, plan)]
    outcome.wall_seconds = time.perf_counter() - started
    return outcome
