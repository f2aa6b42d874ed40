"""A hub's overview, its versions, and uploading a new version."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.load import InstanceError, load_instance
from web.auth import COORDINATOR, VIEWER, Viewer, database
from web.hubs import (
    UploadProblem,
    UploadRejected,
    add_version,
    bundled_instances,
    latest_version,
    read_upload,
    version_change_rows,
)
from web.pages import render
from web.plans import current_plan, latest_job, plan_of
from web.tables import HubVersion, PlanRow, User

router = APIRouter()
# Uploads read at once: each may hold a few hundred MiB while openpyxl reads a large workbook.
READING = threading.BoundedSemaphore(2)


@router.get("/hubs/{slug}")
def overview(request: Request, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    hub = viewer.hub
    versions = list(
        db.scalars(select(HubVersion).where(HubVersion.hub_id == hub.id).order_by(HubVersion.number.desc()))
    )
    plan_row = current_plan(db, hub)
    job = latest_job(db, hub)
    outcome = db.get(PlanRow, job.plan_id) if job and job.plan_id else None
    return render(
        request,
        viewer,
        "hub.html",
        title=hub.name,
        versions=versions,
        latest=versions[0] if versions else None,
        plan_row=plan_row,
        plan=plan_of(plan_row) if plan_row else None,
        plan_version=db.get(HubVersion, plan_row.version_id) if plan_row else None,
        job=job,
        outcome=outcome,
    )


@router.get("/hubs/{slug}/versions/{number}")
def version_page(
    request: Request, number: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)
):
    version = db.scalar(
        select(HubVersion).where(HubVersion.hub_id == viewer.hub.id, HubVersion.number == number)
    )
    if version is None:
        raise HTTPException(404)
    author = db.get(User, version.uploaded_by) if version.uploaded_by else None
    return render(
        request,
        viewer,
        "version.html",
        title=f"{viewer.hub.name}: version {number}",
        version=version,
        author=author,
        changes=version_change_rows(version),
    )


def _upload_page(request: Request, viewer: Viewer, status_code: int = 200, problems=(), filename: str = ""):
    settings = request.app.state.settings
    return render(
        request,
        viewer,
        "upload.html",
        status_code=status_code,
        title=f"{viewer.hub.name}: upload",
        problems=list(problems),
        filename=filename,
        bundled=sorted(bundled_instances(settings.bundled)),
        limit_mib=settings.max_upload_bytes // 2**20,
    )


@router.get("/hubs/{slug}/upload")
def upload_form(request: Request, viewer: Viewer = Depends(COORDINATOR)):
    return _upload_page(request, viewer)


@router.post("/hubs/{slug}/upload")
async def upload(
    request: Request,
    file: UploadFile | None = File(None),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """The body is bounded before it is read (the app's `max_body_size`); reading the file
    and storing it run in a worker thread, so the server goes on answering meanwhile. A body
    cut short before the file's end boundary arrives without the file."""
    if file is None:
        missing = UploadProblem(
            "", "no file arrived (none was chosen, or the upload was cut short); upload it again"
        )
        return _upload_page(request, viewer, 400, [missing], "The upload")
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    return await run_in_threadpool(_take_upload, request, viewer, db, file.filename or "", data, limit)


def _take_upload(request: Request, viewer: Viewer, db: Session, filename: str, data: bytes, limit: int):
    with READING:
        try:
            instance = read_upload(filename, data, limit)
        except UploadRejected as exc:
            return _upload_page(request, viewer, 400, exc.problems, filename)
    version = add_version(db, viewer.hub, instance, filename or "upload", viewer.user)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/versions/{version.number}", status_code=303)


@router.post("/hubs/{slug}/bundled")
def from_bundled(
    request: Request,
    example: str = Form(""),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    path = bundled_instances(request.app.state.settings.bundled).get(example)
    if path is None:
        raise HTTPException(404)
    try:
        instance = load_instance(path)
    except InstanceError as exc:  # a bundled file broken by hand
        return _upload_page(request, viewer, 400, [UploadProblem(w, m) for w, m in exc.problems], path.name)
    version = add_version(db, viewer.hub, instance, path.name, viewer.user)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/versions/{version.number}", status_code=303)


def hub_version(db: Session, viewer: Viewer) -> HubVersion:
    version = latest_version(db, viewer.hub)
    if version is None:
        raise HTTPException(409, "This hub has no data yet; upload its workbook first.")
    return version
