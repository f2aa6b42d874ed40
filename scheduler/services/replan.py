"""Re-planning after a change: keep the past, move as little as possible, keep calendar UIDs.

`prepare` reads the previous plan (a plan.json or a hand-made CSV, through
`scheduler.services.plans`). The model then

- fixes every previous session dated before `today` and forbids new ones there;
- counts as S5 "changes" each later previous session not kept at its date and slot, and
  each session the previous plan did not have; S5 is minimised first, on its own, and the
  other goals only among the plans with the fewest changes (`scheduler.core.solve`), so a
  session moves only where the changed instance forces it.

After solving, `Replan.label` gives each new session the id of the previous session it
continues (same stream; same date and slot, else the nearest in date order), so calendar
UIDs survive; a moved session's SEQUENCE goes up by one and its LAST-MODIFIED becomes the
re-plan's stamp; a dropped one stays in the feeds as cancelled until its date has passed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from models.load import InstanceError
from scheduler.core.model import Builder
from scheduler.core.plan import Plan, Session
from scheduler.core.problem import Problem
from scheduler.core.rules import slot_reasons
from scheduler.services.plans import read_previous

CHANGES_COLUMNS = (
    "change",
    "id",
    "work_group",
    "kind",
    "school",
    "from_date",
    "from_slot",
    "to_date",
    "to_slot",
    "sequence",
    "reason",
)


class ReplanError(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(m for _, m in problems))
        self.problems = problems


@dataclass(frozen=True)
class Change:
    change: str  # kept | moved | added | cancelled
    before: Session | None
    after: Session | None
    reason: str = ""

    @property
    def session(self) -> Session:
        return self.after or self.before  # type: ignore[return-value]

    def row(self) -> list[str]:
        s, b, a = self.session, self.before, self.after
        return [
            self.change,
            s.id,
            s.work_group,
            s.kind,
            s.school or "",
            b.date.isoformat() if b else "",
            b.slot if b else "",
            a.date.isoformat() if a else "",
            a.slot if a else "",
            str(s.sequence),
            self.reason,
        ]


@dataclass
class Replan:
    """The previous plan, as the model and the labeller need it."""

    today: dt.date | None
    stamp: dt.datetime  # LAST-MODIFIED of whatever changes in this re-plan
    previous: list[Session]  # live sessions of the previous plan, with ids and sequences
    cancelled: list[Session] = field(default_factory=list)  # cancelled earlier, still in the feeds
    unknown: list[Session] = field(default_factory=list)  # sessions of streams the instance no longer has
    base: str | None = None  # the previous plan's own stamp, for sessions it did not stamp
    keys: dict[str, str] = field(default_factory=dict)  # previous session id -> activity key

    def by_activity(self) -> dict[str, list[Session]]:
        out: dict[str, list[Session]] = defaultdict(list)
        for s in self.previous:
            out[self.keys[s.id]].append(s)
        return out

    def is_past(self, day: dt.date) -> bool:
        return self.today is not None and day < self.today

    def extra_candidates(self) -> dict[str, list[tuple[dt.date, str]]]:
        """Past sessions must stay even where today's rules would not allow them."""
        out: dict[str, list[tuple[dt.date, str]]] = defaultdict(list)
        for s in self.previous:
            if self.is_past(s.date):
                out[self.keys[s.id]].append((s.date, s.slot))
        return dict(out)

    # -- the model -------------------------------------------------------------
    def apply(self, b: Builder) -> None:
        """Fix the past; make every other difference from the previous plan an S5 change."""
        prev = self.by_activity()
        for act in b.problem.activities:
            before = {(s.date, s.slot) for s in prev.get(act.key, ())}
            found = {(day, slot) for day, slot, _ in b.cands[act.key]} & before
            for day, slot, x in b.cands[act.key]:
                was = (day, slot) in before
                if self.is_past(day):
                    b.model.add(x == int(was))
                elif was:
                    b.soft["S5"].append(1 - x)
                else:
                    b.soft["S5"].append(x)
            # A later previous session whose slot no longer exists must move: a fixed change.
            b.soft["S5"] += [1 for key in before - found if not self.is_past(key[0])]

    # -- after solving -----------------------------------------------------------
    def label(self, problem: Problem, plan: Plan) -> list[Change]:
        """Give the plan's sessions their previous ids and sequences; return every change."""
        prev = self.by_activity()
        new: dict[str, list[Session]] = defaultdict(list)
        for s in plan.sessions:
            new[problem.session_key(s)].append(s)
        used_ids = {s.id for s in [*self.previous, *self.cancelled, *self.unknown]}
        changes: list[Change] = []
        labelled: list[Session] = []
        for key in sorted(set(prev) | set(new)):
            olds, news = sorted(prev.get(key, [])), sorted(new.get(key, []))
            at = {(s.date, s.slot): s for s in olds}
            kept = [s for s in news if (s.date, s.slot) in at]
            for s in kept:
                old = at[(s.date, s.slot)]
                s2 = dataclasses.replace(
                    s, id=old.id, sequence=old.sequence, modified=old.modified or self.base
                )
                labelled.append(s2)
                changes.append(Change("kept", old, s2))
            kept_slots = {(s.date, s.slot) for s in kept}
            rest_old = [s for s in olds if (s.date, s.slot) not in kept_slots]
            rest_new = [s for s in news if (s.date, s.slot) not in kept_slots]
            for old, s in zip(rest_old, rest_new):  # both in date order: nearest first
                s2 = dataclasses.replace(s, id=old.id, sequence=old.sequence + 1, modified=self._stamp())
                labelled.append(s2)
                changes.append(Change("moved", old, s2, self._why(problem, old, slot_reasons)))
            for s in rest_new[len(rest_old) :]:
                s2 = dataclasses.replace(s, id=_fresh_id(s, used_ids), sequence=0, modified=self._stamp())
                used_ids.add(s2.id)
                labelled.append(s2)
                changes.append(Change("added", None, s2, "the changed instance needs another session"))
            for old in rest_old[len(rest_new) :]:
                changes.append(self._cancel(old, "no longer needed"))
        for old in self.unknown:  # the past happened, whatever the instance says now
            if not self.is_past(old.date):
                changes.append(self._cancel(old, "its Work Group or school is no longer in the instance"))
        plan.sessions = sorted(labelled)
        still = {s.id for s in plan.sessions}
        carried = [s for s in self.cancelled if s.id not in still and not self.is_past(s.date)]
        plan.cancelled = sorted(
            [c.before for c in changes if c.change == "cancelled" and not self.is_past(c.before.date)]
            + carried
        )
        order = {"moved": 0, "added": 1, "cancelled": 2, "kept": 3}
        return sorted(changes, key=lambda c: (order[c.change], c.session.date, c.session.id))

    def _stamp(self) -> str:
        return self.stamp.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _cancel(self, old: Session, reason: str) -> Change:
        gone = dataclasses.replace(old, sequence=old.sequence + 1, modified=self._stamp())
        return Change("cancelled", gone, None, reason)

    def _why(self, problem: Problem, old: Session, slot_reasons) -> str:
        wg = problem.work_groups.get(old.work_group)
        act = wg.activity(old.kind, old.school if old.kind == "visit" else None) if wg else None
        reasons = slot_reasons(problem, act, old.date, old.slot) if act else []
        if reasons:
            return f"{old.date} {old.slot} is no longer allowed: " + "; ".join(reasons)
        return "moved to make room for a session that had to move"


def _fresh_id(s: Session, used: set[str]) -> str:
    stem = f"{s.work_group}-{s.kind}" + (f"-{s.school}" if s.school else "")
    k = 1
    while f"{stem}-{k}" in used:
        k += 1
    return f"{stem}-{k}"


# -- reading the previous plan ----------------------------------------------------


def prepare(problem: Problem, path: str | Path, today: dt.date | None) -> Replan:
    """Read the previous plan at `path` against `problem`; ReplanError names what is wrong."""
    try:
        live, cancelled = read_previous(path, problem)
    except InstanceError as exc:
        raise ReplanError(
            [(f"--previous {path}: {at}" if at else "--previous", msg) for at, msg in exc.problems]
        ) from None
    return previous_plan(problem, live, cancelled, today)


def previous_plan(
    problem: Problem, live: list[Session], cancelled: list[Session], today: dt.date | None
) -> Replan:
    """A previous plan's live and cancelled sessions (as read, or as the workspace keeps them)
    ready to re-plan against, or to label a new plan against (`Replan.label`)."""
    live_sessions = _with_ids(live)
    known = {a.key for a in problem.activities}
    keys = {s.id: problem.session_key(s) or s.stream for s in live_sessions}
    base = _first_stamp(live_sessions)
    earlier = [s.modified for s in [*live_sessions, *cancelled] if s.modified] + [base]
    return Replan(
        today=today,
        stamp=_stamp(today, [x for x in earlier if x and _is_stamp(x)]),
        previous=[s for s in live_sessions if keys[s.id] in known],
        cancelled=cancelled,
        unknown=[s for s in live_sessions if keys[s.id] not in known],
        base=base,
        keys=keys,
    )


def _with_ids(sessions: list[Session]) -> list[Session]:
    """A hand-made CSV has no ids: give its sessions the ids a solve would have."""
    used = {s.id for s in sessions if s.id}
    out = []
    for s in sorted(sessions):
        if not s.id:
            s = dataclasses.replace(s, id=_fresh_id(s, used))
            used.add(s.id)
        out.append(s)
    return out


def _stamp(today: dt.date | None, earlier: list[str]) -> dt.datetime:
    """The re-plan's LAST-MODIFIED: midnight UTC of `today`, and always later than any
    stamp the previous plan carries, so it never goes backwards."""
    latest = max((dt.datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ") for x in earlier), default=None)
    base = dt.datetime(today.year, today.month, today.day) if today else None
    if base is None or (latest is not None and latest >= base):
        base = (latest or dt.datetime(2000, 1, 1)) + dt.timedelta(seconds=1)
    return base.replace(tzinfo=dt.timezone.utc)


def _first_stamp(sessions: list[Session]) -> str | None:
    """What a plan's calendars stamp sessions with when nothing moved them (see export_ics)."""
    if not sessions:
        return None
    first = min(s.date for s in sessions)
    return f"{first.isoformat()}T00:00:00Z"


def _is_stamp(text: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text))


def changes_csv(changes: list[Change]) -> bytes:
    from models.text import safe_cell

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CHANGES_COLUMNS)
    for c in changes:
        w.writerow(safe_cell(v) for v in c.row())
    return buf.getvalue().encode()


def summary_lines(changes: list[Change]) -> list[str]:
    count = defaultdict(int)
    for c in changes:
        count[c.change] += 1
    head = ", ".join(f"{count[k]} {k}" for k in ("kept", "moved", "added", "cancelled"))
    lines = [f"changes: {head} (changes.csv)"]
    for c in changes:
        if c.change == "moved":
            lines.append(
                f"  moved {c.session.id}: {c.before.date} {c.before.slot} -> {c.after.date} {c.after.slot}"
            )
        elif c.change in ("added", "cancelled"):
            lines.append(f"  {c.change} {c.session.id}: {c.session.date} {c.session.slot}")
    return lines
