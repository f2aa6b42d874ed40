"""The instance as a workbook: the spreadsheets a hub's coordinator already keeps.

`read_workbook(path)` reads a filled workbook (.xlsx/.xlsm) or a folder of CSV files named
after its sheets (`Schools.csv`, …) and validates it with `models.load.parse_instance`;
every problem names the sheet, row and column it came from, because every instance path
built from a cell is remembered (`work_groups[3].schools[0].school` → `WorkGroups row 7,
column school`). `template_workbook()` is a blank workbook whose header cells explain each
column; `instance_to_workbook(instance)` is a filled one, read back to an equal instance;
`instance_yaml(instance)` is the instance file `hubplan import` writes.

Layout. Row 1 of every sheet is its header, so the first item is on row 2; blank rows are
skipped and a `notes` column is free for the coordinator.
- Hub: one row per setting (setting | value | about): the instance name, hub name, TfM Lead,
  calendar settings, hub-wide closures, rates and weights. A blank value is the default.
- Schools, Specialists, Teachers: one row each.
- WorkGroups: one row per Work Group and school. The Work Group's own columns (work_group to
  params) are filled on its first row; later rows may leave them blank or repeat them, and a
  blank work_group continues the group above.
- Terms: term dates by `calendar` name: 'hub' (or blank) is the hub default; any other name
  (an LA or trust pattern) serves the schools whose `calendar` column names it.
- Blackouts (a school's), Commitments (a specialist's or teacher's), Pinned: one row each.
Instance-defined `programmes` have no sheet: the loader rejects them anyway.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import difflib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .instance import (
    PROGRAMMES,
    SLOTS,
    TERM_NAMES,
    WEEKDAYS,
    Calendar,
    Hub,
    Instance,
    Pin,
    Rates,
    School,
    SlotTimes,
    Teacher,
    Weights,
)
from .load import MAX_FILE_BYTES, InstanceError, parse_instance
from .text import FORMULA_STARTS, clean_text

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
UNSUPPORTED_SUFFIXES = (".xls", ".ods", ".numbers")
HUB_CALENDAR = "hub"  # the Terms calendar every school follows unless told otherwise
MAX_ROWS = 50_000  # per sheet: far beyond any hub, short of a zip bomb's worth
TEMPLATE_ROWS = 2000  # rows that dropdowns and text formats reach in a written workbook
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


class Kind(Enum):
    """How a cell is read and written."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "yes/no"
    DATE = "date"
    DAYS = "weekdays"
    DATES = "dates"
    IDS = "ids"
    PARAMS = "params"


FORMAT_NOTES = {
    Kind.BOOL: "Write yes or no.",
    Kind.DATE: "A date, YYYY-MM-DD (e.g. 2026-09-03).",
    Kind.DAYS: "Weekdays mon tue wed thu fri, separated by spaces or commas (e.g. 'tue, thu').",
    Kind.DATES: "Dates YYYY-MM-DD and inclusive ranges FROM..TO, separated by ';' "
    "(e.g. 2026-11-17; 2027-03-01..2027-03-05).",
    Kind.IDS: "Ids separated by ';' (e.g. alex-khan; bea-lee).",
    Kind.PARAMS: "Overrides name=value separated by ';'; a range is MIN..MAX "
    "(e.g. group_days=2..3; support_days=10). Names are in the README.",
}
ID_NOTE = "Lowercase letters, digits and '-' (e.g. oakfield); unique across the workbook."


@dataclass(frozen=True)
class Column:
    """One column of a sheet. `field` is where its value goes in the item (default: its
    own name); a `manual` column is read by hand, or not at all."""

    name: str
    kind: Kind
    note: str
    field: tuple[str | int, ...] = ()
    width: int = 16
    choices: tuple[str, ...] | str = ()  # a dropdown: fixed values, or a range of another sheet
    strict: bool = True  # Excel refuses values outside `choices`; else it only offers them
    none_word: bool = False  # the field's default is not empty, so an empty list is written 'none'
    manual: bool = False

    @property
    def path(self) -> tuple[str | int, ...]:
        return self.field or (self.name,)

    @property
    def help(self) -> str:
        """The header cell's note."""
        parts = [self.note, FORMAT_NOTES.get(self.kind, "")]
        if isinstance(self.choices, tuple) and self.choices and self.kind is not Kind.DAYS:
            parts.append("One of: " + ", ".join(self.choices) + ".")
        if self.none_word:
            parts.append("Write none for no days.")
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Setting:
    """One row of the Hub sheet."""

    name: str
    path: tuple[str, ...]
    kind: Kind
    about: str
    choices: tuple[str, ...] | str = ()


def _choices(model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The values a Literal field of `model` allows, for a dropdown."""
    return tuple(get_args(model.model_fields[name].annotation))


def _ids_of(sheet: str) -> str:
    """A dropdown of the ids in column A of `sheet`."""
    return f"{sheet}!$A$2:$A${TEMPLATE_ROWS}"


NOTES = Column("notes", Kind.TEXT, "Free text for you; hubplan ignores this column.", width=30, manual=True)


def _ref(name: str, note: str, sheet: str = "Schools", width: int = 22, manual: bool = False) -> Column:
    """An id of another sheet's item, offered from its column A (other values allowed)."""
    return Column(name, Kind.TEXT, note, width=width, choices=_ids_of(sheet), strict=False, manual=manual)


def _days(name: str, note: str, none_word: bool = False) -> Column:
    return Column(name, Kind.DAYS, note, width=20, choices=WEEKDAYS, strict=False, none_word=none_word)


def _dates(name: str, note: str, width: int = 30) -> Column:
    return Column(name, Kind.DATES, note, width=width)


LOCATION = (
    Column(
        "lat",
        Kind.NUMBER,
        "Latitude in degrees (e.g. 54.97); with lon, for travel and mileage.",
        field=("location", "lat"),
        width=10,
    ),
    Column("lon", Kind.NUMBER, "Longitude in degrees (e.g. -1.61).", field=("location", "lon"), width=10),
)


def _person(what: str, own: tuple[Column, ...]) -> tuple[Column, ...]:
    return (
        Column("id", Kind.TEXT, f"The {what}'s id (e.g. sam-jones). {ID_NOTE}", width=20),
        Column("name", Kind.TEXT, "Full name, as shown in calendars and reports.", width=24),
        Column("email", Kind.TEXT, "E-mail address (optional).", width=28),
        _ref("school", "Id of the school that employs them (Schools sheet)."),
        *own,
        _days("prefer_days", "Days they prefer (optional)."),
        _dates("prefer_dates", "Dates they prefer over all others (optional).", width=24),
        _dates("unavailable", "Days they cannot do (optional)."),
        NOTES,
    )


HUB = Sheet(
    "Hub",
    (
        Column("setting", Kind.TEXT, "The setting's name; keep these as they are.", width=26, manual=True),
        Column(
            "value", Kind.TEXT, "Your value; blank means the default named in 'about'.", width=34, manual=True
        ),
        Column(
            "about", Kind.TEXT, "What the setting means; hubplan ignores this column.", width=100, manual=True
        ),
    ),
)
SCHOOLS = Sheet(
    "Schools",
    (
        Column("id", Kind.TEXT, f"The school's id. {ID_NOTE}", width=24),
        Column("name", Kind.TEXT, "The school's name, as shown in calendars and reports.", width=32),
        Column("phase", Kind.TEXT, "The school's phase.", width=12, choices=_choices(School, "phase")),
        *LOCATION,
        Column("capacity", Kind.NUMBER, "Sessions it can host at once; blank is 1.", width=10),
        Column(
            "calendar",
            Kind.TEXT,
            "Its term dates: a calendar name of the Terms sheet; blank follows the hub's terms.",
            width=18,
            manual=True,
        ),
        _dates("closures", "INSET days and other days it is closed."),
        _days("prefer_days", "Days it prefers to host (optional)."),
        _dates("prefer_dates", "Dates it prefers over all others (optional).", width=24),
        NOTES,
    ),
)
SPECIALISTS = Sheet(
    "Specialists",
    _person(
        "specialist",
        (
            Column(
                "sle",
                Kind.BOOL,
                "yes: paid at the SLE day rate (a year-3+ specialist); blank is no.",
                width=8,
                choices=("yes", "no"),
            ),
            _days(
                "release_days", "Days they are released for hub work; blank is every weekday.", none_word=True
            ),
            Column(
                "max_days_per_week",
                Kind.NUMBER,
                "At most this many days of sessions a week (half-days count 0.5); blank: no limit.",
                width=12,
            ),
            Column(
                "programme_year",
                Kind.NUMBER,
                "Their year of the Mastery Specialist programme (3 or more: paid at the SLE rate); optional.",
                width=10,
            ),
        ),
    ),
)
TEACHERS = Sheet(
    "Teachers",
    _person(
        "teacher",
        (
            Column(
                "role",
                Kind.TEXT,
                "Their role; blank is teacher.",
                width=12,
                choices=_choices(Teacher, "role"),
            ),
            _days("works", "Days they work; blank is every weekday.", none_word=True),
            _days("release_days", "Days they can be released; blank is the days they work.", none_word=True),
            Column(
                "max_release_days",
                Kind.NUMBER,
                "At most this many days of release in the year; blank: no limit.",
                width=12,
            ),
        ),
    ),
)
WORK_GROUP_COLUMNS = (
    Column(
        "work_group",
        Kind.TEXT,
        f"The Work Group's id, on each of its rows (blank continues the group above). {ID_NOTE}",
        field=("id",),
        width=24,
    ),
    Column(
        "name", Kind.TEXT, "Its name in calendars and the report (optional; only on its first row).", width=32
    ),
    Column("programme", Kind.TEXT, "Its programme (first row).", width=22, choices=tuple(PROGRAMMES)),
    _ref("specialist", "Id of the specialist who leads it (first row).", "Specialists", width=20),
    Column("from", Kind.DATE, "First day it may meet; blank is the start of the year (first row).", width=12),
    Column("to", Kind.DATE, "Last day it may meet; blank is the end of the year (first row).", width=12),
    _ref(
        "venue",
        "School id where group meetings happen; blank is the specialist's school (first row).",
        width=18,
    ),
    Column(
        "params", Kind.PARAMS, "Programme parameters that differ from the defaults (first row).", width=30
    ),
)
WORK_GROUP_SCHOOL_COLUMNS = (
    _ref("school", "One school of the Work Group per row: its id."),
    Column("teachers", Kind.IDS, "Ids of this school's teachers in the Work Group.", width=30),
    _ref(
        "headteacher",
        "Id of this school's headteacher, for headteachers' meetings (primary).",
        "Teachers",
        width=18,
    ),
)
WORK_GROUPS = Sheet("WorkGroups", (*WORK_GROUP_COLUMNS, *WORK_GROUP_SCHOOL_COLUMNS, NOTES))
TERMS = Sheet(
    "Terms",
    (
        Column(
            "calendar",
            Kind.TEXT,
            "Which term dates the row gives: 'hub' (or blank) for the hub's own, which every school "
            "follows unless its calendar column names another; any other name (e.g. tyneside-la) for "
            "the dates some schools follow. Give autumn, spring and summer for each calendar.",
            width=18,
            manual=True,
        ),
        Column("term", Kind.TEXT, "The term.", field=("name",), width=10, choices=TERM_NAMES),
        Column("start", Kind.DATE, "First day of term.", width=12),
        Column("end", Kind.DATE, "Last day of term.", width=12),
        Column(
            "half_term_start",
            Kind.DATE,
            "First day of the half-term break (both half-term columns blank: none).",
            field=("half_term", 0),
            width=16,
        ),
        Column(
            "half_term_end", Kind.DATE, "Last day of the half-term break.", field=("half_term", 1), width=16
        ),
        NOTES,
    ),
)
BLACKOUTS = Sheet(
    "Blackouts",
    (
        _ref("school", "Id of the school that cannot take sessions then.", manual=True),
        Column("from", Kind.DATE, "First day of the blackout.", width=12),
        Column("to", Kind.DATE, "Last day of the blackout (inclusive).", width=12),
        Column("reason", Kind.TEXT, "Why, e.g. GCSE exams (optional).", width=30),
        NOTES,
    ),
)
COMMITMENTS = Sheet(
    "Commitments",
    (
        Column(
            "person",
            Kind.TEXT,
            "Id of the specialist or teacher with a fixed commitment.",
            width=22,
            manual=True,
        ),
        Column("date", Kind.DATE, "The day of the commitment.", width=12),
        Column("slot", Kind.TEXT, "Which part of the day; blank is day.", width=8, choices=SLOTS),
        Column("what", Kind.TEXT, "What it is, shown in their calendar; blank is 'Commitment'.", width=34),
        NOTES,
    ),
)
PINNED = Sheet(
    "Pinned",
    (
        _ref("work_group", "Id of the Work Group of the agreed session.", "WorkGroups", width=24),
        Column("kind", Kind.TEXT, "The kind of session.", width=14, choices=_choices(Pin, "kind")),
        Column("date", Kind.DATE, "Its date.", width=12),
        Column("slot", Kind.TEXT, "Its slot.", width=8, choices=SLOTS),
        _ref("school", "For a visit: id of the visited school; otherwise blank."),
        NOTES,
    ),
)
VENUES = Sheet(
    "Venues",
    (
        Column(
            "id",
            Kind.TEXT,
            f"Id of a place that is not a hub school, e.g. a conference centre. {ID_NOTE}",
            width=22,
        ),
        Column("name", Kind.TEXT, "Its name, as shown in calendars.", width=32),
        *LOCATION,
        Column("capacity", Kind.NUMBER, "Sessions it can host at once; blank: no limit.", width=10),
        NOTES,
    ),
)
CENTRAL_EVENTS = Sheet(
    "CentralEvents",
    (
        _ref(
            "work_group",
            "Id of the Work Group whose programme holds the event.",
            "WorkGroups",
            width=24,
            manual=True,
        ),
        Column("date", Kind.DATE, "Its date (fixed: not the planner's choice).", width=12),
        Column("slot", Kind.TEXT, "Which part of the day; blank is day.", width=8, choices=SLOTS),
        _ref(
            "venue",
            "Id of a school or venue (Venues sheet); blank: online, from each trainee's school.",
            "Venues",
        ),
        Column("what", Kind.TEXT, "What it is, shown in calendars; blank is 'Central event'.", width=34),
        NOTES,
    ),
)
SHEETS = (
    HUB,
    SCHOOLS,
    SPECIALISTS,
    TEACHERS,
    WORK_GROUPS,
    TERMS,
    BLACKOUTS,
    COMMITMENTS,
    PINNED,
    VENUES,
    CENTRAL_EVENTS,
)

RATE_ABOUT = {
    "supply_cover_day": "£ for a day of supply cover: what a teacher's release costs.",
    "specialist_day": "£ for a day of a specialist's time.",
    "sle_day": "£ for a day of a specialist marked sle.",
    "mileage_per_mile": "£ per mile the leader drives.",
    "secondary_release_funding": "£ of release funding per school in a secondary Development Work Group.",
    "primary_release_funding": "£ of release funding per school in a primary Development Work Group.",
    "textbook_match_funding": "£ of textbook match funding per primary Development school (up to).",
}
WEIGHT_ABOUT = {
    "spread": "Weight of S1: sessions spread evenly through the year.",
    "preferences": "Weight of S2: sessions on preferred days and dates.",
    "travel": "Weight of S3: miles the leaders drive.",
    "cost": "Weight of S4: £ of release beyond funding.",
}
SETTINGS = (
    Setting(
        "name",
        ("name",),
        Kind.TEXT,
        f"The plan's id, e.g. north-east-hub-2026-27; it names the outputs. {ID_NOTE}",
    ),
    Setting("hub_name", ("hub", "name"), Kind.TEXT, "The hub's name, e.g. North East Coast Maths Hub."),
    Setting(
        "tfm_lead",
        ("hub", "tfm_lead"),
        Kind.TEXT,
        "Specialist id of the TfM Lead, who leads headteachers' meetings.",
        _ids_of("Specialists"),
    ),
    Setting(
        "timezone",
        ("calendar", "timezone"),
        Kind.TEXT,
        "The only time zone supported.",
        _choices(Calendar, "timezone"),
    ),
    Setting(
        "bank_holidays",
        ("calendar", "bank_holidays"),
        Kind.TEXT,
        "england: England's bank holidays are never school days; none: no bank holidays.",
        _choices(Calendar, "bank_holidays"),
    ),
    Setting("am_slot", ("calendar", "slots", "am"), Kind.TEXT, "Times of a morning session, HH:MM-HH:MM."),
    Setting("pm_slot", ("calendar", "slots", "pm"), Kind.TEXT, "Times of an afternoon session, HH:MM-HH:MM."),
    Setting(
        "closures",
        ("calendar", "closures"),
        Kind.DATES,
        "Days no school is open, beyond bank holidays and the terms' breaks. " + FORMAT_NOTES[Kind.DATES],
    ),
    Setting(
        "max_same_day_km",
        ("max_same_day_km",),
        Kind.NUMBER,
        "R12: the farthest apart (km) two venues of one person's day may be.",
    ),
    *(Setting(name, ("rates", name), Kind.NUMBER, about) for name, about in RATE_ABOUT.items()),
    *(
        Setting(f"weight_{name}", ("weights", name), Kind.NUMBER, about)
        for name, about in WEIGHT_ABOUT.items()
    ),
)
_OWNERS = {"hub": Hub, "calendar": Calendar, "slots": SlotTimes, "rates": Rates, "weights": Weights}


def setting_default(setting: Setting) -> str:
    """What a blank value of `setting` means, in words."""
    owner = _OWNERS.get(setting.path[-2], Instance) if len(setting.path) > 1 else Instance
    default = owner.model_fields[setting.path[-1]].default
    if default is PydanticUndefined:
        return "Required."
    if default in (None, []):
        return "Blank: none."
    return f"Blank: {_number_text(default) if isinstance(default, float) else default}."


# --------------------------------------------------------------------------- cells


class CellError(ValueError):
    """A cell whose text cannot be read as its column's kind."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number_text(x: float) -> str:
    """A number as a person writes it: 10, not 10.0."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _text(value: Any) -> str:
    """Any cell value as the text it shows."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return _number_text(value)
    return str(value).strip()


def _date(value: Any) -> str:
    """A date cell as ISO text; a bare number is refused rather than guessed at (pydantic would
    read it as seconds since 1970, Excel as days since 1900)."""
    text = _text(value)
    if isinstance(value, (int, float)) or text.isdigit():
        raise CellError(f"'{text}' is a number, not a date; write dates as YYYY-MM-DD")
    return text


_RANGE = re.compile(r"\s*\.\.\s*|\s+to\s+")


def _range(text: str) -> list[str] | str:
    """`A..B` (or `A to B`) as [A, B]; anything else as itself."""
    parts = _RANGE.split(text.strip())
    if len(parts) > 2 or "" in parts:
        raise CellError(f"'{text.strip()}' is not a value or a range FROM..TO")
    return parts if len(parts) == 2 else parts[0]


def _split(text: str, separators: str) -> list[str]:
    return [p for p in re.split(f"[{separators}]+", text) if p.strip()]


def _date_list(value: Any) -> list[Any]:
    if isinstance(value, (dt.date, int, float)):  # Excel made a lone date a date (or a number)
        return [_date(value)]
    out: list[Any] = []
    for piece in _split(_text(value), ";,\n"):
        item = _range(piece)
        out.append({"from": item[0], "to": item[1]} if isinstance(item, list) else _date(item))
    return out


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _day_list(value: Any) -> list[str]:
    """Weekdays, forgiving of case and full names (Monday, Tues); 'none' is no days."""
    text = _text(value)
    if text.lower() == "none":
        return []
    words = [w.lower() for w in _split(text, r"\s,;/")]
    return [next((d[:3] for d in _DAY_NAMES if len(w) >= 3 and d.startswith(w)), w) for w in words]


_PARAM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(\S.*?)\s*")


def _params(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for piece in _split(_text(value), ";\n"):
        match = _PARAM.fullmatch(piece)
        if match is None:
            raise CellError(f"'{piece.strip()}' is not name=value (e.g. group_days=2..3)")
        name, text = match.groups()
        if name in out:
            raise CellError(f"'{name}' is given twice")
        out[name] = _range(text)
    return out


READERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text,
    Kind.NUMBER: lambda v: v.strip() if isinstance(v, str) else v,
    Kind.BOOL: _text,
    Kind.DATE: _date,
    Kind.DAYS: _day_list,
    Kind.DATES: _date_list,
    Kind.IDS: lambda v: _split(_text(v), r"\s,;"),
    Kind.PARAMS: _params,
}


def read_cell(kind: Kind, value: Any) -> Any:
    """A cell's value as the instance wants it (None when blank); CellError if unreadable."""
    return None if _blank(value) else READERS[kind](value)


def _range_text(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value['from'].isoformat()}..{value['to'].isoformat()}"
    if isinstance(value, (tuple, list)):
        return "..".join(_number_text(x) for x in value)
    return value.isoformat() if isinstance(value, dt.date) else _number_text(value)


def cell_value(kind: Kind, value: Any, none_word: bool = False) -> Any:
    """An instance value as a cell of `kind` holds it, so that `read_cell` gives it back."""
    if value is None:
        return None
    if kind is Kind.NUMBER:
        return int(value) if float(value).is_integer() else float(value)
    if kind is Kind.BOOL:
        return "yes" if value else "no"
    if kind is Kind.DATE:
        return value
    if kind is Kind.DAYS:
        return " ".join(value) or ("none" if none_word else None)
    if kind in (Kind.DATES, Kind.IDS):
        return "; ".join(v if isinstance(v, str) else _range_text(v) for v in value) or None
    if kind is Kind.PARAMS:
        return "; ".join(f"{k}={_range_text(v)}" for k, v in value.items()) or None
    return str(value)


# --------------------------------------------------------------------------- locations


@dataclass(frozen=True)
class Location:
    """Where in the workbook a value was read: sorts by sheet, then row."""

    order: int  # the sheet's place in SHEETS; len(SHEETS) for what no sheet holds
    row: int  # 0 for the sheet as a whole
    text: str  # 'WorkGroups row 7, column school'
    column: str = ""

    @classmethod
    def of(cls, sheet: str, row: int | None = None, column: str = "") -> Location:
        text = f"{sheet} sheet" if row is None else f"{sheet} row {row}"
        if column:
            text += f", column {column}"
        return cls(_sheet_order(sheet), row or 0, text, column)

    def within(self, key: str) -> Location:
        """A part of this cell's value, such as one of the params."""
        return Location(self.order, self.row, f"{self.text} ({key})", self.column)


def _sheet_order(sheet: str) -> int:
    return next((i for i, s in enumerate(SHEETS) if s.name == sheet), len(SHEETS))


def did_you_mean(bad: str, candidates: Iterable[str]) -> str:
    """'; did you mean 'x'?' for the closest candidate, or ''."""
    close = difflib.get_close_matches(
        bad, sorted({c for c in candidates if isinstance(c, str)}), n=1, cutoff=0.6
    )
    return f"; did you mean '{close[0]}'?" if close else ""


def _rel(path: tuple[str | int, ...]) -> str:
    """A field path as the tail of an instance path: ('half_term', 0) → '.half_term[0]'."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _parent(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def _put(item: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set `item` at `path`, making the dicts (or the [a, b] pair, for an int key) on the way."""
    target: Any = item
    for key, nxt in zip(path, path[1:]):
        target = target.setdefault(key, [None, None] if isinstance(nxt, int) else {})
    target[path[-1]] = value


def _dig(data: Any, path: Iterable[str | int]) -> Any:
    """The value at `path` inside dicts and pairs, None where it stops short."""
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, (list, tuple)) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Row:
    number: int  # the spreadsheet's row number (the header is row 1)
    cells: tuple[Any, ...]


@dataclass
class Table:
    sheet: Sheet
    columns: dict[str, int] = field(default_factory=dict)  # column name -> position
    rows: list[Row] = field(default_factory=list)

    def cell(self, row: Row, name: str) -> Any:
        at = self.columns.get(name)
        return row.cells[at] if at is not None and at < len(row.cells) else None


@dataclass
class Item:
    """A dict read from one row, with where each of its fields came from."""

    row: int
    data: dict[str, Any]
    where: dict[str, Location]  # instance path tail ('' is the item itself) -> cell


Problem = tuple[Location, str]
# what an 'unknown …' message names, longest first, and the lists its ids come from
ID_POOLS = {
    "school or venue": ("schools", "venues"),
    "school": ("schools",),
    "specialist": ("specialists",),
    "teacher": ("teachers",),
    "work group": ("work_groups",),
    "programme": (),
}


def _fail(path: Path, message: str) -> InstanceError:
    return InstanceError([("", f"{path}: {message}")])


def _checked_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise _fail(path, f"larger than {MAX_FILE_BYTES // 2**20} MiB")


def _xlsx_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    _checked_size(path)
    book = None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        return {ws.title: _worksheet_rows(ws, f"{path}: sheet {ws.title}") for ws in book.worksheets}
    except InstanceError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise _fail(path, f"not a readable Excel workbook ({type(exc).__name__}); save it as .xlsx") from None
    finally:
        if book is not None:
            book.close()


def _worksheet_rows(ws: Any, what: str) -> list[tuple[Any, ...]]:
    ws.reset_dimensions()  # trust the cells, not the size a sheet claims
    return _capped(ws.iter_rows(values_only=True), what)


def _capped(rows: Iterable[Any], what: str) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        if len(out) > MAX_ROWS:
            raise InstanceError([("", f"{what}: more than {MAX_ROWS} rows")])
        out.append(tuple(row))
    return out


def _csv_sheets(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise _fail(folder, "no CSV files; name one per sheet: " + ", ".join(f"{s.name}.csv" for s in SHEETS))
    out: dict[str, list[tuple[Any, ...]]] = {}
    for path in files:
        _checked_size(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
            rows = csv.reader(io.StringIO(text, newline=""))
            out[path.stem] = [tuple(c or None for c in r) for r in _capped(rows, str(path))]
        except UnicodeDecodeError:
            raise _fail(path, "not UTF-8 text; save it as 'CSV UTF-8'") from None
        except csv.Error as exc:
            raise _fail(path, f"not valid CSV ({exc})") from None
    return out


def read_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet of a workbook, or every CSV of a folder, as rows of cell values."""
    if path.is_dir():
        return _csv_sheets(path)
    if path.suffix.lower() in UNSUPPORTED_SUFFIXES:
        raise _fail(path, "only .xlsx and .xlsm workbooks are read; save it as an Excel Workbook (.xlsx)")
    return _xlsx_sheets(path)


def _key(name: Any) -> str:
    return re.sub(r"[\s_-]+", "", str(name)).lower()


def _column_name(header: Any) -> str:
    return re.sub(r"[\s-]+", "_", _text(header)).lower()


def _tables(sheets: dict[str, list[tuple[Any, ...]]]) -> tuple[dict[str, Table], list[Problem]]:
    """The hubplan sheets among `sheets`, and a problem for every sheet or column it does not know."""
    by_key = {_key(s.name): s for s in SHEETS}
    tables: dict[str, Table] = {}
    problems: list[Problem] = []
    for title, rows in sheets.items():
        spec = by_key.get(_key(title))
        here = Location(len(SHEETS), 0, f"sheet '{title}'")
        if spec is None:
            names = ", ".join(s.name for s in SHEETS)
            hint = did_you_mean(title, [s.name for s in SHEETS])
            problems.append((here, f"not a hubplan sheet{hint}; the sheets are {names}"))
        elif spec.name in tables:
            problems.append((here, f"a second {spec.name} sheet; keep one"))
        else:
            tables[spec.name] = _table(spec, rows, problems)
    return tables, problems


def _table(spec: Sheet, rows: list[tuple[Any, ...]], problems: list[Problem]) -> Table:
    table = Table(spec)
    known = [c.name for c in spec.columns]
    body = [Row(n, r) for n, r in enumerate(rows[1:], start=2) if not all(_blank(v) for v in r)]
    for at, header in enumerate(rows[0] if rows else ()):
        letter = get_column_letter(at + 1)
        if _blank(header):
            if any(at < len(r.cells) and not _blank(r.cells[at]) for r in body):
                problems.append(
                    (Location.of(spec.name, 1, letter), "values under a blank header; name the column")
                )
            continue
        name = _column_name(header)
        where = Location.of(spec.name, 1, name)
        if name not in known:
            problems.append(
                (where, f"unknown column{did_you_mean(name, known)}; the columns are {', '.join(known)}")
            )
        elif name in table.columns:
            problems.append(
                (
                    where,
                    f"a second '{name}' column (also column {get_column_letter(table.columns[name] + 1)})",
                )
            )
        else:
            table.columns[name] = at
    table.rows = body
    return table


class WorkbookReader:
    """Builds the instance's plain data from the tables, remembering where each value came
    from, then says every problem of it in the workbook's own terms."""

    def __init__(self, tables: dict[str, Table], problems: list[Problem]):
        self.tables = tables
        self.problems = list(problems)
        self.where: dict[str, Location] = {}
        self.raw: dict[str, Any] = {"hub": {}, "calendar": {}}

    # ---- the sheets, in the order their references need

    def build(self) -> dict[str, Any]:
        """The instance as plain data, ready for `parse_instance`."""
        self._hub()
        calendars = self._calendars()
        self._list("schools", self._items(SCHOOLS), SCHOOLS)
        self._school_terms(calendars)
        self._children(BLACKOUTS, "school", self._index("schools"), "blackouts", "school")
        for key, sheet in (("specialists", SPECIALISTS), ("teachers", TEACHERS), ("venues", VENUES)):
            self._list(key, self._items(sheet), sheet)
        people = {**self._index("teachers"), **self._index("specialists")}
        self._children(COMMITMENTS, "person", people, "commitments", "specialist or teacher")
        self._list("work_groups", self._work_groups(), WORK_GROUPS)
        self._children(
            CENTRAL_EVENTS, "work_group", self._index("work_groups"), "central_events", "work group"
        )
        self._list("pinned", self._items(PINNED), PINNED)
        return self.raw

    def _list(self, key: str, items: list[Item], sheet: Sheet) -> None:
        """The items as the instance's list `key`; an optional list only when the sheet has rows,
        so that a workbook without a sheet the instance format lacks still reads."""
        known = Instance.model_fields.get(key)
        if items or (known is not None and known.is_required()):
            self.raw[key] = self._place(key, items, Location.of(sheet.name))

    def table(self, sheet: Sheet) -> Table:
        return self.tables.get(sheet.name) or Table(sheet)

    def value(self, table: Table, row: Row, name: str, kind: Kind | None = None) -> Any:
        """The cell of column `name` read as `kind` (its column's by default); None if blank or unreadable."""
        try:
            return read_cell(kind or table.sheet.column(name).kind, table.cell(row, name))
        except CellError as exc:
            self.problems.append((Location.of(table.sheet.name, row.number, name), str(exc)))
            return None

    def item(self, table: Table, row: Row, columns: Iterable[Column]) -> Item:
        """The fields of `columns` in one row."""
        sheet = table.sheet.name
        out = Item(row.number, {}, {"": Location.of(sheet, row.number)})
        for col in columns:
            if col.manual:
                continue
            out.where[_rel(col.path)] = Location.of(sheet, row.number, col.name)
            value = self.value(table, row, col.name)
            if value is not None:
                _put(out.data, col.path, value)
        return out

    def _items(self, sheet: Sheet) -> list[Item]:
        table = self.table(sheet)
        return [self.item(table, row, sheet.columns) for row in table.rows]

    def _register(self, base: str, item: Item) -> None:
        for tail, loc in item.where.items():
            self.where[base + tail] = loc

    def _place(self, base: str, items: list[Item], empty: Location) -> list[dict[str, Any]]:
        """The items' data as the list at instance path `base`, their cells remembered."""
        self.where[base] = items[0].where[""] if items else empty
        for i, item in enumerate(items):
            self._register(f"{base}[{i}]", item)
        return [copy.deepcopy(item.data) for item in items]

    def _index(self, key: str) -> dict[str, tuple[str, int]]:
        """id -> (key, position) of the items of one list; the first of a repeated id wins."""
        out: dict[str, tuple[str, int]] = {}
        for i, data in enumerate(self.raw.get(key, [])):
            if isinstance(data.get("id"), str):
                out.setdefault(data["id"], (key, i))
        return out

    def _hub(self) -> None:
        table = self.table(HUB)
        rows: dict[str, Row] = {}
        by_name = {s.name: s for s in SETTINGS}
        for row in table.rows:
            name = _column_name(self.value(table, row, "setting") or "")
            here = Location.of(HUB.name, row.number, "setting")
            if not name:
                if not _blank(table.cell(row, "value")):
                    self.problems.append((here, "a value without a setting name"))
            elif name not in by_name:
                self.problems.append((here, f"unknown setting '{name}'{did_you_mean(name, by_name)}"))
            elif name in rows:
                self.problems.append((here, f"'{name}' is set again (first on row {rows[name].number})"))
            else:
                rows[name] = row
        for setting in SETTINGS:
            path = _rel(setting.path)[1:]
            row = rows.get(setting.name)
            if row is None:
                self.where[path] = Location(0, 0, f"Hub sheet, setting {setting.name}")
                continue
            self.where[path] = Location.of(HUB.name, row.number, "value")
            value = self.value(table, row, "value", setting.kind)
            if value is not None:
                _put(self.raw, setting.path, value)

    def _calendars(self) -> dict[str, list[Item]]:
        """Terms rows by calendar name; the hub's become calendar.terms."""
        table = self.table(TERMS)
        out: dict[str, list[Item]] = {}
        for row in table.rows:
            name = (self.value(table, row, "calendar") or HUB_CALENDAR).lower()
            out.setdefault(name, []).append(self.item(table, row, TERMS.columns))
        hub = out.get(HUB_CALENDAR, [])
        if not hub:
            self.problems.append(
                (
                    Location.of(TERMS.name),
                    "no rows give the hub's terms; add autumn, spring and summer with calendar 'hub'",
                )
            )
        terms = self._place("calendar.terms", hub, Location.of(TERMS.name))
        if terms:
            self.raw["calendar"]["terms"] = terms
        return out

    def _school_terms(self, calendars: dict[str, list[Item]]) -> None:
        table = self.table(SCHOOLS)
        for i, row in enumerate(table.rows):
            name = self.value(table, row, "calendar")
            if name is None or name.lower() == HUB_CALENDAR:
                continue
            items = calendars.get(name.lower())
            if items is None:
                hint = did_you_mean(name.lower(), calendars)
                here = Location.of(SCHOOLS.name, row.number, "calendar")
                self.problems.append((here, f"unknown calendar '{name}'{hint}; name one of the Terms sheet"))
                continue
            self.raw["schools"][i]["terms"] = self._place(
                f"schools[{i}].terms", items, Location.of(TERMS.name)
            )

    def _children(
        self, sheet: Sheet, owner: str, owners: dict[str, tuple[str, int]], key: str, what: str
    ) -> None:
        """Rows that each add to a list (`key`) of the item their `owner` column names."""
        table = self.table(sheet)
        for row in table.rows:
            ident = self.value(table, row, owner)
            here = Location.of(sheet.name, row.number, owner)
            if ident is None:
                self.problems.append((here, f"required: the id of the {what}"))
            elif ident not in owners:
                self.problems.append((here, f"unknown {what} '{ident}'{did_you_mean(ident, owners)}"))
            else:
                parent, i = owners[ident]
                items = self.raw[parent][i].setdefault(key, [])
                item = self.item(table, row, sheet.columns)
                self._register(f"{parent}[{i}].{key}[{len(items)}]", item)
                items.append(item.data)

    def _work_groups(self) -> list[Item]:
        """WorkGroups rows grouped by work_group (a blank one continues the group above)."""
        table = self.table(WORK_GROUPS)
        groups: dict[Any, list[Row]] = {}
        key: Any = None
        for row in table.rows:
            key = self.value(table, row, "work_group") or key or ("row", row.number)
            groups.setdefault(key, []).append(row)
        return [self._work_group(table, f"work_groups[{w}]", rows) for w, rows in enumerate(groups.values())]

    def _work_group(self, table: Table, base: str, rows: list[Row]) -> Item:
        """One Work Group: its own columns from all its rows, and a school from each row that names one."""
        group = self.item(table, rows[0], WORK_GROUP_COLUMNS)
        for row in rows[1:]:
            self._merge(group, self.item(table, row, WORK_GROUP_COLUMNS))
        schools = [self.item(table, row, WORK_GROUP_SCHOOL_COLUMNS) for row in rows]
        first = Location.of(WORK_GROUPS.name, rows[0].number, "school")
        group.data["schools"] = self._place(f"{base}.schools", [s for s in schools if s.data], first)
        return group

    def _merge(self, group: Item, later: Item) -> None:
        """A later row's Work Group columns: filling blanks, never contradicting."""
        for col in WORK_GROUP_COLUMNS:
            value = _dig(later.data, col.path)
            if value is None:
                continue
            tail = _rel(col.path)
            mine = _dig(group.data, col.path)
            if mine is None:
                _put(group.data, col.path, value)
                group.where[tail] = later.where[tail]
            elif mine != value:
                self.problems.append(
                    (
                        later.where[tail],
                        f"differs from row {group.row}, this Work Group's first row; fill its "
                        "Work Group columns there only, or repeat them exactly",
                    )
                )

    # ---- problems in the workbook's terms

    def locate(self, path: str) -> Location:
        """The cell an instance path was read from: its own, or its nearest recorded parent's."""
        probe = path
        while probe:
            loc = self.where.get(probe)
            if loc is not None:
                rest = path[len(probe) :]
                if rest.startswith(".") and loc.column:  # a key inside the cell's value: params
                    return loc.within(re.split(r"[.\[]", rest[1:])[0])
                return loc
            probe = _parent(probe)
        return Location(len(SHEETS), 0, path)

    def suggest(self, message: str) -> str:
        """`message` with a 'did you mean' after an unknown id it names."""
        match = re.search(rf"unknown (?P<kind>{'|'.join(ID_POOLS)}) '(?P<id>[^']*)'", message)
        match = match or re.search(r"'(?P<id>[^']*)' is not a (?P<kind>specialist) id", message)
        if match is None:
            return message
        ids = [d.get("id") for key in ID_POOLS[match["kind"]] for d in self.raw.get(key, [])]
        ids += list(PROGRAMMES) if match["kind"] == "programme" else []
        return message[: match.end()] + did_you_mean(match["id"], ids) + message[match.end() :]

    def error(self, instance_problems: list[tuple[str, str]]) -> InstanceError | None:
        """Every problem, the reader's and the instance's, sorted by sheet and row; None if none.
        A cell the reader already complained about gets no second message."""
        said = {loc.text for loc, _ in self.problems}
        found = list(self.problems)
        for path, message in instance_problems:
            loc = self.locate(path)
            if loc.text not in said:
                found.append((loc, self.suggest(message)))
        found.sort(key=lambda p: (p[0].order, p[0].row))
        unique = list(dict.fromkeys((loc.text, message) for loc, message in found))
        return InstanceError(unique) if unique else None


def read_workbook(path: str | Path) -> Instance:
    """Read and fully validate a workbook (.xlsx/.xlsm) or a folder of CSVs; InstanceError
    names each problem's sheet, row and column."""
    tables, problems = _tables(read_sheets(Path(path)))
    reader = WorkbookReader(tables, problems)
    raw = reader.build()
    try:
        instance = parse_instance(raw)
    except InstanceError as exc:
        raise reader.error(exc.problems) or exc from None
    error = reader.error([])
    if error is not None:
        raise error
    return instance


# --------------------------------------------------------------------------- instance file


class _Dumper(yaml.SafeDumper):
    """YAML like the bundled instances: lists indented under their key, and a mapping or
    list of plain values on one line ({id: x, name: y}, [mon, tue])."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _is_plain(value: Any) -> bool:
    """A scalar, or a list of scalars."""
    if isinstance(value, list):
        return not any(isinstance(v, (dict, list)) for v in value)
    return not isinstance(value, dict)


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    node = dumper.represent_mapping("tag:yaml.org,2002:map", data)
    node.flow_style = all(map(_is_plain, data.values()))
    return node


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    node = dumper.represent_sequence("tag:yaml.org,2002:seq", data)
    node.flow_style = _is_plain(data)
    return node


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def _plain(value: Any) -> Any:
    """Dumped model data as YAML wants it: lists for tuples, 10 for 10.0."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def instance_yaml(instance: Instance, source: str = "") -> str:
    """The instance file for `instance`: the fields it was given, in the model's order, in the
    bundled instances' style; the same instance always gives the same text."""
    data = _plain(instance.model_dump(by_alias=True, exclude_unset=True))
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    text = re.sub(r"\n(?=[a-z_]+:)", "\n\n", text)  # a blank line before each top-level key
    origin = f" from {clean_text(source)}" if source else ""
    return f"# Written by `hubplan import`{origin}.\n{text}"


# --------------------------------------------------------------------------- writing


def write_text(cell: Cell, text: str) -> None:
    """`text` in `cell` as text, never a formula: stored as a string, and a value a spreadsheet
    would run (=, +, -, @ first) also gets Excel's own quote prefix, so editing the cell
    keeps it text. Characters XML cannot hold are dropped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def write_value(cell: Cell, value: Any, number_format: str | None = None) -> None:
    """A text, date or number cell; None or '' leaves it blank."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        write_text(cell, value)
        return
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    elif number_format:
        cell.number_format = number_format


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")


def write_header(ws: Worksheet, row: int, names: Iterable[str], widths: Iterable[int]) -> None:
    """A bold header row, its columns `widths` characters wide."""
    for at, (name, width) in enumerate(zip(names, widths), start=1):
        cell = ws.cell(row, at)
        write_text(cell, name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(at)].width = width


def xlsx_bytes(book: Workbook) -> bytes:
    """`book` saved, byte for byte the same every time: openpyxl stamps the time into
    docProps/core.xml and every zip entry, so both are set to 1980-01-01."""
    book.properties.creator = "hubplan"
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # openpyxl's own order, which is stable
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*", rb"\g<1>1980-01-01T00:00:00Z", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def _dropdown(ws: Worksheet, cells: str, choices: tuple[str, ...] | str, strict: bool) -> None:
    formula = choices if isinstance(choices, str) else '"' + ",".join(choices) + '"'
    rule = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict)
    rule.add(cells)
    ws.add_data_validation(rule)


def _note(text: str) -> Comment:
    return Comment(text, "hubplan", height=40 + 16 * (len(text) // 45), width=320)


def _write_sheet(ws: Worksheet, sheet: Sheet, rows: list[list[Any]]) -> None:
    write_header(ws, 1, (c.name for c in sheet.columns), (c.width for c in sheet.columns))
    last = max(TEMPLATE_ROWS, len(rows) + 1)
    for at, col in enumerate(sheet.columns, start=1):
        ws.cell(1, at).comment = _note(col.help)
        letter = get_column_letter(at)
        if col.kind is not Kind.NUMBER and col.kind is not Kind.DATE:
            ws.column_dimensions[letter].number_format = "@"  # typed lists stay text, not dates
        if col.choices:
            _dropdown(ws, f"{letter}2:{letter}{last}", col.choices, col.strict)
    for number, values in enumerate(rows, start=2):
        for at, value in enumerate(values, start=1):
            write_value(ws.cell(number, at), value)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(rows) + 1}"


def _hub_rows(data: dict[str, Any] | None) -> list[list[Any]]:
    return [
        [
            s.name,
            None if data is None else cell_value(s.kind, _dig(data, s.path)),
            f"{s.about} {setting_default(s)}",
        ]
        for s in SETTINGS
    ]


def _row(columns: Iterable[Column], item: dict[str, Any], **manual: Any) -> list[Any]:
    """One item as cells of `columns`; `manual` gives the cells of columns read by hand."""
    return [
        manual.get(c.name) if c.manual else cell_value(c.kind, _dig(item, c.path), c.none_word)
        for c in columns
    ]


def _calendars(data: dict[str, Any]) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """The Terms calendars: terms by name (the hub's first), and the name of each distinct
    list of school terms (by its repr), which is the id of the first school that has it."""
    terms: dict[str, list[Any]] = {HUB_CALENDAR: data["calendar"]["terms"]}
    names: dict[str, str] = {}
    for school in data["schools"]:
        key = repr(school["terms"])
        if school["terms"] is not None and key not in names:
            name = school["id"]
            while name in terms:
                name += "-terms"
            names[key], terms[name] = name, school["terms"]
    return terms, names


def _sheet_rows(data: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Every sheet's rows for the dumped instance `data`."""
    terms, calendar_of = _calendars(data)
    people = data["specialists"] + data["teachers"]
    events = [(wg["id"], e) for wg in data["work_groups"] for e in wg.get("central_events", [])]
    return {
        HUB.name: _hub_rows(data),
        SCHOOLS.name: [
            _row(SCHOOLS.columns, s, calendar=calendar_of.get(repr(s["terms"]))) for s in data["schools"]
        ],
        SPECIALISTS.name: [_row(SPECIALISTS.columns, p) for p in data["specialists"]],
        TEACHERS.name: [_row(TEACHERS.columns, p) for p in data["teachers"]],
        WORK_GROUPS.name: [  # the Work Group's own columns on its first row only
            _row(WORK_GROUPS.columns, {**(wg if j == 0 else {"id": wg["id"]}), **ws})
            for wg in data["work_groups"]
            for j, ws in enumerate(wg["schools"])
        ],
        TERMS.name: [_row(TERMS.columns, t, calendar=name) for name, ts in terms.items() for t in ts],
        BLACKOUTS.name: [
            _row(BLACKOUTS.columns, b, school=s["id"]) for s in data["schools"] for b in s["blackouts"]
        ],
        COMMITMENTS.name: [
            _row(COMMITMENTS.columns, c, person=p["id"]) for p in people for c in p["commitments"]
        ],
        PINNED.name: [_row(PINNED.columns, p) for p in data["pinned"]],
        VENUES.name: [_row(VENUES.columns, v) for v in data.get("venues", [])],
        CENTRAL_EVENTS.name: [_row(CENTRAL_EVENTS.columns, e, work_group=wg) for wg, e in events],
    }


def _workbook(rows: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        _write_sheet(ws, sheet, rows.get(sheet.name, []))
    hub = book[HUB.name]
    for number, setting in enumerate(SETTINGS, start=2):
        if setting.choices:
            _dropdown(hub, f"B{number}", setting.choices, isinstance(setting.choices, tuple))
    return xlsx_bytes(book)


def template_workbook() -> bytes:
    """A blank workbook: every sheet with its header, a note on every header cell, dropdowns,
    and the Hub sheet's settings listed with what a blank value means."""
    return _workbook({HUB.name: _hub_rows(None)})


def instance_to_workbook(instance: Instance) -> bytes:
    """`instance` as a filled workbook, which `read_workbook` reads back to an equal instance."""
    if instance.programmes:
        raise InstanceError(
            [("programmes", "instance-defined programmes have no sheet in a workbook; keep them in YAML")]
        )
    return _workbook(_sheet_rows(instance.model_dump(by_alias=True)))
