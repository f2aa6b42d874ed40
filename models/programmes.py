"""Programmes as data: what a Work Group's programme asks for, as streams of like sessions.

A programme is a set of session *streams*, keyed by the session kind of plan.json (`group`,
`visit`, `headteachers`, `development`, `central`). A stream says who leads and who attends,
where, how long one session may be, how many there are (in days, in sessions, per term or
per half-term), how far apart they fall and which stream comes first. The built-in
programmes of DOMAIN.md are written below (`BUILTIN_YAML`) in exactly the form an instance
uses under `programmes:`, and the model (rules R4–R9, R13, the S1 spread) and `hubplan check`
read nothing else.

Three layers, pydantic only at the edge:
- `ProgrammeDef` / `StreamDef` (pydantic): the shape of a definition, as a user writes it;
- `definition_problems` / `work_group_problems`: its meaning (references to params and
  streams, numbers that cannot add up), as `(field path, message)` pairs;
- `ProgrammeDef.resolve`: the plain, frozen `Programme` of one Work Group, params filled in.

Numbers are a number `n` (exactly n), `[min, max]` (`max: null` for no limit) or the name of
one of the programme's `params`, which a Work Group may override. Days count half-days as 0.5.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from .units import INF, Range, bound_text, halves, range_text, slot_days

if TYPE_CHECKING:  # pragma: no cover
    from .instance import WorkGroup


KINDS = ("group", "visit", "headteachers", "development", "central")
FUNDING_RATES = ("secondary_release_funding", "primary_release_funding", "textbook_match_funding")
PER_RELEASE_DAY = "per-release-day"  # the hub pays for every release day (seed 004)
COUNT_FIELDS = ("days", "sessions", "per_term", "per_half_term", "gap_days")
WHOLE_COUNTS = ("sessions", "per_term", "per_half_term", "gap_days")

Kind = Literal["group", "visit", "headteachers", "development", "central"]
PARAM_NAME = r"^[a-z][a-z0-9_]{0,39}$"
ParamName = Annotated[str, Field(pattern=PARAM_NAME, description="lowercase letters, digits and '_'")]


def _finite(value: int | float) -> float:
    """`value` as a float; ValueError for NaN, infinity or an integer too large for a float."""
    try:
        out = float(value)
    except OverflowError:
        raise ValueError("that number is too large") from None
    if not math.isfinite(out):
        raise ValueError("write a number (or null in [min, null] for no limit), not NaN or infinity")
    return out


def _pair(value: Any) -> Range:
    """A number or [min, max] (max null: no limit) as (min, max); ValueError naming the fix."""
    if isinstance(value, bool):
        raise ValueError("write a number or [min, max], not true/false")
    if isinstance(value, (int, float)):
        lo = hi = _finite(value)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        lo_raw, hi_raw = value
        if isinstance(lo_raw, bool) or not isinstance(lo_raw, (int, float)):
            raise ValueError("[min, max]: min must be a number")
        if hi_raw is not None and (isinstance(hi_raw, bool) or not isinstance(hi_raw, (int, float))):
            raise ValueError("[min, max]: max must be a number, or null for no limit")
        lo, hi = _finite(lo_raw), INF if hi_raw is None else _finite(hi_raw)
    else:
        raise ValueError("write a number, [min, max] or [min, null] (no limit)")
    if lo < 0:
        raise ValueError("numbers cannot be negative")
    if hi < lo:
        raise ValueError(f"[{lo:g}, {hi:g}] has max below min; swap them")
    return (lo, min(hi, INF))


def _count(value: Any) -> Range | str:
    """A number, [min, max], or the name of a parameter of the programme."""
    if isinstance(value, str):
        if not re.fullmatch(PARAM_NAME, value):
            raise ValueError(f"'{value}' is neither a number nor a parameter name (a-z, 0-9, '_')")
        return value
    return _pair(value)


def _funding(value: Any) -> float | str:
    """Pounds per school, the name of a `rates` field, or `per-release-day`."""
    if isinstance(value, str):
        if value in (*FUNDING_RATES, PER_RELEASE_DAY):
            return value
        raise ValueError(
            f"'{value}' is not one of {', '.join((*FUNDING_RATES, PER_RELEASE_DAY))}, nor a number"
        )
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1_000_000:
        raise ValueError("write pounds per school (0–1000000), a rates field name or per-release-day")
    return float(value)


ParamRange = Annotated[Range, PlainValidator(_pair)]
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
            raise ValueError("a stream needs at least one allowed slot: list am, pm and/or day")
        if len(set(v)) != len(v):
            raise ValueError(f"{v} names a slot twice")
        return v

    @field_validator("attendees")
    @classmethod
    def _attendees(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"{v} names a role twice")
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
            raise ValueError("a programme needs at least one stream (group, visit, …)")
        return v

    @property
    def defaults(self) -> dict[str, Range]:
        """Every parameter with its default; `schools` is always one (any number by default)."""
        return {"schools": (1.0, INF), **self.params}

    def values(self, overrides: dict[str, Any]) -> dict[str, Range]:
        """The parameters of one Work Group: defaults, then its variant, then its own."""
        out = self.defaults
        given = {k: _pair(v) for k, v in overrides.items()}
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
                venue=s.venue or _DEFAULT_VENUE.get(kind, "wg-venue"),
                slots=tuple(s.slots),
                days=num(s.days),
                sessions=num(s.sessions),
                per_term=num(s.per_term),
                per_half_term=num(s.per_half_term),
                gap_days=_number("gap_days", num(s.gap_days)),
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
            max_days_per_week=_number("max_days_per_week", num(self.max_days_per_week)),
            release_funding=self.release_funding,
            textbook_funding=self.textbook_funding,
            refs=tuple(self.refs()),
        )

    def uses_role(self, role: str) -> bool:
        """Whether some stream is led or attended by people of this role (e.g. 'trainee')."""
        return any(s.leader == role or role in s.attendees for s in self.streams.values())


_DEFAULT_VENUE = {"visit": "visited-school", "central": "central"}


def _number(field: str, rng: Range | None) -> Range | float | None:
    """A field's value from a range: gap_days takes its least, max_days_per_week its most."""
    if rng is None or field not in ("gap_days", "max_days_per_week"):
        return rng
    return rng[0] if field == "gap_days" else rng[1]


# --------------------------------------------------------------------------- plain, resolved


@dataclass(frozen=True)
class Stream:
    """One stream of one Work Group's programme, numbers resolved (see StreamDef)."""

    kind: str
    leader: str  # 'specialist' | 'tfm-lead' | 'trainee'
    attendees: tuple[str, ...]  # roles: 'teachers', 'school-teachers', 'headteachers', 'trainee'
    venue: str  # 'wg-venue' | 'visited-school' | 'leader-school' | 'central'
    slots: tuple[str, ...]
    days: Range | None
    sessions: Range | None
    per_term: Range | None
    per_half_term: Range | None
    gap_days: float | None  # whole days (validated)
    after: str | None
    optional: bool

    @property
    def fixed(self) -> bool:
        """Central events: sessions on the dates the Work Group lists, not the solver's choice."""
        return self.venue == "central"

    @property
    def per_school(self) -> bool:
        """Visits are counted per school (one activity each); other streams per Work Group."""
        return self.kind == "visit"

    @property
    def longest(self) -> float:
        """The longest session allowed, in days."""
        return 1.0 if "day" in self.slots else 0.5


@dataclass(frozen=True)
class Programme:
    """What a programme asks of one Work Group: its streams in definition order."""

    name: str
    title: str
    streams: tuple[Stream, ...]
    total_days: Range | None  # R4: every stream together
    max_days_per_week: float | None  # R9: the WG's days in one ISO week
    release_funding: float | str  # pounds per school, a rates field, or PER_RELEASE_DAY
    textbook_funding: float | str
    refs: tuple[tuple[str, str], ...] = ()  # (field path, parameter) for numbers a parameter gives

    def stream(self, kind: str) -> Stream | None:
        return next((s for s in self.streams if s.kind == kind), None)

    def with_params(self, values: dict[str, Range]) -> Programme:
        """The programme with every number a parameter gives taken from `values` (a Work
        Group's parameters), so changing a parameter changes what the rules read."""
        top: dict[str, Any] = {}
        by_kind: dict[str, dict[str, Any]] = {s.kind: {} for s in self.streams}
        for path, param in self.refs:
            if param not in values:
                continue
            *where, field = path.split(".")
            (by_kind[where[1]] if where else top)[field] = _number(field, values[param])
        streams = tuple(dataclasses.replace(s, **by_kind[s.kind]) for s in self.streams)
        return dataclasses.replace(self, streams=streams, **top)


# --------------------------------------------------------------------------- the built-ins

BUILTIN_YAML = """
secondary-development:
  title: Secondary Teaching for Mastery Development
  source: NCP23-12 (000), 2020/21 sheet (001), pathway (003)
  params:
    schools: 2
    support_days: 10          # R4: the specialist's days with the WG
    group_days: [2, 4]        # R4: of which with all four Advocates
    school_days: [3, 4]       # R4: of which at each school
    group_meetings: [4, null] # R5
    group_gap_days: 14        # R8
  total_days: support_days
  release_funding: secondary_release_funding
  streams:
    group:
      attendees: [teachers]
      venue: wg-venue
      slots: [am, pm]
      days: group_days
      sessions: group_meetings
      gap_days: group_gap_days
    visit:
      attendees: [school-teachers]
      venue: visited-school
      slots: [am, pm, day]
      days: school_days
      per_term: [1, null]     # R7
      after: group            # R6
primary-development:
  title: Primary Teaching for Mastery Development
  source: NCP20-10 (002)
  params: {schools: [6, 7], group_gap_days: 14}
  release_funding: primary_release_funding
  textbook_funding: textbook_match_funding
  streams:
    group: {attendees: [teachers], venue: wg-venue, slots: [am, pm], per_half_term: 1, gap_days: group_gap_days}
    visit: {attendees: [school-teachers], venue: visited-school, slots: [am, pm], per_term: 1, after: group}
    headteachers:             # R13
      leader: tfm-lead
      attendees: [headteachers]
      venue: wg-venue
      slots: [am, pm]
      per_term: 1
      optional: true
secondary-embedding:
  title: Secondary Teaching for Mastery Embedding
  source: 2020/21 sheet (001), pathway (003)
  params: {schools: [4, 6], school_days: 3, group_gap_days: 14}
  streams:
    group: {attendees: [teachers], venue: wg-venue, slots: [am, pm], per_term: 1, gap_days: group_gap_days}
    visit:
      attendees: [school-teachers]
      venue: visited-school
      slots: [am, pm, day]
      days: school_days
      per_term: [1, null]
      after: group
sustaining:
  title: Secondary Teaching for Mastery Sustaining
  source: 2020/21 sheet (001), pathway (003)
  params: {schools: [4, 6], group_gap_days: 14}
  streams:
    group: {attendees: [teachers], venue: wg-venue, slots: [am, pm], per_term: 1, gap_days: group_gap_days}
specialist-programme:
  title: Secondary Mastery Specialist programme
  source: Cohort 7 information (004)
  params: {schools: 1, year: 1, central_days: 5, development_days: 10, days_per_week: 1}
  variants:
    year:
      1: {central_days: 5, development_days: 10}
      2: {central_days: 3, development_days: 12}   # 8 development + 4 accreditation days
  max_days_per_week: days_per_week
  release_funding: per-release-day
  streams:
    central: {leader: trainee, venue: central, slots: [am, pm, day], days: central_days}
    development: {leader: trainee, venue: leader-school, slots: [day], days: development_days}
"""


def _builtins() -> dict[str, ProgrammeDef]:
    raw = yaml.safe_load(BUILTIN_YAML)
    out = {name: ProgrammeDef.model_validate(body) for name, body in raw.items()}
    for name, pdef in out.items():
        bad = definition_problems(name, pdef, builtin=True)
        if bad:
            raise RuntimeError(f"built-in programme {name} is wrong: {bad}")
    return out


# --------------------------------------------------------------------------- meaning


def definition_problems(name: str, pdef: ProgrammeDef, builtin: bool = False) -> list[tuple[str, str]]:
    """What is wrong with a programme definition, as (path below the programme, message)."""
    if not builtin and name in PROGRAMMES:
        return [
            (
                "",
                f"'{name}' is a built-in programme; choose another name (a Work Group changes "
                f"a built-in's numbers with params)",
            )
        ]
    out = _reference_problems(pdef)
    for kind, stream in pdef.streams.items():
        out += [(f"streams.{kind}.{f}", m) for f, m in _stream_problems(kind, stream, pdef)]
    out += _cycle_problems(pdef)
    if not out:
        resolved = pdef.resolve(name, {})
        out += [(path, m) for path, _, m in count_problems(pdef, resolved)]
    return out


def _reference_problems(pdef: ProgrammeDef) -> list[tuple[str, str]]:
    known = pdef.defaults
    names = ", ".join(sorted(known))
    out = [
        (path, f"'{ref}' is not a parameter of this programme; declare it under params (known: {names})")
        for path, ref in pdef.refs()
        if ref not in known
    ]
    for param, table in pdef.variants.items():
        if param not in known:
            out.append((f"variants.{param}", f"'{param}' is not a parameter; declare it under params"))
        for key, values in table.items():
            out += [
                (f"variants.{param}.{key}.{p}", f"'{p}' is not a parameter; declare it under params")
                for p in values
                if p not in known
            ]
    return out


def _stream_problems(kind: str, s: StreamDef, pdef: ProgrammeDef) -> list[tuple[str, str]]:
    """Combinations of kind, venue, attendees and fields that cannot mean anything."""
    venue = s.venue or _DEFAULT_VENUE.get(kind, "wg-venue")
    out: list[tuple[str, str]] = []
    if kind == "visit" and venue != "visited-school":
        out.append(("venue", "a visit is held at the visited school; write venue: visited-school"))
    if kind != "visit" and venue == "visited-school":
        out.append(("venue", "only visits are held at the visited school; use wg-venue or leader-school"))
    if (kind == "central") != (venue == "central"):
        out.append(
            (
                "venue",
                "central events (and only they) are held at each event's venue: "
                "a central stream has venue: central",
            )
        )
    if kind != "visit" and "school-teachers" in s.attendees:
        out.append(("attendees", "only a visit has one school's teachers; use teachers (all of the WG's)"))
    if s.per_term is not None and s.per_half_term is not None:
        out.append(("per_half_term", "choose per_term or per_half_term, not both"))
    if venue == "central":
        out += [
            (f, "central events are the Work Group's central_events on fixed dates; remove this field")
            for f in ("sessions", "per_term", "per_half_term", "gap_days", "after")
            if getattr(s, f) is not None
        ]
    if s.after is not None and s.after not in pdef.streams:
        out.append(("after", f"'{s.after}' is not a stream of this programme ({', '.join(pdef.streams)})"))
    elif s.after == kind:
        out.append(("after", "a stream cannot come after itself"))
    return out


def _cycle_problems(pdef: ProgrammeDef) -> list[tuple[str, str]]:
    for start in pdef.streams:
        seen, kind = [start], pdef.streams[start].after
        while kind is not None and kind in pdef.streams and kind != seen[-1]:
            if kind in seen:
                circle = " → ".join([*seen[seen.index(kind) :], kind])
                return [
                    (
                        f"streams.{start}.after",
                        f"streams come after each other in a circle ({circle}); remove one 'after'",
                    )
                ]
            seen.append(kind)
            kind = pdef.streams[kind].after
    return []


def count_problems(
    pdef: ProgrammeDef, p: Programme, n_schools: int | None = None
) -> list[tuple[str, str, str]]:
    """Numbers of one resolved programme that cannot work, as (path below the programme,
    parameter involved or '', message). With n_schools, also whether total_days can add up."""
    out: list[tuple[str, str, str]] = []
    for s in p.streams:
        at = f"streams.{s.kind}"
        for field in COUNT_FIELDS:
            rng = getattr(s, field)
            if rng is None:
                continue
            rng = (rng, rng) if isinstance(rng, float) else rng
            step = 1.0 if field in WHOLE_COUNTS else 0.5
            if any(x < INF and x / step != int(x / step) for x in rng):
                what = "whole numbers" if step == 1 else "whole or half days"
                message = f"the {s.kind} stream's {field.replace('_', ' ')} must be {what}"
                out.append((f"{at}.{field}", pdef.ref(f"{at}.{field}") or "", message))
        out += _sessions_vs_days(pdef, s)
    if p.max_days_per_week is not None and p.max_days_per_week <= 0:
        ref = pdef.ref("max_days_per_week") or ""
        out.append(("max_days_per_week", ref, "at most 0 days a week allows no session; raise it"))
    if n_schools is not None and p.total_days is not None:
        out += _total_problems(pdef, p, n_schools)
    return out


def _label(pdef: ProgrammeDef, path: str) -> str:
    """How a message names a number: its parameter, or the field of the definition."""
    return pdef.ref(path) or path


def _sessions_vs_days(pdef: ProgrammeDef, s: Stream) -> list[tuple[str, str, str]]:
    if s.sessions is None or s.days is None:
        return []
    at = f"streams.{s.kind}"
    shortest = 0.5 if ("am" in s.slots or "pm" in s.slots) else 1.0
    n_lo, n_hi = s.sessions
    d_lo, d_hi = s.days
    sessions, days = _label(pdef, f"{at}.sessions"), _label(pdef, f"{at}.days")
    if n_lo * shortest > d_hi:
        return [
            (
                f"{at}.sessions",
                pdef.ref(f"{at}.sessions") or "",
                f"{n_lo:g} sessions of at least {shortest:g} day need {n_lo * shortest:g} days, more than "
                f"{days} allows ({d_hi:g}); lower {sessions} or raise {days}",
            )
        ]
    if n_hi < INF and n_hi * s.longest < d_lo:
        return [
            (
                f"{at}.days",
                pdef.ref(f"{at}.days") or "",
                f"at most {n_hi:g} sessions of {s.longest:g} day make {n_hi * s.longest:g} days, fewer than "
                f"{days} needs ({d_lo:g}); raise {sessions} or lower {days}",
            )
        ]
    return []


def _total_problems(pdef: ProgrammeDef, p: Programme, n_schools: int) -> list[tuple[str, str, str]]:
    """Whether the streams' days can add up to total_days (R4), e.g. 2–4 + 2 × 3–4 = 10."""
    parts, lo, hi = [], 0.0, 0.0
    for s in p.streams:
        d_lo, d_hi = s.days if s.days is not None else (0.0, INF)
        n = n_schools if s.per_school else 1
        lo, hi = lo + n * d_lo, min(INF, hi + n * d_hi)
        span = f"{d_lo:g}–{bound_text(d_hi)} days"
        parts.append(f"{n} schools × {span}" if s.per_school else f"{s.kind} {span}")
    t_lo, t_hi = p.total_days
    if hi >= t_lo and lo <= t_hi:
        return []
    total = _label(pdef, "total_days")
    names = [_label(pdef, f"streams.{s.kind}.days") for s in p.streams if s.days is not None]
    change = ", ".join(names) + f" or {total}" if names else total
    return [
        (
            "total_days",
            pdef.ref("total_days") or "",
            f"{' + '.join(parts)} make {lo:g}–{bound_text(hi)} days, which cannot be {t_lo:g}–{bound_text(t_hi)} "
            f"{total.replace('_', ' ')}; change {change}",
        )
    ]


def programme_problems(name: str, pdef: ProgrammeDef, params: dict, n_schools: int) -> list[tuple[str, str]]:
    """Why one Work Group's numbers cannot add up, as (path below the WG, message)."""
    known = pdef.defaults
    unknown = [key for key in params if key not in known]
    if unknown:
        names = ", ".join(sorted(known))
        return [(f"params.{key}", f"unknown parameter for {name}; known: {names}") for key in unknown]
    problems = _variant_problems(name, pdef, params)
    if problems:
        return problems
    values = pdef.values(params)
    lo, hi = values["schools"]
    if not lo <= n_schools <= hi:
        problems.append(
            (
                "schools",
                f"{name} takes {range_text((lo, hi))} schools, this Work Group has "
                f"{n_schools}; change the schools or set params.schools",
            )
        )
    problems += [
        (f"params.{key}", "numbers of days must be whole or half days")
        for key, (a, b) in values.items()
        if a * 2 != int(a * 2) or (b < INF and b * 2 != int(b * 2))
    ]
    # A number written into the definition is reported there (definition_problems), once.
    for path, ref, message in count_problems(pdef, pdef.resolve(name, params), n_schools):
        if ref:
            problems.append((f"params.{ref}", message))
        elif path == "total_days":
            problems.append(("schools", message))
    return list(dict.fromkeys(problems))


def _variant_problems(name: str, pdef: ProgrammeDef, params: dict) -> list[tuple[str, str]]:
    out = []
    for param, table in pdef.variants.items():
        if param in params:
            value = _pair(params[param])
            if value[0] != value[1] or value[0] != int(value[0]) or int(value[0]) not in table:
                keys = " or ".join(str(k) for k in table)
                out.append((f"params.{param}", f"{name} has {param} {keys}, not {range_text(value)}"))
    return out


def work_group_problems(
    name: str, pdef: ProgrammeDef, wg: WorkGroup, roles: dict[str, str]
) -> list[tuple[str, str]]:
    """A Work Group against its programme: numbers, the trainee, central events.

    `roles` maps teacher ids to their role. Paths are below the Work Group."""
    out = programme_problems(name, pdef, wg.params, len(wg.schools))
    if pdef.uses_role("trainee"):
        trainees = [t for ws in wg.schools for t in ws.teachers if roles.get(t) == "trainee"]
        if len(trainees) != 1:
            found = f"{len(trainees)} ({', '.join(trainees)})" if trainees else "none"
            out.append(
                (
                    "schools",
                    f"{name} is for one trainee: list exactly one teacher with role: trainee "
                    f"among the Work Group's teachers (found {found})",
                )
            )
    if not any(path.startswith("params") for path, _ in out):
        out += _central_problems(name, pdef, wg)
    return out


def _central_problems(name: str, pdef: ProgrammeDef, wg: WorkGroup) -> list[tuple[str, str]]:
    """Central events: only for a programme with a central stream, adding up to its days."""
    stream = pdef.resolve(name, wg.params).stream("central")
    events = wg.central_events
    if stream is None:
        return [("central_events", f"{name} has no central events; remove them")] if events else []
    out = []
    taken: dict[tuple, int] = {}
    for j, e in enumerate(events):
        if e.slot not in stream.slots:
            out.append((f"central_events[{j}].slot", f"{name} central events use {', '.join(stream.slots)}"))
        for half in halves(e.slot):
            k = taken.setdefault((e.date, half), j)
            if k != j:
                out.append((f"central_events[{j}]", f"overlaps central_events[{k}] on {e.date}"))
    total = sum(slot_days(e.slot) for e in events)
    if stream.days is not None and not stream.days[0] <= total <= stream.days[1]:
        ref = pdef.ref("streams.central.days")
        fix = f"; add or remove events, or set params.{ref}" if ref else ""
        out.append(
            (
                "central_events",
                f"{name} has {range_text(stream.days)} days of central events, these add up to {total:g}{fix}",
            )
        )
    return list(dict.fromkeys(out))


def funding_amount(funding: float | str, rates: Any) -> float | None:
    """Pounds per school for a funding field; None for per-release-day (every day paid)."""
    if funding == PER_RELEASE_DAY:
        return None
    if isinstance(funding, str):
        return float(getattr(rates, funding))
    return float(funding)


def expected_sessions(stream: Stream, n_periods: int) -> int:
    """The fewest sessions a unit of the stream can have: S1 spreads that many over the window."""
    n = int(stream.sessions[0]) if stream.sessions else 0
    if stream.days:
        n = max(n, math.ceil(stream.days[0] / stream.longest))
    rng = stream.per_term or stream.per_half_term
    if rng:
        n = max(n, n_periods * int(rng[0]))
    return n


PROGRAMMES: dict[str, ProgrammeDef] = _builtins()  # the built-ins, by name
