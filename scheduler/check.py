"""`hubplan check`: read a plan (plan.json or a hand-made CSV) and list every broken rule.

The rules themselves live in `rules.py`; this module only reads plans and gives the rules
a view of the sessions (`Checked`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from models.load import InstanceError

from .plan import Session
from .problem import KIND_LABEL, Activity, Problem, WorkGroupSpec
from .rules import RULES, Violation

CSV_COLUMNS = ("work_group", "kind", "school", "date", "slot")


@dataclass
class Checked:
    """A plan's sessions with the lookups the rules' `check` methods need."""

    problem: Problem
    sessions: list[Session]
    _by_wg: dict[str, list[Session]] = field(default_factory=dict)
    _with_activity: list[tuple[Session, Activity]] | None = None

    def __post_init__(self) -> None:
        by_wg: dict[str, list[Session]] = defaultdict(list)
        for s in sorted(self.sessions):
            by_wg[s.work_group].append(s)
        self._by_wg = dict(by_wg)

    def of_wg(self, wg: str) -> list[Session]:
        return self._by_wg.get(wg, [])

    def wg(self, s: Session) -> WorkGroupSpec:
        return self.problem.work_groups[s.work_group]

    def planned(self, s: Session) -> Activity | None:
        """The activity the session belongs to, as its programme sets it (venue, leader, …)."""
        wg = self.problem.work_groups.get(s.work_group)
        if wg is None:
            return None
        return wg.activity(s.kind, s.school if s.kind == "visit" else None, s.date)

    def activity(self, s: Session) -> Activity | None:
        """The planned session as an activity: its own venue and attendees, as planned."""
        base = self.planned(s)
        if base is None:
            return None
        return Activity(
            base.key,
            base.wg,
            base.kind,
            base.school,
            s.venue,
            s.specialist,
            s.teachers,
            base.slots,
            base.dates,
        )

    def sessions_with_activity(self) -> list[tuple[Session, Activity]]:
        """Each readable session with its activity, in date order (computed once)."""
        if self._with_activity is None:
            pairs = ((s, self.activity(s)) for s in sorted(self.sessions))
            self._with_activity = [(s, a) for s, a in pairs if a is not None]
        return self._with_activity

    def describe(self, s: Session) -> str:
        what = KIND_LABEL.get(s.kind, s.kind)
        if s.school and s.school in self.problem.schools:
            what += f" to {self.problem.schools[s.school].name}"
        return f"{s.work_group} {what} on {s.date} {s.slot}"


def check_plan(problem: Problem, sessions: list[Session]) -> list[Violation]:
    """Every violation of every hard rule, in rule order."""
    checked = Checked(problem, sessions)
    out: list[Violation] = []
    for rule in RULES:
        out.extend(dict.fromkeys(rule.check(checked)))
    return out


# --------------------------------------------------------------------------- reading plans


def read_text(path: Path, error: type[Exception], where: str) -> str:
    """A UTF-8 file's text (a BOM is dropped), or `error([(where, message)])`."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise error([(where, f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})")]) from None


def read_plan(path: str | Path, problem: Problem) -> list[Session]:
    """Sessions of a plan.json or a CSV with work_group,kind,school,date,slot.

    Venue, leader and attendees default as DOMAIN.md says when a CSV leaves them out.
    Raises InstanceError (exit 2) naming the row and column of anything unreadable.
    """
    path = Path(path)
    text = read_text(path, InstanceError, "")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
            rows = data["sessions"]
            if not isinstance(rows, list):
                raise TypeError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InstanceError(
                [("", f"{path}: not a plan.json (an object with a 'sessions' list)")]
            ) from None
        where = [f"sessions[{i}]" for i in range(len(rows))]
    else:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InstanceError(
                [
                    (
                        "",
                        f"{path}: the CSV needs the columns {','.join(CSV_COLUMNS)}; missing {', '.join(missing)}",
                    )
                ]
            )
        rows = list(reader)
        where = [f"row {i + 2}" for i in range(len(rows))]
    problems: list[tuple[str, str]] = []
    sessions = []
    for at, row in zip(where, rows):
        s = _session(row, problem, at, problems)
        if s is not None:
            sessions.append(s)
    if problems:
        raise InstanceError(problems)
    return sessions


def _session(row: dict, p: Problem, at: str, problems: list[tuple[str, str]]) -> Session | None:
    if not isinstance(row, dict):
        problems.append((at, "expected an object with work_group, kind, date, slot"))
        return None

    def text(key: str) -> str:
        value = row.get(key)
        return "" if value is None else str(value).strip()

    wg = p.work_groups.get(text("work_group"))
    if wg is None:
        problems.append((f"{at}.work_group", f"unknown work group '{text('work_group')}'"))
        return None
    kind = text("kind")
    school = text("school") or None
    if kind not in KIND_LABEL:
        problems.append((f"{at}.kind", f"'{kind}' is not one of {', '.join(KIND_LABEL)}"))
        return None
    try:
        day = dt.date.fromisoformat(text("date"))
    except ValueError:
        day = None
    act = wg.activity(kind, school if kind == "visit" else None, day)
    if act is None:
        detail = f"no visits to '{school}'" if kind == "visit" else f"no '{kind}' sessions"
        problems.append((f"{at}.{'school' if kind == 'visit' else 'kind'}", f"{wg.id} has {detail}"))
        return None
    if day is None:
        problems.append((f"{at}.date", f"'{text('date')}' is not a date; write YYYY-MM-DD"))
        return None
    slot = text("slot")
    if slot not in ("am", "pm", "day"):
        problems.append((f"{at}.slot", f"'{slot}' is not am, pm or day"))
        return None
    teachers = row.get("teachers")
    if isinstance(teachers, str):
        teachers = [t for t in teachers.replace(";", " ").split() if t]
    if teachers:
        unknown = [t for t in teachers if t not in p.people]
        if unknown:
            problems.append((f"{at}.teachers", f"unknown teacher(s) {', '.join(unknown)}"))
            return None
    venue = text("venue") or act.venue
    if venue not in p.schools:
        problems.append((f"{at}.venue", f"unknown school '{venue}'"))
        return None
    leader = text("specialist") or act.leader
    if leader not in p.people:
        problems.append((f"{at}.specialist", f"unknown specialist '{leader}'"))
        return None
    return Session(
        date=day,
        slot=slot,
        work_group=wg.id,
        kind=kind,
        school=act.school,
        venue=venue,
        specialist=leader,
        teachers=tuple(teachers) if teachers else act.teachers,
        id=text("id"),
    )
