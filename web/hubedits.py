"""Changing the hub in the browser: a school's closures and blackouts, a person's unavailable
dates and release days, a Work Group's window, or a checked relaxation of an explanation.

Each change is a `models.edits.Edit`, made to the newest version's instance and validated
exactly as an upload is; nothing is stored when it is wrong (the form says why, naming the
field). A valid change is the hub's next version (`web.hubs.add_version`), and the current
plan is then checked against it (`breaks`): the sessions it breaks, each with its rule and
reason, with "re-plan from here" one click away.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models.edits import Edit, apply_edit, edits_from_json
from models.instance import WEEKDAYS, Instance
from models.problems import InstanceError
from scheduler.core.plan import Session as Meeting
from scheduler.core.rules import Violation
from web import drafts
from web.hubs import add_version, instance_of, latest_version
from web.locking import UNCHECKED, Seen
from web.tables import Hub, HubVersion, PlanRow, User

FORMS = {  # what each form may send, and the Edit it makes
    "add_closure": ("school", "start", "end"),
    "add_blackout": ("school", "start", "end", "reason"),
    "remove_closure": ("school", "index"),
    "remove_blackout": ("school", "index"),
    "add_unavailable": ("person", "start", "end"),
    "remove_unavailable": ("person", "index"),
    "set_release_days": ("person", "days"),
    "set_window": ("work_group", "start", "end"),
}


class EditRejected(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


def form_edit(op: str, form: dict) -> Edit:
    """The Edit a form sends (`op` and its fields); EditRejected names a missing field."""
    if op not in FORMS:
        raise EditRejected([("op", f"'{op[:40]}' is not a change this page makes")])
    args: dict = {}
    for name in FORMS[op]:
        value = form.get(name)
        if name == "days":
            args[name] = [d for d in WEEKDAYS if d in (value or [])]
        elif name == "index":
            try:
                args[name] = int(value)
            except (TypeError, ValueError):
                raise EditRejected([(name, "choose an entry to remove")]) from None
        elif name == "reason":
            args[name] = (value or "").strip()
        elif name == "end" or (op == "set_window" and name == "start"):  # may be left empty
            args[name] = (value or "").strip() or None
        else:
            args[name] = (value or "").strip()
            if not args[name]:
                raise EditRejected([(name, f"{OPTIONAL.get(name, name)} is needed")])
    return Edit(op, args)


OPTIONAL = {
    "start": "the first date",
    "school": "a school",
    "person": "a person",
    "work_group": "a Work Group",
}


def describe(edit: Edit) -> str:
    """The change in a few words, as the version's source names it."""
    a = edit.args
    who = a.get("school") or a.get("person") or a.get("work_group") or ""
    span = f" {a['start']}" + (f"..{a['end']}" if a.get("end") else "") if a.get("start") else ""
    return f"{edit.op.replace('_', ' ')} {who}{span}".strip()[:200]


def make(db: Session, hub: Hub, edits: list[Edit], user: User | None, seen: Seen = UNCHECKED) -> HubVersion:
    """The hub's next version with `edits` made; EditRejected says what is wrong, and nothing
    is stored; Conflict, that someone changed the hub after `seen` (`web.locking.claim`)."""
    latest = latest_version(db, hub)
    if latest is None:
        raise EditRejected([("", "This hub has no data yet; upload its workbook first.")])
    instance = instance_of(latest)
    try:
        for edit in edits:
            instance = apply_edit(instance, edit)
    except InstanceError as exc:
        raise EditRejected(exc.problems) from None
    said = "; ".join(describe(e) for e in edits)[:200]
    return add_version(db, hub, instance, f"edited in the workspace: {said}", user, seen)


@dataclass
class Broken:
    """A session of the current plan the new version breaks, with what it breaks."""

    session: Meeting
    violations: list[Violation]


def breaks(current: PlanRow, version: HubVersion) -> tuple[list[Broken], list[Violation]]:
    """The current plan checked against `version`: each broken session, and every violation."""
    checked = drafts.checked(current, version)
    by = checked.by_session()
    found = [Broken(checked.sessions[sid], vs) for sid, vs in by.items() if sid in checked.sessions]
    return sorted(found, key=lambda b: b.session), checked.violations


def entries(instance: Instance, school: str = "", person: str = "") -> dict:
    """The closures, blackouts and unavailable dates the page lists with a button to remove each."""
    out: dict = {"closures": [], "blackouts": [], "unavailable": [], "release_days": None}
    s = next((x for x in instance.schools if x.id == school), None)
    if s is not None:
        out["closures"] = [_text(c) for c in s.closures]
        out["blackouts"] = [
            f"{b.from_}..{b.to}" + (f" ({b.reason})" if b.reason else "") for b in s.blackouts
        ]
    p = next((x for x in [*instance.specialists, *instance.teachers] if x.id == person), None)
    if p is not None:
        out["unavailable"] = [_text(u) for u in p.unavailable]
        out["release_days"] = list(
            p.release_days if p.release_days is not None else getattr(p, "works", WEEKDAYS)
        )
    return out


def _text(item) -> str:
    return str(item) if not hasattr(item, "from_") else f"{item.from_}..{item.to}"


def offered(files: dict[str, bytes] | None, version: HubVersion) -> list[tuple[str, str]]:
    """The changes a run checked, as (text, edits JSON) for buttons: those that change the
    hub's data (a pin a person set in the editor is not the hub's to drop)."""
    raw = (files or {}).get("relaxations.json")
    if not raw:
        return []
    pins = len(instance_of(version).pinned)
    out = []
    for r in json.loads(raw):
        edits = edits_from_json(r["edits"])
        if any(e.op in ("drop_pin", "move_pin") and int(e.args.get("index", 0)) >= pins for e in edits):
            continue
        out.append((r["text"], r["edits"]))
    return out
