"""How long `hubplan explain` takes, and how long its answer is, on a hub of 43 Work Groups.

The hub is `hubplan generate -n 43 --seed 1` with, as a coordinator would meet them:

- `lead-and-school`: the TfM Lead unavailable the whole summer term, and the first school of
  the first Primary Development group blacked out the whole spring term (issue 14's target:
  under 5 s on 2 cores, one screen of about 40 lines);
- `between-groups`: a specialist who leads two Secondary Development groups capped at half a
  day a week: each group can be planned alone, not both (no target; earlier notes measured
  about 30 s for such a clash).

Each run is `python cli.py explain FILE` in a fresh process, as a user runs it (start-up,
loading and the explanation), timed by the wall clock; CPU is the child's user + system
time, which on a loaded machine says what the wall clock would be on a quiet one. Lines are
the text's lines; rows what they take on a terminal 100 columns wide.

Usage: python benchmarks/bench_explain.py [--runs N] [--show]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 5.0
TARGET_LINES = 40
WIDTH = 100


def item(doc: dict, section: str, ident: str) -> dict:
    return next(x for x in doc[section] if x["id"] == ident)


def lead_and_school(doc: dict) -> None:
    terms = {t["name"]: t for t in doc["calendar"]["terms"]}
    lead = item(doc, "specialists", doc["hub"]["tfm_lead"])
    summer = {"from": terms["summer"]["start"], "to": terms["summer"]["end"]}
    lead["unavailable"] = [*lead.get("unavailable", []), summer]
    primary = next(w for w in doc["work_groups"] if w["programme"] == "primary-development")
    school = item(doc, "schools", primary["schools"][0]["school"])
    spring = {"from": terms["spring"]["start"], "to": terms["spring"]["end"], "reason": "building works"}
    school["blackouts"] = [*school.get("blackouts", []), spring]


def between_groups(doc: dict) -> None:
    leads: dict[str, list[str]] = {}
    for w in doc["work_groups"]:
        if w["programme"] == "secondary-development":
            leads.setdefault(w["specialist"], []).append(w["id"])
    specialist = next(s for s, wgs in leads.items() if len(wgs) > 1)
    item(doc, "specialists", specialist)["max_days_per_week"] = 0.5


CASES = {"lead-and-school": lead_and_school, "between-groups": between_groups}


def hubplan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT
    )


def timed_explain(path: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, text) of one `explain` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = hubplan("explain", str(path))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 1:
        raise SystemExit(f"explain {path.name}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "?",
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.machine()}, Python {platform.python_version()}; load average {load}"


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return out.stdout.strip() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per case (the median is reported)")
    ap.add_argument("--show", action="store_true", help="print each explanation once")
    args = ap.parse_args()
    print(f"{dt.date.today()}, commit {commit()}; {machine()}")
    with tempfile.TemporaryDirectory(prefix="bench-explain-") as tmp:
        made = Path(tmp) / "gen43.yaml"
        proc = hubplan("generate", "-n", "43", "--seed", "1", "-o", str(made))
        if proc.returncode != 0:
            raise SystemExit(proc.stderr)
        rows = []
        for name, edit in CASES.items():
            doc = yaml.safe_load(made.read_text())
            edit(doc)
            path = Path(tmp) / f"{name}.yaml"
            path.write_text(yaml.safe_dump(doc, sort_keys=False))
            runs = [timed_explain(path) for _ in range(args.runs)]
            text = runs[0][2]
            if args.show:
                print(f"\n--- {name}\n{text}")
            lines = text.splitlines()
            screen = sum(max(1, -(-len(line) // WIDTH)) for line in lines)
            facts = sum(1 for line in lines if line.startswith("- "))
            walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
            rows.append(
                (
                    name,
                    facts,
                    len(lines),
                    screen,
                    statistics.median(walls),
                    min(walls),
                    statistics.median(cpus),
                )
            )
    print(
        f"\n| case | facts | lines | rows at {WIDTH} columns | wall s (median) | wall s (best) | CPU s (median) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, facts, lines, screen, wall, best, cpu in rows:
        print(f"| {name} | {facts} | {lines} | {screen} | {wall:.2f} | {best:.2f} | {cpu:.2f} |")
    name, _, lines, screen, wall, best, cpu = rows[0]
    print(
        f"\n{name}: {wall:.2f} s wall (median of {args.runs}; CPU {cpu:.2f} s) against {TARGET_SECONDS:g} s: "
        f"{'met' if wall < TARGET_SECONDS else 'NOT met'}; {screen} rows ({lines} lines) against "
        f"{TARGET_LINES}: {'met' if screen <= TARGET_LINES else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
