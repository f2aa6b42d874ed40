"""Who may do what: every route walked by every kind of person, CSRF on every state change,
sign-in throttling, and feed tokens that only ever open their own hub's current feed.

The walk lists every route of the application with a request that exercises it. A route
the application has and this list lacks fails the test: whoever adds a route says here who
may call it and what they get.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from clash_walk import TODAY, calls, clash_values, seed_clash, smtp_server
from fastapi import APIRouter
from fastapi.routing import APIRoute
from seed import seed_plan
from sqlalchemy import func, select, update
from starlette.routing import Mount
from web_support import PASSWORD, ROOT, Browserless, make_app, sqlite_url

from models.load import load_instance
from web import feeds
from web.auth import access_rules, add_user
from web.db import transaction
from web.hubs import add_hub, add_version, latest_version
from web.locking import Seen, hold
from web.tables import Base, FeedToken, Hub, Job, LoginAttempt, PlanRow, User
from web.throttle import PER_ACCOUNT, PER_ADDRESS, WINDOW

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
CHANGED = ROOT / "instances" / "what-if" / "example-after-changes.yaml"
PERSONAS = {
    "anonymous": None,
    "viewer": "viewer@example.org",  # viewer of example-hub
    "other hub's coordinator": "other@example.org",  # coordinator of north-east-hub
    "coordinator": "coord@example.org",  # coordinator of example-hub
    "admin": "admin@example.org",
}
# What each rule answers those it keeps out; everyone else gets the route's own answer.
REFUSED = {
    "public": {},
    "signed in": {"anonymous": 303},
    "admin": {"anonymous": 303, "viewer": 404, "other hub's coordinator": 404, "coordinator": 404},
    "hub viewer": {"anonymous": 303, "other hub's coordinator": 404},
    "hub coordinator": {"anonymous": 303, "viewer": 403, "other hub's coordinator": 404},
}


@dataclass
class Call:
    """A request that exercises one route, and what it answers those its rule lets in."""

    url: str  # with {job}, {token}, {hub_version}, {held_save}, {held_discard}… filled (`_values`)
    own: int
    data: dict | Callable[[str], dict] = field(default_factory=dict)  # a callable gets the persona
    files: dict | None = None
    after: Callable | None = None  # undoes what the call started (a planning run)
    json: dict | None = None  # a JSON body instead of a form (the editor's), its token in a header


def _cancel_runs(app) -> None:
    with app.state.sessions() as db:
        for job in db.scalars(select(Job).where(Job.state.in_(("queued", "running")))):
            app.state.runner.cancel(db, job)


WALK: dict[tuple[str, str], Call] = {
    ("GET", "/"): Call("/", 200),
    ("POST", "/login"): Call(
        "/login", 400, lambda who: {"email": f"nobody-{who[:4]}@x.org", "password": "x"}
    ),
    ("GET", "/account"): Call("/account", 200),
    ("POST", "/account"): Call("/account", 400, {"current": "wrong password", "new": "x", "again": "x"}),
    ("GET", "/healthz"): Call("/healthz", 200),
    ("GET", "/palette.css"): Call("/palette.css", 200),
    ("GET", "/feeds/{token}.ics"): Call("/feeds/{token}.ics", 200),
    ("GET", "/admin"): Call("/admin", 200),
    ("POST", "/admin/hubs"): Call("/admin/hubs", 200, {"slug": "walked-hub", "name": "Walked"}),
    ("POST", "/admin/users"): Call(
        "/admin/users",
        200,
        {"email": "walked@example.org", "password": PASSWORD, "role": "viewer", "hub": "example-hub"},
    ),
    ("POST", "/admin/roles"): Call(
        "/admin/roles", 200, {"email": "viewer@example.org", "role": "viewer", "hub": "example-hub"}
    ),
    ("GET", "/hubs/{slug}"): Call("/hubs/example-hub", 200),
    ("GET", "/hubs/{slug}/year"): Call("/hubs/example-hub/year", 200),
    ("GET", "/hubs/{slug}/costs"): Call("/hubs/example-hub/costs", 200),
    ("GET", "/hubs/{slug}/files"): Call("/hubs/example-hub/files", 200),
    ("GET", "/hubs/{slug}/files/{path:path}"): Call("/hubs/example-hub/files/plan.json", 200),
    ("GET", "/hubs/{slug}/calendars.zip"): Call("/hubs/example-hub/calendars.zip", 200),
    ("GET", "/hubs/{slug}/versions/{number}"): Call("/hubs/example-hub/versions/1", 200),
    ("GET", "/hubs/{slug}/upload"): Call("/hubs/example-hub/upload", 200),
    ("POST", "/hubs/{slug}/upload"): Call(
        "/hubs/example-hub/upload",
        303,
        {"hub_version": "{hub_version}"},
        files={"file": ("example.yaml", EXAMPLE.read_bytes())},
    ),
    ("POST", "/hubs/{slug}/bundled"): Call(
        "/hubs/example-hub/bundled", 303, {"example": "example-hub-2026-27", "hub_version": "{hub_version}"}
    ),
    ("POST", "/hubs/{slug}/held/{held_id}/save"): Call(
        "/hubs/example-hub/held/{held_save}/save", 303, {"hub_version": "{hub_version}"}
    ),
    ("POST", "/hubs/{slug}/held/{held_id}/discard"): Call(
        "/hubs/example-hub/held/{held_discard}/discard", 303
    ),
    ("GET", "/hubs/{slug}/{kind}/{subject}"): Call("/hubs/example-hub/specialists/sam-jones", 200),
    ("POST", "/hubs/{slug}/{kind}/{subject}/feed"): Call("/hubs/example-hub/specialists/sam-jones/feed", 200),
    ("POST", "/hubs/{slug}/{kind}/{subject}/feed/revoke"): Call(
        "/hubs/example-hub/specialists/sam-jones/feed/revoke", 200
    ),
    ("GET", "/hubs/{slug}/jobs/{job_id}"): Call("/hubs/example-hub/jobs/{job}", 200),
    ("GET", "/hubs/{slug}/jobs/{job_id}/events"): Call("/hubs/example-hub/jobs/{job}/events", 200),
    ("POST", "/hubs/{slug}/jobs/{job_id}/cancel"): Call("/hubs/example-hub/jobs/{job}/cancel", 303),
    ("POST", "/hubs/{slug}/plan"): Call("/hubs/example-hub/plan", 303, after=_cancel_runs),
    **calls(Call, _cancel_runs),  # the plan editor, drafts, history, hub edits (clash_walk.py)
    ("POST", "/logout"): Call("/logout", 303),
}


class Person:
    """One persona's session: its cookies and CSRF token, put back before each request."""

    def __init__(self, client, email: str | None):
        self.client = client
        client.cookies.clear()
        b = Browserless(client)
        b.sign_in(email) if email else b.get("/")
        self.cookies, self.csrf = dict(client.cookies), b.csrf

    def send(self, method: str, url: str, data: dict | None = None, files=None, **kw):
        self.client.cookies.clear()
        self.client.cookies.update(self.cookies)
        if method == "GET":
            return self.client.get(url, follow_redirects=False, **kw)
        return self.client.post(url, data=data, files=files, follow_redirects=False, **kw)

    def call(self, method: str, call: Call, url: str, data: dict, token: str | None, headers=None):
        """`call` with the CSRF token `token` (none if None): a form's field, or a JSON
        body's header."""
        headers = dict(headers or {})
        if call.json is not None:
            if token is not None:
                headers["X-CSRF-Token"] = token
            return self.send(method, url, json=data, headers=headers)
        form = {**data, "csrf": token} if token is not None else data
        return self.send(method, url, form, dict(call.files) if call.files else None, headers=headers)


def _seeded(make_app, url: str, **settings):
    """The example hub planned, a feed token, held uploads (one to save, one to discard) of
    the coordinator and of the admin, each seen only by its uploader, and the drafts, history
    and explanation the clash routes need (`clash_walk.seed_clash`)."""
    app, client = make_app(url, today_is=TODAY, **settings)
    job = seed_plan(app.state.sessions, "example-hub")
    with transaction(app.state.sessions) as db:
        token = feeds.issue(db, job.hub_id, "schools", "parkside")
        hub = db.get(Hub, job.hub_id)
        text = EXAMPLE.read_text()
        held = {}
        for email in (PERSONAS["coordinator"], PERSONAS["admin"]):
            user = db.scalar(select(User).where(User.email == email))
            held[email] = [hold(db, hub, user, "held.yaml", text, Seen(hub.version)).id for _ in range(2)]
    clash = seed_clash(app, job.hub_id)
    return app, client, {"job": job.id, "token": token, "held": held, "clash": clash}


def _values(app, ctx: dict, who: str) -> dict:
    """What fills a call's URL and form for `who`, read as the call is made."""
    with app.state.sessions() as db:
        hub_version = db.scalar(select(Hub.version).where(Hub.slug == "example-hub"))
        clash = clash_values(db, ctx["clash"], who)
    save, discard = ctx["held"].get(PERSONAS.get(who), ctx["held"][PERSONAS["coordinator"]])
    return {
        **clash,
        "job": ctx["job"],
        "token": ctx["token"],
        "hub_version": hub_version,
        "held_save": save,
        "held_discard": discard,
    }


def _fill(value, values: dict, who: str):
    if callable(value):
        value = value(who)
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, list):
        return [_fill(v, values, who) for v in value]
    return {k: _fill(v, values, who) for k, v in value.items()}


def _body(call: Call, values: dict, who: str) -> dict:
    return _fill(call.json if call.json is not None else call.data, values, who)


def test_every_route_walked_by_every_persona(sqlite_url, make_app, smtp_server):
    app, client, ctx = _seeded(make_app, sqlite_url, smtp_from="planner@hub.example", **smtp_server)
    rules = access_rules(app)
    unguarded = [route for route, rule in rules.items() if rule is None]
    assert not unguarded, f"routes without an access rule: {unguarded}"
    unwalked = sorted(set(rules) - set(WALK))
    assert not unwalked, (
        f"routes the walk does not call (add them to WALK with who may call them): {unwalked}"
    )
    assert not set(WALK) - set(rules), (
        f"WALK names routes the application no longer has: {set(WALK) - set(rules)}"
    )
    people = {who: Person(client, email) for who, email in PERSONAS.items()}
    seen: dict[tuple[str, str], dict[str, int]] = {}
    wrong = []
    for (method, route), call in WALK.items():
        rule = rules[(method, route)].name
        for who, person in people.items():
            values = _values(app, ctx, who)
            url = call.url.format(**values)
            if method == "POST":
                r = person.call(method, call, url, _body(call, values, who), person.csrf)
            else:
                r = person.send(method, url)
            seen.setdefault((method, route), {})[who] = r.status_code
            expected = REFUSED[rule].get(who, call.own)
            if r.status_code != expected:
                wrong.append(f"{method} {url} as {who}: {r.status_code}, expected {expected} ({rule})")
            elif expected == 303 and who in REFUSED[rule]:
                assert r.headers["location"] == f"/?next={url.split('?')[0]}", (method, url, who)
            if call.after:
                call.after(app)
    table = _matrix(seen, rules)
    print("\n" + table)
    assert not wrong, "\n".join(wrong) + "\n\n" + table


def _matrix(seen, rules) -> str:
    names = list(PERSONAS)
    lines = ["| route | rule | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for (method, route), statuses in seen.items():
        cells = " | ".join(str(statuses[n]) for n in names)
        lines.append(f"| `{method} {route}` | {rules[(method, route)].name} | {cells} |")
    return "\n".join(lines)


def test_only_the_static_files_are_outside_the_rules(sqlite_url, make_app, monkeypatch):
    """Every route is an APIRoute with a rule; the one mount is the static files. An
    application given a route without a rule refuses to start."""
    from web.app import UnguardedRoute, create_app
    from web.settings import Settings
    from web.views import ROUTERS

    app, _ = make_app(sqlite_url)
    others = [r for r in app.routes if not isinstance(r, APIRoute) and not hasattr(r, "original_router")]
    assert [(type(r), r.path) for r in others] == [(Mount, "/static")]
    stray = APIRouter()
    stray.add_api_route("/hubs/{slug}/stray", lambda slug: slug, methods=["GET"])
    monkeypatch.setattr("web.views.ROUTERS", [*ROUTERS, stray])
    monkeypatch.setattr("web.app.ROUTERS", [*ROUTERS, stray])
    with pytest.raises(UnguardedRoute, match=r"GET /hubs/\{slug\}/stray"):
        create_app(Settings(database=sqlite_url))


def _counts(app) -> dict[str, int]:
    with app.state.sessions() as db:
        return {t.name: db.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def test_state_changes_without_a_valid_csrf_token_are_refused(sqlite_url, make_app):
    """Every POST route, as the person who may call it: no token, a forged one, another
    session's, and the right token sent from another site's page; all 403, nothing changed."""
    app, client, ctx = _seeded(make_app, sqlite_url)
    owner = {"admin": "admin", "signed in": "coordinator", "public": "anonymous"}
    people = {who: Person(client, PERSONAS[who]) for who in ("anonymous", "viewer", "coordinator", "admin")}
    before = _counts(app)
    unsafe = [(m, p) for (m, p), rule in access_rules(app).items() if m != "GET"]
    assert unsafe and all(m == "POST" for m, _ in unsafe)
    for method, route in unsafe:
        call, rule = WALK[(method, route)], access_rules(app)[(method, route)].name
        person = people[owner.get(rule, "coordinator")]
        values = _values(app, ctx, owner.get(rule, "coordinator"))
        url, data = call.url.format(**values), _body(call, values, "x")
        attempts = {
            "no token": (None, {}),
            "a forged token": ("forged-" + person.csrf[7:], {}),
            "another session's token": (people["viewer"].csrf, {}),
            "from another site": (person.csrf, {"Origin": "https://evil.example"}),
            "a cross-site fetch": (person.csrf, {"Sec-Fetch-Site": "cross-site"}),
        }
        for what, (token, headers) in attempts.items():
            r = person.call(method, call, url, data, token, headers)
            assert r.status_code == 403, f"{method} {url} with {what}: {r.status_code}"
        header = person.call(method, call, url, data, None, {"X-CSRF-Token": "forged"})
        assert header.status_code == 403
    assert _counts(app) == before
    # the same token from this site's own page is taken (the walk shows every route so)
    ok = people["coordinator"].send(
        "POST",
        "/hubs/example-hub/specialists/sam-jones/feed",
        {"csrf": people["coordinator"].csrf},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert ok.status_code == 200


IDS = re.compile(r"\{(job|held_save|held_discard|current|earlier|draft|apply|discard|event)\}")


def test_another_hubs_ids_open_nothing_through_ones_own_hub(sqlite_url, make_app):
    """Every call of the walk that names one of the example hub's runs, held uploads, plans,
    drafts or history entries by id, made by the North East hub's coordinator through their
    own hub's address: 404, as if it did not exist (an explanation's change named in the
    form: 400), and nothing changed."""
    app, client, ctx = _seeded(make_app, sqlite_url)
    other = Person(client, PERSONAS["other hub's coordinator"])
    before, tried = _counts(app), []
    for (method, route), call in WALK.items():
        in_form = "{relax_plan}" in str(call.data)
        if not (IDS.search(call.url) or in_form):
            continue
        values = _values(app, ctx, "coordinator")
        url = call.url.format(**values).replace("/hubs/example-hub/", "/hubs/north-east-hub/")
        if method == "POST":
            r = other.call(method, call, url, _body(call, values, "coordinator"), other.csrf)
        else:
            r = other.send(method, url)
        tried.append(route)
        assert r.status_code == (400 if in_form else 404), (method, url, r.status_code)
    assert len(tried) >= 20 and _counts(app) == before


def _attempt(client, email: str, password: str):
    b = Browserless(client)
    client.cookies.clear()
    b.get("/")
    return b.post("/login", {"email": email, "password": password, "next": "/"}, follow_redirects=False)


def test_sign_in_is_throttled_per_account(sqlite_url, make_app):
    from fastapi.testclient import TestClient

    app, client = make_app(sqlite_url)
    for _ in range(PER_ACCOUNT):
        assert _attempt(client, "coord@example.org", "a wrong guess").status_code == 400
    refused = _attempt(client, "COORD@example.org", PASSWORD)  # the right password, too late
    assert refused.status_code == 429 and "Too many failed sign-ins for this account" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= WINDOW.total_seconds()
    assert "hubplan_session" not in refused.cookies or "uid" not in refused.text
    assert _attempt(client, "viewer@example.org", PASSWORD).status_code == 303  # others sign in
    # kept in the database: a restarted server, or another address, still refuses this account
    elsewhere = TestClient(app, client=("192.0.2.7", 5000))
    assert _attempt(elsewhere, "coord@example.org", PASSWORD).status_code == 429
    with transaction(app.state.sessions) as db:
        db.execute(update(LoginAttempt).values(at=LoginAttempt.at - WINDOW))
    assert _attempt(client, "coord@example.org", PASSWORD).status_code == 303
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).where(LoginAttempt.email == "coord@example.org")) == 0


def test_sign_in_is_throttled_per_address(sqlite_url, make_app):
    from fastapi.testclient import TestClient

    app, client = make_app(sqlite_url)
    for n in range(PER_ADDRESS):
        assert _attempt(client, f"guess{n}@example.org", "a wrong guess").status_code == 400
    refused = _attempt(client, "viewer@example.org", PASSWORD)
    assert refused.status_code == 429 and "Too many failed sign-ins for your network" in refused.text
    other = TestClient(app, client=("192.0.2.8", 5000))
    assert _attempt(other, "viewer@example.org", PASSWORD).status_code == 303
    # a wrong current password on the account page counts against the account too
    b = Browserless(other)
    for _ in range(PER_ACCOUNT):
        b.get("/account")
        r = b.post("/account", {"current": "a wrong guess", "new": PASSWORD, "again": PASSWORD})
        assert r.status_code == 400 and "not right" in r.text
    b.get("/account")
    r = b.post("/account", {"current": PASSWORD, "new": PASSWORD + "!", "again": PASSWORD + "!"})
    assert r.status_code == 400 and "Too many failed sign-ins for this account" in r.text


def _link(person: Person, slug: str, kind: str, subject: str) -> str:
    r = person.send("POST", f"/hubs/{slug}/{kind}/{subject}/feed", {"csrf": person.csrf})
    assert r.status_code == 200, r.text
    return re.search(r'id="feed-url" class="url" readonly value="http://testserver([^"]+)"', r.text).group(1)


def test_a_feed_token_opens_its_own_hub_only_and_none_once_revoked(sqlite_url, make_app):
    """Two hubs with the same people: each token serves its own hub's current feed; a token
    of another hub, a revoked, renewed, unknown or mangled one gets 404."""
    app, client = make_app(sqlite_url)
    with transaction(app.state.sessions) as db:
        twin = add_hub(db, "twin-hub", "Twin Hub")
        add_version(db, twin, load_instance(CHANGED), CHANGED.name, None)
        add_user(db, "twin@example.org", PASSWORD, "coordinator", twin)
    seed_plan(app.state.sessions, "example-hub")
    seed_plan(app.state.sessions, "twin-hub")
    coord, twin_coord = Person(client, "coord@example.org"), Person(client, "twin@example.org")
    mine, theirs = (
        _link(coord, "example-hub", "specialists", "sam-jones"),
        _link(twin_coord, "twin-hub", "specialists", "sam-jones"),
    )
    anonymous = Person(client, None)
    own, twins = anonymous.send("GET", mine), anonymous.send("GET", theirs)
    assert own.status_code == twins.status_code == 200 and own.content != twins.content
    assert own.content == _file(app, "example-hub", "sam-jones")
    assert twins.content == _file(app, "twin-hub", "sam-jones")
    # the other hub's coordinator can neither see nor end this hub's link
    assert (
        twin_coord.send(
            "POST", "/hubs/example-hub/specialists/sam-jones/feed/revoke", {"csrf": twin_coord.csrf}
        ).status_code
        == 404
    )
    assert anonymous.send("GET", mine).status_code == 200
    token = mine.removeprefix("/feeds/").removesuffix(".ics")
    for bad in (
        "/feeds/" + token[:-1] + ".ics",
        "/feeds/" + token.upper() + ".ics",
        "/feeds/" + token + "x.ics",
        "/feeds/" + "A" * len(token) + ".ics",
        "/feeds/%2e%2e%2f" + token + ".ics",
    ):
        assert anonymous.send("GET", bad).status_code == 404, bad
    renewed = _link(coord, "example-hub", "specialists", "sam-jones")
    assert anonymous.send("GET", mine).status_code == 404
    coord.send("POST", "/hubs/example-hub/specialists/sam-jones/feed/revoke", {"csrf": coord.csrf})
    assert anonymous.send("GET", renewed).status_code == 404
    assert anonymous.send("GET", theirs).status_code == 200
    # a hub whose plan is no longer current serves no feed
    with transaction(app.state.sessions) as db:
        hub = db.scalar(select(Hub).where(Hub.slug == "twin-hub"))
        db.execute(update(PlanRow).where(PlanRow.hub_id == hub.id).values(state="superseded"))
    assert anonymous.send("GET", theirs).status_code == 404
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(FeedToken)) == 3


def _file(app, slug: str, subject: str) -> bytes:
    from web.plans import current_plan, plan_file

    with app.state.sessions() as db:
        hub = db.scalar(select(Hub).where(Hub.slug == slug))
        return plan_file(db, current_plan(db, hub), f"calendars/specialists/{subject}.ics").content


def test_signing_out_or_a_new_password_ends_every_session(sqlite_url, make_app):
    """A session is a signed cookie: a copy of it (another device, or a thief's) is turned away
    once the account signs out, or its password changes; the one that changed it goes on."""
    app, client = make_app(sqlite_url)
    mine = Person(client, "coord@example.org")
    copy = Person(client, None)
    copy.cookies, copy.csrf = dict(mine.cookies), mine.csrf
    assert copy.send("GET", "/hubs/example-hub").status_code == 200
    assert mine.send("POST", "/logout", {"csrf": mine.csrf}).status_code == 303
    assert copy.send("GET", "/hubs/example-hub").status_code == 303  # the copy is out too

    mine, other_device = Person(client, "coord@example.org"), Person(client, "coord@example.org")
    new = PASSWORD + " renewed"
    r = mine.send("POST", "/account", {"csrf": mine.csrf, "current": PASSWORD, "new": new, "again": new})
    assert r.status_code == 200 and "hubplan_session" in r.cookies
    mine.cookies.update(r.cookies)
    assert mine.send("GET", "/hubs/example-hub").status_code == 200
    assert other_device.send("GET", "/hubs/example-hub").status_code == 303
