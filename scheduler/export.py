"""Outputs of `hubplan solve`: plan.json, plan.csv, calendars, costs.csv, report.html.

Every file is rendered to bytes first, then the whole set is written to a temporary folder
and moved into place, so a failed or interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

from models.instance import Instance

from .costs import cost_lines, costs_csv, missing_locations
from .costs_xlsx import costs_xlsx
from .export_ics import calendar_files
from .plan import Plan
from .report import report_html
from .textsafe import safe_cell

PLAN_CSV_COLUMNS = (
    "id",
    "work_group",
    "kind",
    "date",
    "weekday",
    "slot",
    "venue",
    "school",
    "specialist",
    "teachers",
)


def plan_json(plan: Plan) -> bytes:
    doc = {
        "instance": plan.instance,
        "status": plan.status,
        "objective": plan.objective,
        "best_bound": plan.best_bound,
        "gap": None if plan.gap is None else round(plan.gap, 6),
        "solve_seconds": plan.solve_seconds,
        "objective_terms": plan.objective_terms,
        "stats": plan.stats,
        "notes": plan.notes,
        "sessions": [s.as_dict() for s in plan.sessions],
        "cancelled": [s.as_dict() for s in plan.cancelled],
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def plan_csv(plan: Plan) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLAN_CSV_COLUMNS)
    for s in plan.sessions:
        w.writerow(
            safe_cell(str(v))
            for v in (
                s.id,
                s.work_group,
                s.kind,
                s.date.isoformat(),
                s.date.strftime("%a").lower(),
                s.slot,
                s.venue,
                s.school or "",
                s.specialist,
                ";".join(s.teachers),
            )
        )
    return buf.getvalue().encode()


def render_outputs(
    instance: Instance, plan: Plan, explanation: str | None = None, *, replan=None, changes=None
) -> dict[str, bytes]:
    """Every output file of a solve, by relative path."""
    files: dict[str, bytes] = {"plan.json": plan_json(plan), "plan.csv": plan_csv(plan)}
    lines = cost_lines(instance, plan)
    files["costs.csv"] = costs_csv(lines)
    files["costs.xlsx"] = costs_xlsx(instance, lines)
    files.update(
        calendar_files(
            instance,
            plan,
            sequences={s.id: s.sequence for s in [*plan.sessions, *plan.cancelled]},
            cancelled=plan.cancelled,
            dtstamp=replan.stamp if replan is not None else None,
        )
    )
    if changes is not None:
        from .replan import changes_csv

        files["changes.csv"] = changes_csv(changes)
    notes = list(plan.notes) + missing_locations(instance, plan)
    files["report.html"] = report_html(instance, plan, lines, notes, explanation)
    if explanation is not None:
        files["explanation.txt"] = explanation.encode()
    return files


# Everything hubplan writes at the top of --out; other files there are never touched.
MANAGED = (
    "plan.json",
    "plan.csv",
    "costs.csv",
    "costs.xlsx",
    "report.html",
    "calendars",
    "explanation.txt",
    "changes.csv",
    "manifest.json",
)


class OutputFolderError(Exception):
    """--out names something hubplan cannot write into."""


def writable_output(out_dir: str | Path) -> Path:
    """`out_dir` resolved, or OutputFolderError if it is a file."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out_dir}: is a file; name a folder")
    return out


@contextlib.contextmanager
def _signals_deferred():
    """Hold Ctrl-C and SIGTERM for the few renames that swap outputs in, so a run is
    either wholly old or wholly new: handlers that only take note, and the first signal
    noted is raised again once the old handlers are back.

    Not a signal mask: a mask holds a signal for one thread only, and the solver and the
    BLAS pool leave other threads about, which take the signal for the whole process; its
    Python handler then runs in the main thread all the same. Handlers can be changed only
    from the main thread; elsewhere (a Dask worker thread) the swap goes unguarded."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, lambda signum, _: noted.append(signum)) for signum in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if noted:
            signal.raise_signal(noted[0])


STAGING_PREFIX = ".hubplan-"
# When this process started, near enough: a staging folder last changed before it was left
# by an earlier run, killed (SIGKILL, a power cut) before it could remove it.
PROCESS_STARTED = time.time()


def remove_stale_staging(out: Path, before: float = PROCESS_STARTED) -> None:
    """Remove the staging folders in `out` last changed before `before`."""
    for entry in out.glob(f"{STAGING_PREFIX}*"):
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink() and entry.stat().st_mtime < before:
                shutil.rmtree(entry)


def write_atomically(out_dir: str | Path, files: dict[str, bytes]) -> None:
    """Write every file to a staging folder inside `out_dir`, then swap hubplan's own
    entries (MANAGED) into place; stale ones (an old explanation.txt) go, and anything
    else in the folder is left alone. Signals are held during the swap; only SIGKILL can
    leave a `.hubplan-*` staging folder behind, and the next run into `out_dir` removes it."""
    out = writable_output(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out)
    stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
    try:
        for rel, data in sorted(files.items()):
            target = (stage / rel).resolve()
            if stage not in target.parents or Path(rel).parts[0] not in MANAGED:
                raise ValueError(f"refusing to write outside hubplan's outputs: {rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        old = stage / ".previous"
        old.mkdir()
        with _signals_deferred():
            for name in MANAGED:
                if (out / name).exists():
                    os.replace(out / name, old / name)
                if (stage / name).exists():
                    os.replace(stage / name, out / name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
