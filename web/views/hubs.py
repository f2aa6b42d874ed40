"""A hub's overview, its versions, and uploading a new version."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.instance import Instance
from models.load import InstanceError, load_instance
from models.yamlstyle import instance_yaml
from web.auth import COORDINATOR, VIEWER, Viewer, database
from web.diff import version_changes
from web.hubs import (
    UploadProblem,
    UploadRejected,
    add_version,
    bundled_instances,
    instance_from_yaml,
    instance_of,
    latest_version,
    read_upload,
    version_change_rows,
)
from web.locking import Conflict, Seen, held_upload, hold
from web.pages import render
from web.plans import current_plan, latest_job, plan_of
from web.tables import HeldUpload, HubVersion, PlanRow, User

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


def _upload_page(
    request: Request, viewer: Viewer, status_code: int = 200, problems=(), filename: str = "", conflict=None
):
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
        hub_version=viewer.hub.version,
        conflict=conflict,
    )


@router.get("/hubs/{slug}/upload")
def upload_form(request: Request, viewer: Viewer = Depends(COORDINATOR)):
    return _upload_page(request, viewer)


@router.post("/hubs/{slug}/upload")
async def upload(
    request: Request,
    file: UploadFile | None = File(None),
    hub_version: str = Form(""),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """The body is bounded before it is read (`web.upload_checks.BodyLimit`); reading the
    file and storing it run in a worker thread, so the server goes on answering meanwhile. A
    body cut short before the file's end boundary arrives without the file."""
    if file is None:
        missing = UploadProblem(
            "", "no file arrived (none was chosen, or the upload was cut short); upload it again"
        )
        return _upload_page(request, viewer, 400, [missing], "The upload")
    limit = request.app.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    seen = Seen.of(hub_version)
    return await run_in_threadpool(_take_upload, request, viewer, db, file.filename or "", data, limit, seen)


def _take_upload(
    request: Request, viewer: Viewer, db: Session, filename: str, data: bytes, limit: int, seen: Seen
):
    with READING:
        try:
            instance = read_upload(filename, data, limit)
        except UploadRejected as exc:
            return _upload_page(request, viewer, 400, exc.problems, filename)
    return _save(request, viewer, db, instance, filename or "upload", seen)


@router.post("/hubs/{slug}/bundled")
def from_bundled(
    request: Request,
    example: str = Form(""),
    hub_version: str = Form(""),
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
    return _save(request, viewer, db, instance, path.name, Seen.of(hub_version))


def _save(
    request: Request,
    viewer: Viewer,
    db: Session,
    instance: Instance,
    source_name: str,
    seen: Seen,
    held: HeldUpload | None = None,
):
    """The hub's next version, or, when someone saved one after `seen`, the upload held and
    shown against theirs (409), to be saved on top or discarded."""
    try:
        version = add_version(db, viewer.hub, instance, source_name, viewer.user, seen)
    except Conflict as conflict:
        db.rollback()
        if held is None:
            held = hold(
                db,
                viewer.hub,
                viewer.user,
                source_name,
                instance_yaml(instance, Path(source_name).name),
                seen,
            )
        else:
            held.seen = seen.version or 0
        db.commit()
        latest = latest_version(db, viewer.hub)
        shown = {
            "message": conflict.message,
            "held": held.id,
            "number": latest.number,
            "changes": [c.as_dict() for c in version_changes(instance_of(latest), instance)],
        }
        return _upload_page(request, viewer, 409, filename=source_name, conflict=shown)
    if held is not None:
        db.delete(held)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/versions/{version.number}", status_code=303)


@router.post("/hubs/{slug}/held/{held_id}/save")
def save_held(
    request: Request,
    held_id: int,
    hub_version: str = Form(""),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """A held upload saved on top of the version that overtook it (checked again: a third
    person may have saved meanwhile)."""
    held = held_upload(db, viewer.hub, viewer.user, held_id)
    if held is None:
        raise HTTPException(404)
    instance = instance_from_yaml(held.instance_yaml)
    return _save(request, viewer, db, instance, held.source_name, Seen.of(hub_version), held)


@router.post("/hubs/{slug}/held/{held_id}/discard")
def discard_held(
    request: Request, held_id: int, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)
):
    held = held_upload(db, viewer.hub, viewer.user, held_id)
    if held is None:
        raise HTTPException(404)
    db.delete(held)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/upload", status_code=303)


def hub_version(db: Session, viewer: Viewer) -> HubVersion:
    version = latest_version(db, viewer.hub)
    if version is None:
        raise HTTPException(409, "This hub has no data yet; upload its workbook first.")
    return version
