"""A programme definition as a user writes it (pydantic): streams, parameters, funding.

Numbers are a number `n` (exactly n), `[min, max]` (`max: null` for no limit) or the name of
one of the programme's `params`, which a Work Group may override. Each validator here
rejects a bad value in its own words, quoting it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from ..problems import quoted
from ..units import INF, Range
from .plain import PER_RELEASE_DAY, Programme, Stream, number

KINDS = ("group", "visit", "headteachers", "development", "central")
FUNDING_RATES = ("secondary_release_funding", "primary_release_funding", "textbook_match_funding")
COUNT_FIELDS = ("days", "sessions", "per_term", "per_half_term", "gap_days")
WHOLE_COUNTS = ("sessions", "per_term", "per_half_term", "gap_days")

Kind = Literal["group", "visit", "headteachers", "development", "central"]
PARAM_NAME = r"^[a-z][a-z0-9_]{0,39}$"
ParamName = Annotated[str, Field(pattern=PARAM_NAME, description="lowercase letters, digits and '_'")]
DEFAULT_VENUE = {"visit": "visited-school", "central": "central"}


def _finite(value: int | float) -> float:
    """`value` as a float; ValueError for NaN, infinity or an integer too large for a float."""
    try:
        out = float(value)
    except OverflowError:
        raise ValueError(f"{quoted(value)} is too large a number") from None
    if not math.isfinite(out):
        raise ValueError(
            f"{quoted(value)} is not a number; write a number (or null in [min, null] for no limit)"
        )
    return out


def _isnumber(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def pair(value: Any) -> Range:
    """A number or [min, max] (max null: no limit) as (min, max); ValueError naming the fix."""
    if _isnumber(value):
        lo = hi = _finite(value)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        lo_raw, hi_raw = value
        if not _isnumber(lo_raw):
            raise ValueError(f"{quoted(value)} is not [min, max]: min must be a number")
        if hi_raw is not None and not _isnumber(hi_raw):
            raise ValueError(f"{quoted(value)} is not [min, max]: max must be a number, or null for no limit")
        lo, hi = _finite(lo_raw), INF if hi_raw is None else _finite(hi_raw)
    else:
        raise ValueError(f"{quoted(value)} is not a number, [min, max] or [min, null] (no limit)")
    if lo < 0:
        raise ValueError(f"{quoted(value)}: numbers cannot be negative")
    if hi < lo:
        raise ValueError(f"[{lo:g}, {hi:g}] has max below min; swap them")
    return (lo, min(hi, INF))


def _count(value: Any) -> Range | str:
    """A number, [min, max], or the name of a parameter of the programme."""
    if isinstance(value, str):
        if not re.fullmatch(PARAM_NAME, value):
            raise ValueError(f"{quoted(value)} is neither a number nor a parameter name (a-z, 0-9, '_')")
        return value
    return pair(value)


def _funding(value: Any) -> float | str:
    """Pounds per school, the name of a `rates` field, or `per-release-day`."""
    if isinstance(value, str):
        if value in (*FUNDING_RATES, PER_RELEASE_DAY):
            return value
        raise ValueError(
            f"{quoted(value)} is not one of {', '.join((*FUNDING_RATES, PER_RELEASE_DAY))}, nor a number"
        )
    if not _isnumber(value) or not 0 <= value <= 1_000_000:
        raise ValueError(
            f"{quoted(value)} is not pounds per school (0–1000000), a rates field name or per-release-day"
        )
    return float(value)


ParamRange = Annotated[Range, PlainValidator(pair)]
Count = Annotated[Union[Range, str], PlainValidator(_count)]
Funding = Annotated[Union[float, str], PlainValidator(_funding)]


class _Def(BaseModel):
    """Unknown fields are errors, as everywhere in an instance."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class StreamDef(_Def):
    """One stream of like sessions; its kind is its key under `streams`."""

    leader: Literal["specialist", "tfm-lead", "trainee"] = "specialist"
    attendees: list[Literal["teachers", "school-teachers", "headteachers", "trainee"]] = []
    venue: Literal["wg-venue", "visited-school", "leader-school", "central"] | None = None
    slots: list[Literal["am", "pm", "day"]]
    days: Count | None = None  # days of sessions per unit (per school for visits, else per WG)
    sessions: Count | None = None  # number of sessions per unit
    per_term: Count | None = None  # sessions in each term the window covers (10 school days)
    per_half_term: Count | None = None  # sessions in each half-term it covers (5 school days)
    gap_days: Count | None = None  # at least this many days between two sessions of a unit
    after: Kind | None = None  # no session before the first session of that stream
    optional: bool = False  # skipped in a Work Group that names none of its attendees

    @field_validator("slots")
    @classmethod
    def _slots(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("[] allows no slot; a stream needs at least one: list am, pm and/or day")
        if len(set(v)) != len(v):
            raise ValueError(f"{quoted(v)} names a slot twice")
        return v

    @field_validator("attendees")
    @classmethod
    def _attendees(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"{quoted(v)} names a role twice")
        return v


class ProgrammeDef(_Def):
    """A programme: its streams, its parameters (with defaults) and its funding."""

    title: Annotated[str, Field(max_length=200)] | None = None
    source: Annotated[str, Field(max_length=200)] = ""  # where the numbers come from
    params: dict[ParamName, ParamRange] = {}
    variants: dict[ParamName, dict[int, dict[ParamName, ParamRange]]] = {}
    total_days: Count | None = None  # days of every stream together (R4)
    max_days_per_week: Count | None = None  # days of the WG's sessions in one ISO week (R9)
    release_funding: Funding = 0.0  # per school of the WG
    textbook_funding: Funding = 0.0  # per school, an "up to" amount never netted
    streams: dict[Kind, StreamDef]

    @field_validator("streams")
    @classmethod
    def _some_streams(cls, v: dict[str, StreamDef]) -> dict[str, StreamDef]:
        if not v:
            raise ValueError("{} has no stream; a programme needs at least one (group, visit, …)")
        return v

    @property
    def defaults(self) -> dict[str, Range]:
        """Every parameter with its default; `schools` is always one (any number by default)."""
        return {"schools": (1.0, INF), **self.params}

    def values(self, overrides: dict[str, Any]) -> dict[str, Range]:
        """The parameters of one Work Group: defaults, then its variant, then its own."""
        out = self.defaults
        given = {k: pair(v) for k, v in overrides.items()}
        for param, table in self.variants.items():
            chosen = given.get(param, out.get(param))
            if chosen is not None and int(chosen[0]) in table:
                out.update(table[int(chosen[0])])
        out.update(given)
        return out

    def refs(self) -> Iterator[tuple[str, str]]:
        """(field path, parameter name) for every number given by a parameter's name."""
        for field in ("total_days", "max_days_per_week"):
            ref = getattr(self, field)
            if isinstance(ref, str):
                yield field, ref
        for kind, stream in self.streams.items():
            for field in COUNT_FIELDS:
                ref = getattr(stream, field)
                if isinstance(ref, str):
                    yield f"streams.{kind}.{field}", ref

    def ref(self, path: str) -> str | None:
        """The parameter a field names (e.g. 'streams.group.days' -> 'group_days'), if any."""
        return dict(self.refs()).get(path)

    def resolve(self, name: str, overrides: dict[str, Any]) -> Programme:
        """The plain programme of one Work Group, with its parameters filled in."""
        return self.plain(name).with_params(self.values(overrides))

    def plain(self, name: str) -> Programme:
        """The definition as plain data; numbers given by a parameter are left to `with_params`."""

        def num(count: Range | str | None) -> Range | None:
            return None if isinstance(count, str) else count

        streams = tuple(
            Stream(
                kind=kind,
                leader=s.leader,
                attendees=tuple(s.attendees),
                venue=s.venue or DEFAULT_VENUE.get(kind, "wg-venue"),
                slots=tuple(s.slots),
                days=num(s.days),
                sessions=num(s.sessions),
                per_term=num(s.per_term),
                per_half_term=num(s.per_half_term),
                gap_days=number("gap_days", num(s.gap_days)),
                after=s.after,
                optional=s.optional,
            )
            for kind, s in self.streams.items()
        )
        return Programme(
            name=name,
            title=self.title or name,
            streams=streams,
            total_days=num(self.total_days),
            max_days_per_week=number("max_days_per_week", num(self.max_days_per_week)),
            release_funding=self.release_funding,
            textbook_funding=self.textbook_funding,
            refs=tuple(self.refs()),
        )

    def uses_role(self, role: str) -> bool:
        """Whether some stream is led or attended by people of this role (e.g. 'trainee')."""
        return any(s.leader == role or role in s.attendees for s in self.streams.values())
