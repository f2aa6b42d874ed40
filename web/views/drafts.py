"""Plans, drafts and history: a hub's current plan and its drafts, a draft compared with the
current plan and applied, an earlier plan restored as a draft, and what each applied change
told whom (the messages to the people who moved, sent or downloaded)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.core.collector import collector_spared
from web import drafts, notify
from web.auth import COORDINATOR, VIEWER, Viewer, database
from web.db import utcnow
from web.hubs import instance_of
from web.moves import names, violation_json
from web.pages import render
from web.plans import current_plan, plan_of
from web.tables import HubVersion, PlanEvent, PlanRow, User
from web.views.hubs import hub_version
from web.views.planning import relaxations

router = APIRouter()


def _plan(db: Session, viewer: Viewer, plan_id: int, state: str | None = None) -> PlanRow:
    row = db.get(PlanRow, plan_id)
    if row is None or row.hub_id != viewer.hub.id or (state and row.state != state):
        raise HTTPException(404)
    return row


def _event(db: Session, viewer: Viewer, event_id: int) -> PlanEvent:
    event = db.get(PlanEvent, event_id)
    if event is None or event.hub_id != viewer.hub.id:
        raise HTTPException(404)
    return event


def _who(db: Session, user_id: int | None) -> str:
    user = db.get(User, user_id) if user_id else None
    return user.email if user else "the planner"


@router.get("/hubs/{slug}/plans")
def plans(request: Request, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    hub = viewer.hub
    earlier = list(
        db.scalars(
            select(PlanRow)
            .where(
                PlanRow.hub_id == hub.id,
                PlanRow.state == "superseded",
                PlanRow.status.in_(("optimal", "feasible")),
            )
            .order_by(PlanRow.id.desc())
        )
    )
    events = drafts.history(db, hub)
    return render(
        request,
        viewer,
        "plans.html",
        title=f"{hub.name}: plans, drafts and history",
        current=current_plan(db, hub),
        drafts=drafts.drafts(db, hub),
        earlier=earlier,
        events=events,
        who={e.id: _who(db, e.user_id) for e in events},
        makers={r.id: _who(db, r.created_by) for r in drafts.drafts(db, hub)},
    )


@router.get("/hubs/{slug}/drafts/{plan_id}")
def draft_page(
    request: Request, plan_id: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)
):
    row = _plan(db, viewer, plan_id, "draft")
    version = hub_version(db, viewer)
    current = current_plan(db, viewer.hub)
    today = request.app.state.settings.today()
    context = {"comparison": None, "violations": [], "seen": {}}
    if row.status in ("optimal", "feasible"):
        instance, problem = instance_of(version), drafts.problem_of(version)
        with collector_spared():
            checked = drafts.checked(row, version)
            context["comparison"] = drafts.compare(
                instance, problem, current, list(checked.sessions.values()), today
            )
        context["violations"] = [violation_json(v) for v in checked.violations]
        context["seen"] = {str(r.id): r.version for r in (row, current) if r is not None}
        context["names"] = names(instance)
    return render(
        request,
        viewer,
        "draft.html",
        title=f"{viewer.hub.name}: draft {row.id}",
        row=row,
        version=version,
        plan_version=db.get(HubVersion, row.version_id),
        current=current,
        maker=_who(db, row.created_by),
        sessions=len(plan_of(row).sessions),
        offered=relaxations(db, row) if row.explanation else [],
        relax_plan_id=row.id,
        **context,
    )


@router.post("/hubs/{slug}/drafts/{plan_id}/apply")
def apply(
    request: Request,
    plan_id: int,
    seen: str = Form("{}"),
    anyway: str = Form(""),
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """Make the draft the current plan, as the person saw it and the current plan then."""
    row = _plan(db, viewer, plan_id, "draft")
    version = hub_version(db, viewer)
    try:
        looked = {int(k): int(v) for k, v in json.loads(seen).items()}
    except (ValueError, TypeError, AttributeError):
        raise HTTPException(
            400, "The page sent what you saw in a form the server cannot read; reload it."
        ) from None
    with collector_spared():
        broken = drafts.checked(row, version).violations
    if broken and anyway != "yes":
        raise HTTPException(
            409, f"This draft breaks {len(broken)} rule(s); tick the box to apply it all the same."
        )
    today = request.app.state.settings.today()
    try:
        with collector_spared():  # the plan becomes the hub's plan as the hub is now (`version`)
            event = drafts.apply(db, viewer.hub, row, viewer.user, today, looked, version)
        db.commit()
    except drafts.DraftError as exc:
        db.rollback()
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/history/{event.id}", status_code=303)


@router.post("/hubs/{slug}/drafts/{plan_id}/discard")
def discard(plan_id: int, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)):
    row = _plan(db, viewer, plan_id, "draft")
    db.delete(row)
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/plans", status_code=303)


@router.post("/hubs/{slug}/plans/{plan_id}/restore")
def restore(plan_id: int, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)):
    row = _plan(db, viewer, plan_id)
    try:
        new = drafts.restore(db, viewer.hub, row, viewer.user)
    except drafts.DraftError as exc:
        raise HTTPException(409, str(exc)) from None
    db.commit()
    return RedirectResponse(f"/hubs/{viewer.hub.slug}/drafts/{new.id}", status_code=303)


# -- what an applied change told whom -------------------------------------------------------------


def _messages(request: Request, db: Session, viewer: Viewer, event: PlanEvent) -> list[notify.Message]:
    row = db.get(PlanRow, event.plan_id)
    instance = instance_of(db.get(HubVersion, row.version_id))
    sender = request.app.state.settings.smtp_from or notify.NO_REPLY
    return notify.messages(instance, drafts.event_changes(event), viewer.hub.name, sender, event.at)


def _event_page(request: Request, viewer: Viewer, db: Session, event: PlanEvent, status: int = 200, **notes):
    row = db.get(PlanRow, event.plan_id)
    changes = drafts.event_changes(event) if event.action == "applied" else []
    found = _messages(request, db, viewer, event) if changes else []
    return render(
        request,
        viewer,
        "event.html",
        status_code=status,
        title=f"{viewer.hub.name}: {event.action} on {event.at:%d %b %Y %H:%M}",
        event=event,
        row=row,
        who=_who(db, event.user_id),
        changes=changes,
        messages=found,
        notified=json.loads(event.notified_json or "[]"),
        smtp=bool(request.app.state.settings.smtp_host),
        names=names(instance_of(db.get(HubVersion, row.version_id))) if row else {},
        error=notes.get("error", ""),
        message=notes.get("message", ""),
    )


@router.get("/hubs/{slug}/history/{event_id}")
def event_page(
    request: Request, event_id: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)
):
    return _event_page(request, viewer, db, _event(db, viewer, event_id))


@router.get("/hubs/{slug}/history/{event_id}/changes.csv")
def event_csv(event_id: int, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    event = _event(db, viewer, event_id)
    return Response(
        drafts.event_changes_csv(event),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="changes-{event.id}.csv"'},
    )


@router.get("/hubs/{slug}/history/{event_id}/messages.zip")
def event_messages(
    request: Request, event_id: int, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)
):
    event = _event(db, viewer, event_id)
    return Response(
        notify.eml_zip(_messages(request, db, viewer, event)),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{viewer.hub.slug}-messages-{event.id}.zip"'},
    )


@router.post("/hubs/{slug}/history/{event_id}/send")
def event_send(
    request: Request, event_id: int, viewer: Viewer = Depends(COORDINATOR), db: Session = Depends(database)
):
    event = _event(db, viewer, event_id)
    found = _messages(request, db, viewer, event)
    try:
        results = notify.send(request.app.state.settings, found)
    except notify.SendError as exc:
        return _event_page(request, viewer, db, event, 502, error=str(exc))
    at = utcnow().isoformat(timespec="seconds")
    event.notified_json = json.dumps(
        json.loads(event.notified_json or "[]") + [r | {"at": at} for r in results]
    )
    db.commit()
    sent = sum(1 for r in results if r["status"] == "sent")
    return _event_page(request, viewer, db, event, message=f"{sent} message(s) sent.")
