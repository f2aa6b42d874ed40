"""manifest.json: what made an output folder, enough to make the same plan again byte for byte.

A solve is deterministic (one worker or interleaved workers, a fixed seed, CP-SAT's
deterministic time limit, a model built in a stable order): the same input, options and
versions give the same files. The manifest records each of those, and the SHA-256 of every
other file written so that a re-run can be compared, and nothing that differs between two
identical runs: no clock, no output path, only the input's file name. So it is itself
byte-identical across identical runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import platform
import shlex
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.core.plan import Plan

if TYPE_CHECKING:
    from scheduler.core.solve import SolveOptions

# Libraries whose version can change the bytes of an output: the solver, the parsers, the
# calendar writer and the bank holidays.
PACKAGES = ("ortools", "pydantic", "PyYAML", "icalendar", "holidays")
# SolveOptions that change nothing in the files: how much is printed.
UNRECORDED = frozenset({"log", "progress", "on_progress"})
_CHUNK = 1 << 20


def package_version(name: str) -> str:
    """The installed version of a distribution, or 'unknown' (e.g. a checkout not installed)."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def input_sha256(path: str | Path) -> str:
    """SHA-256 of an instance file; for a folder of CSVs, of each file's relative path and
    SHA-256 in sorted order, so that renaming or editing any of them changes it."""
    path = Path(path)
    if not path.is_dir():
        return _file_sha256(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{item.relative_to(path).as_posix()}\0{_file_sha256(item)}\n".encode())
    return digest.hexdigest()


def recorded_options(options: SolveOptions) -> dict[str, Any]:
    """Every SolveOptions field that can change an output (seed, workers, time_limit,
    decompose, …), in the dataclass's order, so an option added later is recorded too."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options) if f.name not in UNRECORDED}


def reproduce_command(
    source: str | Path, options: SolveOptions, previous: str | Path | None, today: dt.date | None
) -> str:
    """The `hubplan solve` command line that makes these outputs again (OUT: any folder)."""
    words = ["hubplan", "solve", Path(source).name, "--out", "OUT"]
    words += ["--seed", str(options.seed), "--workers", str(options.workers)]
    words += [
        "--time-limit",
        f"{options.time_limit:g}",
        "--gap",
        f"{options.gap:g}",
    ]  # 0 too: not the default
    if previous is not None:
        words += ["--previous", Path(previous).name]
    if today is not None:
        words += ["--today", today.isoformat()]
    return shlex.join(words)


def manifest(
    source: str | Path,
    options: SolveOptions,
    plan: Plan,
    files: Mapping[str, bytes],
    previous: str | Path | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The manifest of one solve (`files`: every other output). `command` is the CLI line;
    an option it has no flag for is still in `options`."""
    return {
        "input": Path(source).name,
        "input_sha256": input_sha256(source),
        "previous": None if previous is None else Path(previous).name,
        "previous_sha256": None if previous is None else input_sha256(previous),
        "today": None if today is None else today.isoformat(),
        "hubplan": package_version("hubplan"),
        "ortools": package_version("ortools"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: package_version(name) for name in PACKAGES},
        "options": recorded_options(options),
        "status": plan.status,
        "objective": plan.objective,
        "command": reproduce_command(source, options, previous, today),
        "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }


def manifest_json(doc: Mapping[str, Any]) -> bytes:
    """A manifest as the bytes of manifest.json, keys in the order `manifest` gives them."""
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
