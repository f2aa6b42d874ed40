"""A plan: dated sessions, as plain data. Everything after the solver reads only this."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models.units import halves, slot_days

STATUSES = ("optimal", "feasible", "infeasible", "unknown")
SOLVED = STATUSES[:2]  # the statuses that come with a plan


@dataclass(frozen=True, order=True)
class Session:
    """One dated activity in one slot, as CONTRACT.md names its fields."""

    date: dt.date
    slot: str  # 'am' | 'pm' | 'day'
    work_group: str
    kind: str  # 'group' | 'visit' | 'headteachers' | 'development' | 'central'
    school: str | None  # the visited school for a visit, else None
    venue: str
    specialist: str  # who leads it (the specialist, or the TfM Lead)
    teachers: tuple[str, ...]
    id: str = ""
    # Calendar revision (re-planning): SEQUENCE, and LAST-MODIFIED as YYYY-MM-DDTHH:MM:SSZ.
    sequence: int = field(default=0, compare=False)
    modified: str | None = field(default=None, compare=False)

    @property
    def stream(self) -> str:
        """The key of the activity this session belongs to: 'wg/kind' or 'wg/visit/school'."""
        return f"{self.work_group}/{self.kind}" + (f"/{self.school}" if self.kind == "visit" else "")

    @property
    def days(self) -> float:
        return slot_days(self.slot)

    @property
    def halves(self) -> tuple[str, ...]:
        return halves(self.slot)

    @property
    def attendees(self) -> tuple[str, ...]:
        return (self.specialist, *self.teachers)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "work_group": self.work_group,
            "kind": self.kind,
            "date": self.date.isoformat(),
            "slot": self.slot,
            "venue": self.venue,
            "school": self.school,
            "specialist": self.specialist,
            "teachers": list(self.teachers),
            "sequence": self.sequence,
            **({"modified": self.modified} if self.modified else {}),
        }


@dataclass
class Plan:
    instance: str
    status: str
    sessions: list[Session] = field(default_factory=list)
    objective: float | None = None
    best_bound: float | None = None
    solve_seconds: float = 0.0  # CP-SAT deterministic seconds: reproducible
    wall_seconds: float = 0.0  # the wall clock, for people and benchmarks; never written to files
    objective_terms: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    cancelled: list[Session] = field(default_factory=list)  # re-planning: dropped, still in the feeds
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.best_bound is None:
            return None
        return abs(self.objective - self.best_bound) / max(1.0, abs(self.objective))
