#!/usr/bin/env python3
"""Set-up and everyday tasks with nothing but python3: `python3 tasks.py demo|test|bench`.

Builds `.venv` on first use (and again when pyproject.toml changes), installs hubplan
with its test dependencies into it, then runs the task there.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
HUB = "instances/north-east-hub-2026-27.yaml"


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code:
        sys.exit(code)


def setup() -> None:
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == want and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[test]")
    STAMP.write_text(want)


def demo() -> None:
    setup()
    out = f"out/{Path(HUB).stem}"
    run(BIN / "hubplan", "validate", HUB)
    run(BIN / "hubplan", "solve", HUB, "--out", out)
    run(BIN / "hubplan", "check", HUB, f"{out}/plan.json")
    print(f"\nOpen {out}/report.html; calendars are in {out}/calendars/.")


def test() -> None:
    setup()
    run(PY, "-m", "pytest", "-q", *sys.argv[2:])


def bench() -> None:
    setup()
    run(PY, "benchmarks/bench_solve.py", *sys.argv[2:])


TASKS = {"demo": demo, "test": test, "bench": bench}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} [args]")
    TASKS[sys.argv[1]]()
