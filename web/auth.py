"""Accounts, sessions, CSRF and the access rule of every route.

Each route names its rule once, as the dependency that admits the request (`PUBLIC`,
`SIGNED_IN`, `ADMIN`, `VIEWER`, `COORDINATOR`); `access_rules(app)` finds them all, and
`create_app` refuses to start when a route has none, so no page is ever left open by
omission. A hub the user has no role in answers 404, as if it did not exist.

Passwords are hashed with argon2. The session is Starlette's signed cookie (HttpOnly,
SameSite=Lax, Secure behind https); it holds the user's id and a CSRF token that every
state-changing request must send back, in the form field `csrf` or the `X-CSRF-Token` header.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.db import utcnow
from web.tables import ROLES, Hub, Role, Setting, User

HASHER = PasswordHasher()
MIN_PASSWORD = 10
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class AccountError(ValueError):
    """A bad account request, in words for the person making it."""


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    return None


def new_password() -> str:
    return secrets.token_urlsafe(15)


def add_user(
    db: Session, email: str, password: str, role: str, hub: Hub | None = None, *, chosen: bool = True
) -> User:
    """An account: `admin`, or `coordinator`/`viewer` of `hub`. AccountError says what is wrong."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email):
        raise AccountError(f"'{email}' is not an e-mail address")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if role not in ("admin", *ROLES):
        raise AccountError(f"'{role}' is not a role; use admin, coordinator or viewer")
    if role != "admin" and hub is None:
        raise AccountError(f"a {role} needs a hub")
    if db.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"{email} already has an account")
    user = User(
        email=email,
        password_hash=hash_password(password),
        is_admin=role == "admin",
        password_chosen=chosen,
        created_at=utcnow(),
    )
    db.add(user)
    db.flush()
    if hub is not None and role != "admin":
        db.add(Role(user_id=user.id, hub_id=hub.id, role=role))
    return user


def grant(db: Session, user: User, hub: Hub, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a hub role; use coordinator or viewer")
    existing = db.get(Role, (user.id, hub.id))
    if existing is None:
        db.add(Role(user_id=user.id, hub_id=hub.id, role=role))
    else:
        existing.role = role


def session_secret(db: Session) -> str:
    """The key that signs session cookies, made once and kept in the database, so that a
    restart (or a second server on the same database) keeps everyone signed in."""
    row = db.get(Setting, "session_secret")
    if row is None:
        row = Setting(key="session_secret", value=secrets.token_urlsafe(48))
        db.add(row)
        db.flush()
    return row.value


def database(request: Request) -> Iterator[Session]:
    """The request's database session (one per request; pages commit what they change)."""
    with request.app.state.sessions() as db:
        yield db


# -- the session -------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def sign_in(request: Request, user: User) -> None:
    request.session.clear()  # a fresh session: nothing carried over from before signing in
    request.session["uid"] = user.id
    request.session["epoch"] = user.session_epoch
    csrf_token(request)


def end_sessions(user: User) -> None:
    """End every session of the account. A session is a signed cookie the server does not
    keep, so a copy of one would stay good until it expired; each carries the account's
    epoch, and raising it turns them all away (signing out, a new password)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def sign_out(request: Request, user: User | None = None) -> None:
    if user is not None:
        end_sessions(user)
    request.session.clear()


def client_address(request: Request) -> str:
    """The client's address (behind a proxy on this machine, the one it forwarded)."""
    return request.client.host if request.client else "unknown"


async def check_csrf(request: Request) -> None:
    """A state-changing request must come from this site's own pages: the session's token
    sent back (form field or header), and, where the browser says where the request comes
    from, this site (Origin, Sec-Fetch-Site). Refused with 403 otherwise, before anything runs."""
    if request.method not in UNSAFE:
        return
    if _cross_site(request):
        raise HTTPException(403, "This request came from another site; it was refused.")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    expected = request.session.get("csrf")
    if not (sent and expected and hmac.compare_digest(sent.encode(), expected.encode())):
        raise HTTPException(
            403, "This form has expired or did not come from this site; reload the page and try again."
        )


def _cross_site(request: Request) -> bool:
    """Whether the browser says the request was made by another site's page. Browsers send
    Sec-Fetch-Site to https and loopback sites, and Origin with a POST: "null" under this
    site's no-referrer policy, else the page's origin. Where neither tells (a script, an old
    browser), the token alone decides."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin", "null")
    if origin == "null":
        return False
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return origin.split("://", 1)[-1] != host


def signed_in_user(request: Request, db: Session) -> User | None:
    """The session's account, unless its sessions were ended since (`end_sessions`)."""
    uid = request.session.get("uid")
    user = db.get(User, uid) if isinstance(uid, int) else None
    if user is None or request.session.get("epoch") != user.session_epoch:
        return None
    return user


# -- access rules --------------------------------------------------------------------------


class SignInRequired(Exception):
    """An anonymous request for a page that needs an account: answered by the login page."""


@dataclass
class Viewer:
    """Who is asking, and for a hub's pages, which hub and with what role."""

    user: User | None
    hub: Hub | None = None
    role: str | None = None  # viewer | coordinator (an admin counts as coordinator everywhere)

    @property
    def can_edit(self) -> bool:
        return self.role == "coordinator"


class Access:
    """A route's access rule, used as its FastAPI dependency."""

    def __init__(self, name: str, *, signed_in: bool = False, admin: bool = False):
        self.name, self.signed_in, self.admin = name, signed_in, admin

    def __repr__(self) -> str:
        return f"Access({self.name})"

    async def __call__(self, request: Request, db: Session = Depends(database)) -> Viewer:
        await check_csrf(request)
        user = signed_in_user(request, db)
        if (self.signed_in or self.admin) and user is None:
            raise SignInRequired()
        if self.admin and not user.is_admin:
            raise HTTPException(404)
        return Viewer(user)


class HubAccess(Access):
    """A hub's pages, for those with at least `least` role in it (`{slug}` in the path)."""

    def __init__(self, name: str, least: str):
        super().__init__(name, signed_in=True)
        self.least = least

    async def __call__(self, request: Request, slug: str, db: Session = Depends(database)) -> Viewer:  # type: ignore[override]
        viewer = await super().__call__(request, db)
        hub = db.scalar(select(Hub).where(Hub.slug == slug))
        role = hub_role(db, viewer.user, hub) if hub is not None else None
        if role is None:
            raise HTTPException(404)  # the same answer whether the hub exists or not
        if ROLES.index(role) < ROLES.index(self.least):
            raise HTTPException(403, "You can read this hub but not change it; ask its coordinator.")
        return Viewer(viewer.user, hub, role)


def hub_role(db: Session, user: User | None, hub: Hub) -> str | None:
    if user is None:
        return None
    if user.is_admin:
        return "coordinator"
    row = db.get(Role, (user.id, hub.id))
    return row.role if row else None


def visible_hubs(db: Session, user: User) -> list[tuple[Hub, str]]:
    if user.is_admin:
        return [(h, "coordinator") for h in db.scalars(select(Hub).order_by(Hub.name))]
    rows = db.execute(select(Hub, Role.role).join(Role, Role.hub_id == Hub.id).where(Role.user_id == user.id))
    return sorted(((h, r) for h, r in rows), key=lambda x: x[0].name)


PUBLIC = Access("public")
SIGNED_IN = Access("signed in", signed_in=True)
ADMIN = Access("admin", admin=True)
VIEWER = HubAccess("hub viewer", "viewer")
COORDINATOR = HubAccess("hub coordinator", "coordinator")


def access_rules(app) -> dict[tuple[str, str], Access | None]:
    """Each route's (method, path) and the access rule its dependencies name (None if none)."""
    out: dict[tuple[str, str], Access | None] = {}
    for route in _api_routes(app.routes):
        found = [d.call for d in _dependencies(route.dependant) if isinstance(d.call, Access)]
        for method in sorted(route.methods):
            out[(method, route.path)] = found[0] if len(found) == 1 else None
    return out


def _api_routes(routes):
    """Every APIRoute, also inside included routers (newer FastAPI keeps them wrapped; the
    workspace's routers have no prefix, so their paths are the full paths)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _dependencies(dependant):
    for d in dependant.dependencies:
        yield d
        yield from _dependencies(d)
