"""The front door: a Problem in, a Plan out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .model import SOFT_GOALS, Builder
from .plan import Plan, Session
from .problem import Problem
from .rules import RULE, candidate_slots


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each better plan on stderr once a solve has run for a few seconds."""

    def __init__(self, report, after: float = 2.0):
        super().__init__()
        self._report, self._after, self._start = report, after, time.perf_counter()

    def on_solution_callback(self) -> None:
        elapsed = time.perf_counter() - self._start
        if elapsed >= self._after:
            self._report(
                f"  {elapsed:6.1f} s  plan with objective {self.objective_value:g} (bound {self.best_objective_bound:g})"
            )


@dataclass(frozen=True)
class SolveOptions:
    """`time_limit` is CP-SAT deterministic time (about seconds here), so runs reproduce."""

    time_limit: float = 60.0
    seed: int = 0
    workers: int = 1
    log: bool = False
    first_solution: bool = False  # feasibility only: stop at the first plan found
    progress: Callable[[str], None] | None = None  # called with a line per better plan on long runs


def pin_problems(problem: Problem) -> list[str]:
    """R11: pins that no rule-abiding plan can keep, each with the rules it breaks."""
    out = []
    for pin in problem.pins:
        wg = problem.work_groups[pin.wg]
        act = wg.activity(pin.kind, pin.school if pin.kind == "visit" else None)
        where = f"pinned[{pin.index}] ({pin.wg} {pin.kind}{' at ' + pin.school if pin.school else ''} on {pin.date} {pin.slot})"
        if act is None:
            out.append(f"R11: {where}: {pin.wg} has no such session")
            continue
        if pin.slot not in act.slots:
            out.append(
                f"R11: {where}: {pin.kind} sessions of {wg.programme.name} use {'/'.join(act.slots)}, not '{pin.slot}'"
            )
            continue
        if (pin.date, pin.slot) in candidate_slots(problem, act):
            continue
        reasons = [f"R1 {r}" for r in RULE["R1"].reasons(problem, act, wg, pin.date)]
        reasons += [f"R2 {r}" for r in RULE["R2"].reasons(problem, act, pin.date)]
        reasons += [
            f"R3 {n} has a fixed commitment" for n in RULE["R3"].busy(problem, act, pin.date, pin.slot)
        ]
        out.append(f"R11: {where} breaks " + "; ".join(reasons) + ". Move or remove the pin.")
    return out


def solve(problem: Problem, options: SolveOptions = SolveOptions(), replan=None) -> Plan:
    started = time.perf_counter()
    blocked = pin_problems(problem)
    if blocked:
        return Plan(problem.name, "infeasible", notes=blocked)
    builder = Builder(problem).build()
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, options.workers)
    prm.random_seed = options.seed
    prm.max_deterministic_time = options.time_limit
    prm.max_time_in_seconds = 3 * options.time_limit + 30  # a safety net only
    # On 2 cores the default search stalls at a weak bound; the full LP relaxation, added
    # up front rather than lazily, proves the bundled hub optimal ~2x sooner (benchmarks/).
    prm.linearization_level = 2
    prm.add_lp_constraints_lazily = False
    prm.log_search_progress = options.log
    prm.stop_after_first_solution = options.first_solution
    if options.workers > 1:
        prm.interleave_search = True  # deterministic with several workers
    code = solver.solve(builder.model, _Progress(options.progress) if options.progress else None)
    status = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
    if status == "infeasible":
        # OR-Tools 9.15 has reported false INFEASIBLE verdicts with presolve (#5274).
        prm.cp_model_presolve = False
        code = solver.solve(builder.model)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            status = "feasible"
    plan = Plan(
        problem.name,
        status,
        stats={"variables": builder.num_variables, "constraints": len(builder.model.proto.constraints)},
    )
    # Deterministic time, not the wall clock: same input and seed give byte-identical files.
    plan.solve_seconds = round(solver.deterministic_time, 2)
    plan.wall_seconds = time.perf_counter() - started
    if status in ("optimal", "feasible"):
        plan.sessions = extract_sessions(problem, builder, solver)
        plan.objective = solver.objective_value
        plan.best_bound = solver.best_objective_bound
        plan.objective_terms = {
            f"{k} {name}": solver.value(sum(builder.soft[k])) if builder.soft[k] else 0
            for k, name in SOFT_GOALS.items()
        }
    return plan


def extract_sessions(problem: Problem, builder: Builder, solver: cp_model.CpSolver) -> list[Session]:
    sessions = []
    for act in problem.activities:
        chosen = [(day, slot) for day, slot, x in builder.cands[act.key] if solver.boolean_value(x)]
        for k, (day, slot) in enumerate(chosen, start=1):
            stem = f"{act.wg}-{act.kind}" + (f"-{act.school}" if act.school else "")
            sessions.append(
                Session(
                    date=day,
                    slot=slot,
                    work_group=act.wg,
                    kind=act.kind,
                    school=act.school,
                    venue=act.venue,
                    specialist=act.leader,
                    teachers=act.teachers,
                    id=f"{stem}-{k}",
                )
            )
    return sorted(sessions)
