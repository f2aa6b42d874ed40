"""Outputs of `hubplan solve`: plan.json, plan.csv, calendars, costs.csv, report.html.

Every file is rendered to bytes first, then the whole set is written to a temporary folder
and moved into place, so a failed or interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from models.instance import Instance

from .costs import cost_lines, costs_csv, missing_locations
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


def render_outputs(instance: Instance, plan: Plan, explanation: str | None = None) -> dict[str, bytes]:
    """Every output file of a solve, by relative path."""
    files: dict[str, bytes] = {"plan.json": plan_json(plan), "plan.csv": plan_csv(plan)}
    lines = cost_lines(instance, plan)
    files["costs.csv"] = costs_csv(lines)
    files.update(calendar_files(instance, plan))
    notes = list(plan.notes) + missing_locations(instance, plan)
    files["report.html"] = report_html(instance, plan, lines, notes, explanation)
    if explanation is not None:
        files["explanation.txt"] = explanation.encode()
    return files


class OutputFolderError(Exception):
    """The --out folder holds something that is not an earlier hubplan output."""


def writable_output(out_dir: str | Path) -> Path:
    """`out_dir` if hubplan may fill or replace it, else OutputFolderError."""
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputFolderError(f"--out {out_dir}: is a file; name a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "plan.json").is_file():
        raise OutputFolderError(
            f"--out {out_dir}: the folder holds other files, and hubplan replaces its output folder "
            "whole; name a new or empty folder"
        )
    return out


def write_atomically(out_dir: str | Path, files: dict[str, bytes]) -> None:
    """Write all files to a fresh folder beside `out_dir`, then swap it into place."""
    out = writable_output(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for rel, data in sorted(files.items()):
            target = (tmp / rel).resolve()
            if tmp not in target.parents:
                raise ValueError(f"refusing to write outside the output folder: {rel}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "previous")
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
