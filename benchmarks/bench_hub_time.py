"""Where one hub's time goes: each model `solve` builds and solves, then the files.

For one instance, planned in this process with one worker as `hubplan batch` plans each hub
(the collector frozen, as `solve_file` freezes it): per model, its Work Groups, activities
and variables, the seconds spent building it in Python and in CP-SAT, and its objective and
bound; then the totals and the seconds of loading, writing every file and `hubplan check`'s
count. The models are timed by wrapping `scheduler.core.solve`'s `build` and `run`, which
every model passes through; the plan is the same as without the wrappers.

Usage: python benchmarks/bench_hub_time.py INSTANCE [--top N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.load import load_instance  # noqa: E402
from scheduler.core import solve as engine  # noqa: E402
from scheduler.core.collector import collector_spared  # noqa: E402
from scheduler.core.problem import Problem  # noqa: E402
from scheduler.core.solve import SolveOptions  # noqa: E402
from scheduler.operations.batch import count_violations  # noqa: E402
from scheduler.outputs.export import render_outputs  # noqa: E402
from scheduler.outputs.files import write_outputs  # noqa: E402


def timed_models(problem: Problem) -> tuple[list[dict], object, float]:
    """Plan `problem` with one worker; a row per model, the plan and the wall seconds."""
    rows: list[dict] = []
    build, run = engine.build, engine.run

    def timed_build(sub, **kw):
        started = time.perf_counter()
        builder = build(sub, **kw)
        rows.append(
            {
                "wgs": len(sub.work_groups),
                "activities": len(sub.activities),
                "variables": builder.num_variables,
                "build": time.perf_counter() - started,
                "cp_sat": 0.0,
            }
        )
        return builder

    def timed_run(solver, model, callback=None):
        started = time.perf_counter()
        status = run(solver, model, callback)
        row = rows[-1]
        row["cp_sat"] += time.perf_counter() - started
        row["objective"], row["bound"] = solver.objective_value, solver.best_objective_bound
        return status

    engine.build, engine.run = timed_build, timed_run
    try:
        started = time.perf_counter()
        plan = engine.solve(problem, SolveOptions(workers=1))
        return rows, plan, time.perf_counter() - started
    finally:
        engine.build, engine.run = build, run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance")
    ap.add_argument("--top", type=int, default=12, help="models shown, slowest first (default 12)")
    args = ap.parse_args()
    with collector_spared():
        started = time.perf_counter()
        inst = load_instance(args.instance)
        problem = Problem.from_instance(inst)
        loading = time.perf_counter() - started
        rows, plan, planning = timed_models(problem)
        started = time.perf_counter()
        files = render_outputs(inst, plan)
        rendering = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_outputs(out, files)
        writing = time.perf_counter() - started
        started = time.perf_counter()
        violations = count_violations(args.instance, Path(out) / "plan.json", problem)
        checking = time.perf_counter() - started

    print(f"{inst.name}: {len(inst.work_groups)} WGs, {len(plan.sessions)} sessions, {plan.status}, gap {plan.gap:.2%}")
    print(f"{'WGs':>4} {'acts':>5} {'vars':>7} {'build s':>8} {'CP-SAT s':>9} {'objective':>10} {'bound':>10}")
    for row in sorted(rows, key=lambda r: -r["cp_sat"])[: args.top]:
        print(
            f"{row['wgs']:>4} {row['activities']:>5} {row['variables']:>7,} {row['build']:>8.2f} "
            f"{row['cp_sat']:>9.2f} {row.get('objective', 0):>10,.0f} {row.get('bound', 0):>10,.0f}"
        )
    built, solved = sum(r["build"] for r in rows), sum(r["cp_sat"] for r in rows)
    print(f"{len(rows)} models: building {built:.2f} s, CP-SAT {solved:.2f} s, the rest of planning {planning - built - solved:.2f} s")
    print(
        f"load {loading:.2f} s, plan {planning:.2f} s, files {rendering:.2f} s + writing {writing:.2f} s, "
        f"check {checking:.2f} s ({violations} violations); total {loading + planning + rendering + writing + checking:.2f} s"
    )


if __name__ == "__main__":
    main()
