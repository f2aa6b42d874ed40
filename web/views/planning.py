"""Planning the year: start a run, watch its progress live, cancel it."""

from __future__ import annotations

import asyncio
import json
import time

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy.orm import Session

from web.auth import COORDINATOR, VIEWER, Viewer, database
from web.hubedits import offered
from web.jobs import JobError
from web.pages import render
from web.plans import plan_file
from web.tables import JOB_ENDED, HubVersion, Job, PlanRow
from web.views.hubs import hub_version

router = APIRouter()
STREAM_POLL = 0.25  # seconds between looks at the job row
STREAM_MAX = 600.0  # an event stream ends after this long; the browser reconnects


def _job(db: Session, viewer: Viewer, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None or job.hub_id != viewer.hub.id:
        raise HTTPException(404)
    return job


@router.post("/hubs/{slug}/plan")
def plan_the_year(request: Request, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)):
    version = hub_version(db, viewer)
    try:
        job = request.app.state.runner.start(db, viewer.hub, version, viewer.user)
    except JobError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/jobs/{job.id}", status_code=303)


@router.get("/hubs/{slug}/jobs/{job_id}")
def job_page(
    request: Request, job_id: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)
):
    job = _job(db, viewer, job_id)
    plan_row = db.get(PlanRow, job.plan_id) if job.plan_id else None
    offered = relaxations(db, plan_row) if plan_row is not None and plan_row.explanation else []
    return render(
        request,
        viewer,
        "job.html",
        title=f"{viewer.hub.name}: planning run {job.id}",
        job=job,
        version=db.get(HubVersion, job.version_id),
        progress=json.loads(job.progress_json) if job.progress_json else None,
        plan_row=plan_row,
        ended=job.state in JOB_ENDED,
        offered=offered,
        relax_plan_id=plan_row.id if plan_row else 0,
    )


def relaxations(db: Session, row: PlanRow) -> list[tuple[str, str]]:
    """The changes an explanation checked, offered as buttons (`web.hubedits.offered`)."""
    found = plan_file(db, row, "relaxations.json")
    return offered({"relaxations.json": found.content} if found else {}, db.get(HubVersion, row.version_id))


def _state(sessions, job_id: int) -> tuple[str, str, str]:
    with sessions() as db:
        job = db.get(Job, job_id)
        return job.state, job.progress_json, job.message


@router.get("/hubs/{slug}/jobs/{job_id}/events")
async def job_events(
    request: Request, job_id: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)
):
    """Server-sent events: `progress` with each new Progress event, then one `end`, and the stream closes."""
    job = _job(db, viewer, job_id)
    db.close()  # the stream outlives the request's session; it reads with short ones of its own
    sessions, page = request.app.state.sessions, f"/hubs/{viewer.hub.slug}/jobs/{job.id}"

    async def events():
        sent, started = None, time.monotonic()
        yield "retry: 2000\n\n"
        while time.monotonic() - started < STREAM_MAX:
            state, progress, message = await asyncio.to_thread(_state, sessions, job_id)
            if progress and progress != sent:
                sent = progress
                yield f"event: progress\ndata: {progress}\n\n"
            if state in JOB_ENDED:
                yield f"event: end\ndata: {json.dumps({'state': state, 'message': message, 'url': page})}\n\n"
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(STREAM_POLL)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


@router.post("/hubs/{slug}/jobs/{job_id}/cancel")
def cancel(
    request: Request, job_id: int, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)
):
    job = _job(db, viewer, job_id)
    request.app.state.runner.cancel(db, job)
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/jobs/{job.id}", status_code=303)
