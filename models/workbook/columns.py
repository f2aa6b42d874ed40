"""What each sheet of the workbook holds: its columns, what each means, and the Hub
sheet's settings. The reader (models.workbook.read) and the writer (.write) both follow
these, so a column added here is read, written and explained in its header note at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..instance import (
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
from .cells import Kind, number_text

HUB_CALENDAR = "hub"  # the Terms calendar every school follows unless told otherwise
TEMPLATE_ROWS = 2000  # rows that dropdowns and text formats reach in a written workbook


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
    return f"Blank: {number_text(default) if isinstance(default, float) else default}."
