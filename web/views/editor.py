"""The plan editor: a Work Group's sessions date by date, where else each could go and why
not, moves checked again at once, and from there a saved draft, "find a fix" or "re-plan
from here". The page (`editor.html`, `static/editor.js`) keeps the person's moves until
they save; the JSON answers below are asked with every move and selection."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from scheduler.core.collector import collector_spared
from scheduler.services.fix import find_fixes
from web import drafts
from web.auth import COORDINATOR, Viewer, database
from web.hubs import instance_of
from web.jobs import JobError
from web.moves import (
    MoveError,
    check_json,
    names,
    read_edits,
    rows,
    session_json,
    violation_json,
    where_json,
)
from web.pages import render
from web.plans import current_plan
from web.tables import PlanRow
from web.views.hubs import hub_version

router = APIRouter()


class EditsBody(BaseModel):
    """What the page sends; read and checked by `web.moves.read_edits`, which says what is wrong."""

    moves: Any = []
    pins: Any = []
    session: str = ""


def editable(db: Session, viewer: Viewer, plan_id: int) -> PlanRow:
    """A plan of this hub with sessions: the current one or a draft."""
    row = db.get(PlanRow, plan_id)
    if row is None or row.hub_id != viewer.hub.id or row.state == "superseded":
        raise HTTPException(404)
    if row.status not in ("optimal", "feasible"):
        raise HTTPException(409, "This draft has no plan to edit (no plan satisfied every rule).")
    return row


def _today(request: Request):
    return request.app.state.settings.today()


def _draft_and_edits(request: Request, db: Session, viewer: Viewer, plan_id: int, moves, pins):
    """The plan, the hub's newest version, the plan checked against it, and the person's
    moves and pins read against it (MoveError says what is wrong with one)."""
    row = editable(db, viewer, plan_id)
    version = hub_version(db, viewer)
    base = drafts.checked(row, version)
    return row, version, base, read_edits(base, json.dumps(moves), json.dumps(pins), _today(request))


def _edits(request: Request, db: Session, viewer: Viewer, plan_id: int, moves: str, pins: str):
    """As `_draft_and_edits`, for a form: a refused move is an error page."""
    try:
        return _draft_and_edits(request, db, viewer, plan_id, *_parsed(moves, pins))
    except MoveError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/hubs/{slug}/plans/{plan_id}/edit")
def editor(
    request: Request,
    plan_id: int,
    wg: str = "",
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    row = editable(db, viewer, plan_id)
    version = hub_version(db, viewer)
    instance = instance_of(version)
    with collector_spared():
        draft = drafts.checked(row, version)
    work_groups = [(w.id, w.name or w.id) for w in instance.work_groups]
    if wg not in draft.problem.work_groups:
        wg = work_groups[0][0] if work_groups else ""
    today = _today(request)
    slots, table = rows(draft, instance, wg, today) if wg else ([], [])
    return render(
        request,
        viewer,
        "editor.html",
        title=f"{viewer.hub.name}: edit the plan",
        row=row,
        version=version,
        work_groups=work_groups,
        wg=wg,
        slots=slots,
        rows=table,
        violations=[violation_json(v) for v in draft.violations],
        today=today,
        is_current=row.id == getattr(current_plan(db, viewer.hub), "id", None),
    )


@router.post("/hubs/{slug}/plans/{plan_id}/check")
def check(
    request: Request,
    plan_id: int,
    body: EditsBody,
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """Every rule, checked again with the moves made: each violation with its sessions."""
    return _answer(request, db, viewer, plan_id, body, lambda draft, _: check_json(draft))


@router.post("/hubs/{slug}/plans/{plan_id}/where")
def where(
    request: Request,
    plan_id: int,
    body: EditsBody,
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """Every date and slot of a session's window: allowed or not, why not, and the cost."""
    today = _today(request)
    return _answer(
        request,
        db,
        viewer,
        plan_id,
        body,
        lambda draft, instance: where_json(draft, instance, body.session, today),
    )


def _answer(
    request: Request, db: Session, viewer: Viewer, plan_id: int, body: EditsBody, respond
) -> JSONResponse:
    """`respond(draft, instance)` for the plan with the page's moves made, as JSON; a move
    that cannot be made is said to the page (which shows it)."""
    try:
        _, version, base, edits = _draft_and_edits(request, db, viewer, plan_id, body.moves, body.pins)
        with collector_spared():
            return JSONResponse(respond(base.moved(edits.moves), instance_of(version)))
    except MoveError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


@router.post("/hubs/{slug}/plans/{plan_id}/save")
def save(
    request: Request,
    plan_id: int,
    moves: str = Form("[]"),
    pins: str = Form("[]"),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """The plan with the moves made, as a new draft."""
    row, version, base, edits = _edits(request, db, viewer, plan_id, moves, pins)
    if not edits.moves:
        raise HTTPException(400, "Nothing was moved: there is nothing to save.")
    with collector_spared():
        draft = base.moved(edits.moves)
    label = f"{len({m.session for m in edits.moves})} session(s) moved by hand"
    new = drafts.new_draft(db, viewer.hub, version, list(draft.sessions.values()), label, viewer.user, row)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/drafts/{new.id}", status_code=303)


@router.post("/hubs/{slug}/plans/{plan_id}/fix")
def fix(
    request: Request,
    plan_id: int,
    session: str = Form(""),
    moves: str = Form("[]"),
    pins: str = Form("[]"),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """Find a fix for a session that breaks rules: each repair saved as a draft."""
    row, version, base, edits = _edits(request, db, viewer, plan_id, moves, pins)
    with collector_spared():
        draft = base.moved(edits.moves)
        if session not in draft.sessions:
            raise HTTPException(404)
        origin = {
            m.session: (base.sessions[m.session].date, base.sessions[m.session].slot) for m in edits.moves
        }
        found = find_fixes(draft, session, edits.held | {session}, origin, _today(request))
    instance = instance_of(version)
    target = session_json(draft.sessions[session], instance, False)
    saved = []
    for i, repair in enumerate(found.repairs, start=1):
        others = f"{repair.others} other session{'s' if repair.others != 1 else ''}"
        label = f"repair {i} of {len(found.repairs)} for {target['title']}: moves {others}"
        new = drafts.new_draft(
            db, viewer.hub, version, list(repair.draft.sessions.values()), label, viewer.user, row
        )
        saved.append((new, repair))
    db.commit()
    return render(
        request,
        viewer,
        "fixes.html",
        title=f"{viewer.hub.name}: fixes",
        row=row,
        target=target,
        found=found,
        saved=saved,
        before=[violation_json(v) for v in draft.violations if session in v.sessions],
        names=names(instance),
    )


@router.post("/hubs/{slug}/plans/{plan_id}/replan")
def replan(
    request: Request,
    plan_id: int,
    moves: str = Form("[]"),
    pins: str = Form("[]"),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """The minimal-change re-plan from today of the plan with the moves made, holding every
    session the person moved or pinned: a planning run whose result is a draft."""
    row, version, base, edits = _edits(request, db, viewer, plan_id, moves, pins)
    source = row
    if edits.moves:  # the moves become a draft first: the run re-plans from it
        with collector_spared():
            draft = base.moved(edits.moves)
        label = f"{len({m.session for m in edits.moves})} session(s) moved by hand, to re-plan from"
        source = drafts.new_draft(
            db, viewer.hub, version, list(draft.sessions.values()), label, viewer.user, row
        )
        db.commit()
    else:
        draft = base
    pinned = [
        {"work_group": s.work_group, "kind": s.kind, "date": s.date.isoformat(), "slot": s.slot}
        | ({"school": s.school} if s.school else {})
        for s in (draft.sessions[i] for i in sorted(edits.held))
    ]
    try:
        job = request.app.state.runner.start(
            db, viewer.hub, version, viewer.user, previous=source, pins=tuple(pinned)
        )
    except JobError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/jobs/{job.id}", status_code=303)


def _parsed(moves: str, pins: str):
    try:
        return json.loads(moves or "[]"), json.loads(pins or "[]")
    except json.JSONDecodeError:
        raise HTTPException(400, "The page sent moves that are not JSON; reload it.") from None
