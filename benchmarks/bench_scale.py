"""How hubplan scales: one secondary Work Group, a typical hub, the whole country.

Prints one markdown table (WGs, schools, people, sessions, variables, wall seconds, peak
memory, status, gap) for generated instances (`scheduler.operations.generate`):

- one secondary Development Work Group;
- a typical hub of 43 Work Groups;
- national: 40 hubs of 43 Work Groups (~1,700), written as 40 files and planned with the
  batch runner (`hubplan batch --jobs 2`); memory is the peak summed RSS of its process
  tree, sampled with psutil. Skipped with --quick.

Single solves run each in a fresh process (load + expand + build + solve; peak memory is
its ru_maxrss). Then, on the hub: greedy first-fit against the optimiser on the objective
and on travel (S3), and above the release cost every plan pays (`cost_floor`); and the
monolithic model against the decomposed one on time.

Usage: python benchmarks/bench_scale.py [--quick] [--time-limit S] [--seed N] [--jobs N]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.operations.generate import (  # noqa: E402
    NATIONAL_HUBS,
    TYPICAL_WORK_GROUPS,
    generate_instance,
    write_instance,
)

HEAD = (
    "instance",
    "WGs",
    "schools",
    "people",
    "sessions",
    "variables",
    "seconds",
    "peak MB",
    "status",
    "gap",
)
SAMPLE_SECONDS = 0.2


# --------------------------------------------------------------------------- in the child process


def child(mode: str, path: str, time_limit: float, gap: float = 0.0, workers: int = 1) -> dict[str, Any]:
    """Load, build and plan one instance as `mode` says (solve | monolithic | greedy)."""
    import dataclasses

    from models.load import load_instance
    from scheduler.core.greedy import cost_floor, greedy_plan
    from scheduler.core.problem import Problem
    from scheduler.core.solve import SolveOptions, solve

    started = time.perf_counter()
    problem = Problem.from_instance(load_instance(path))
    options = SolveOptions(time_limit=time_limit, gap=gap, workers=workers)
    note, extra = "", {}
    if mode == "greedy":
        plan = greedy_plan(problem, time_limit)
        extra = {"floor": cost_floor(problem, time_limit), "cost_weight": problem.weights["cost"]}
    elif mode == "monolithic":
        if any(f.name == "decompose" for f in dataclasses.fields(SolveOptions)):
            plan = solve(problem, dataclasses.replace(options, decompose=False))
        else:
            plan, note = (
                solve(problem, options),
                "SolveOptions has no 'decompose' yet: this is the only model",
            )
    else:
        plan = solve(problem, options)
    peak_kb = max(
        resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return {
        "sessions": len(plan.sessions),
        "variables": plan.stats.get("variables", 0),
        "components": plan.stats.get("components"),
        "status": plan.status,
        "objective": plan.objective,
        "best_bound": plan.best_bound,
        "gap": plan.gap,
        "terms": plan.objective_terms,
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_kb / 1024,
        "note": note,
        **extra,
    }


# --------------------------------------------------------------------------- in the parent


@dataclass
class Row:
    label: str
    wgs: int
    schools: int
    people: int
    sessions: int | None = None
    variables: int | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    status: str = ""
    gap: float | None = None

    def cells(self) -> tuple[str, ...]:
        def num(v: float | None, fmt: str) -> str:
            return "–" if v is None else format(v, fmt)

        return (
            self.label,
            f"{self.wgs:,}",
            f"{self.schools:,}",
            f"{self.people:,}",
            num(self.sessions, ","),
            num(self.variables, ","),
            num(self.seconds, ".1f"),
            num(self.peak_mb, ".0f"),
            self.status,
            num(self.gap, ".2%"),
        )


def sizes(data: dict[str, Any]) -> tuple[int, int, int]:
    return len(data["work_groups"]), len(data["schools"]), len(data["specialists"]) + len(data["teachers"])


SETTINGS = {"gap": 0.0, "workers": 1}  # --gap and --workers, for every solve


def run_child(mode: str, path: Path, time_limit: float, gap: float | None = None) -> dict[str, Any]:
    """`gap`: the relative gap to stop at, if not --gap's."""
    cmd = [sys.executable, __file__, "--child", mode, str(path), "--time-limit", str(time_limit)]
    cmd += ["--gap", str(SETTINGS["gap"] if gap is None else gap), "--workers", str(SETTINGS["workers"])]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def single(
    label: str, data: dict[str, Any], path: Path, time_limit: float, gap: float | None = None
) -> tuple[Row, dict[str, Any]]:
    write_instance(data, path)
    r = run_child("solve", path, time_limit, gap)
    row = Row(
        label, *sizes(data), r["sessions"], r["variables"], r["seconds"], r["peak_mb"], r["status"], r["gap"]
    )
    return row, r


class TreeMemory:
    """Samples the summed RSS of a process and all its descendants; keeps the peak."""

    def __init__(self, pid: int):
        import psutil

        self._root = psutil.Process(pid)
        self._error = psutil.Error
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [self._root, *self._root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except self._error:
                        continue
            except self._error:
                break
            self.peak = max(self.peak, total)
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def national(folder: Path, seed: int, time_limit: float, jobs: int) -> Row:
    """40 hubs written as files, planned by `hubplan batch`; summed over the hubs."""
    (folder / "hubs").mkdir(parents=True)
    hubs = [generate_instance(TYPICAL_WORK_GROUPS, seed, hub) for hub in range(1, NATIONAL_HUBS + 1)]
    for hub, data in enumerate(hubs, start=1):
        write_instance(data, folder / "hubs" / f"hub-{hub:02d}.yaml")
    totals = [sum(x) for x in zip(*map(sizes, hubs))]
    out = folder / "out"
    cmd = [sys.executable, str(ROOT / "cli.py"), "batch", str(folder / "hubs"), "--out", str(out)]
    cmd += ["--jobs", str(jobs), "--time-limit", str(time_limit), "--gap", str(SETTINGS["gap"])]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    memory = TreeMemory(proc.pid)
    proc.wait()
    seconds, peak = time.perf_counter() - started, memory.stop()
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    variables = 0
    for r in rows:
        plan = out / r["instance"] / "plan.json"
        if plan.is_file():
            variables += json.loads(plan.read_text())["stats"].get("variables", 0)
    statuses = Counter(r["status"] for r in rows)
    gaps = [float(r["gap"]) for r in rows if r["gap"]]
    return Row(
        f"national ({len(hubs)} hubs, batch --jobs {jobs})",
        *totals,
        sum(int(r["sessions"]) for r in rows if r["sessions"]),
        variables or None,
        seconds,
        peak,
        ", ".join(f"{n} {s}" for s, n in sorted(statuses.items())),
        max(gaps) if gaps else None,
    )


def table(rows: list[Row]) -> str:
    cells = [HEAD, *(r.cells() for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEAD))]
    line = lambda cs: "| " + " | ".join(c.ljust(w) for c, w in zip(cs, widths)) + " |"  # noqa: E731
    return "\n".join([line(HEAD), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])])


def ratio(a: float | None, b: float | None) -> str:
    return "–" if a is None or not b else f"{a / b:.2f}×"


def time_ratio(mono: dict[str, Any], decomposed: dict[str, Any]) -> str:
    """Monolithic time over decomposed time, when both runs found a plan (else it says nothing)."""
    if mono["objective"] is None or decomposed["objective"] is None:
        return "no time ratio: a run found no plan within the limit"
    return f"monolithic takes {ratio(mono['seconds'], decomposed['seconds'])} the time"


def amount(v: float | None) -> str:
    return "–" if v is None else f"{v:,.0f}"


def beyond_the_floor(greedy: dict[str, Any], optimised: dict[str, Any]) -> list[str]:
    """The objective against greedy once the release cost every plan pays is set aside.

    `floor` is a proven lower bound on S4 for any plan (`scheduler.core.greedy.cost_floor`), and
    the optimiser's best bound one on the whole objective: no plan can beat greedy by more
    than the bound allows, whatever the planner."""
    if greedy["objective"] is None or optimised["objective"] is None:
        return []
    g, o, bound = greedy["objective"], optimised["objective"], optimised["best_bound"]
    fixed = greedy["cost_weight"] * greedy["floor"]
    better = lambda a, b: f"{1 - b / a:.0%} better" if a else "–"  # noqa: E731
    return [
        f"- the optimiser is {better(g, o)} on the objective; the proven bound {amount(bound)} means no plan "
        f"can be more than {better(g, bound)} than greedy",
        f"- release beyond funding that every plan pays (proven S4 floor): {amount(fixed)}; above it, "
        f"greedy {amount(g - fixed)} vs optimiser {amount(o - fixed)}: {ratio(g - fixed, o - fixed)}, "
        f"the optimiser {better(g - fixed, o - fixed)}",
    ]


def comparisons(hub: Path, optimised: dict[str, Any], time_limit: float) -> list[str]:
    """Greedy against optimised (objective, travel) and monolithic against decomposed (time)."""
    greedy = run_child("greedy", hub, time_limit)
    mono = run_child("monolithic", hub, time_limit)
    travel = "S3 travel"
    lines = [
        f"On the typical hub ({TYPICAL_WORK_GROUPS} WGs), greedy first-fit ({greedy['status']}, {greedy['seconds']:.1f} s) "
        f"against the optimiser ({optimised['status']}):",
        f"- objective: {amount(greedy['objective'])} vs {amount(optimised['objective'])}: "
        f"{ratio(greedy['objective'], optimised['objective'])}",
        f"- travel (S3): {amount(greedy['terms'].get(travel))} vs {amount(optimised['terms'].get(travel))}: "
        f"{ratio(greedy['terms'].get(travel), optimised['terms'].get(travel))}",
        *(
            f"- {term}: {amount(greedy['terms'].get(term))} vs {amount(optimised['terms'].get(term))}: "
            f"{ratio(greedy['terms'].get(term), optimised['terms'].get(term))}"
            for term in sorted(optimised["terms"])
            if term != travel
        ),
        *beyond_the_floor(greedy, optimised),
        f"Monolithic model: {mono['seconds']:.1f} s, {mono['status']}, objective {amount(mono['objective'])}; "
        f"decomposed ({optimised['components']} components): {optimised['seconds']:.1f} s, {optimised['status']}, "
        f"objective {amount(optimised['objective'])}; {time_ratio(mono, optimised)}.",
    ]
    if mono["note"]:
        lines.append(f"  note: {mono['note']}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="skip the national run (about a minute or two)")
    ap.add_argument(
        "--time-limit", type=float, default=None, help="deterministic s per solve [60; 10 with --quick]"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="processes of the national batch")
    ap.add_argument("--gap", type=float, default=0.01, help="relative gap to stop at [0.01]")
    ap.add_argument("--workers", type=int, default=2, help="workers of each single solve [2]")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "INSTANCE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    time_limit = args.time_limit or (10.0 if args.quick else 60.0)
    SETTINGS.update(gap=args.gap, workers=args.workers)
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], time_limit, args.gap, args.workers)))
        return
    with tempfile.TemporaryDirectory(prefix="hubplan-bench-") as tmp:
        folder = Path(tmp)
        one = generate_instance(1, args.seed, mix={"secondary-development": 1})
        # Its target is a proof of optimality, so no gap: with one, the search stops at
        # the first plan within it, without cuts (`solve_model`), and proves nothing more.
        rows = [single("one secondary Work Group (gap 0)", one, folder / "one.yaml", time_limit, gap=0.0)[0]]
        hub = generate_instance(TYPICAL_WORK_GROUPS, args.seed)
        hub_row, optimised = single(
            f"typical hub ({TYPICAL_WORK_GROUPS} WGs)", hub, folder / "hub.yaml", time_limit
        )
        rows.append(hub_row)
        if not args.quick:
            rows.append(national(folder / "national", args.seed, time_limit, args.jobs))
        print(table(rows))
        print()
        print("\n".join(comparisons(folder / "hub.yaml", optimised, time_limit)))
    print(
        f"\n(seed {args.seed}; time limit {time_limit:g} deterministic s per model, gap {args.gap:g}, "
        f"{args.workers} workers per solve; seconds are wall clock)"
    )


if __name__ == "__main__":
    main()
