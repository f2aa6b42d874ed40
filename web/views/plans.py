"""The current plan, to look at: the year at a glance, a page per person, school and Work
Group (with its calendar subscription), the costs, and every file `hubplan solve` writes."""

from __future__ import annotations

import io
import zipfile

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from scheduler.outputs.costs import cost_lines
from web import feeds
from web.auth import COORDINATOR, VIEWER, Viewer, database
from web.hubs import instance_of
from web.pages import DOCUMENT_CSP, render
from web.plans import current_plan, file_paths, plan_file, plan_of
from web.tables import FEED_KINDS, HubVersion
from web.yearview import BY, KINDS, row_keys, session_title, year_view

router = APIRouter()
NOUN = {"specialists": "Specialist", "teachers": "Teacher", "schools": "School", "work-groups": "Work Group"}
MEDIA = {
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _current(db: Session, viewer: Viewer):
    row = current_plan(db, viewer.hub)
    if row is None:
        raise HTTPException(409, "This hub has no plan yet; plan the year first.")
    return row, instance_of(db.get(HubVersion, row.version_id)), plan_of(row)


@router.get("/hubs/{slug}/year")
def year(
    request: Request,
    by: str = "specialist",
    work_group: str = "",
    kind: str = "",
    viewer: Viewer = Depends(VIEWER),
    db: Session = Depends(database),
):
    row, instance, plan = _current(db, viewer)
    view = year_view(instance, plan, f"/hubs/{viewer.hub.slug}", by, work_group, kind)
    return render(
        request,
        viewer,
        "year.html",
        title=f"{viewer.hub.name}: the year at a glance",
        view=view,
        by_choices=BY,
        work_groups=[(w.id, w.name or w.id) for w in instance.work_groups],
        kinds=KINDS,
        chosen={"by": view.by, "work_group": work_group, "kind": kind},
        plan_row=row,
    )


def _subject_page(request: Request, viewer: Viewer, db: Session, kind: str, subject: str, token: str = ""):
    if kind not in FEED_KINDS:
        raise HTTPException(404)
    row, instance, plan = _current(db, viewer)
    name = feeds.subjects(instance)[kind].get(subject)
    if name is None:
        raise HTTPException(404)
    names = {x.id: x.name for x in [*instance.schools, *instance.specialists, *instance.teachers]}
    names |= {w.id: w.name or w.id for w in instance.work_groups}
    school_of = {t.id: t.school for t in instance.teachers}
    by = {"specialists": None, "teachers": None, "schools": "school", "work-groups": "work-group"}[kind]

    def mine(s) -> bool:
        return subject in s.attendees if by is None else subject in row_keys(s, by, school_of)

    sessions = [
        {
            "s": s,
            "title": session_title(s, names),
            "kind": KINDS.get(s.kind, ("?", s.kind)),
            "wg": names.get(s.work_group, s.work_group),
            "where": names.get(s.venue, s.venue),
            "leader": names.get(s.specialist, s.specialist),
            "teachers": [names.get(t, t) for t in s.teachers],
        }
        for s in sorted(plan.sessions)
        if mine(s)
    ]
    base = str(request.base_url).rstrip("/")
    url = f"{base}/feeds/{token}.ics" if token else ""
    return render(
        request,
        viewer,
        "subject.html",
        title=f"{name} ({NOUN[kind].lower()})",
        kind=kind,
        noun=NOUN[kind],
        subject=subject,
        name=name,
        sessions=sessions,
        days=sum(x["s"].days for x in sessions),
        token=feeds.live_token(db, viewer.hub.id, kind, subject),
        feed_url=url,
        webcal_url="webcal://" + url.split("://", 1)[1] if url else "",
    )


@router.get("/hubs/{slug}/costs")
def costs(request: Request, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    row, instance, plan = _current(db, viewer)
    names = {x.id: x.name for x in [*instance.schools, *instance.specialists, *instance.teachers]}
    wgs = {w.id: w.name or w.id for w in instance.work_groups}
    groups: dict[str, list] = {}
    for line in cost_lines(instance, plan):
        groups.setdefault(line.work_group, []).append(line)
    hub_lines = groups.pop("hub", [])
    return render(
        request,
        viewer,
        "costs.html",
        title=f"{viewer.hub.name}: costs",
        hub_lines=hub_lines,
        groups=[(wid, wgs.get(wid, wid), lines) for wid, lines in groups.items()],
        names=names,
    )


@router.get("/hubs/{slug}/files")
def files(request: Request, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    row, instance, plan = _current(db, viewer)
    paths = file_paths(db, row)
    return render(
        request,
        viewer,
        "files.html",
        title=f"{viewer.hub.name}: files",
        main_files=[p for p in paths if "/" not in p],
        calendars=len([p for p in paths if p.startswith("calendars/")]),
    )


@router.get("/hubs/{slug}/calendars.zip")
def calendars_zip(viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)):
    row, _, _ = _current(db, viewer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path in file_paths(db, row):
            if path.startswith("calendars/"):
                z.writestr(path, plan_file(db, row, path).content)
    name = f"{viewer.hub.slug}-calendars.zip"
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/hubs/{slug}/files/{path:path}")
def download(
    path: str, view: bool = False, viewer: Viewer = Depends(VIEWER), db: Session = Depends(database)
):
    row, _, _ = _current(db, viewer)
    found = plan_file(db, row, path)
    if found is None:
        raise HTTPException(404)
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    filename = path.rsplit("/", 1)[-1]
    disposition = "inline" if view and suffix == ".html" else f'attachment; filename="{filename}"'
    headers = {
        "Content-Disposition": disposition,
        "Content-Security-Policy": DOCUMENT_CSP,
        "ETag": f'"{found.etag}"',
    }
    return Response(found.content, media_type=MEDIA.get(suffix, "application/octet-stream"), headers=headers)


# Last: these paths would otherwise take /hubs/{slug}/files/… and the like.
@router.get("/hubs/{slug}/{kind}/{subject}")
def subject_page(
    request: Request,
    kind: str,
    subject: str,
    viewer: Viewer = Depends(VIEWER),
    db: Session = Depends(database),
):
    return _subject_page(request, viewer, db, kind, subject)


@router.post("/hubs/{slug}/{kind}/{subject}/feed")
def make_feed(
    request: Request,
    kind: str,
    subject: str,
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    """A new subscription link (renewing revokes the old one), shown once on the page it returns."""
    _subject_page(request, viewer, db, kind, subject)  # 404 for a subject the plan does not have
    token = feeds.issue(db, viewer.hub.id, kind, subject)
    db.commit()
    return _subject_page(request, viewer, db, kind, subject, token)


@router.post("/hubs/{slug}/{kind}/{subject}/feed/revoke")
def revoke_feed(
    request: Request,
    kind: str,
    subject: str,
    viewer: Viewer = Depends(COORDINATOR),
    db: Session = Depends(database),
):
    if kind not in FEED_KINDS:
        raise HTTPException(404)
    feeds.revoke(db, viewer.hub.id, kind, subject)
    db.commit()
    return _subject_page(request, viewer, db, kind, subject)
