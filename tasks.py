#!/usr/bin/env python3
"""Set-up and everyday tasks with nothing but python3: `python3 tasks.py demo|test|bench|serve`.

Builds `.venv` on first use (and again when pyproject.toml changes), installs hubplan
with its test dependencies and both optional extras (Dask, CalDAV) into it, then runs the
task there.
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
    run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[test,dask,caldav]")
    STAMP.write_text(want)


# Debian packages the tests use: headless Chromium renders report.html and drives the
# workspace's browser tests (Playwright, never its own browser downloads); libical (through
# GObject introspection, with Debian's own python3) checks every calendar file; the
# workspace's tests start a PostgreSQL server of their own.
SYSTEM_PACKAGES = {
    "chromium": Path("/usr/bin/chromium"),
    "postgresql": Path("/usr/lib/postgresql"),
    "gir1.2-ical-3.0": Path("/usr/lib/x86_64-linux-gnu/girepository-1.0/ICal-3.0.typelib"),
    "python3-gi": Path("/usr/lib/python3/dist-packages/gi"),
}


def system_packages() -> None:
    """Install the Debian packages the tests need, where this machine can (root, apt-get)."""
    missing = [name for name, marker in SYSTEM_PACKAGES.items() if not _any_arch(marker).exists()]
    if not missing:
        return
    if os.name != "posix" or os.geteuid() != 0 or not Path("/usr/bin/apt-get").exists():
        print(
            f"note: tests that need {', '.join(missing)} will be skipped (install them with apt)", flush=True
        )
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
    ):
        print("+", " ".join(cmd), flush=True)
        if subprocess.call(cmd, env=env, stdout=subprocess.DEVNULL):
            print(
                f"note: could not install {', '.join(missing)}; tests that need them will be skipped",
                flush=True,
            )
            return


def _any_arch(marker: Path) -> Path:
    """The marker path, or the same file under this machine's multiarch folder."""
    if marker.exists() or "x86_64-linux-gnu" not in str(marker):
        return marker
    for lib in Path("/usr/lib").glob("*-linux-gnu"):
        alt = Path(str(marker).replace("x86_64-linux-gnu", lib.name))
        if alt.exists():
            return alt
    return marker


def demo() -> None:
    setup()
    out = f"out/{Path(HUB).stem}"
    run(BIN / "hubplan", "validate", HUB)
    run(BIN / "hubplan", "solve", HUB, "--out", out)
    run(BIN / "hubplan", "check", HUB, f"{out}/plan.json")
    print(f"\nOpen {out}/report.html; calendars are in {out}/calendars/.")


def test() -> None:
    setup()
    system_packages()
    run(PY, "-m", "pytest", "-q", *sys.argv[2:])


def bench() -> None:
    setup()
    run(PY, "benchmarks/bench_solve.py", *sys.argv[2:])


def serve() -> None:
    """The workspace on 127.0.0.1:8000: a new SQLite database (hubplan-workspace.db) gets the
    bundled hubs and a first admin, whose password is printed once."""
    setup()
    run(BIN / "hubplan", "serve", *sys.argv[2:])


TASKS = {"demo": demo, "test": test, "bench": bench, "serve": serve}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(TASKS)}}} [args]")
    TASKS[sys.argv[1]]()
