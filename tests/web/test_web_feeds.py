"""Calendar subscriptions: hashed tokens, ETag and 304, revoke and renew, feeds that update in
place after a re-plan exactly as `hubplan solve --previous` writes them, and a farewell feed of
CANCELLED sessions for someone taken out of the hub."""

from __future__ import annotations

import datetime as dt
import re

import yaml
from icalendar import Calendar
from sqlalchemy import select, update
from web_support import ROOT, as_user, make_app, sqlite_url, wait_job

from scheduler.core.solve import SolveOptions
from scheduler.operations.pipeline import solve_file
from web.tables import FeedToken, PlanFile, PlanRow

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
CHANGED = ROOT / "instances" / "what-if" / "example-after-changes.yaml"


def _plan(app, b) -> int:
    b.get("/hubs/example-hub")
    r = b.post("/hubs/example-hub/plan")
    job = wait_job(app, int(str(r.url).rsplit("/", 1)[1]))
    assert job.state == "done", job.message
    return job.plan_id


def _link(b, kind: str, subject: str) -> str:
    b.get(f"/hubs/example-hub/{kind}/{subject}")
    r = b.post(f"/hubs/example-hub/{kind}/{subject}/feed")
    assert r.status_code == 200, r.text
    return re.search(r'id="feed-url" class="url" readonly value="http://testserver([^"]+)"', r.text).group(1)


def _upload(b, name: str, data: bytes) -> None:
    b.get("/hubs/example-hub/upload")
    r = b.post("/hubs/example-hub/upload", files={"file": (name, data)})
    assert r.status_code == 200, r.text


def _events(data: bytes) -> dict[str, tuple[int, str, str]]:
    """UID -> (SEQUENCE, STATUS, DTSTART) of every session event."""
    out = {}
    for e in Calendar.from_ical(data).walk("VEVENT"):
        out[str(e["UID"])] = (
            int(e.get("SEQUENCE", 0)),
            str(e.get("STATUS", "CONFIRMED")),
            e["DTSTART"].to_ical().decode(),
        )
    return out


def test_tokens_etag_revoke_and_renew(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    _plan(app, b)
    path = _link(b, "specialists", "sam-jones")
    token = path.removeprefix("/feeds/").removesuffix(".ics")
    assert len(token) >= 32  # 24 random bytes: 192 bits
    with app.state.sessions() as db:
        row = db.scalar(select(FeedToken))
        assert row.token_hash != token and len(row.token_hash) == 64 and token not in repr(row.__dict__)
    first = client.get(path)
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/calendar")
    etag = first.headers["etag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/feeds/" + "A" * 32 + ".ics").status_code == 404
    renewed = _link(b, "specialists", "sam-jones")
    assert client.get(path).status_code == 404 and client.get(renewed).status_code == 200
    b.post("/hubs/example-hub/specialists/sam-jones/feed/revoke")
    assert client.get(renewed).status_code == 404
    viewer = as_user(client, "viewer@example.org")
    assert viewer.post("/hubs/example-hub/specialists/sam-jones/feed").status_code == 403


def test_replanned_feed_is_the_file_solve_previous_writes(sqlite_url, make_app, tmp_path):
    app, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    first_plan = _plan(app, b)
    links = {who: _link(b, "specialists", who) for who in ("ria-patel", "sam-jones")}
    before = {who: client.get(p).content for who, p in links.items()}
    _upload(b, "after.yaml", CHANGED.read_bytes())
    _plan(app, b)
    after = {who: client.get(p).content for who, p in links.items()}

    with app.state.sessions() as db:
        previous = tmp_path / "plan.json"
        previous.write_text(db.get(PlanRow, first_plan).plan_json)
    outcome = solve_file(
        CHANGED, tmp_path / "out", SolveOptions(time_limit=20), previous=previous, today=dt.date.today()
    )
    assert outcome.exit_code == 0
    for who in links:
        assert after[who] == (tmp_path / "out" / "calendars" / "specialists" / f"{who}.ics").read_bytes()
    old, new = _events(before["ria-patel"]), _events(after["ria-patel"])
    assert set(old) <= set(new) | {u for u in old if old[u][1] == "CANCELLED"}
    moved = [u for u in old if u in new and old[u][2] != new[u][2]]
    assert all(new[u][0] == old[u][0] + 1 for u in moved)
    assert all(new[u][0] == old[u][0] for u in old if u in new and old[u][2] == new[u][2])


def _without(teacher: str) -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["teachers"] = [t for t in data["teachers"] if t["id"] != teacher]
    for wg in data["work_groups"]:
        for s in wg["schools"]:
            s["teachers"] = [t for t in s["teachers"] if t != teacher]
    return yaml.safe_dump(data).encode()


def test_someone_taken_out_keeps_a_feed_of_cancelled_sessions(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    _plan(app, b)
    path = _link(b, "teachers", "wes-t2")
    before = _events(client.get(path).content)
    assert before
    _upload(b, "without-ned.yaml", _without("wes-t2"))
    plan_id = _plan(app, b)
    assert b.get("/hubs/example-hub/teachers/wes-t2").status_code == 404
    farewell = client.get(path)
    assert farewell.status_code == 200
    after = _events(farewell.content)
    today = dt.date.today().strftime("%Y%m%d")
    ahead = {u: v for u, v in before.items() if v[2][:8] >= today}
    assert ahead and set(after) == set(ahead)
    assert all(after[u] == (ahead[u][0] + 1, "CANCELLED", ahead[u][2]) for u in ahead)
    # carried by the next plan unchanged, and gone once its last date has passed
    _plan(app, b)
    assert client.get(path).content == farewell.content
    with app.state.sessions() as db:
        db.execute(update(PlanFile).where(PlanFile.expires.is_not(None)).values(expires=dt.date(2000, 1, 1)))
        db.commit()
        assert db.get(PlanRow, plan_id).state == "superseded"
    assert client.get(path).status_code == 404
