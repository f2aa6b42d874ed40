"""The instance format of CONTRACT.md as pydantic models.

Pydantic lives here, at the edge: these classes parse and check what a user wrote. The
scheduler turns a validated `Instance` into plain data (`scheduler.core.problem`) before any
inner loop runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

from .problems import quoted
from .programmes import PROGRAMMES as BUILTIN_PROGRAMMES
from .programmes import ProgrammeDef

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
SLOTS = ("am", "pm", "day")
TERM_NAMES = ("autumn", "spring", "summer")
PROGRAMMES = tuple(BUILTIN_PROGRAMMES)  # the built-in programme names

# Ids name files (calendars/schools/<id>.ics): the pattern keeps out '/', '.' and '..', and
# these are the device names Windows reserves in every folder, whatever the extension.
RESERVED_IDS = frozenset(
    {"con", "prn", "aux", "nul", *(f"{d}{n}" for d in ("com", "lpt") for n in range(10))}
)


def _not_reserved(value: str) -> str:
    """An id that can name a file on every system."""
    if value in RESERVED_IDS:
        raise ValueError(
            f"'{value}' is a device name on Windows and cannot name a calendar file; choose another id"
        )
    return value


ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        description="lowercase letters, digits and '-', at most 64 characters",
    ),
    AfterValidator(_not_reserved),
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri"]
Slot = Literal["am", "pm", "day"]
Text = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    """Unknown fields are errors: a misspelt key should never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class DateRange(Strict):
    from_: dt.date = Field(alias="from")
    to: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_}); swap them")
        return self


# One date or an inclusive {from, to}: a dict is a range, anything else a date, so a bad
# value gets one error about what it was meant to be. The tags are dropped from error paths.
DATE_TAGS = ("date-value", "date-range")
DateOrRange = Annotated[
    Union[Annotated[dt.date, Tag("date-value")], Annotated[DateRange, Tag("date-range")]],
    Discriminator(lambda v: "date-range" if isinstance(v, (dict, DateRange)) else "date-value"),
]


def expand_dates(items: list[DateOrRange] | tuple[DateOrRange, ...]) -> list[dt.date]:
    """Every calendar date named by a list of dates and inclusive ranges."""
    out: list[dt.date] = []
    for item in items:
        if isinstance(item, dt.date):
            out.append(item)
        else:
            out.extend(item.from_ + dt.timedelta(days=k) for k in range((item.to - item.from_).days + 1))
    return out


class Blackout(DateRange):
    reason: Text = ""


class Location(Strict):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Term(Strict):
    name: Literal["autumn", "spring", "summer"]
    start: dt.date
    end: dt.date
    half_term: tuple[dt.date, dt.date] | None = None

    @model_validator(mode="after")
    def _inside(self) -> Term:
        if self.end < self.start:
            raise ValueError(f"term ends ({self.end}) before it starts ({self.start})")
        if self.half_term is not None:
            a, b = self.half_term
            if b < a:
                raise ValueError(f"half_term ends ({b}) before it starts ({a})")
            if a <= self.start or b >= self.end:
                raise ValueError(f"half_term {a}..{b} must lie inside the term {self.start}..{self.end}")
        return self


def _check_terms(terms: list[Term]) -> list[Term]:
    names = [t.name for t in terms]
    if len(set(names)) != len(names):
        raise ValueError(f"each term name may appear once, got {quoted(names)}")
    for a, b in zip(terms, terms[1:]):
        if b.start <= a.end:
            raise ValueError(f"term '{b.name}' starts ({b.start}) before '{a.name}' ends ({a.end})")
    return terms


class SlotTimes(Strict):
    am: str = "09:00-12:00"
    pm: str = "13:00-15:30"

    @field_validator("am", "pm")
    @classmethod
    def _times(cls, v: str) -> str:
        try:
            a, b = (dt.time.fromisoformat(x.strip()) for x in v.split("-"))
        except ValueError:
            raise ValueError(f"'{v}' is not a time range like 09:00-12:00") from None
        if b <= a:
            raise ValueError(f"'{v}' ends before it starts")
        return v


class Calendar(Strict):
    timezone: Literal["Europe/London"] = "Europe/London"
    bank_holidays: Literal["england", "none"] = "england"
    slots: SlotTimes = SlotTimes()
    terms: list[Term] = Field(min_length=1)
    closures: list[DateOrRange] = []

    @field_validator("terms")
    @classmethod
    def _terms(cls, v: list[Term]) -> list[Term]:
        return _check_terms(v)


class Hub(Strict):
    name: Text
    tfm_lead: Id | None = None


class Rates(Strict):
    supply_cover_day: float = Field(200, ge=0, le=10_000)
    specialist_day: float = Field(200, ge=0, le=10_000)
    sle_day: float = Field(350, ge=0, le=10_000)
    mileage_per_mile: float = Field(0.45, ge=0, le=100)
    secondary_release_funding: float = Field(2000, ge=0, le=1_000_000)
    primary_release_funding: float = Field(1000, ge=0, le=1_000_000)
    textbook_match_funding: float = Field(2000, ge=0, le=1_000_000)


class Weights(Strict):
    """Weights of the soft goals S1–S4 in the objective (an extension of CONTRACT.md)."""

    spread: int = Field(20, ge=0, le=10_000)
    preferences: int = Field(10, ge=0, le=10_000)
    travel: int = Field(1, ge=0, le=10_000)
    cost: int = Field(1, ge=0, le=10_000)


class School(Strict):
    id: Id
    name: Text
    phase: Literal["primary", "secondary", "all-through"]
    location: Location | None = None
    terms: list[Term] | None = None
    closures: list[DateOrRange] = []
    blackouts: list[Blackout] = []
    capacity: int = Field(1, ge=1, le=50)
    prefer_days: list[Weekday] = []
    prefer_dates: list[DateOrRange] = []  # S2: dates preferred over every other

    @field_validator("terms")
    @classmethod
    def _terms(cls, v: list[Term] | None) -> list[Term] | None:
        return None if v is None else _check_terms(v)


class Commitment(Strict):
    date: dt.date
    slot: Slot = "day"
    what: Text = "Commitment"


class Person(Strict):
    id: Id
    name: Text
    email: Annotated[str, Field(max_length=200, pattern=EMAIL_PATTERN)] | None = None
    school: Id
    unavailable: list[DateOrRange] = []
    commitments: list[Commitment] = []
    prefer_days: list[Weekday] = []
    prefer_dates: list[DateOrRange] = []  # S2: dates preferred over every other


class Specialist(Person):
    release_days: list[Weekday] = list(WEEKDAYS)
    max_days_per_week: float | None = Field(None, ge=0.5, le=5)
    sle: bool = False  # paid at the SLE day rate (a year-3+ specialist, seed 004)
    # Year of the Secondary Mastery Specialist programme (seed 004); 3 or more: paid at the SLE rate.
    programme_year: int | None = Field(None, ge=1, le=50)

    @field_validator("programme_year")
    @classmethod
    def _leads_from_year_3(cls, v: int | None) -> int | None:
        if v is not None and v < 3:
            raise ValueError(
                f"a specialist in year {v} of the programme is a trainee: list them under teachers "
                "(role: trainee) with a specialist-programme Work Group; specialists lead from year 3"
            )
        return v

    @property
    def paid_as_sle(self) -> bool:
        """Paid at rates.sle_day: marked `sle`, or in year 3 or later of the programme (seed 004)."""
        return self.sle or (self.programme_year or 0) >= 3


class Teacher(Person):
    role: Literal["advocate", "headteacher", "teacher", "trainee"] = "teacher"
    works: list[Weekday] = list(WEEKDAYS)
    release_days: list[Weekday] | None = None
    max_release_days: float | None = Field(None, ge=0, le=200)

    @model_validator(mode="after")
    def _release_within_works(self) -> Teacher:
        if self.release_days is not None:
            extra = [d for d in self.release_days if d not in self.works]
            if extra:
                raise ValueError(
                    f"release_days {quoted(extra)} are not days this teacher works ({quoted(self.works)})"
                )
        return self


class Venue(Strict):
    """A place that is not a hub school, such as where the programme's central events are held."""

    id: Id
    name: Text
    location: Location | None = None
    capacity: int | None = Field(None, ge=1, le=10_000)  # sessions in one slot; none: no limit


class CentralEvent(Strict):
    """A central event of the Specialist programme: its date is fixed, not the solver's choice."""

    date: dt.date
    slot: Slot = "day"
    venue: Id | None = None  # a school or a venue; none: online, attended from the trainee's school
    what: Text = "Central event"


class WorkGroupSchool(Strict):
    school: Id
    teachers: list[Id] = []
    headteacher: Id | None = None


def _param_value(value: object, handler: ValidatorFunctionWrapHandler) -> float | tuple[float, float]:
    """A parameter override: one message for a bad value, not one per form it might have had."""
    try:
        out = handler(value)
    except ValidationError:
        raise ValueError(f"{quoted(value)} is not a number or [min, max]") from None
    lo, hi = out if isinstance(out, tuple) else (out, out)
    said = f"[{lo:g}, {hi:g}]" if isinstance(out, tuple) else f"{lo:g}"
    if hi < lo:
        raise ValueError(f"{said} has max below min; swap them")
    if lo < 0 or hi > 1000:
        raise ValueError(f"{said}: numbers must lie between 0 and 1000")
    return out


ParamValue = Annotated[Union[float, tuple[float, float]], WrapValidator(_param_value)]


class WorkGroup(Strict):
    id: Id
    name: Text | None = None
    programme: Id
    specialist: Id
    schools: list[WorkGroupSchool] = Field(min_length=1)
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    venue: Id | None = None
    params: dict[str, ParamValue] = {}
    central_events: list[CentralEvent] = []  # programmes with a central stream

    @model_validator(mode="after")
    def _window(self) -> WorkGroup:
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self


class Pin(Strict):
    work_group: Id
    kind: Literal["group", "visit", "headteachers", "development", "central"]
    date: dt.date
    slot: Slot
    school: Id | None = None


class Instance(Strict):
    name: Id
    hub: Hub
    calendar: Calendar
    rates: Rates = Rates()
    weights: Weights = Weights()
    max_same_day_km: float = Field(30, gt=0, le=1000)
    schools: list[School] = Field(min_length=1)
    specialists: list[Specialist] = Field(min_length=1)
    teachers: list[Teacher] = []
    venues: list[Venue] = []
    work_groups: list[WorkGroup] = []
    programmes: dict[Id, ProgrammeDef] = {}  # instance-defined, beside the built-ins
    pinned: list[Pin] = []

    def programme(self, name: str) -> ProgrammeDef | None:
        """A programme by name: a built-in or one this instance defines."""
        return self.programmes.get(name) or BUILTIN_PROGRAMMES.get(name)
