"""The front door: a Problem in, a Plan out."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .model import SOFT_GOALS, Builder
from .plan import Plan, Session
from .problem import Activity, Problem
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
    decompose: bool = True  # solve independent components as separate models


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
        reasons = slot_reasons(problem, act, pin.date, pin.slot)
        out.append(f"R11: {where} breaks " + "; ".join(reasons) + ". Move or remove the pin.")
    return out


def slot_reasons(problem: Problem, act: Activity, day: dt.date, slot: str) -> list[str]:
    """Why the rules R1–R3 rule out `act` on this date and slot (empty if they do not)."""
    wg = problem.work_groups[act.wg]
    reasons = [f"R1 {r}" for r in RULE["R1"].reasons(problem, act, wg, day)]
    reasons += [f"R2 {r}" for r in RULE["R2"].reasons(problem, act, day)]
    reasons += [f"R3 {n} has a fixed commitment" for n in RULE["R3"].busy(problem, act, day, slot)]
    return reasons


def components(problem: Problem) -> list[tuple[str, ...]]:
    """Work Groups that share nothing (no person, no venue) in separate tuples.

    Every hard rule that spans Work Groups (R3 double booking and venue capacity, R9, R10,
    R12) and every soft term (S1–S5) is about one person, one venue or one Work Group, so
    the model splits exactly along these lines: solving the parts apart loses nothing.
    """
    parent = {wg: wg for wg in problem.work_groups}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner: dict[str, str] = {}
    for wg in problem.work_groups.values():
        for act in wg.activities:
            for key in (*act.attendees, f"venue:{act.venue}"):
                first = owner.setdefault(key, wg.id)
                a, b = root(first), root(wg.id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for wg in problem.work_groups:  # instance order, so the split is stable
        groups.setdefault(root(wg), []).append(wg)
    return [tuple(g) for g in groups.values()]


def restrict(problem: Problem, wg_ids: tuple[str, ...] | list[str]) -> Problem:
    """The same problem with only these Work Groups (and their pins)."""
    keep = set(wg_ids)
    return dataclasses.replace(
        problem,
        work_groups={k: v for k, v in problem.work_groups.items() if k in keep},
        pins=[pin for pin in problem.pins if pin.wg in keep],
    )


def solve(problem: Problem, options: SolveOptions = SolveOptions(), replan=None) -> Plan:
    """Plan `problem`: each independent component as its own model (see `components`).

    Each component gets the whole time limit (deterministic time, so the result never
    depends on which part finishes first or how many run at once). With several workers
    and several components, components run in parallel processes of one worker each; a
    single component gets every worker.
    """
    blocked = pin_problems(problem)
    if blocked:
        return Plan(problem.name, "infeasible", notes=blocked)
    parts = components(problem) if options.decompose else [tuple(problem.work_groups)]
    if len(parts) <= 1:
        plan = solve_model(problem, options, replan)
        plan.stats["components"] = len(parts)
        return plan
    subs = [restrict(problem, part) for part in parts]
    one = dataclasses.replace(options, workers=1, progress=None)
    jobs = [(sub, one, replan) for sub in subs]
    processes = min(options.workers, len(jobs))
    if processes > 1:
        ctx = multiprocessing.get_context("spawn")  # CP-SAT threads and fork do not mix
        with concurrent.futures.ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            plans = list(pool.map(_solve_job, jobs))
    else:
        plans = [_solve_job(job) for job in jobs]
    return merge_plans(problem.name, plans)


def _solve_job(job: tuple[Problem, SolveOptions, object]) -> Plan:
    return solve_model(*job)


def merge_plans(name: str, plans: list[Plan]) -> Plan:
    """One plan from the plans of independent components: sums, and the weakest status."""
    rank = {"optimal": 0, "feasible": 1, "unknown": 2, "infeasible": 3}
    status = max((p.status for p in plans), key=rank.__getitem__)
    merged = Plan(name, status, notes=[n for p in plans for n in p.notes])
    merged.solve_seconds = round(sum(p.solve_seconds for p in plans), 2)
    merged.wall_seconds = sum(p.wall_seconds for p in plans)
    for key in ("variables", "constraints"):
        merged.stats[key] = sum(p.stats.get(key, 0) for p in plans)
    merged.stats["components"] = len(plans)
    if status in ("optimal", "feasible"):
        merged.sessions = sorted(s for p in plans for s in p.sessions)
        merged.objective = sum(p.objective for p in plans)
        merged.best_bound = sum(p.best_bound for p in plans)
        for p in plans:
            for term, value in p.objective_terms.items():
                merged.objective_terms[term] = merged.objective_terms.get(term, 0) + value
    return merged


def solve_model(problem: Problem, options: SolveOptions = SolveOptions(), replan=None) -> Plan:
    """Plan `problem` as one CP-SAT model (re-planning: fewest changes first, then the rest)."""
    started = time.perf_counter()
    builder = Builder(problem, extra=replan.extra_candidates() if replan else {}).build()
    solver = _solver(options)
    spent = 0.0
    status = "optimal"
    if replan is not None:
        replan.apply(builder)
        status, spent = _fewest_changes(builder, solver)
    if status in ("optimal", "feasible"):
        status = _run(solver, builder.model, _Progress(options.progress) if options.progress else None)
        spent += solver.deterministic_time
    plan = Plan(
        problem.name,
        status,
        stats={"variables": builder.num_variables, "constraints": len(builder.model.proto.constraints)},
    )
    # Deterministic time, not the wall clock: same input and seed give byte-identical files.
    plan.solve_seconds = round(spent, 2)
    plan.wall_seconds = time.perf_counter() - started
    if status in ("optimal", "feasible"):
        plan.sessions = extract_sessions(problem, builder, solver)
        plan.objective = solver.objective_value
        plan.best_bound = solver.best_objective_bound
        goals = SOFT_GOALS if replan is not None else {k: v for k, v in SOFT_GOALS.items() if k != "S5"}
        plan.objective_terms = {
            f"{k} {name}": solver.value(sum(builder.soft[k])) if builder.soft[k] else 0
            for k, name in goals.items()
        }
    return plan


def _solver(options: SolveOptions) -> cp_model.CpSolver:
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
    return solver


def _run(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> str:
    """Solve; the status as plan.json names it."""
    code = solver.solve(model, callback)
    if code == cp_model.INFEASIBLE:
        # OR-Tools 9.15 has reported false INFEASIBLE verdicts with presolve (#5274).
        solver.parameters.cp_model_presolve = False
        code = solver.solve(model)
        solver.parameters.cp_model_presolve = True
        if code == cp_model.OPTIMAL:
            code = cp_model.FEASIBLE
    return {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")


def _fewest_changes(b: Builder, solver: cp_model.CpSolver) -> tuple[str, float]:
    """Phase one of a re-plan: the fewest changes (S5) any rule-abiding plan needs. Caps S5
    there, hints that plan, and restores the S1–S4 objective for phase two."""
    changes = sum(b.soft["S5"])
    b.model.minimize(changes)
    status = _run(solver, b.model)
    spent = solver.deterministic_time
    if status in ("optimal", "feasible"):
        if not isinstance(changes, int):  # an all-constant S5 needs no cap
            b.model.add(changes <= round(solver.objective_value))
        for xs in b.cands.values():
            for _, _, x in xs:
                b.model.add_hint(x, solver.boolean_value(x))
        b.model.minimize(b.objective())
    return status, spent


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
