"""Stored plans: making a worker's result the hub's current plan, and reading a plan back.

A solved result becomes the `current` plan in one transaction, with every file it wrote;
the plan it replaces becomes `superseded`. A result planned against a plan that is no
longer current (another run finished first) is kept as a `draft`, never shown as current:
its calendar labels continue a plan the feeds no longer serve. An infeasible result is a
`draft` that carries the explanation.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scheduler.core.plan import SOLVED, Plan
from scheduler.core.plan import Session as Meeting
from web.db import utcnow
from web.feeds import farewell_files
from web.hubs import instance_of
from web.tables import Hub, HubVersion, Job, PlanFile, PlanRow


def etag(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


def current_plan(db: Session, hub: Hub) -> PlanRow | None:
    return db.scalar(select(PlanRow).where(PlanRow.hub_id == hub.id, PlanRow.state == "current"))


def latest_job(db: Session, hub: Hub) -> Job | None:
    return db.scalar(select(Job).where(Job.hub_id == hub.id).order_by(Job.id.desc()).limit(1))


def store_result(db: Session, job: Job, result, today: dt.date | None = None) -> str:
    """Store a worker's `Result` for `job`; returns one line saying what happened."""
    if result.status not in (*SOLVED, "infeasible"):
        return result.message or f"no plan ({result.status})"
    hub = db.get(Hub, job.hub_id)
    current = current_plan(db, hub)
    solved = result.status in SOLVED
    stale = current is not None and current.id != job.previous_plan_id
    # "Re-plan from here" gives a draft for a person to look at; "Plan the year", the plan.
    wanted = job.kind != "replan"
    row = PlanRow(
        hub_id=hub.id,
        version_id=job.version_id,
        job_id=job.id,
        state="draft",
        status=result.status,
        plan_json=result.files["plan.json"].decode(),
        explanation=(result.files.get("explanation.txt") or b"").decode() or None,
        summary="\n".join(result.summary),
        label=result.label,
        based_on_id=job.previous_plan_id,
        created_by=job.created_by,
        created_at=utcnow(),
    )
    if solved and wanted and not stale:
        make_current(db, hub, row, result.files, today or dt.date.today())
    else:
        db.add(row)
        db.flush()
        add_files(db, row, {path: (content, None) for path, content in result.files.items()})
    job.plan_id = row.id
    if not solved:
        return "no plan satisfies every rule; see the explanation"
    if not wanted:
        return f"{result.status}: a draft of {len(plan_of(row).sessions)} sessions to look at and apply"
    if stale:
        return "planned, but another run changed the plan meanwhile; kept as a draft"
    return f"{result.status}: {len(plan_of(row).sessions)} sessions"


def make_current(db: Session, hub: Hub, row: PlanRow, files: dict[str, bytes], today: dt.date) -> None:
    """Make `row` the hub's current plan, with its files and, for subjects the new plan's
    version no longer has, farewell feeds; the plan it replaces is superseded (both rows are
    checked against their version counters when flushed)."""
    current = current_plan(db, hub)
    if current is not None and current.id != row.id:
        current.state = "superseded"
        db.flush()
    row.state = "current"
    db.add(row)  # a new row, or a draft made current
    db.flush()
    db.execute(delete(PlanFile).where(PlanFile.plan_id == row.id))  # a draft's files, made anew
    stored = {path: (content, None) for path, content in files.items()}
    if current is not None and current.id != row.id:
        old = (instance_of(db.get(HubVersion, current.version_id)), plan_of(current))
        new = instance_of(db.get(HubVersion, row.version_id))
        stored.update(farewell_files(db, current, old, new, today))
    add_files(db, row, stored)


def add_files(db: Session, row: PlanRow, files: dict[str, tuple[bytes, dt.date | None]]) -> None:
    db.add_all(
        PlanFile(plan_id=row.id, path=path, content=content, etag=etag(content), expires=expires)
        for path, (content, expires) in files.items()
    )


def session_of(d: dict) -> Meeting:
    """A session of plan.json, as `Session.as_dict` wrote it."""
    return Meeting(
        date=dt.date.fromisoformat(d["date"]),
        slot=d["slot"],
        work_group=d["work_group"],
        kind=d["kind"],
        school=d.get("school"),
        venue=d.get("venue") or "",
        specialist=d.get("specialist") or "",
        teachers=tuple(d.get("teachers") or ()),
        id=d.get("id") or "",
        sequence=int(d.get("sequence") or 0),
        modified=d.get("modified"),
    )


@functools.lru_cache(maxsize=32)
def _plan(plan_id: int, text: str) -> Plan:
    doc = json.loads(text)
    return Plan(
        instance=doc.get("instance", ""),
        status=doc.get("status", "unknown"),
        sessions=[session_of(s) for s in doc.get("sessions", [])],
        objective=doc.get("objective"),
        best_bound=doc.get("best_bound"),
        solve_seconds=doc.get("solve_seconds") or 0.0,
        objective_terms=doc.get("objective_terms") or {},
        notes=doc.get("notes") or [],
        cancelled=[session_of(s) for s in doc.get("cancelled", [])],
        stats=doc.get("stats") or {},
    )


def plan_of(row: PlanRow) -> Plan:
    """The stored plan as the engine's Plan (read once per plan and process)."""
    return _plan(row.id, row.plan_json)


def plan_file(db: Session, row: PlanRow, path: str) -> PlanFile | None:
    return db.get(PlanFile, (row.id, path))


def file_paths(db: Session, row: PlanRow) -> list[str]:
    return list(db.scalars(select(PlanFile.path).where(PlanFile.plan_id == row.id).order_by(PlanFile.path)))
