"""The clash routes' part of the walk in test_web_security.py (the plan editor, drafts, the
history and its messages, hub edits and relaxations), and what those calls need made first.

Not a test module: test_web_security.py adds `CALLS` to its walk, `seed_clash` to its setup
and `clash_values` to what fills each call. Every object a call needs is made here in
process, as the pages would make it: a draft with a session moved, applied (a history
entry whose messages name the people who moved, and a superseded plan to restore); a draft
for everyone to look at and, for each person who may, one to apply and one to discard; and
an infeasible run's draft whose explanation offers one checked change (the relaxation).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from models.edits import Edit, edits_json
from scheduler.core.collector import collector_spared
from scheduler.core.plan import Plan
from scheduler.outputs.export import plan_json
from web import drafts, worker
from web.db import transaction
from web.hubs import instance_of, latest_version
from web.jobs import new_job
from web.moves import read_edits, where_json
from web.plans import current_plan, plan_of, store_result
from web.tables import Hub, PlanRow, User

TODAY = dt.date(2026, 10, 1)  # the walk's "today": most of the example's year still to come
HUB = "/hubs/example-hub"
EDITORS = {"coordinator": "coord@example.org", "admin": "admin@example.org"}  # who may change plans
RELAXATION = edits_json([Edit("set_max_km", {"value": 60})])


@pytest.fixture
def smtp_server():
    """An SMTP server on 127.0.0.1 that takes every message (the history's "send")."""
    from aiosmtpd.controller import Controller
    from web_support import free_port

    class Accept:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Accept(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield {"smtp_host": "127.0.0.1", "smtp_port": controller.port, "smtp_starttls": False}
    controller.stop()


def _a_move(draft, instance, today: dt.date) -> tuple[str, dt.date, str, str, str]:
    """A session after today and another date and slot the rules allow it."""
    for sid, s in sorted(draft.sessions.items()):
        if s.date < today:
            continue
        for c in where_json(draft, instance, sid, today)["choices"]:
            if c["allowed"] and not c["current"]:
                return sid, s.date, s.slot, c["date"], c["slot"]
    raise AssertionError("no session of the seeded plan can move anywhere")


def seed_clash(app, hub_id: int) -> dict:
    """What the clash calls need, made on the hub's seeded (current) plan."""
    with transaction(app.state.sessions) as db, collector_spared():
        hub = db.get(Hub, hub_id)
        users = {who: db.scalar(select(User).where(User.email == e)) for who, e in EDITORS.items()}
        version, first = latest_version(db, hub), current_plan(db, hub)
        today, instance = app.state.settings.today(), instance_of(version)
        checked = drafts.checked(first, version)
        sid, was_date, was_slot, to_date, to_slot = _a_move(checked, instance, today)
        edits = read_edits(checked, json.dumps([[sid, to_date, to_slot]]), "[]", today)
        moved = checked.moved(edits.moves)
        by = users["coordinator"]
        row = drafts.new_draft(db, hub, version, list(moved.sessions.values()), "walk: one move", by, first)
        seen = {row.id: row.version, first.id: first.version}
        event = drafts.apply(db, hub, row, by, today, seen)
        sessions = list(plan_of(row).sessions)  # the current plan's, as applied

        def copy(label: str, who: str) -> int:
            return drafts.new_draft(db, hub, version, sessions, f"walk: {label}", users[who], row).id

        mine = {who: {"apply": copy("to apply", who), "discard": copy("to discard", who)} for who in EDITORS}
        run = new_job(db, version, None, "done", users["coordinator"])
        files = {
            "plan.json": plan_json(Plan(instance.name, "infeasible", [])),
            "explanation.txt": b"R7: no date is left for a visit\n",
            worker.RELAXATIONS: json.dumps([{"text": "allow 60 km", "edits": RELAXATION}]).encode(),
        }
        store_result(db, run, worker.Result("infeasible", "no plan", files), today)
        return {
            "earlier": first.id,
            "draft": copy("to look at", "coordinator"),
            "mine": mine,
            "event": event.id,
            "session": sid,
            "back": json.dumps([[sid, was_date.isoformat(), was_slot]]),
            "back_date": was_date.isoformat(),
            "back_slot": was_slot,
            "relax_plan": run.plan_id,
        }


def clash_values(db, clash: dict, who: str) -> dict:
    """The ids and forms of the clash calls for `who`, read as the call is made: the current
    plan, and what the person saw of their draft to apply and of the current plan."""
    current = current_plan(db, db.scalar(select(Hub).where(Hub.slug == "example-hub")))
    mine = clash["mine"].get(who, clash["mine"]["coordinator"])
    to_apply = db.get(PlanRow, mine["apply"])
    seen = {str(r.id): r.version for r in (to_apply, current) if r is not None}
    return {
        **{k: v for k, v in clash.items() if k != "mine"},
        "current": current.id,
        "apply": mine["apply"],
        "discard": mine["discard"],
        "seen": json.dumps(seen),
        "relax": RELAXATION,
    }


def calls(call: Callable, cancel_runs: Callable) -> dict:
    """The clash routes' calls, as `Call`s of test_web_security.py; the hub edits and the
    relaxation (new versions of the hub) last."""
    plan = HUB + "/plans/{current}"
    body = {"moves": [["{session}", "{back_date}", "{back_slot}"]], "pins": [], "session": "{session}"}
    return {
        ("GET", "/hubs/{slug}/plans"): call(HUB + "/plans", 200),
        ("GET", "/hubs/{slug}/drafts/{plan_id}"): call(HUB + "/drafts/{draft}", 200),
        ("GET", "/hubs/{slug}/plans/{plan_id}/edit"): call(plan + "/edit", 200),
        ("POST", "/hubs/{slug}/plans/{plan_id}/check"): call(plan + "/check", 200, json=body),
        ("POST", "/hubs/{slug}/plans/{plan_id}/where"): call(plan + "/where", 200, json=body),
        ("POST", "/hubs/{slug}/plans/{plan_id}/save"): call(plan + "/save", 303, {"moves": "{back}"}),
        ("POST", "/hubs/{slug}/plans/{plan_id}/fix"): call(plan + "/fix", 200, {"session": "{session}"}),
        ("POST", "/hubs/{slug}/plans/{plan_id}/replan"): call(
            plan + "/replan", 303, {"moves": "{back}"}, after=cancel_runs
        ),
        ("POST", "/hubs/{slug}/plans/{plan_id}/restore"): call(HUB + "/plans/{earlier}/restore", 303),
        ("POST", "/hubs/{slug}/drafts/{plan_id}/apply"): call(
            HUB + "/drafts/{apply}/apply", 303, {"seen": "{seen}"}
        ),
        ("POST", "/hubs/{slug}/drafts/{plan_id}/discard"): call(HUB + "/drafts/{discard}/discard", 303),
        ("GET", "/hubs/{slug}/history/{event_id}"): call(HUB + "/history/{event}", 200),
        ("GET", "/hubs/{slug}/history/{event_id}/changes.csv"): call(
            HUB + "/history/{event}/changes.csv", 200
        ),
        ("GET", "/hubs/{slug}/history/{event_id}/messages.zip"): call(
            HUB + "/history/{event}/messages.zip", 200
        ),
        ("POST", "/hubs/{slug}/history/{event_id}/send"): call(HUB + "/history/{event}/send", 200),
        ("GET", "/hubs/{slug}/edit"): call(HUB + "/edit?school=oakfield&person=bea-lee", 200),
        ("POST", "/hubs/{slug}/edit"): call(
            HUB + "/edit",
            303,
            {"op": "add_closure", "school": "oakfield", "start": "2027-07-19", "end": ""},
        ),
        ("GET", "/hubs/{slug}/versions/{number}/breaks"): call(HUB + "/versions/1/breaks", 200),
        ("POST", "/hubs/{slug}/relax"): call(
            HUB + "/relax", 303, {"edit": "{relax}", "plan_id": "{relax_plan}"}, after=cancel_runs
        ),
    }
