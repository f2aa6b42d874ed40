"""The instance as plain data: calendars expanded, programmes resolved into activities.

`Problem.from_instance` is the only place that reads pydantic models; the model, the
checker and the explainer work on what it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models.instance import WEEKDAYS, Instance, Specialist, expand_dates
from models.programmes import PROGRAMMES, Programme, Range

from .calendar import (
    Period,
    calendar_years,
    england_bank_holidays,
    half_terms,
    school_days,
    term_periods,
)
from .costs import release_funding  # the one definition of funding per programme

KIND_LABEL = {"group": "group meeting", "visit": "visit", "headteachers": "headteachers' meeting"}


@dataclass(frozen=True)
class SchoolCal:
    id: str
    name: str
    days: frozenset[dt.date]  # R1: school days
    blackouts: dict[dt.date, str]  # R2: date -> reason
    terms: tuple[Period, ...]
    capacity: int
    location: tuple[float, float] | None
    prefer_days: frozenset[str]
    prefer_dates: frozenset[dt.date]


@dataclass(frozen=True)
class PersonCal:
    id: str
    name: str
    school: str
    release_days: frozenset[str]  # R2: weekdays they can be released ('mon'…)
    works: frozenset[str]
    unavailable: frozenset[dt.date]
    busy: frozenset[tuple[dt.date, str]]  # R3: (date, 'am'|'pm') of fixed commitments
    max_days_per_week: float | None  # R9
    max_release_days: float | None  # R10
    prefer_days: frozenset[str]
    prefer_dates: frozenset[dt.date]
    is_specialist: bool


@dataclass(frozen=True)
class Activity:
    """A stream of like sessions: a WG's group meetings, its visits to one school, …

    The model decides how many sessions the stream has and when; sessions get labels
    and ids only after solving.
    """

    key: str
    wg: str
    kind: str  # 'group' | 'visit' | 'headteachers'
    school: str | None  # visited school
    venue: str
    leader: str
    teachers: tuple[str, ...]
    slots: tuple[str, ...]

    @property
    def attendees(self) -> tuple[str, ...]:
        return (self.leader, *self.teachers)

    def label(self, problem: Problem) -> str:
        what = KIND_LABEL[self.kind]
        if self.school:
            what += f" to {problem.schools[self.school].name}"
        return f"{self.wg} {what}"


@dataclass(frozen=True)
class WorkGroupSpec:
    id: str
    name: str
    programme: Programme
    params: dict[str, Range]
    leader: str
    schools: tuple[str, ...]
    teachers: dict[str, tuple[str, ...]]  # school -> WG teachers
    headteachers: tuple[str, ...]
    venue: str
    start: dt.date
    end: dt.date
    activities: tuple[Activity, ...]

    @property
    def all_teachers(self) -> tuple[str, ...]:
        return tuple(t for s in self.schools for t in self.teachers[s])

    def activity(self, kind: str, school: str | None = None) -> Activity | None:
        for a in self.activities:
            if a.kind == kind and a.school == school:
                return a
        return None


@dataclass(frozen=True)
class PinSpec:
    index: int
    wg: str
    kind: str
    school: str | None
    date: dt.date
    slot: str


@dataclass
class Problem:
    name: str
    tfm_lead: str | None
    hub_days: frozenset[dt.date]
    hub_terms: tuple[Period, ...]
    hub_half_terms: tuple[Period, ...]
    bank_holidays: dict[dt.date, str]
    closures: frozenset[dt.date]
    schools: dict[str, SchoolCal]
    people: dict[str, PersonCal]
    work_groups: dict[str, WorkGroupSpec]
    pins: list[PinSpec]
    max_same_day_km: float
    slot_times: dict[str, str]
    weights: dict[str, int]
    supply_rate: float
    funding: dict[str, float] = field(default_factory=dict)  # programme -> per-school release funding

    @property
    def activities(self) -> list[Activity]:
        return [a for wg in self.work_groups.values() for a in wg.activities]

    def school_of(self, person: str) -> str:
        return self.people[person].school

    def wg_terms(self, wg: WorkGroupSpec, school: str | None, min_days: int) -> list[Period]:
        """Terms (of a school, or the hub's) that the WG window overlaps by ≥ min_days school days."""
        if school:
            return _overlapping(self.schools[school].terms, self.schools[school].days, wg, min_days)
        return _overlapping(self.hub_terms, self.hub_days, wg, min_days)

    def wg_half_terms(self, wg: WorkGroupSpec, min_days: int = 5) -> list[Period]:
        """The hub's half-terms that the WG window overlaps by ≥ min_days school days."""
        return _overlapping(self.hub_half_terms, self.hub_days, wg, min_days)

    @classmethod
    def from_instance(cls, inst: Instance) -> Problem:
        cal = inst.calendar
        all_terms = list(cal.terms) + [t for s in inst.schools for t in (s.terms or [])]
        bank = england_bank_holidays(calendar_years(all_terms)) if cal.bank_holidays == "england" else {}
        closures = frozenset(expand_dates(cal.closures))
        hub_days = school_days(cal.terms, list(closures), bank)

        schools: dict[str, SchoolCal] = {}
        for s in inst.schools:
            terms = s.terms or cal.terms
            blackouts: dict[dt.date, str] = {}
            for b in s.blackouts:
                for day in expand_dates([b]):
                    blackouts.setdefault(day, b.reason or "blackout")
            schools[s.id] = SchoolCal(
                id=s.id,
                name=s.name,
                days=school_days(terms, list(closures) + expand_dates(s.closures), bank),
                blackouts=blackouts,
                terms=tuple(term_periods(terms)),
                capacity=s.capacity,
                location=(s.location.lat, s.location.lon) if s.location else None,
                prefer_days=frozenset(s.prefer_days),
                prefer_dates=frozenset(expand_dates(s.prefer_dates)),
            )

        people: dict[str, PersonCal] = {}
        for p in [*inst.specialists, *inst.teachers]:
            is_spec = isinstance(p, Specialist)
            works = frozenset(getattr(p, "works", WEEKDAYS))
            release = p.release_days if p.release_days is not None else works
            busy = {
                (c.date, h) for c in p.commitments for h in (("am", "pm") if c.slot == "day" else (c.slot,))
            }
            people[p.id] = PersonCal(
                id=p.id,
                name=p.name,
                school=p.school,
                release_days=frozenset(release) & works,
                works=works,
                unavailable=frozenset(expand_dates(p.unavailable)),
                busy=frozenset(busy),
                max_days_per_week=getattr(p, "max_days_per_week", None),
                max_release_days=getattr(p, "max_release_days", None),
                prefer_days=frozenset(p.prefer_days),
                prefer_dates=frozenset(expand_dates(p.prefer_dates)),
                is_specialist=is_spec,
            )

        year_start = min(t.start for t in cal.terms)
        year_end = max(t.end for t in cal.terms)
        wgs: dict[str, WorkGroupSpec] = {}
        for w in inst.work_groups:
            prog = PROGRAMMES[w.programme]
            params = prog.resolve(w.params)
            venue = w.venue or people[w.specialist].school
            teachers = {ws.school: tuple(ws.teachers) for ws in w.schools}
            heads = tuple(ws.headteacher for ws in w.schools if ws.headteacher)
            all_teachers = tuple(t for ws in w.schools for t in ws.teachers)
            acts: list[Activity] = []
            if prog.has_group:
                acts.append(
                    Activity(
                        f"{w.id}/group", w.id, "group", None, venue, w.specialist, all_teachers, ("am", "pm")
                    )
                )
            if prog.has_visits:
                for ws in w.schools:
                    acts.append(
                        Activity(
                            f"{w.id}/visit/{ws.school}",
                            w.id,
                            "visit",
                            ws.school,
                            ws.school,
                            w.specialist,
                            tuple(ws.teachers),
                            prog.visit_slots,
                        )
                    )
            if prog.has_headteachers and heads and inst.hub.tfm_lead:
                acts.append(
                    Activity(
                        f"{w.id}/headteachers",
                        w.id,
                        "headteachers",
                        None,
                        venue,
                        inst.hub.tfm_lead,
                        heads,
                        ("am", "pm"),
                    )
                )
            wgs[w.id] = WorkGroupSpec(
                id=w.id,
                name=w.name or w.id,
                programme=prog,
                params=params,
                leader=w.specialist,
                schools=tuple(ws.school for ws in w.schools),
                teachers=teachers,
                headteachers=heads,
                venue=venue,
                start=w.from_ or year_start,
                end=w.to or year_end,
                activities=tuple(acts),
            )

        pins = [PinSpec(i, p.work_group, p.kind, p.school, p.date, p.slot) for i, p in enumerate(inst.pinned)]
        return cls(
            name=inst.name,
            tfm_lead=inst.hub.tfm_lead,
            hub_days=hub_days,
            hub_terms=tuple(term_periods(cal.terms)),
            hub_half_terms=tuple(half_terms(cal.terms)),
            bank_holidays=bank,
            closures=closures,
            schools=schools,
            people=people,
            work_groups=wgs,
            pins=pins,
            max_same_day_km=inst.max_same_day_km,
            slot_times={"am": cal.slots.am, "pm": cal.slots.pm},
            weights=inst.weights.model_dump(),
            supply_rate=inst.rates.supply_cover_day,
            funding={name: release_funding(name, inst.rates) for name in PROGRAMMES},
        )


def _overlapping(periods, days: frozenset[dt.date], wg: WorkGroupSpec, min_days: int) -> list[Period]:
    """Each period cut to the WG window, kept when that leaves at least min_days school days."""
    out = []
    for t in periods:
        lo, hi = max(t.start, wg.start), min(t.end, wg.end)
        if lo <= hi and sum(1 for d in days if lo <= d <= hi) >= min_days:
            out.append(Period(t.name, lo, hi))
    return out
