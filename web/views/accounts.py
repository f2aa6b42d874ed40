"""Signing in and out, the start page, one's own password, and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.auth import (
    PUBLIC,
    SIGNED_IN,
    Viewer,
    client_address,
    database,
    end_sessions,
    hash_password,
    password_problem,
    sign_in,
    sign_out,
    verify_password,
    visible_hubs,
)
from web.db import healthy, utcnow
from web.pages import render
from web.tables import User
from web.throttle import forget_failures, record_failure, throttled

router = APIRouter()
# Checked against when the e-mail is unknown, so that a wrong address takes as long as a wrong password.
_DUMMY_HASH = hash_password("not anyone's password")


def _safe_next(target: str) -> str:
    """Only a path of this site: never '//elsewhere' or 'https://…'."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/")
def start(
    request: Request, next: str = "/", viewer: Viewer = Depends(PUBLIC), db: Session = Depends(database)
):
    if viewer.user is None:
        return _login_page(request, viewer, 200, next, "", "")
    if next != "/":
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, viewer, "home.html", title="Your hubs", hubs=visible_hubs(db, viewer.user))


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    viewer: Viewer = Depends(PUBLIC),
    db: Session = Depends(database),
):
    address, now = client_address(request), utcnow()
    refused = throttled(db, email, address, now)
    if refused is not None:
        page = _login_page(request, viewer, 429, next, refused.message, email)
        page.headers["Retry-After"] = str(refused.seconds)
        return page
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok:
        record_failure(db, email, address, now)
        db.commit()
        return _login_page(
            request, viewer, 400, next, "That e-mail address and password do not match an account.", email
        )
    forget_failures(db, user.email)
    db.commit()
    sign_in(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


def _login_page(request: Request, viewer: Viewer, status_code: int, next: str, error: str, email: str):
    return render(
        request,
        viewer,
        "login.html",
        status_code=status_code,
        title="Sign in",
        next=_safe_next(next),
        error=error,
        email=email,
    )


@router.post("/logout")
def logout(request: Request, viewer: Viewer = Depends(SIGNED_IN), db: Session = Depends(database)):
    """Signing out ends every session of the account, on every device (`web.auth.end_sessions`)."""
    sign_out(request, db.get(User, viewer.user.id))
    db.commit()
    return RedirectResponse("/", status_code=303)


@router.get("/account")
def account(request: Request, viewer: Viewer = Depends(SIGNED_IN)):
    return render(request, viewer, "account.html", title="Your account", error="", done=False)


@router.post("/account")
def change_password(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    again: str = Form(""),
    viewer: Viewer = Depends(SIGNED_IN),
    db: Session = Depends(database),
):
    user = db.get(User, viewer.user.id)
    error = ""
    address, now = client_address(request), utcnow()
    refused = throttled(db, user.email, address, now)
    if refused is not None:
        error = refused.message
    elif not verify_password(user.password_hash, current):
        error = "Your current password is not right."
        record_failure(db, user.email, address, now)
        db.commit()
    elif new != again:
        error = "The two new passwords differ."
    else:
        error = password_problem(new) or ""
    if error:
        return render(
            request, viewer, "account.html", status_code=400, title="Your account", error=error, done=False
        )
    user.password_hash, user.password_chosen = hash_password(new), True
    end_sessions(user)  # any other session, perhaps someone else's, ends; this one goes on
    db.commit()
    sign_in(request, user)
    return render(request, viewer, "account.html", title="Your account", error="", done=True)


@router.get("/healthz")
def health(request: Request, viewer: Viewer = Depends(PUBLIC)):
    if healthy(request.app.state.engine):
        return PlainTextResponse("ok")
    return PlainTextResponse("database unreachable", status_code=503)
