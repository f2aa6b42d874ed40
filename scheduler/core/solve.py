"""The front door: a Problem in, a Plan out."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import math
import multiprocessing
import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from models.units import HALVES
from scheduler.core.decompose import components, lead_apart, merge_plans, own_only, restrict
from scheduler.core.formulation import build
from scheduler.core.model import SOFT_GOALS, Builder
from scheduler.core.objective import release_floor
from scheduler.core.options import SolveOptions
from scheduler.core.plan import SOLVED, Plan, Session
from scheduler.core.problem import Problem
from scheduler.core.processes import START_METHOD, process_pool
from scheduler.core.progress import LIVE_EVERY, Relay, Tally
from scheduler.core.rules import candidate_slots, check_plan, slot_reasons

Job = tuple[Problem, float]  # a model to solve, and its slack (`solve_model`)
CUT_FREE_GAP = 0.005  # from this relative gap up, a model is solved without cuts (`solve_model`)
LEAD_SHARE = 0.5  # of the gap, the TfM Lead's sessions may stop short by (`_split`)
QUEUED = 2  # jobs given to each pool process at a time: the one it solves, and its next
POOL_ACTIVITIES = 40  # fewer in all are solved here alone: a process takes ~1 s of a core to start


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
    """Plan `problem`: each independent component as its own model (see `components`); a
    component that only the hub's TfM Lead links as the lead's sessions and the pieces of
    the rest, apart (`lead_apart`), then joined (`join`). Re-planning, such a component is
    one model, or with `replan_pieces` its pieces (`replan_by_pieces`: the same plan sooner;
    the workspace's "re-plan from here" asks for it, `solve --previous` keeps its one model
    and the stats plan.json reports of it).

    Every model gets the whole time limit (deterministic time, so the result never depends
    on which finishes first or how many run at once). With several workers and several
    models, they run in parallel processes of one worker each.
    """
    blocked = pin_problems(problem)
    if blocked:
        return Plan(problem.name, "infeasible", notes=blocked)
    parts = components(problem) if options.decompose else [tuple(problem.work_groups)]
    split = {part: _split(problem, part, options, replan, replan_pieces) for part in parts}
    jobs = {part: split[part] or [(restrict(problem, part), 0.0)] for part in parts}
    flat = [job for part in parts for job in jobs[part]]
    tally = Tally(
        options.on_progress,
        len(flat) + sum(1 for part in parts if split[part]),
        "solve" if replan is None else "replan",
    )
    tally.start()
    results = iter(_solve_all(flat, options, replan, tally))
    plans, first, joined = [], 0, len(flat)  # model numbers: the jobs', then each join's
    for part in parts:
        found = [next(results) for _ in jobs[part]]
        if split[part]:
            own = range(first, first + len(found))
            whole = restrict(problem, part)
            plan = (
                join(whole, found, options, tally.live(joined, own))
                if replan is None
                else replan_by_pieces(whole, found, options, replan)
            )
            plans.append(tally.finished(joined, plan, replaces=own))
            joined += 1
        else:
            plans.append(found[0])
        first += len(found)
    plan = plans[0] if len(plans) == 1 else merge_plans(problem.name, plans)
    plan.stats["components"] = len(parts)
    return plan


def _split(
    problem: Problem, part: tuple[str, ...], options: SolveOptions, replan, replan_pieces: bool = False
) -> list[Job] | None:
    """The pieces of the part without the TfM Lead's sessions, then those sessions, when
    the lead is all that links the part's pieces (`lead_apart`); else None: one model.
    Re-planning with `replan_pieces`, the pieces the part falls into without the lead's
    links, each with the lead's sessions in it (`replan_by_pieces`).

    With a gap, the lead's model stops `LEAD_SHARE` of it short of its best possible, in
    points of the part's least release cost (`release_floor`): its objective is a small
    share of the part's (no release cost), so its own relative gap would ask far more (the
    typical hub's at 0.5%: 1.94 deterministic s to a proof, 0.31 s within 600 points)."""
    if not (options.decompose and problem.tfm_lead and (replan is None or replan_pieces)):
        return None
    pieces = components(restrict(problem, part), ignore=(problem.tfm_lead,))
    if len(pieces) < 2:
        return None
    if replan is not None:
        return [(restrict(problem, piece), 0.0) for piece in pieces]
    halves = lead_apart(problem, part)
    if halves is None:
        return None
    rest, lead = halves
    slack = LEAD_SHARE * options.gap * release_floor(rest)
    return [(restrict(rest, piece), 0.0) for piece in components(rest)] + [(lead, slack)]


def _solve_all(jobs: list[Job], options: SolveOptions, replan, tally: Tally) -> list[Plan]:
    """Each job's plan, in order. With several workers, this process is one of them: it
    and the pool's processes take the largest model not yet taken (a model is as big as its
    activities are many), so no big one starts last while the others idle, and one process
    fewer is started. The pool is given only what it will start next (`QUEUED` a process),
    so no job is ever taken back from it. Every model is solved alike wherever it runs
    (one thread, deterministic time), so the plans do not depend on who solved what; a hub
    too small to repay starting processes is solved here alone."""
    one = dataclasses.replace(options, workers=1, on_progress=None)
    processes = min(options.workers, len(jobs))
    if sum(len(sub.activities) for sub, _ in jobs) < POOL_ACTIVITIES:
        processes = 1

    def here(i: int) -> Plan:
        sub, slack = jobs[i]
        return tally.finished(i, solve_model(sub, one, replan, slack=slack, live=tally.live(i)))

    if processes <= 1:
        return [here(i) for i in range(len(jobs))]
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][0].activities))
    plans: dict[int, Plan] = {}
    running: dict[concurrent.futures.Future, int] = {}
    reports = multiprocessing.get_context(START_METHOD).Queue() if options.on_progress else None
    with Relay(reports, tally), process_pool(processes - 1, _report_to, (reports,)) as pool:
        while order or running:
            mine = order.pop(0) if order else None
            while order and len(running) < QUEUED * (processes - 1):
                i = order.pop(0)
                running[pool.submit(_solve_piece, i, own_only(jobs[i][0]), one, replan, jobs[i][1])] = i
            if mine is not None:
                plans[mine] = here(mine)
            else:
                concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in [f for f in running if f.done()]:  # told as each piece ends
                i = running.pop(future)
                plans[i] = tally.finished(i, future.result())
    return [plans[i] for i in range(len(jobs))]


_REPORTS = None  # in a pool process: the queue its searches report to (`_report_to`)


def _report_to(reports) -> None:
    """A pool process's initializer: live reports go to `reports` (None: nobody listens)."""
    global _REPORTS
    _REPORTS = reports


def _solve_piece(i: int, problem: Problem, options: SolveOptions, replan, slack: float) -> Plan:
    """`solve_model` in a pool process, its search reported as model `i`'s."""
    reports = _REPORTS
    live = None if reports is None else lambda objective, bound: reports.put((i, objective, bound))
    return solve_model(problem, options, replan, slack=slack, live=live)


def join(problem: Problem, plans: list[Plan], options: SolveOptions, live: Callable | None = None) -> Plan:
    """One plan of a component only the TfM Lead links, from the plans of the models that
    relax it (`_split`: the rest's pieces, and the lead's sessions), whose bounds add up
    to one for the whole:

    1. if a model has no plan, neither has the whole (infeasible); if none was found in
       time (unknown), the whole is solved as one model;
    2. everything is held where those plans put it but the lead's sessions that break a
       rule with the rest (a venue's group meeting on the half-day chosen for a
       headteachers' meeting there, say) and the lead's others at their venues, which are
       planned again around what is held: a small model, from the plans as a hint and with
       the bound as a cut. With nothing to move, it scores the plans as they are. Held
       sessions lie where R1–R3 allow them (the plans keep them);
    3. if that breaks a rule, or ends further than the gap from the bound, all the lead's
       sessions are planned again around the rest;
    4. should they not fit at all, the whole is solved as one model, from the plans.

    The bound stays the models' (a held model's own bound holds for its held plans only),
    so a plan meeting it is proven optimal: on the typical hub, the lead's sessions fitted
    around the rest at no cost.
    """
    relaxed = merge_plans(problem.name, plans)
    if relaxed.status == "infeasible":
        return relaxed
    if relaxed.status == "unknown":
        return solve_model(problem, options, live=live)
    bound, theirs = relaxed.best_bound, [a for a in problem.activities if problem.tfm_lead in a.attendees]
    clashed = {v.work_group for v in check_plan(problem, relaxed.sessions)}
    venues = {a.venue for a in theirs if a.wg in clashed}
    best, hint = None, relaxed.sessions
    for free in ({a.key for a in theirs if a.wg in clashed or a.venue in venues}, {a.key for a in theirs}):
        held = {a.key: set() for a in problem.activities if a.key not in free}
        for s in relaxed.sessions:
            key = problem.session_key(s)
            if key in held:
                held[key].add((s.date, s.slot))
        told = None if live is None else lambda objective, _: live(objective, bound)
        plan = solve_model(problem, options, hint=hint, bound=bound, only=held, live=told)
        if plan.status in SOLVED:
            plan.best_bound = bound
            best = plan if best is None or plan.objective < best.objective else best
            hint = plan.sessions
            if plan.gap <= options.gap or options.first_solution:
                break
    plan = best
    if plan is None:
        plan = solve_model(problem, options, hint=relaxed.sessions, bound=bound, live=live)
        plan.best_bound = max(plan.best_bound, bound) if plan.status in SOLVED else None
    if plan.status in SOLVED:
        plan.status = "feasible" if plan.gap else "optimal"
    for key in ("variables", "constraints"):  # the models solved: the parts' and this one
        plan.stats[key] = relaxed.stats[key] + plan.stats.get(key, 0)
    plan.solve_seconds = round(relaxed.solve_seconds + plan.solve_seconds, 2)
    return plan


def replan_by_pieces(problem: Problem, plans: list[Plan], options: SolveOptions, replan) -> Plan:
    """A re-plan of a component only the TfM Lead links, from its pieces re-planned apart.

    The pieces apart are a relaxation of the whole (they share no venue), and every change
    (S5) and soft term (S1–S4) belongs to one piece, so the fewest changes of the whole are
    the sum of the pieces' fewest, and among those the best S1–S4 is the pieces' best: if
    the pieces' plans together break no rule, they are the whole's re-plan. Otherwise (two
    pieces moved the TfM Lead onto one date, say) the whole component is re-planned as one.
    On the typical hub after a blackout at one primary school, the same plan in 4.8–6.9 s
    instead of 12.5–15.7 s (a loaded 2-core machine)."""
    merged = merge_plans(problem.name, plans)
    if merged.status == "infeasible" or (
        merged.status in SOLVED and not check_plan(problem, merged.sessions)
    ):
        return merged
    return solve_model(problem, options, replan)


def days_of(plan: Plan, person: str) -> set[tuple[dt.date, str]]:
    """Both halves of every date `person` has a session (both, since two sessions on one
    date could break R3 on the same half-day or R12 between venues too far apart)."""
    return {(s.date, h) for s in plan.sessions if person in s.attendees for h in HALVES}


def solve_model(
    problem: Problem,
    options: SolveOptions = SolveOptions(),
    replan=None,
    hint: list[Session] | None = None,
    bound: float | None = None,
    only: dict[str, set[tuple[dt.date, str]]] | None = None,
    live: Callable[[float, float], None] | None = None,
    slack: float = 0.0,
) -> Plan:
    """Plan `problem` as one CP-SAT model (re-planning: fewest changes first, then the rest).

    `hint` is a plan to start from; `bound` a proven lower bound of the objective, added as
    a cut; `only` holds activities to these (date, slot)s (see `Builder.only`); `live` is
    told (objective, bound) as the search finds better plans and bounds (`_Live`); `slack`
    lets the search stop that many points short of the best possible, as well as at the gap."""
    started = time.perf_counter()
    builder = build(problem, extra=replan.extra_candidates() if replan else None, only=only)
    if hint:
        chosen = {(problem.session_key(s), s.date, s.slot) for s in hint}
        for key, xs in builder.cands.items():
            for day, slot, x in xs:
                builder.model.add_hint(x, (key, day, slot) in chosen)
    if bound is not None:
        builder.model.add(builder.objective() >= math.ceil(bound - 1e-6))
    solver = _solver(options, len(problem.work_groups), costed=bool(builder.soft["S4"]), slack=slack)
    spent = 0.0
    status = "optimal"
    if replan is not None:
        replan.apply(builder)
        status, spent = _fewest_changes(builder, solver)
    if status in SOLVED:
        status = run(solver, builder.model, _Live(live, solver) if live else None)
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


class _Live(cp_model.CpSolverSolutionCallback):
    """Tells `report(objective, bound)` of each better plan, and of each better bound once
    there is a plan, at most every `LIVE_EVERY` seconds. It only listens: the search is the
    same with it or without (one thread, deterministic time)."""

    def __init__(self, report: Callable[[float, float], None], solver: cp_model.CpSolver):
        super().__init__()
        self.report, self.objective, self.bound, self.shown = report, None, None, 0.0
        solver.best_bound_callback = self._bound

    def on_solution_callback(self) -> None:
        self.objective, self.bound = self.objective_value, self.best_objective_bound
        self._tell()

    def _bound(self, bound: float) -> None:
        self.bound = bound
        if self.objective is not None:
            self._tell()

    def _tell(self) -> None:
        now = time.perf_counter()
        if now - self.shown >= LIVE_EVERY:
            self.shown = now
            self.report(self.objective, self.bound)


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


def _solver(
    options: SolveOptions, work_groups: int, costed: bool = True, slack: float = 0.0
) -> cp_model.CpSolver:
    """A solver for a model of this many Work Groups (`costed`: with release cost, S4),
    stopping at the gap or `slack` points from the best possible."""
    solver = new_solver(options.time_limit, options.seed)
    prm = solver.parameters
    # On 2 cores the default search stalls at a weak bound; the full LP relaxation, added
    # up front rather than lazily, proves the bundled hub optimal ~2x sooner (benchmarks/).
    prm.linearization_level = 2
    prm.add_lp_constraints_lazily = False
    prm.log_search_progress = options.log
    prm.stop_after_first_solution = options.first_solution
    prm.relative_gap_limit = options.gap
    prm.absolute_gap_limit = slack
    # A wide gap: one the root LP bound is within at once, so the search stops at its first
    # plan or two. So it is for a hub's pieces from 0.5% up (release cost beyond funding,
    # which the LP bounds well, is most of their objective), and for the TfM Lead's
    # sessions alone with their slack (`_split`); not for those with a gap of their own, as
    # they have no release cost (the typical hub's at 0.5%: not within it after 60 s
    # without cuts, in 1 s with).
    wide = (options.gap >= CUT_FREE_GAP and costed) or slack > 0
    if (options.gap > 0 and costed) or slack > 0 or work_groups == 1:
        # Probing in presolve pays only for proving optimality on bigger models (the
        # bundled hub: 11 s with it, 13 s without). On one Work Group's model it costs more
        # than the whole search, and with a gap to stop at, the pieces of 7 generated hubs
        # solve 7% sooner (15% less deterministic time) without it.
        prm.cp_model_probing_level = 0
    if wide:
        # Cuts and symmetry detection only delay that first plan (10 generated hubs at 1%:
        # 38% less wall time in CP-SAT, objectives within 0.1%). Closer gaps and proofs of
        # optimality need both (the bundled hub proven optimal: 11 s with, 32 s without;
        # the typical hub to 0.2%: 6.5 s, 9.5 s).
        prm.cut_level = 0
        prm.symmetry_level = 0
    if slack > 0:
        # The TfM Lead's sessions reach their first plan within the slack sooner without
        # SAT presolve: 12 generated typical hubs' 28-35% less CPU time (their other models
        # gained nothing, some lost).
        prm.cp_model_use_sat_presolve = False
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
