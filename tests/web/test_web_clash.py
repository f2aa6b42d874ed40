"""Resolving clashes in the workspace, through its pages and answers (in-process, both
databases where it matters): the editor's checks and panel, moves refused with a reason,
drafts saved, compared, applied (feeds: same UID, SEQUENCE + 1) and restored, find a fix,
hub edits and what they break, re-plan from here, and a relaxation applied from an
explanation. The browser flows are in test_web_clash_browser.py."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

from icalendar import Calendar
from seed import seed_plan
from sqlalchemy import func, select
from web_support import as_user, database_url, make_app, postgres, sqlite_url, wait_job

from web.tables import Hub, HubVersion, PlanEvent, PlanRow

TODAY = dt.date(2026, 10, 1)
HUB = "/hubs/example-hub"


def _planned(make, url):
    app, client = make(url, today_is=TODAY)
    b = as_user(client, "coord@example.org")
    b.get(HUB)
    r = b.post(f"{HUB}/plan")
    job = wait_job(app, int(str(r.url).rsplit("/", 1)[1]))
    assert job.state == "done", job.message
    return app, client, b, job.plan_id


def _json(b, plan_id: int, what: str, **body):
    return b.client.post(
        f"{HUB}/plans/{plan_id}/{what}",
        json={"moves": [], "pins": [], **body},
        headers={"X-CSRF-Token": b.csrf},
    )


def _sessions(b, plan_id: int, wg: str = "") -> list[str]:
    page = b.get(f"{HUB}/plans/{plan_id}/edit" + (f"?wg={wg}" if wg else "")).text
    return re.findall(r'data-session="([^"]+)"[^>]*draggable', page)


def _into_blackout(b, plan_id: int) -> tuple[str, dict]:
    """A visit and a date of its window in a school's blackout (the example's Parkside mocks)."""
    sid = next(s for s in _sessions(b, plan_id, "sec-dev-1") if "visit-parkside" in s)
    choices = _json(b, plan_id, "where", session=sid).json()["choices"]
    return sid, next(c for c in choices if any("inside a blackout" in why for _, why in c["reasons"]))


def _seen(page: str) -> str:
    return html.unescape(re.search(r'name="seen" value="([^"]+)"', page).group(1))


def test_the_editor_checks_moves_and_says_why_not(database_url, make_app):
    app, client, b, plan_id = _planned(make_app, database_url)
    page = b.get(f"{HUB}/plans/{plan_id}/edit?wg=sec-dev-1")
    assert page.status_code == 200 and "The plan keeps every rule." in page.text
    sid, blocked = _into_blackout(b, plan_id)
    assert not blocked["allowed"] and any(
        rule == "R2" and "Year 11 mocks" in why for rule, why in blocked["reasons"]
    )
    answer = _json(b, plan_id, "check", moves=[[sid, blocked["date"], blocked["slot"]]]).json()
    mine = [v for v in answer["violations"] if sid in v["sessions"]]
    assert answer["count"] >= 1 and any(v["rule"] == "R2" and "Year 11 mocks" in v["message"] for v in mine)
    # the panel of another session sees the moved one where it now is
    after = _json(b, plan_id, "where", session=sid, moves=[[sid, blocked["date"], blocked["slot"]]]).json()
    assert any(c["current"] and c["date"] == blocked["date"] for c in after["choices"])
    assert after["violations"]

    s = _sessions(b, plan_id, "sec-dev-1")[0]
    for bad, words in [
        ([["nobody-1", "2026-11-10", "am"]], "no such session"),
        ([[s, "2026-13-01", "am"]], "is not a date"),
        ([[s, "2026-11-10", "noon"]], "is not am, pm or day"),
        ([[s, "2026-09-15", "am"]], "before today"),
        ([[s, "2026-11-14", "am"]], "is not a weekday of sec-dev-1's window"),
        ("not a list", "not a list"),
    ]:
        r = _json(b, plan_id, "check", moves=bad)
        assert r.status_code == 400 and words in r.json()["error"], (bad, r.text[:300])
    assert b.client.post(f"{HUB}/plans/{plan_id}/check", json={"moves": []}).status_code == 403  # no CSRF
    viewer = as_user(client, "viewer@example.org")
    assert (
        viewer.client.post(
            f"{HUB}/plans/{plan_id}/check", json={"moves": []}, headers={"X-CSRF-Token": viewer.csrf}
        ).status_code
        == 403
    )


def _feed_events(client, path: str) -> dict[str, tuple[int, str, str]]:
    out = {}
    for e in Calendar.from_ical(client.get(path).content).walk("VEVENT"):
        out[str(e["UID"])] = (
            int(e.get("SEQUENCE", 0)),
            str(e.get("STATUS", "CONFIRMED")),
            e["DTSTART"].to_ical().decode(),
        )
    return out


def test_save_compare_apply_and_restore(database_url, make_app):
    app, client, b, plan_id = _planned(make_app, database_url)
    b.get(f"{HUB}/specialists/sam-jones")
    feed = re.search(
        r'readonly value="http://testserver([^"]+)"', b.post(f"{HUB}/specialists/sam-jones/feed").text
    ).group(1)
    before = _feed_events(client, feed)
    s = next(x for x in _sessions(b, plan_id, "sec-dev-1") if "visit-oakfield" in x)
    choice = next(
        c
        for c in _json(b, plan_id, "where", session=s).json()["choices"]
        if c["allowed"] and not c["current"]
    )
    r = b.post(f"{HUB}/plans/{plan_id}/save", {"moves": json.dumps([[s, choice["date"], choice["slot"]]])})
    assert r.status_code == 200 and "1 moved, 0 added, 0 cancelled" in r.text and "keeps every rule" in r.text
    assert "Alex Khan" in r.text and "Oakfield" in r.text  # per person and per school
    draft_id = int(str(r.url).rsplit("/", 1)[1])
    stale = json.dumps({str(draft_id): 1, str(plan_id): 0})
    assert b.post(f"{HUB}/drafts/{draft_id}/apply", {"seen": stale}).status_code == 409
    applied = b.post(f"{HUB}/drafts/{draft_id}/apply", {"seen": _seen(r.text)})
    assert applied.status_code == 200 and "1 moved" in applied.text and "Sam Jones" in applied.text
    with app.state.sessions() as db:
        rows = {row.id: row.state for row in db.scalars(select(PlanRow))}
        assert rows[draft_id] == "current" and rows[plan_id] == "superseded"
        event = db.scalar(select(PlanEvent))
        assert event.action == "applied" and event.plan_id == draft_id and event.other_id == plan_id
    after = _feed_events(client, feed)
    changed = {uid for uid in before if before[uid] != after.get(uid)}
    assert len(changed) == 1 and set(before) == set(after)  # the same UIDs
    uid = changed.pop()
    assert after[uid][0] == before[uid][0] + 1 and after[uid][2] != before[uid][2]
    assert b.post(f"{HUB}/drafts/{draft_id}/apply", {"seen": "{}"}).status_code == 404  # not a draft any more

    history = b.get(f"{HUB}/plans")
    assert "coord@example.org" in history.text and f"plan {draft_id} applied" in history.text
    restored = b.post(f"{HUB}/plans/{plan_id}/restore")
    assert (
        restored.status_code == 200 and "1 moved" in restored.text and f"plan {plan_id} of" in restored.text
    )
    again = b.post(
        f"{HUB}/drafts/{int(str(restored.url).rsplit('/', 1)[1])}/apply", {"seen": _seen(restored.text)}
    )
    assert again.status_code == 200
    assert _feed_events(client, feed)[uid][2] == before[uid][2]  # back where it was, SEQUENCE up again
    assert _feed_events(client, feed)[uid][0] == before[uid][0] + 2


def test_a_draft_saved_before_a_hub_edit_is_applied_as_the_hub_is_now(sqlite_url, make_app):
    """The hub changed after the draft was saved (a new version): applying the draft makes it
    the plan of the newest version, not a refusal saying the plans changed since you looked
    (moving the draft to the new version before comparing what was seen bumped its counter)."""
    app, client = make_app(sqlite_url, today_is=TODAY)
    plan_id = seed_plan(app.state.sessions, "example-hub").plan_id
    b = as_user(client, "coord@example.org")
    s = next(x for x in _sessions(b, plan_id, "sec-dev-1") if "visit-oakfield" in x)
    choice = next(
        c
        for c in _json(b, plan_id, "where", session=s).json()["choices"]
        if c["allowed"] and not c["current"]
    )
    r = b.post(f"{HUB}/plans/{plan_id}/save", {"moves": json.dumps([[s, choice["date"], choice["slot"]]])})
    draft_id = int(str(r.url).rsplit("/", 1)[1])
    b.get(f"{HUB}/edit")  # a closure after every Work Group's window: it breaks nothing
    assert (
        b.post(f"{HUB}/edit", {"op": "add_closure", "school": "oakfield", "start": "2027-07-19"}).status_code
        == 200
    )
    page = b.get(f"{HUB}/drafts/{draft_id}")
    assert b.post(f"{HUB}/drafts/{draft_id}/apply", {"seen": _seen(page.text)}).status_code == 200
    with app.state.sessions() as db:
        row = db.get(PlanRow, draft_id)
        assert row.state == "current" and db.get(HubVersion, row.version_id).number == 2


def test_find_a_fix_saves_each_repair_as_a_draft(sqlite_url, make_app):
    app, client, b, plan_id = _planned(make_app, sqlite_url)
    s = next(x for x in _sessions(b, plan_id, "pri-dev-1") if "-visit-" in x)
    clash = next(
        c
        for c in _json(b, plan_id, "where", session=s).json()["choices"]
        if not c["allowed"] and not c["past"] and {r for r, _ in c["reasons"]} == {"R3"}
    )
    moves = json.dumps([[s, clash["date"], clash["slot"]]])
    r = b.post(f"{HUB}/plans/{plan_id}/fix", {"moves": moves, "session": s})
    assert r.status_code == 200 and "Repair 1: moves 1 other session" in r.text
    drafts = [int(x) for x in dict.fromkeys(re.findall(r"/drafts/(\d+)\"", r.text))]
    assert 1 <= len(drafts) <= 3
    for d in drafts:
        page = b.get(f"{HUB}/drafts/{d}")
        assert "keeps every rule" in page.text and "2 moved" in page.text  # the one placed, and one other


def _two_weeks_at(b, school: str) -> tuple[str, str]:
    """A Monday-to-Friday fortnight holding a session at `school` after today."""
    plan = b.get(f"{HUB}/files/plan.json").json()
    first = min(
        dt.date.fromisoformat(s["date"])
        for s in plan["sessions"]
        if school in (s["venue"], s["school"]) and s["date"] > str(TODAY)
    )
    monday = first - dt.timedelta(days=first.weekday())
    return monday.isoformat(), (monday + dt.timedelta(days=11)).isoformat()


def test_a_hub_edit_shows_what_breaks_and_replans_only_those(database_url, make_app):
    app, client, b, plan_id = _planned(make_app, database_url)
    start, end = _two_weeks_at(b, "weston")
    b.get(f"{HUB}/edit")
    form = {"op": "add_blackout", "school": "weston", "start": start, "end": end, "reason": "Ofsted"}
    r = b.post(f"{HUB}/edit", form)
    assert r.status_code == 200 and "what version 2 breaks" in r.text
    broken = set(re.findall(r"\(([a-z0-9-]+-\d+)\)</th>", r.text))
    assert broken and "inside a blackout at Weston Primary (Ofsted)" in r.text
    job = wait_job(app, int(str(b.post(f"{HUB}/plans/{plan_id}/replan").url).rsplit("/", 1)[1]))
    assert job.state == "done" and "a draft" in job.message
    page = b.get(f"{HUB}/drafts/{job.plan_id}")
    assert "keeps every rule" in page.text
    moved = set(re.findall(r"<td>moved</td>\s*<td>([a-z0-9-]+-\d+)", page.text))
    assert moved == broken
    for was in re.findall(
        r"<td>moved</td>(?:\s*<td>[^<]*</td>){2}\s*<td>(\w{3} \d\d \w{3} \d{4})", page.text
    ):
        assert dt.datetime.strptime(was, "%a %d %b %Y").date() >= TODAY  # the past kept


def test_a_wrong_hub_edit_stores_nothing(sqlite_url, make_app):
    app, client, b, plan_id = _planned(make_app, sqlite_url)
    b.get(f"{HUB}/edit")
    for form, words in [
        ({"op": "add_blackout", "school": "nowhere", "start": "2027-01-11"}, "no school 'nowhere'"),
        ({"op": "add_closure", "school": "oakfield", "start": ""}, "the first date is needed"),
        (
            {"op": "set_window", "work_group": "sec-dev-1", "start": "2027-05-03", "end": "2027-02-01"},
            "before",
        ),
        ({"op": "drop_everything"}, "is not a change this page makes"),
    ]:
        r = b.post(f"{HUB}/edit", form)
        assert r.status_code == 400 and words in html.unescape(r.text), form
    assert _newest(app) == 1
    page = b.get(f"{HUB}/edit?school=oakfield&person=bea-lee")
    assert (
        "2027-05-10..2027-06-25 (GCSE exams)" in page.text and 'aria-label="Remove the blackout' in page.text
    )
    assert 'id="day-thu" name="days" value="thu" checked' in page.text  # Bea Lee works mon–thu
    r = b.post(f"{HUB}/edit", {"op": "remove_blackout", "school": "oakfield", "index": "0"})
    assert r.status_code == 200 and "blackouts: removed" in r.text and _newest(app) == 2
    r = b.post(f"{HUB}/edit", {"op": "set_release_days", "person": "bea-lee", "days": ["mon", "tue"]})
    assert r.status_code == 200 and _newest(app) == 3 and "release_days" in r.text


def _newest(app) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.max(HubVersion.number)).join(Hub).where(Hub.slug == "example-hub"))


def test_an_infeasible_hub_offers_checked_changes_as_buttons(sqlite_url, make_app):
    app, client, b, plan_id = _planned(make_app, sqlite_url)
    start, end = _two_weeks_at(b, "riverside")  # over the example's pinned group meeting (R11)
    b.get(f"{HUB}/edit")
    form = {"op": "add_blackout", "school": "riverside", "start": start, "end": end, "reason": "Ofsted"}
    assert b.post(f"{HUB}/edit", form).status_code == 200
    job = wait_job(app, int(str(b.post(f"{HUB}/plans/{plan_id}/replan").url).rsplit("/", 1)[1]), timeout=300)
    page = b.get(f"{HUB}/jobs/{job.id}")
    assert "Why no plan exists" in page.text and "R11: pinned[0]" in page.text
    buttons = re.findall(r'name="edit" value="([^"]+)"', page.text)
    assert buttons
    forged = json.dumps([{"op": "set_max_km", "args": {"value": 999}}])
    assert b.post(f"{HUB}/relax", {"edit": forged, "plan_id": str(job.plan_id)}).status_code == 400
    r = b.post(f"{HUB}/relax", {"edit": html.unescape(buttons[0]), "plan_id": str(job.plan_id)})
    again = wait_job(app, int(str(r.url).rsplit("/", 1)[1]), timeout=300)
    assert again.state == "done" and "a draft" in again.message
    assert _newest(app) == 3
    with app.state.sessions() as db:
        assert db.get(PlanRow, again.plan_id).status in ("optimal", "feasible")
