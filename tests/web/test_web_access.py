"""Accounts, roles, sessions and CSRF: who reaches which page."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from web_support import PASSWORD, Browserless, as_user, make_app, sqlite_url

from web.auth import PUBLIC, Access, HubAccess, access_rules, hash_password, verify_password


def test_passwords_are_argon2_hashed():
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)


def test_every_route_names_its_access_rule(sqlite_url, make_app):
    app, _ = make_app(sqlite_url)
    rules = access_rules(app)
    assert rules and all(isinstance(rule, Access) for rule in rules.values())
    assert rules[("GET", "/feeds/{token}.ics")] is PUBLIC
    assert isinstance(rules[("POST", "/hubs/{slug}/plan")], HubAccess)
    assert rules[("POST", "/hubs/{slug}/plan")].least == "coordinator"


def test_a_route_without_a_rule_is_found():
    app = FastAPI()
    router = APIRouter()
    router.add_api_route("/open", lambda: "x", methods=["GET"])
    app.include_router(router)
    assert access_rules(app) == {("GET", "/open"): None}


def test_sign_in_wrong_password_and_sign_out(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    b = Browserless(client)
    b.get("/")
    r = b.post("/login", {"email": "coord@example.org", "password": "wrong password"})
    assert r.status_code == 400 and "do not match an account" in r.text
    b.sign_in("coord@example.org")
    page = b.get("/hubs/example-hub")
    assert page.status_code == 200 and "Example Maths Hub" in page.text
    b.post("/logout")
    r = b.get("/hubs/example-hub")
    assert "Sign in" in r.text and "Versions of the hub" not in r.text
    assert str(r.url).endswith("/?next=/hubs/example-hub")


def test_session_cookie_flags(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    b = Browserless(client)
    b.get("/")
    r = client.post(
        "/login",
        data={"csrf": b.csrf, "email": "coord@example.org", "password": PASSWORD},
        follow_redirects=False,
    )
    header = r.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header


@pytest.mark.parametrize(
    "path",
    [
        "/hubs/north-east-hub",
        "/hubs/north-east-hub/year",
        "/hubs/north-east-hub/upload",
        "/hubs/north-east-hub/versions/1",
        "/hubs/no-such-hub",
    ],
)
def test_no_role_no_hub(sqlite_url, make_app, path):
    """A coordinator of one hub gets 404 on another's pages, as if it did not exist."""
    _, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    assert b.get(path).status_code == 404
    assert b.post("/hubs/north-east-hub/plan").status_code == 404


def test_viewer_reads_but_does_not_change(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    b = as_user(client, "viewer@example.org")
    assert b.get("/hubs/example-hub").status_code == 200
    assert "Plan the year" not in b.get("/hubs/example-hub").text
    assert b.get("/hubs/example-hub/upload").status_code == 403
    assert b.post("/hubs/example-hub/plan").status_code == 403


def test_admin_pages_are_for_admins(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    assert as_user(client, "coord@example.org").get("/admin").status_code == 404
    admin = as_user(client, "admin@example.org")
    assert admin.get("/admin").status_code == 200
    r = admin.post(
        "/admin/users",
        {"email": "new@example.org", "password": "short", "role": "viewer", "hub": "example-hub"},
    )
    assert r.status_code == 400 and "at least 10 characters" in r.text


def test_anonymous_is_sent_to_sign_in(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    r = client.get("/hubs/example-hub/year", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?next=/hubs/example-hub/year"


def test_state_changes_need_the_csrf_token(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    assert client.post("/hubs/example-hub/plan", data={}).status_code == 403
    assert client.post("/hubs/example-hub/plan", data={"csrf": "forged"}).status_code == 403
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert b.get("/hubs/example-hub").status_code == 200  # still signed in


def test_next_never_leaves_the_site(sqlite_url, make_app):
    _, client = make_app(sqlite_url)
    b = Browserless(client)
    b.get("/")
    r = client.post(
        "/login",
        data={"csrf": b.csrf, "email": "coord@example.org", "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_pages_forbid_inline_script_and_escape_names(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    admin = as_user(client, "admin@example.org")
    admin.post("/admin/hubs", {"slug": "xss", "name": "<img src=x onerror=alert(1)>"})
    r = admin.get("/")
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_healthz(sqlite_url, make_app):
    from web.db import make_engine

    app, client = make_app(sqlite_url)
    assert client.get("/healthz").text == "ok"
    app.state.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert client.get("/healthz").status_code == 503
