"""No lost update, on SQLite and PostgreSQL: two coordinators change the same hub at once; the
second to save is told who saved first and when, and loses nothing: their upload is held,
shown against the newer version, and saved on top with one click."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
import yaml
from sqlalchemy import func, select
from web_support import PASSWORD, ROOT, as_user, database_url, make_app, postgres

from models.load import load_instance, parse_instance
from web.auth import add_user
from web.db import transaction
from web.hubs import add_version, instance_of
from web.locking import Conflict, Seen
from web.tables import HeldUpload, Hub, HubVersion, User

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
CHANGED = ROOT / "instances" / "what-if" / "example-after-changes.yaml"


def _renamed(school: str, name: str) -> bytes:
    data = yaml.safe_load(EXAMPLE.read_text())
    for s in data["schools"]:
        if s["id"] == school:
            s["name"] = name
    return yaml.safe_dump(data, sort_keys=False).encode()


def _hub_version(page: str) -> str:
    return re.search(r'name="hub_version" value="(\d+)"', page).group(1)


def _version(app, number: int):
    with app.state.sessions() as db:
        return instance_of(
            db.scalar(select(HubVersion).where(HubVersion.number == number, HubVersion.hub_id == 1))
        )


def _second_coordinator(app) -> None:
    with transaction(app.state.sessions) as db:
        hub = db.scalar(select(Hub).where(Hub.slug == "example-hub"))
        add_user(db, "coord2@example.org", PASSWORD, "coordinator", hub)


def test_the_second_upload_is_told_who_and_when_and_saves_on_top(database_url, make_app):
    from fastapi.testclient import TestClient

    app, client = make_app(database_url)
    _second_coordinator(app)
    other = TestClient(app, follow_redirects=False)
    jo, sam = as_user(client, "coord@example.org"), as_user(other, "coord2@example.org")
    seen_by_jo = _hub_version(jo.get("/hubs/example-hub/upload").text)
    seen_by_sam = _hub_version(sam.get("/hubs/example-hub/upload").text)
    assert seen_by_jo == seen_by_sam

    first = jo.post(
        "/hubs/example-hub/upload",
        {"hub_version": seen_by_jo},
        files={"file": ("jo.yaml", CHANGED.read_bytes())},
    )
    assert first.status_code == 200 and "version 2" in first.text
    mine = _renamed("oakfield", "Oakfield Academy (renamed by Sam)")
    second = sam.post(
        "/hubs/example-hub/upload", {"hub_version": seen_by_sam}, files={"file": ("sam.yaml", mine)}
    )
    assert second.status_code == 409
    text = re.sub(r"\s+", " ", second.text)
    told = re.search(
        r"coord@example\.org saved version 2 of this hub \(from jo\.yaml\) at (\d\d:\d\d:\d\d) UTC on (\d\d \w+ \d{4})",
        text,
    )
    assert told, text[:2000]
    with app.state.sessions() as db:
        v2 = db.scalar(select(HubVersion).where(HubVersion.number == 2))
        assert told.group(1) == f"{v2.created_at:%H:%M:%S}" and told.group(2) == f"{v2.created_at:%d %b %Y}"
        assert (
            db.scalar(select(func.max(HubVersion.number)).where(HubVersion.hub_id == v2.hub_id)) == 2
        )  # Jo's only
        held = db.scalar(select(HeldUpload))
        assert held is not None and held.source_name == "sam.yaml"
    assert "Oakfield Academy (renamed by Sam)" in second.text  # what Sam's file changes from version 2
    assert "Save mine as version 3" in second.text

    # Jo cannot see or save Sam's held upload; Sam saves it on top
    assert jo.post(f"/hubs/example-hub/held/{held.id}/save", {"hub_version": "2"}).status_code == 404
    saved = sam.post(f"/hubs/example-hub/held/{held.id}/save", {"hub_version": _hub_version(second.text)})
    assert saved.status_code == 303 and saved.headers["location"].endswith("/versions/3")
    assert _version(app, 2) == load_instance(CHANGED)  # Jo's change, whole
    assert _version(app, 3) == parse_instance(yaml.safe_load(mine))  # Sam's, whole, on top
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(HeldUpload)) == 0

    # Jo, on the page opened before Sam saved, is told in turn; and may discard
    again = jo.post("/hubs/example-hub/bundled", {"example": "example-hub-2026-27", "hub_version": "2"})
    assert again.status_code == 409 and "coord2@example.org saved version 3" in again.text
    held_id = re.search(r"/held/(\d+)/discard", again.text).group(1)
    assert jo.post(f"/hubs/example-hub/held/{held_id}/discard", follow_redirects=False).status_code == 303
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(HeldUpload)) == 0
        assert db.scalar(select(func.max(HubVersion.number)).where(HubVersion.hub_id == 1)) == 3


def test_two_saves_at_the_same_moment(database_url, make_app):
    """Both read the hub, then both save: one version is made, the other save is a Conflict
    naming the first, on both databases (the version check waits for the other transaction)."""
    app, _ = make_app(database_url)
    _second_coordinator(app)
    instances = {"coord@example.org": load_instance(CHANGED), "coord2@example.org": load_instance(EXAMPLE)}
    for _round in range(3):
        ready = threading.Barrier(2)
        outcome: dict[str, object] = {}

        def save(email: str, ready=ready, outcome=outcome) -> None:
            with app.state.sessions() as db:
                hub = db.scalar(select(Hub).where(Hub.slug == "example-hub"))
                user = db.scalar(select(User).where(User.email == email))
                seen = Seen(hub.version)
                ready.wait()
                try:
                    version = add_version(db, hub, instances[email], f"{email}.yaml", user, seen)
                    db.commit()
                    outcome[email] = version.number
                except Conflict as conflict:
                    outcome[email] = conflict

        threads = [threading.Thread(target=save, args=(e,)) for e in instances]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        made = [e for e, o in outcome.items() if isinstance(o, int)]
        told = [o for o in outcome.values() if isinstance(o, Conflict)]
        assert len(made) == 1 and len(told) == 1, outcome
        assert told[0].who == made[0] and told[0].when is not None
        assert f"saved version {outcome[made[0]]} of this hub" in told[0].message


@pytest.mark.parametrize("route", ["upload", "bundled"])
def test_a_page_without_the_counter_is_not_checked(database_url, make_app, route):
    """A script posting without `hub_version` saves as before (nothing to compare with)."""
    app, client = make_app(database_url)
    b = as_user(client, "coord@example.org")
    b.get("/hubs/example-hub/upload")
    if route == "upload":
        r = b.post("/hubs/example-hub/upload", files={"file": ("x.yaml", CHANGED.read_bytes())})
    else:
        r = b.post("/hubs/example-hub/bundled", {"example": "example-hub-2026-27"})
    assert r.status_code == 200 and "version 2" in r.text


def test_a_second_plan_run_is_told_who_started_the_first(database_url, make_app):
    """Plans are changed by runs: pressing "Plan the year" while another run is on says whose
    run it is and since when; nothing is started twice."""
    from fastapi.testclient import TestClient

    from web.tables import Job

    app, client = make_app(database_url)
    _second_coordinator(app)
    jo, sam = as_user(client, "coord@example.org"), as_user(TestClient(app), "coord2@example.org")
    jo.get("/hubs/example-hub")
    sam.get("/hubs/example-hub")
    first = jo.post("/hubs/example-hub/plan", follow_redirects=False)
    assert first.status_code == 303
    second = sam.post("/hubs/example-hub/plan", follow_redirects=False)
    with app.state.sessions() as db:
        job = db.scalar(select(Job))
        assert db.scalar(select(func.count()).select_from(Job)) == 1
    assert second.status_code == 409
    said = re.sub(r"\s+", " ", second.text)
    assert f"coord@example.org started run {job.id} at {job.created_at:%H:%M:%S} UTC" in said
    jo.post(f"/hubs/example-hub/jobs/{job.id}/cancel")


def test_the_second_hub_edit_is_told_and_made_again_on_top(database_url, make_app):
    """Changing the hub in the browser is checked as an upload is: the second coordinator's
    blackout, sent from a page drawn before the first one's change, is refused with who and
    when, and offered again on the newer version, where one click makes it."""
    from fastapi.testclient import TestClient

    app, client = make_app(database_url)
    _second_coordinator(app)
    other = TestClient(app, follow_redirects=False)
    jo, sam = as_user(client, "coord@example.org"), as_user(other, "coord2@example.org")
    seen = _hub_version(jo.get("/hubs/example-hub/edit").text)
    assert _hub_version(sam.get("/hubs/example-hub/edit").text) == seen
    closure = {"op": "add_closure", "school": "oakfield", "start": "2027-03-01", "hub_version": seen}
    assert str(jo.post("/hubs/example-hub/edit", data=closure).url).endswith("/versions/2/breaks")
    blackout = {
        "op": "add_blackout",
        "school": "oakfield",
        "start": "2027-05-10",
        "end": "2027-05-21",
        "reason": "Sam's mocks",
        "hub_version": seen,
    }
    refused = sam.post("/hubs/example-hub/edit", data=blackout)
    assert refused.status_code == 409
    text = re.sub(r"\s+", " ", refused.text)
    assert re.search(r"coord@example\.org saved version 2 of this hub .* at \d\d:\d\d:\d\d UTC", text), text[
        :2000
    ]
    with app.state.sessions() as db:
        assert db.scalar(select(func.count()).select_from(HubVersion).where(HubVersion.hub_id == 1)) == 2
    again = dict(
        re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">',
            refused.text.split("Make my change")[0].rsplit("<form", 1)[1],
        )
    )
    assert again["reason"] == "Sam&#39;s mocks"  # their words, escaped in the page
    assert again["hub_version"] != seen and again["op"] == "add_blackout" and again["end"] == "2027-05-21"
    again["reason"] = "Sam's mocks"  # as the browser sends it
    made = sam.post("/hubs/example-hub/edit", data=again)
    assert made.status_code == 303 and made.headers["location"].endswith("/versions/3/breaks")
    v3 = _version(app, 3)
    oakfield = next(s for s in v3.schools if s.id == "oakfield")
    assert dt.date(2027, 3, 1) in oakfield.closures, oakfield.closures  # Jo's change kept
    assert any(
        b.reason == "Sam's mocks" and b.to == dt.date(2027, 5, 21) for b in oakfield.blackouts
    )  # Sam's on top
