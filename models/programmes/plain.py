"""A programme resolved for one Work Group: plain frozen data the scheduler reads.

`ProgrammeDef.resolve` (models.programmes.definition) makes these; the model (rules R4–R9,
R13, the S1 spread), `hubplan check` and the costs read nothing else.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ..units import Range

PER_RELEASE_DAY = "per-release-day"  # the hub pays for every release day (seed 004)


def number(field: str, rng: Range | None) -> Range | float | None:
    """A field's value from a range: gap_days takes its least, max_days_per_week its most."""
    if rng is None or field not in ("gap_days", "max_days_per_week"):
        return rng
    return rng[0] if field == "gap_days" else rng[1]


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
            (by_kind[where[1]] if where else top)[field] = number(field, values[param])
        streams = tuple(dataclasses.replace(s, **by_kind[s.kind]) for s in self.streams)
        return dataclasses.replace(self, streams=streams, **top)


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
