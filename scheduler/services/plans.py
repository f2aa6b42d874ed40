"""Reading plans: a plan.json or a hand-made CSV, into sessions.

One reader serves two readings that differ only in what they forgive:

- `read_plan`, for `hubplan check`: every session must belong to the instance (a known Work
  Group, stream, teacher, venue and leader), since it is judged against the instance's rules;
- `read_previous`, for re-planning: an earlier plan may hold sessions of Work Groups or
  schools the instance has since dropped (re-planning cancels them), and it carries the
  calendars' revisions (`sequence`, `modified`, and the `cancelled` list of plan.json).

Venue, leader and attendees default as DOMAIN.md says when a CSV leaves them out. Anything
unreadable raises InstanceError naming the row and column (exit 2); the first problem of a
row is reported, and every row is read, so one run lists them all.
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
SLOTS = ("am", "pm", "day")


def read_plan(path: str | Path, problem: Problem) -> list[Session]:
    """The sessions of a plan to check against `problem`'s rules."""
    return _read(Path(path), problem, previous=False)[0]


def read_previous(path: str | Path, problem: Problem) -> tuple[list[Session], list[Session]]:
    """An earlier plan's live and cancelled sessions, with their revisions, including those
    of Work Groups and schools `problem` no longer has."""
    return _read(Path(path), problem, previous=True)


def read_text(path: Path) -> str:
    """A UTF-8 file's text (a BOM is dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError([("", f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})")]) from None


def _read(path: Path, problem: Problem, previous: bool) -> tuple[list[Session], list[Session]]:
    text = read_text(path)
    if path.suffix.lower() == ".json":
        rows, gone = _json_rows(path, text, previous)
        places = [f"sessions[{i}]" for i in range(len(rows))]
    else:
        rows, gone = _csv_rows(path, text), []
        places = [f"row {i + 2}" for i in range(len(rows))]
    places += [f"cancelled[{i}]" for i in range(len(gone))]
    problems: list[tuple[str, str]] = []
    read = [_session(problem, row, at, previous, problems) for row, at in zip([*rows, *gone], places)]
    if problems:
        raise InstanceError(problems)
    return (
        [s for s in read[: len(rows)] if s is not None],
        [s for s in read[len(rows) :] if s is not None],
    )


def _json_rows(path: Path, text: str, previous: bool) -> tuple[list, list]:
    """plan.json's `sessions` (and, for a previous plan, its `cancelled` ones)."""
    try:
        doc = json.loads(text)
        rows = doc["sessions"]
        gone = (doc.get("cancelled") or []) if previous else []
        if not isinstance(rows, list) or not isinstance(gone, list):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise InstanceError([("", f"{path}: not a plan.json (an object with a 'sessions' list)")]) from None
    return rows, gone


def _csv_rows(path: Path, text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InstanceError(
            [("", f"{path}: the CSV needs the columns {','.join(CSV_COLUMNS)}; missing {', '.join(missing)}")]
        )
    return list(reader)


def _session(
    p: Problem, row: object, at: str, previous: bool, problems: list[tuple[str, str]]
) -> Session | None:
    """One row as a Session, or None with its first problem added to `problems`."""
    if not isinstance(row, dict):
        problems.append((at, "expected an object with work_group, kind, date, slot"))
        return None

    def text(key: str) -> str:
        value = row.get(key)
        return "" if value is None else str(value).strip()

    def wrong(column: str, message: str) -> None:
        problems.append((f"{at}.{column}", message))

    kind, school = text("kind"), text("school") or None
    try:
        day = dt.date.fromisoformat(text("date"))
    except ValueError:
        day = None
    wg = p.work_groups.get(text("work_group"))
    act = wg.activity(kind, school if kind == "visit" else None, day) if wg else None
    teachers = row.get("teachers") or []
    if isinstance(teachers, str):
        teachers = teachers.replace(";", " ").split()
    venue = text("venue") or (act.venue if act else "")
    leader = text("specialist") or (act.leader if act else "")
    known = not previous  # a plan to check holds only what the instance knows
    if known and wg is None:
        return wrong("work_group", f"unknown work group '{text('work_group')}'")
    if kind not in KIND_LABEL:
        return wrong("kind", f"'{kind}' is not one of {', '.join(KIND_LABEL)}")
    if kind == "visit" and school is None:
        return wrong("school", "a visit names the school it visits")
    if known and act is None:
        detail = f"no visits to '{school}'" if kind == "visit" else f"no '{kind}' sessions"
        return wrong("school" if kind == "visit" else "kind", f"{wg.id} has {detail}")
    if day is None:
        return wrong("date", f"'{text('date')}' is not a date; write YYYY-MM-DD")
    if text("slot") not in SLOTS:
        return wrong("slot", f"'{text('slot')}' is not am, pm or day")
    if not isinstance(teachers, list):
        return wrong("teachers", "expected a list of teacher ids")
    teachers = [str(t) for t in teachers]
    if known and any(t not in p.people for t in teachers):
        return wrong("teachers", f"unknown teacher(s) {', '.join(t for t in teachers if t not in p.people)}")
    if known and venue not in p.schools:
        return wrong("venue", f"unknown school '{venue}'")
    if known and leader not in p.people:
        return wrong("specialist", f"unknown specialist '{leader}'")
    try:
        sequence = int(row.get("sequence") or 0) if previous else 0
    except (TypeError, ValueError):
        return wrong("sequence", "must be a whole number")
    return Session(
        date=day,
        slot=text("slot"),
        work_group=text("work_group"),
        kind=kind,
        school=school if kind == "visit" else None,
        venue=venue,
        specialist=leader,
        teachers=tuple(teachers) if teachers else (act.teachers if act else ()),
        id=text("id"),
        sequence=max(0, sequence),
        modified=(text("modified") or None) if previous else None,
    )
