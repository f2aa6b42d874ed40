"""Drafts: plans waiting for a person. Making one, comparing it with the current plan,
applying it, restoring an earlier plan as one, and the history of all that.

A hub has one current plan and any number of drafts (`PlanRow.state`). A draft is made by
hand (sessions moved in the editor), by "find a fix" (one per repair), by "re-plan from
here" (a planning job), or by restoring an earlier plan. Applying one makes it current in
one transaction: its sessions are labelled against the current plan exactly as `hubplan
solve --previous` labels a re-plan (`Replan.label`: the same ids and calendar UIDs, SEQUENCE
+ 1 for a moved session, CANCELLED for a dropped one), every file is rendered again, the old
plan is superseded, and the history records who applied what, and when. Both rows are held
to their version counters, so of two people applying at once only one succeeds.

Drafts are checked against the hub's newest version: a draft is a plan for the hub as it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.instance import Instance
from scheduler.core.goal_values import GoalValues
from scheduler.core.model import SOFT_GOALS
from scheduler.core.plan import Plan
from scheduler.core.plan import Session as Meeting
from scheduler.core.problem import Problem
from scheduler.outputs.export import plan_json, render_outputs
from scheduler.services.moves import Draft
from scheduler.services.replan import Change, Replan, changes_csv, previous_plan, summary_lines
from web.db import utcnow
from web.hubs import instance_of, latest_version
from web.plans import current_plan, make_current, plan_of, session_of
from web.tables import Hub, HubVersion, PlanEvent, PlanRow, User


class DraftError(Exception):
    """A draft that cannot be applied or made, in words for the coordinator."""


# -- the engine's view of stored plans, kept while the server runs --------------------------


@functools.lru_cache(maxsize=16)
def _problem(version_id: int, text: str) -> Problem:
    return Problem.from_instance(instance_of(HubVersion(id=version_id, instance_yaml=text)))


def problem_of(version: HubVersion) -> Problem:
    """A version's Problem (built once per version and process: a typical hub takes 0.3 s)."""
    return _problem(version.id, version.instance_yaml)


class _Checked:
    """Each plan's `Draft` (every rule checked) against a version, the few most recent kept:
    the editor asks again and again about one plan while a person works on it."""

    def __init__(self, most: int = 8):
        self.most, self.found, self.lock = most, OrderedDict(), threading.Lock()

    def __call__(self, row: PlanRow, version: HubVersion) -> Draft:
        # The texts' hashes too: ids repeat across databases (tests run several in one process).
        key = (row.id, row.version, hash(row.plan_json), version.id, hash(version.instance_yaml))
        with self.lock:
            if key in self.found:
                self.found.move_to_end(key)
                return self.found[key]
        draft = Draft(problem_of(version), known_sessions(row, problem_of(version)))
        with self.lock:
            self.found[key] = draft
            while len(self.found) > self.most:
                self.found.popitem(last=False)
        return draft


checked = _Checked()


def known_sessions(row: PlanRow, problem: Problem) -> list[Meeting]:
    """The plan's sessions of streams the problem still has (a plan of an older version may
    hold a Work Group since removed: re-planning or applying cancels those)."""
    return [s for s in plan_of(row).sessions if problem.session_key(s) is not None]


# -- making drafts --------------------------------------------------------------------------------


def new_draft(
    db: Session,
    hub: Hub,
    version: HubVersion,
    sessions: list[Meeting],
    label: str,
    user: User | None,
    based_on: PlanRow | None = None,
    summary: str = "",
) -> PlanRow:
    """A draft of these sessions for `version`, saying what it is (`label`)."""
    plan = Plan(instance_of(version).name, "feasible", sorted(sessions))
    row = PlanRow(
        hub_id=hub.id,
        version_id=version.id,
        state="draft",
        status="feasible",
        plan_json=plan_json(plan).decode(),
        summary=summary,
        label=label[:300],
        based_on_id=based_on.id if based_on else None,
        created_by=user.id if user else None,
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    return row


def restore(db: Session, hub: Hub, earlier: PlanRow, user: User | None) -> PlanRow:
    """A new draft with an earlier plan's sessions, for the hub as it is now."""
    if earlier.state == "draft" or earlier.status not in ("optimal", "feasible"):
        raise DraftError("Only a plan that was current once can be restored.")
    version = latest_version(db, hub)
    sessions = known_sessions(earlier, problem_of(version))
    when = earlier.created_at.strftime("%d %b %Y %H:%M")
    row = new_draft(db, hub, version, sessions, f"plan {earlier.id} of {when} UTC, restored", user, earlier)
    db.add(
        PlanEvent(
            hub_id=hub.id,
            action="restored",
            plan_id=row.id,
            other_id=earlier.id,
            user_id=_id(user),
            at=utcnow(),
        )
    )
    return row


def _id(user: User | None) -> int | None:
    return user.id if user else None


# -- comparing and applying --------------------------------------------------------------------


@dataclass
class Comparison:
    """What a draft changes from the current plan, as `changes.csv` would list it."""

    replan: Replan
    changes: list[Change]  # moved, added, cancelled (not the kept)
    plan: Plan  # the draft's sessions with the current plan's ids and SEQUENCE, and the cancelled
    people: list[tuple[str, str, list[Change]]] = field(default_factory=list)  # id, name, changes
    schools: list[tuple[str, str, list[Change]]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(("moved", "added", "cancelled"), 0)
        for c in self.changes:
            out[c.change] += 1
        return out


def compare(
    instance: Instance, problem: Problem, current: PlanRow | None, sessions: list[Meeting], today: dt.date
) -> Comparison:
    """`sessions` labelled against the current plan, and what changes, per person and school."""
    live = plan_of(current).sessions if current else []
    gone = plan_of(current).cancelled if current else []
    replan = previous_plan(problem, list(live), list(gone), today)
    plan = Plan(instance.name, "feasible", [dataclasses.replace(s) for s in sessions])
    changes = [c for c in replan.label(problem, plan) if c.change != "kept"]
    out = Comparison(replan, changes, plan)
    out.people = _grouped(changes, people_of, _names(instance))
    school_of = {t.id: t.school for t in instance.teachers}
    out.schools = _grouped(
        changes, lambda c: schools_of(c, school_of), {s.id: s.name for s in instance.schools}
    )
    return out


def people_of(c: Change) -> list[str]:
    """Everyone whose calendar the change touches: who attended before and who attends after."""
    return list(
        dict.fromkeys([*(c.before.attendees if c.before else ()), *(c.after.attendees if c.after else ())])
    )


def schools_of(c: Change, school_of: dict[str, str]) -> list[str]:
    out = []
    for s in (c.before, c.after):
        if s is not None:
            out += [
                s.venue,
                *([s.school] if s.school else []),
                *(school_of[t] for t in s.teachers if t in school_of),
            ]
    return list(dict.fromkeys(out))


def _names(instance: Instance) -> dict[str, str]:
    return {p.id: p.name for p in [*instance.specialists, *instance.teachers]}


def _grouped(changes: list[Change], keys, names: dict[str, str]) -> list[tuple[str, str, list[Change]]]:
    found: dict[str, list[Change]] = {}
    for c in changes:
        for k in keys(c):
            found.setdefault(k, []).append(c)
    return sorted(((k, names.get(k, k), cs) for k, cs in found.items()), key=lambda x: (x[1], x[0]))


def apply(
    db: Session,
    hub: Hub,
    row: PlanRow,
    user: User | None,
    today: dt.date,
    seen: dict[int, int],
    version: HubVersion | None = None,
) -> PlanEvent:
    """Make draft `row` the current plan, a plan of `version` (the hub as it is now; else
    the version the draft was made for); `seen` holds the version counters of the rows the
    person looked at (the draft, and the current plan if any): if either changed since, or
    the draft is no longer a draft, nothing happens (DraftError). The counters are compared
    before the draft is changed at all: changing it counts as a change."""
    current = current_plan(db, hub)
    if row.state != "draft" or row.status not in ("optimal", "feasible"):
        raise DraftError("This is not a draft with a plan; nothing was applied.")
    for r in (row, current):
        if r is not None and seen.get(r.id) != r.version:
            raise DraftError("The plans changed since you looked at them; look again before applying.")
    if current is not None and seen.keys() - {row.id, current.id}:
        raise DraftError("Another plan became current since you looked; look again before applying.")
    if version is not None:
        row.version_id = version.id
    version = db.get(HubVersion, row.version_id)
    instance, problem = instance_of(version), problem_of(version)
    found = compare(instance, problem, current, known_sessions(row, problem), today)
    plan = found.plan
    plan.objective_terms, plan.objective = _goals(problem, plan.sessions)
    files = render_outputs(instance, plan, None, replan=found.replan, changes=found.changes)
    row.plan_json = files["plan.json"].decode()
    row.summary = "\n".join(summary_lines(found.changes))
    make_current(db, hub, row, files, today)
    event = PlanEvent(
        hub_id=hub.id,
        action="applied",
        plan_id=row.id,
        other_id=current.id if current else None,
        user_id=_id(user),
        at=utcnow(),
        summary=", ".join(f"{n} {k}" for k, n in found.counts.items()),
        changes_json=json.dumps([_change_dict(c) for c in found.changes]),
        notified_json="[]",
    )
    db.add(event)
    db.flush()
    return event


def _goals(problem: Problem, sessions: list[Meeting]) -> tuple[dict[str, float], float]:
    """S1–S4 of a plan made by hand, as plan.json's `objective_terms` and `objective`."""
    extra: dict[str, list] = {}
    placed = [(problem.session_key(s), s.date, s.slot) for s in sessions]
    gv = GoalValues(problem)
    missing = [p for p in placed if p not in gv.index]
    if missing:
        for key, day, slot in missing:
            extra.setdefault(key, []).append((day, slot))
        gv = GoalValues(problem, extra)
    goals = gv.goals(gv.values(placed))
    return {f"{k} {SOFT_GOALS[k]}": v for k, v in goals.items()}, float(gv.weighted(goals))


def _change_dict(c: Change) -> dict:
    return {
        "change": c.change,
        "before": c.before.as_dict() if c.before else None,
        "after": c.after.as_dict() if c.after else None,
        "reason": c.reason,
    }


def event_changes(event: PlanEvent) -> list[Change]:
    """An applied event's changes, as `changes.csv` listed them."""
    return [
        Change(
            d["change"],
            session_of(d["before"]) if d["before"] else None,
            session_of(d["after"]) if d["after"] else None,
            d.get("reason", ""),
        )
        for d in json.loads(event.changes_json or "[]")
    ]


def event_changes_csv(event: PlanEvent) -> bytes:
    return changes_csv(event_changes(event))


def history(db: Session, hub: Hub) -> list[PlanEvent]:
    return list(db.scalars(select(PlanEvent).where(PlanEvent.hub_id == hub.id).order_by(PlanEvent.id.desc())))


def drafts(db: Session, hub: Hub) -> list[PlanRow]:
    return list(
        db.scalars(
            select(PlanRow)
            .where(PlanRow.hub_id == hub.id, PlanRow.state == "draft")
            .order_by(PlanRow.id.desc())
        )
    )
