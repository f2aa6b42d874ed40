"""Outputs of `hubplan solve`: plan.json, plan.csv, calendars, costs.csv, report.html.

Every file is rendered to bytes first, then the whole set is written to a temporary folder
and moved into place, so a failed or interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import csv
import io
import json

from models.instance import Instance
from models.text import safe_cell
from scheduler.core.plan import Plan
from scheduler.outputs.costs import cost_lines, costs_csv, missing_locations
from scheduler.outputs.costs_xlsx import costs_xlsx
from scheduler.outputs.ics import calendar_files
from scheduler.outputs.report import report_html

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
    instance: Instance,
    plan: Plan,
    explanation: str | None = None,
    *,
    replan=None,
    changes=None,
    plan_only: bool = False,
) -> dict[str, bytes]:
    """Every output file of a solve, by relative path; with `plan_only`, just plan.json,
    changes.csv and explanation.txt (a draft in the workspace, whose calendars, costs and
    report are made when it is applied)."""
    if plan_only:
        files = {"plan.json": plan_json(plan)}
        if changes is not None:
            from scheduler.services.replan import changes_csv

            files["changes.csv"] = changes_csv(changes)
        if explanation is not None:
            files["explanation.txt"] = explanation.encode()
        return files
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
        from scheduler.services.replan import changes_csv

        files["changes.csv"] = changes_csv(changes)
    notes = list(plan.notes) + missing_locations(instance, plan)
    files["report.html"] = report_html(instance, plan, lines, notes, explanation)
    if explanation is not None:
        files["explanation.txt"] = explanation.encode()
    return files
