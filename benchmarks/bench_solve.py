"""Solve the bundled instances and print one table: sizes, status, objective, gap, time, memory.

Each instance runs in a fresh process so peak memory (ru_maxrss) is its own.
Usage: python benchmarks/bench_solve.py [INSTANCE ...] [--time-limit S] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = [
    ROOT / "instances" / "example-hub-2026-27.yaml",
    ROOT / "instances" / "north-east-hub-2026-27.yaml",
]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from models.load import load_instance
from scheduler.core.problem import Problem
from scheduler.core.solve import SolveOptions, solve
t0 = time.perf_counter()
inst = load_instance(sys.argv[2])
problem = Problem.from_instance(inst)
plan = solve(problem, SolveOptions(time_limit=float(sys.argv[3]), workers=int(sys.argv[4])))
print(json.dumps({
    "work_groups": len(inst.work_groups), "sessions": len(plan.sessions),
    "variables": plan.stats.get("variables", 0), "constraints": plan.stats.get("constraints", 0),
    "status": plan.status, "objective": plan.objective, "gap": plan.gap,
    "seconds": time.perf_counter() - t0, "solver_seconds": plan.wall_seconds,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("instances", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--time-limit", type=float, default=60)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    head = (
        "instance",
        "WGs",
        "sessions",
        "variables",
        "constraints",
        "status",
        "objective",
        "gap",
        "seconds",
        "peak MB",
    )
    rows = []
    for path in args.instances:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), str(path), str(args.time_limit), str(args.workers)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(
            (
                path.stem,
                r["work_groups"],
                r["sessions"],
                r["variables"],
                r["constraints"],
                r["status"],
                "–" if r["objective"] is None else f"{r['objective']:g}",
                "–" if r["gap"] is None else f"{r['gap']:.2%}",
                f"{r['seconds']:.2f}",
                f"{r['peak_mb']:.0f}",
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    print(
        f"\n(time limit {args.time_limit:g} deterministic s, {args.workers} worker(s); seconds = load + expand + build + solve)"
    )


if __name__ == "__main__":
    main()
