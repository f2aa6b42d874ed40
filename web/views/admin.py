"""The admin's page: hubs and accounts, and who holds which role in which hub."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.auth import ADMIN, AccountError, Viewer, add_user, database, grant
from web.hubs import add_hub
from web.pages import render
from web.tables import Hub, Role, User

router = APIRouter()


def _page(request: Request, viewer: Viewer, db: Session, status_code: int = 200, **notes):
    users = list(db.scalars(select(User).order_by(User.email)))
    hubs = list(db.scalars(select(Hub).order_by(Hub.name)))
    roles = db.execute(select(Role.user_id, Hub.name, Role.role).join(Hub, Hub.id == Role.hub_id)).all()
    held: dict[int, list[str]] = {}
    for uid, hub, role in sorted(roles, key=lambda r: r[1]):
        held.setdefault(uid, []).append(f"{role} of {hub}")
    context = {"error": "", "message": "", **notes}
    return render(
        request,
        viewer,
        "admin.html",
        status_code=status_code,
        title="Hubs and accounts",
        users=users,
        hubs=hubs,
        held=held,
        **context,
    )


@router.get("/admin")
def admin_page(request: Request, viewer: Viewer = Depends(ADMIN), db: Session = Depends(database)):
    return _page(request, viewer, db)


@router.post("/admin/hubs")
def new_hub(
    request: Request,
    slug: str = Form(""),
    name: str = Form(""),
    viewer: Viewer = Depends(ADMIN),
    db: Session = Depends(database),
):
    try:
        hub = add_hub(db, slug, name)
    except ValueError as exc:
        db.rollback()
        return _page(request, viewer, db, 400, error=str(exc))
    db.commit()
    return _page(request, viewer, db, message=f"Hub {hub.name} created.")


@router.post("/admin/users")
def new_user(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    role: str = Form("viewer"),
    hub: str = Form(""),
    viewer: Viewer = Depends(ADMIN),
    db: Session = Depends(database),
):
    target = db.scalar(select(Hub).where(Hub.slug == hub)) if hub else None
    try:
        if hub and target is None:
            raise AccountError(f"there is no hub '{hub}'")
        user = add_user(db, email, password, role, target)
    except AccountError as exc:
        db.rollback()
        return _page(request, viewer, db, 400, error=str(exc))
    db.commit()
    return _page(request, viewer, db, message=f"Account {user.email} created.")


@router.post("/admin/roles")
def new_role(
    request: Request,
    email: str = Form(""),
    role: str = Form("viewer"),
    hub: str = Form(""),
    viewer: Viewer = Depends(ADMIN),
    db: Session = Depends(database),
):
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    target = db.scalar(select(Hub).where(Hub.slug == hub))
    try:
        if user is None or target is None:
            raise AccountError("choose an existing account and hub")
        grant(db, user, target, role)
    except AccountError as exc:
        db.rollback()
        return _page(request, viewer, db, 400, error=str(exc))
    db.commit()
    return _page(request, viewer, db, message=f"{user.email} is now {role} of {target.name}.")
