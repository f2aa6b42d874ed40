"""The front door: a Problem in, a Plan out."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.units import HALVES
from scheduler.core.decompose import components, merge_plans, own_only, restrict
from scheduler.core.formulation import build
from scheduler.core.model import SOFT_GOALS, Builder
from scheduler.core.plan import SOLVED, Plan, Session
from scheduler.core.problem import Problem
from scheduler.core.processes import process_pool
from scheduler.core.progress import OnProgress, Progress
from scheduler.core.rules import candidate_slots, check_plan, slot_reasons


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
    gap: float = 0.0  # stop once the plan is proven within this relative gap of the optimum
    on_progress: OnProgress | None = None  # told of each piece solved (`scheduler.core.progress`)


CUT_FREE_GAP = 0.005  # from this relative gap up, a model is solved without cuts (`solve_model`)


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


def solve(
    problem: Problem, options: SolveOptions = SolveOptions(), replan=None, replan_pieces: bool = False
) -> Plan:
    """Plan `problem`: each independent component as its own model (see `components`), and
    a component that only the TfM Lead links by relax and repair (see `repair`). Re-planning,
    such a component is one model, or with `replan_pieces` its pieces (`replan_by_pieces`:
    the same plan sooner; the workspace's "re-plan from here" asks for it, `solve --previous`
    keeps its one model and the stats plan.json reports of it).

    Every model gets the whole time limit (deterministic time, so the result never depends
    on which finishes first or how many run at once). With several workers and several
    models, they run in parallel processes of one worker each; a single model gets every
    worker.
    """
    blocked = pin_problems(problem)
    if blocked:
        return Plan(problem.name, "infeasible", notes=blocked)
    parts = components(problem) if options.decompose else [tuple(problem.work_groups)]
    pieces = {part: _pieces(problem, part, options, replan, replan_pieces) for part in parts}
    jobs = [restrict(problem, piece) for part in parts for piece in pieces[part]]
    results = iter(_solve_all(jobs, options, replan, _Tally(options.on_progress, len(jobs))))
    plans = []
    for part in parts:
        found = [next(results) for _ in pieces[part]]
        plans.append(
            found[0]
            if len(found) == 1
            else repair(restrict(problem, part), pieces[part], found, options)
            if replan is None
            else replan_by_pieces(restrict(problem, part), found, options, replan)
        )
    plan = plans[0] if len(plans) == 1 else merge_plans(problem.name, plans)
    plan.stats["components"] = len(parts)
    return plan


def _pieces(
    problem: Problem, part: tuple[str, ...], options: SolveOptions, replan, replan_pieces: bool
) -> list[tuple[str, ...]]:
    """The part, or the pieces it falls into without the TfM Lead's links."""
    if not (options.decompose and problem.tfm_lead and (replan is None or replan_pieces)):
        return [part]
    return components(restrict(problem, part), ignore=(problem.tfm_lead,))


class _Tally:
    """Counts the pieces solved and tells `on_progress`, with the objective and bound
    summed over the pieces done so far."""

    def __init__(self, on_progress: OnProgress | None, total: int):
        self.on_progress, self.total, self.started = on_progress, total, time.perf_counter()
        self.plans: list[Plan] = []

    def __call__(self, plan: Plan) -> Plan:
        self.plans.append(plan)
        if self.on_progress is not None:
            solved = [p for p in self.plans if p.status in SOLVED]
            self.on_progress(
                Progress(
                    "solve",
                    len(self.plans),
                    self.total,
                    time.perf_counter() - self.started,
                    sum(p.objective for p in solved) if solved else None,
                    sum(p.best_bound for p in solved) if solved else None,
                )
            )
        return plan


def _solve_all(problems: list[Problem], options: SolveOptions, replan, done=lambda plan: plan) -> list[Plan]:
    """Each problem's plan, in order. With several workers, this process is one of them:
    it and the pool's processes all take the largest model not yet taken (a model is as
    big as its activities are many), so no big one starts last while the others idle, and
    one process fewer is started. Every model is solved alike wherever it runs (one
    thread, deterministic time), so the plans do not depend on who solved what."""
    if len(problems) == 1:
        return [done(solve_model(problems[0], options, replan))]
    one = dataclasses.replace(options, workers=1, progress=None, on_progress=None)
    processes = min(options.workers, len(problems))
    if processes <= 1:
        return [done(solve_model(sub, one, replan)) for sub in problems]
    order = sorted(range(len(problems)), key=lambda i: -len(problems[i].activities))
    plans: dict[int, Plan] = {}
    with process_pool(processes - 1) as pool:
        futures = {i: pool.submit(solve_model, own_only(problems[i]), one, replan) for i in order}
        for i in order:
            if futures[i].cancel():  # not yet taken by the pool: solve it here
                plans[i] = done(solve_model(problems[i], one, replan))
        index = {future: i for i, future in futures.items() if i not in plans}
        for future in concurrent.futures.as_completed(index):  # told as each piece ends
            plans[index[future]] = done(future.result())
    return [plans[i] for i in range(len(problems))]


def repair(problem: Problem, pieces: list[tuple[str, ...]], plans: list[Plan], options: SolveOptions) -> Plan:
    """A component only the hub's TfM Lead links (the termly headteachers' meetings of every
    primary group), from the plans of its pieces solved apart:

    1. solving the pieces apart is a relaxation (they share no venue, and every soft term is
       per person, venue or Work Group, so objectives add up): the sum of the pieces' bounds
       bounds the whole;
    2. if those plans together break no rule, they are optimal for the whole;
    3. otherwise each piece whose TfM Lead meetings clash with an earlier piece's gets them
       planned again, in order, on dates no earlier piece uses (`_repair_in_order`); the gap
       to the bound is reported;
    4. should that fail or still break a rule (the TfM Lead's weekly cap, say), the whole
       component is solved from the best plan so far as a hint, with the bound as a cut.
    """
    relaxed = merge_plans(problem.name, plans)
    if relaxed.status == "infeasible":  # a relaxation without a plan: the whole has none
        return relaxed
    if relaxed.status == "unknown":
        return solve_model(problem, options)
    if not check_plan(problem, relaxed.sessions):
        return relaxed
    bound = relaxed.best_bound
    quiet = dataclasses.replace(options, progress=None, workers=1)
    repaired = _repair_in_order(problem, pieces, plans, quiet)
    if repaired is None:
        return solve_model(problem, options, hint=relaxed.sessions, bound=bound)
    repaired.best_bound = bound
    repaired.status = "optimal" if not repaired.gap else "feasible"
    if check_plan(problem, repaired.sessions):
        return solve_model(problem, options, hint=repaired.sessions, bound=bound)
    return repaired


def replan_by_pieces(problem: Problem, plans: list[Plan], options: SolveOptions, replan) -> Plan:
    """A re-plan of a component only the TfM Lead links, from its pieces re-planned apart.

    As in `repair`, the pieces apart are a relaxation of the whole, and every change (S5)
    and soft term (S1–S4) belongs to one piece, so the fewest changes of the whole are the
    sum of the pieces' fewest, and among those the best S1–S4 is the pieces' best: if the
    pieces' plans together break no rule, they are the whole's re-plan. Otherwise (two
    pieces moved the TfM Lead onto one date, say) the whole component is re-planned as one.
    On the typical hub after a blackout at one primary school, the same plan in 4.8–6.9 s
    instead of 12.5–15.7 s (a loaded 2-core machine)."""
    merged = merge_plans(problem.name, plans)
    if merged.status == "infeasible" or (
        merged.status in SOLVED and not check_plan(problem, merged.sessions)
    ):
        return merged
    return solve_model(problem, options, replan)


def _repair_in_order(
    problem: Problem, pieces: list[tuple[str, ...]], plans: list[Plan], options: SolveOptions
) -> Plan | None:
    """The pieces' plans, each piece whose TfM Lead dates clash with an earlier piece's
    solved again in order with those dates taken; None if one cannot be.

    The TfM Lead's sessions of a piece are moved first with everything else in the piece
    held where it is (a model of a few hundred candidates, since only the headteachers'
    meetings touch other pieces); only if that has no plan is the whole piece solved again.
    """
    lead = problem.tfm_lead
    plans = list(plans)
    taken: set[tuple[dt.date, str]] = set()
    for i, piece in enumerate(pieces):
        used = days_of(plans[i], lead)
        if used & taken:
            person = problem.people[lead]
            sub = restrict(problem, piece)
            sub.people = {**sub.people, lead: dataclasses.replace(person, busy=person.busy | taken)}
            plan = solve_model(sub, options, only=_held(sub, plans[i], lead))
            if plan.status not in SOLVED:
                plan = solve_model(sub, options)
            if plan.status not in SOLVED:
                return None
            plan.stats = plans[i].stats  # the piece's size is its whole model's, not the repair's
            plans[i] = plan
            used = days_of(plans[i], lead)
        taken |= used
    return merge_plans(problem.name, plans)


def _held(problem: Problem, plan: Plan, person: str) -> dict[str, set[tuple[dt.date, str]]]:
    """The (date, slot)s `plan` gives every activity `person` does not attend."""
    held = {act.key: set() for act in problem.activities if person not in act.attendees}
    for s in plan.sessions:
        key = problem.session_key(s)
        if key in held:
            held[key].add((s.date, s.slot))
    return held


def days_of(plan: Plan, person: str) -> set[tuple[dt.date, str]]:
    """Both halves of every date `person` has a session: a piece that meets the TfM Lead on
    a date another piece already uses could break R3 (the same half-day) or R12 (two venues
    too far apart on one day), so the repair gives each date to one piece."""
    return {(s.date, h) for s in plan.sessions if person in s.attendees for h in HALVES}


def solve_model(
    problem: Problem,
    options: SolveOptions = SolveOptions(),
    replan=None,
    hint: list[Session] | None = None,
    bound: float | None = None,
    only: dict[str, set[tuple[dt.date, str]]] | None = None,
) -> Plan:
    """Plan `problem` as one CP-SAT model (re-planning: fewest changes first, then the rest).

    `hint` is a plan to start from; `bound` a proven lower bound of the objective, added as
    a cut; `only` holds activities to these (date, slot)s (see `Builder.only`)."""
    started = time.perf_counter()
    builder = build(problem, extra=replan.extra_candidates() if replan else None, only=only)
    if hint:
        chosen = {(problem.session_key(s), s.date, s.slot) for s in hint}
        for key, xs in builder.cands.items():
            for day, slot, x in xs:
                builder.model.add_hint(x, (key, day, slot) in chosen)
    if bound is not None:
        builder.model.add(builder.objective() >= math.ceil(bound - 1e-6))
    solver = _solver(options, len(problem.work_groups))
    spent = 0.0
    status = "optimal"
    if replan is not None:
        replan.apply(builder)
        status, spent = _fewest_changes(builder, solver)
    if status in SOLVED:
        status = run(solver, builder.model, _Progress(options.progress) if options.progress else None)
        spent += solver.deterministic_time
    plan = Plan(
        problem.name,
        status,
        stats={"variables": builder.num_variables, "constraints": len(builder.model.proto.constraints)},
    )
    # Deterministic time, not the wall clock: same input and seed give byte-identical files.
    plan.solve_seconds = round(spent, 2)
    plan.wall_seconds = time.perf_counter() - started
    if status in SOLVED:
        plan.sessions = extract_sessions(problem, builder, solver)
        plan.objective = solver.objective_value
        plan.best_bound = solver.best_objective_bound
        if plan.gap:  # CP-SAT says OPTIMAL once within the gap limit; we say what is proven
            plan.status = "feasible"
        goals = SOFT_GOALS if replan is not None else {k: v for k, v in SOFT_GOALS.items() if k != "S5"}
        plan.objective_terms = {
            f"{k} {name}": solver.value(sum(builder.soft[k])) if builder.soft[k] else 0
            for k, name in goals.items()
        }
    return plan


def new_solver(time_limit: float, seed: int = 0) -> cp_model.CpSolver:
    """A reproducible solver: one thread, a seed, a deterministic time limit.

    Every solve in hubplan starts here (planning, explaining, the greedy baseline). One
    thread per model: CP-SAT's parallel search is not reproducible, and its reproducible
    `interleave_search` measured slower than one thread on every model here (one Work
    Group: 1.9 s against 0.1 s; the bundled hub: 81 s against 14 s). Workers are spent on
    models in parallel processes instead (`solve`)."""
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = 1
    prm.random_seed = seed
    prm.max_deterministic_time = time_limit
    prm.max_time_in_seconds = 3 * time_limit + 30  # a safety net only
    return solver


def _solver(options: SolveOptions, work_groups: int) -> cp_model.CpSolver:
    """A solver for a model of this many Work Groups."""
    solver = new_solver(options.time_limit, options.seed)
    prm = solver.parameters
    # On 2 cores the default search stalls at a weak bound; the full LP relaxation, added
    # up front rather than lazily, proves the bundled hub optimal ~2x sooner (benchmarks/).
    prm.linearization_level = 2
    prm.add_lp_constraints_lazily = False
    prm.log_search_progress = options.log
    prm.stop_after_first_solution = options.first_solution
    prm.relative_gap_limit = options.gap
    if options.gap > 0 or work_groups == 1:
        # Probing in presolve pays only for proving optimality on bigger models (the
        # bundled hub: 11 s with it, 13 s without). On one Work Group's model it costs more
        # than the whole search, and with a gap to stop at, the pieces of 7 generated hubs
        # solve 7% sooner (15% less deterministic time) without it.
        prm.cp_model_probing_level = 0
    if options.gap >= CUT_FREE_GAP:
        # With such a gap to stop at, the root LP bound of a hub's piece is within it at once
        # and the search stops at its first plan or two: cuts and symmetry detection only
        # delay that plan (10 generated hubs at 1%: 38% less wall time in CP-SAT, objectives
        # within 0.1%). Closer gaps and proofs of optimality need both (the bundled hub
        # proven optimal: 11 s with, 32 s without; the typical hub to 0.2%: 6.5 s, 9.5 s).
        prm.cut_level = 0
        prm.symmetry_level = 0
    return solver


def run_interruptibly(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> int:
    """`solver.solve(model, callback)` in a helper thread while the main thread waits in
    Python, so that Ctrl-C (and SIGTERM, which the CLI treats alike) stops a run at once:
    the search is stopped and the exception goes on up, before anything is written.

    CP-SAT's own SIGINT handler is turned off: it would end the search as if the time limit
    had passed, so an interrupted run would write its plan, and it leaves SIGINT at SIG_DFL."""
    solver.parameters.catch_sigint_signal = False
    if threading.current_thread() is not threading.main_thread():
        return solver.solve(model, callback)  # signals are handled in the main thread only
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="cp-sat") as pool:
        future = pool.submit(solver.solve, model, callback)
        try:
            return future.result()
        except BaseException:
            solver.stop_search()
            raise


def run(solver: cp_model.CpSolver, model: cp_model.CpModel, callback=None) -> str:
    """Solve; the status as plan.json names it. Every solve in hubplan ends here, so an
    INFEASIBLE verdict is always checked again (below) before anyone is told."""
    code = run_interruptibly(solver, model, callback)
    if code == cp_model.INFEASIBLE:
        # OR-Tools 9.15 has reported false INFEASIBLE verdicts with presolve (#5274).
        solver.parameters.cp_model_presolve = False
        code = run_interruptibly(solver, model)
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
    status = run(solver, b.model)
    spent = solver.deterministic_time
    if status in SOLVED:
        if not isinstance(changes, int):  # an all-constant S5 needs no cap
            b.model.add(changes <= round(solver.objective_value))
        for xs in b.cands.values():
            for _, _, x in xs:
                b.model.add_hint(x, solver.boolean_value(x))
        b.model.minimize(b.objective())
    return status, spent


def extract_sessions(problem: Problem, builder: Builder, solver: cp_model.CpSolver) -> list[Session]:
    sessions = []
    numbered: dict[str, int] = {}  # one numbering per stream: each central event is its own activity
    for act in problem.activities:
        chosen = [(day, slot) for day, slot, x in builder.cands[act.key] if solver.boolean_value(x)]
        stem = f"{act.wg}-{act.kind}" + (f"-{act.school}" if act.school else "")
        first, numbered[stem] = numbered.get(stem, 0) + 1, numbered.get(stem, 0) + len(chosen)
        for k, (day, slot) in enumerate(chosen, start=first):
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
