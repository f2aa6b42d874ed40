"""Reading plans: a plan.json or a hand-made CSV, into sessions the rules can check.

`hubplan check` reads a plan here and asks `scheduler.core.checked.check_plan`; re-planning
reads its previous plan here too. The rules themselves live in `scheduler.core.rules`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from models.load import InstanceError
from scheduler.core.plan import Session
from scheduler.core.problem import KIND_LABEL, Problem

CSV_COLUMNS = ("work_group", "kind", "school", "date", "slot")


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
