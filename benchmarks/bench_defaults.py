"""What a coordinator waits for, with the options a new user gives (none), against issue 15's targets.

In one run, each through the `hubplan` command line as a user types it (wall clock, load,
imports and writing every file included):

- the typical hub (`hubplan generate -n 43 --seed 1`): `hubplan solve hub.yaml --out OUT`,
  its wall time and the gap it is proven within;
- the same hub with `--gap 0`: the time to a proof of optimality;
- the nation (`hubplan generate -n 43 --hubs 40`): `hubplan batch`, with the default local
  process pool and then with Dask (`--executor dask`, a `LocalCluster` of 2 worker processes
  of one thread each, started here), on the same 40 files; every plan's hard-rule violations
  as `hubplan check` counts them (the summary's `violations`).

Each line says its target, the machine (cores, memory) and the load average before and
after: wall clock on a busy machine is no measure (docs/benchmarks.md).

Usage: python benchmarks/bench_defaults.py [--quick] [--seed N] [--repeat N]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, str(ROOT / "cli.py")]
TARGETS = {  # seconds on 2 cores (issue 15)
    "hub": 10.0,
    "proof": 60.0,
    "nation": 120.0,
}


def hubplan(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    """Run `hubplan ARGS` from the checkout, as a user would: (wall seconds, the process)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # Dask's worker processes import hubplan too
    started = time.perf_counter()
    proc = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"hubplan {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return seconds, proc


def sizes(path: Path) -> dict[str, int]:
    """Work Groups, schools and people of an instance file."""
    import yaml

    data = yaml.safe_load(path.read_text())
    return {
        "WGs": len(data["work_groups"]),
        "schools": len(data["schools"]),
        "people": len(data["specialists"]) + len(data["teachers"]),
    }


def solve(hub: Path, out: Path, *options: str) -> dict[str, Any]:
    seconds, proc = hubplan("solve", str(hub), "--out", str(out), *options)
    plan = json.loads((out / "plan.json").read_text())
    return {
        "seconds": seconds,
        "status": plan["status"],
        "gap": plan["gap"],
        "sessions": len(plan["sessions"]),
        "variables": plan["stats"]["variables"],
        "summary": proc.stdout.splitlines()[0],
    }


def batch(hubs: Path, out: Path, *options: str) -> dict[str, Any]:
    seconds, _ = hubplan("batch", str(hubs), "--out", str(out), *options)
    with open(out / "summary.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    gaps = [float(r["gap"]) for r in rows if r["gap"]]
    return {
        "seconds": seconds,
        "planned": sum(1 for r in rows if r["status"] in ("optimal", "feasible")),
        "hubs": len(rows),
        "violations": sum(int(r["violations"] or 0) for r in rows),
        "worst gap": max(gaps) if gaps else None,
        "sessions": sum(int(r["sessions"] or 0) for r in rows),
    }


def dask_batch(hubs: Path, out: Path) -> dict[str, Any]:
    """The same batch on a local Dask cluster of 2 worker processes, one thread each."""
    from dask.distributed import LocalCluster

    os.environ["PYTHONPATH"] = str(ROOT)  # the worker processes import hubplan
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        return batch(hubs, out, "--executor", "dask", "--scheduler", cluster.scheduler_address)


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def verdict(seconds: float, target: float) -> str:
    return f"{'met' if seconds < target else 'NOT met'} (target < {target:g} s)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the typical hub only, no nation")
    ap.add_argument("--seed", type=int, default=1, help="of the typical hub [1, the issue's]")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each hub command; the median is shown")
    args = ap.parse_args()
    print(f"{dt.date.today()} · {machine()} · load average before: {load()}")
    with tempfile.TemporaryDirectory(prefix="hubplan-defaults-") as tmp:
        folder = Path(tmp)
        hub = folder / "hub.yaml"
        hubplan("generate", "-n", "43", "--seed", str(args.seed), "-o", str(hub))
        size = sizes(hub)
        runs = [solve(hub, folder / f"default-{i}") for i in range(args.repeat)]
        proofs = [solve(hub, folder / f"proof-{i}", "--gap", "0") for i in range(args.repeat)]
        default, proof = runs[0], proofs[0]
        seconds = statistics.median(r["seconds"] for r in runs)
        proof_seconds = statistics.median(r["seconds"] for r in proofs)
        print(
            f"\ntypical hub (generate -n 43 --seed {args.seed}): {size['WGs']} WGs, {size['schools']} schools, "
            f"{size['people']} people, {default['sessions']} sessions, {default['variables']:,} variables"
        )
        print(
            f"- hubplan solve hub.yaml --out OUT: {seconds:.1f} s, {default['status']}, gap {default['gap']:.2%}: "
            f"{verdict(seconds, TARGETS['hub'])}"
        )
        print(f"    it says: {default['summary']}")
        print(
            f"- hubplan solve hub.yaml --out OUT --gap 0: {proof_seconds:.1f} s, {proof['status']}: "
            f"{verdict(proof_seconds, TARGETS['proof']) if proof['status'] == 'optimal' else 'NOT proven'}"
        )
        if args.repeat > 1:
            times = lambda rs: ", ".join(f"{r['seconds']:.1f}" for r in rs)  # noqa: E731
            print(f"    runs: {times(runs)} s; proofs: {times(proofs)} s")
        if not args.quick:
            hubs = folder / "hubs"
            hubplan("generate", "-n", "43", "--hubs", "40", "-o", str(hubs))
            files = sorted(hubs.glob("*.yaml"))
            totals = [sum(x) for x in zip(*(sizes(f).values() for f in files))]
            print(
                f"\nnation (generate -n 43 --hubs 40): {len(files)} hubs, {totals[0]:,} WGs, "
                f"{totals[1]:,} schools, {totals[2]:,} people"
            )
            for label, result in (
                ("hubplan batch hubs --out OUT (process pool)", batch(hubs, folder / "pool")),
                (
                    "... --executor dask (LocalCluster, 2 workers x 1 thread)",
                    dask_batch(hubs, folder / "dask"),
                ),
            ):
                print(
                    f"- {label}: {result['seconds']:.1f} s, {result['planned']} of {result['hubs']} planned, "
                    f"{result['sessions']:,} sessions, worst gap {result['worst gap']:.2%}, "
                    f"{result['violations']} violations: {verdict(result['seconds'], TARGETS['nation'])}"
                )
    print(f"\nload average after: {load()} (wall clock is only a measure below ~0.5)")


if __name__ == "__main__":
    main()
