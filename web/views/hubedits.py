"""Changing the hub in the browser, what the change breaks in the current plan, and a checked
relaxation applied with one button (a new version, planned again)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.edits import edits_from_json
from models.problems import InstanceError
from scheduler.core.collector import collector_spared
from web import hubedits
from web.auth import COORDINATOR, VIEWER, Viewer, database
from web.hubs import instance_of, version_change_rows
from web.jobs import JobError
from web.locking import Conflict, Seen
from web.moves import names, when
from web.pages import render
from web.plans import current_plan
from web.tables import HubVersion, PlanFile, PlanRow
from web.views.hubs import hub_version

router = APIRouter()


def _edit_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    school: str = "",
    person: str = "",
    status: int = 200,
    problems=(),
    again: tuple[list[tuple[str, str]], str] | None = None,
):
    version = hub_version(db, viewer)
    instance = instance_of(version)
    return render(
        request,
        viewer,
        "hubedit.html",
        status_code=status,
        title=f"{viewer.hub.name}: change the hub",
        version=version,
        schools=[(s.id, s.name) for s in instance.schools],
        people=[(p.id, p.name, "specialist") for p in instance.specialists]
        + [(p.id, p.name, "teacher") for p in instance.teachers],
        work_groups=[(w.id, w.name or w.id, w.from_, w.to) for w in instance.work_groups],
        school=school,
        person=person,
        entries=hubedits.entries(instance, school, person),
        problems=list(problems),
        weekdays=("mon", "tue", "wed", "thu", "fri"),
        again=again[0] if again else None,
        again_text=again[1] if again else "",
    )


@router.get("/hubs/{slug}/edit")
def edit_page(
    request: Request,
    school: str = "",
    person: str = "",
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    return _edit_page(request, viewer, db, school, person)


@router.post("/hubs/{slug}/edit")
async def edit(request: Request, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)):
    form = await request.form()
    fields = {k: form.get(k) for k in form.keys() if k != "days"} | {"days": form.getlist("days")}
    school, person = str(fields.get("school") or ""), str(fields.get("person") or "")
    try:
        change = hubedits.form_edit(str(fields.get("op") or ""), fields)
        version = hubedits.make(db, viewer.hub, [change], viewer.user, Seen.of(form.get("hub_version")))
    except hubedits.EditRejected as exc:
        db.rollback()
        return _edit_page(request, viewer, db, school, person, 400, exc.problems)
    except Conflict as conflict:
        # Nothing of theirs is lost: the same change, offered again on the newer version
        # (but a removal, which names an entry by its place in a list that may have changed).
        db.rollback()
        again = None
        if not change.op.startswith("remove_"):
            kept = [(k, str(v)) for k, v in form.multi_items() if k not in ("csrf", "hub_version")]
            again = (kept, hubedits.describe(change))
        return _edit_page(request, viewer, db, school, person, 409, [("", conflict.message)], again)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/versions/{version.number}/breaks", status_code=303)


@router.get("/hubs/{slug}/versions/{number}/breaks")
def breaks(request: Request, number: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    """What the version breaks in the current plan."""
    version = db.scalar(
        select(HubVersion).where(HubVersion.hub_id == viewer.hub.id, HubVersion.number == number)
    )
    if version is None:
        raise HTTPException(404)
    current = current_plan(db, viewer.hub)
    broken, violations = [], []
    if current is not None:
        with collector_spared():
            broken, violations = hubedits.breaks(current, version)
    newest = hub_version(db, viewer)
    return render(
        request,
        viewer,
        "breaks.html",
        title=f"{viewer.hub.name}: what version {number} breaks",
        version=version,
        newest=newest.id == version.id,
        changes=version_change_rows(version),
        current=current,
        broken=broken,
        violations=violations,
        names=names(instance_of(version)),
        when=when,
    )


@router.post("/hubs/{slug}/relax")
def relax(
    request: Request,
    edit: str = Form(""),
    plan_id: int = Form(0),
    hub_version: str = Form(""),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """Make a checked relaxation of an explanation (a new version), then plan again: from the
    plan the failed run re-planned, as that run did, or the year afresh if there was none."""
    try:
        changes = edits_from_json(edit)
    except InstanceError as exc:
        raise HTTPException(400, exc.problems[0][1]) from None
    source = db.get(PlanRow, plan_id) if plan_id else None
    offered = []
    if source is not None and source.hub_id == viewer.hub.id:
        files = {f.path: f.content for f in db.scalars(select(PlanFile).where(PlanFile.plan_id == source.id))}
        offered = [e for _, e in hubedits.offered(files, db.get(HubVersion, source.version_id))]
    if edit not in offered:  # only what an explanation checked, not whatever a form says
        raise HTTPException(
            400, "That change was not one the explanation offered; plan again and choose from it."
        )
    try:
        version = hubedits.make(db, viewer.hub, changes, viewer.user, Seen.of(hub_version))
    except hubedits.EditRejected as exc:
        db.rollback()
        raise HTTPException(400, "; ".join(m for _, m in exc.problems)) from None
    except Conflict as conflict:  # the explanation was of a version that is no longer the newest
        db.rollback()
        raise HTTPException(
            409, f"{conflict.message} Plan again to see what the newest version needs."
        ) from None
    db.commit()
    previous = db.get(PlanRow, source.based_on_id) if source.based_on_id else None
    try:
        job = request.app.state.runner.start(db, viewer.hub, version, viewer.user, previous=previous)
    except JobError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/jobs/{job.id}", status_code=303)
