"""The instance as plain data: calendars expanded, programmes resolved into activities.

`Problem.from_instance` is the only place that reads pydantic models; the model, the
checker and the explainer work on what it returns. Each stream of a Work Group's programme
(models.programmes) becomes activities: one for the Work Group, one per school for visits,
one per central event (its date fixed: R11 keeps it).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from dataclasses import dataclass
from functools import cached_property

from models.instance import WEEKDAYS, CentralEvent, Instance, Specialist, Venue, WorkGroup, expand_dates
from models.programmes import Programme, Stream, funding_amount
from models.units import Range, halves
from scheduler.core.calendar import (
    Period,
    bank_holidays,
    days_between,
    half_terms,
    hub_school_days,
    school_days,
    term_periods,
)

KIND_LABEL = {
    "group": "group meeting",
    "visit": "visit",
    "headteachers": "headteachers' meeting",
    "development": "development day",
    "central": "central event",
}
UNLIMITED = 10**6  # the capacity of a venue that sets none


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
    kind: str  # the stream: 'group' | 'visit' | 'headteachers' | 'development' | 'central'
    school: str | None  # visited school
    venue: str
    leader: str
    teachers: tuple[str, ...]
    slots: tuple[str, ...]
    dates: frozenset[dt.date] | None = None  # only these dates (a central event's), else any
    what: str = ""  # a central event's name, as its `what` says
    online: bool = False  # a central event without a venue, attended from the trainee's school

    @property
    def fixed(self) -> bool:
        """A central event: its date is the programme's, not the hub's choice."""
        return self.dates is not None

    @property
    def event(self) -> tuple[dt.date, str, str | None, str] | None:
        """Which central event this is, the same for every trainee at it: (date, slot, venue
        (None online), what). One event serves the whole cohort, so it takes its venue's
        capacity once however many trainees attend (R3)."""
        if self.dates is None:
            return None
        return (min(self.dates), self.slots[0], None if self.online else self.venue, self.what)

    @cached_property  # asked for per candidate while a model is built
    def attendees(self) -> tuple[str, ...]:
        """Everyone attending, once: a trainee who leads is also among the teachers."""
        return tuple(dict.fromkeys((self.leader, *self.teachers)))

    def label(self, problem: Problem) -> str:
        what = KIND_LABEL[self.kind]
        if self.school:
            what += f" to {problem.schools[self.school].name}"
        return f"{self.wg} {what}"


@dataclass(frozen=True)
class WorkGroupSpec:
    id: str
    name: str
    base: Programme  # its programme; the numbers that parameters give come from `params`
    params: dict[str, Range]
    leader: str
    schools: tuple[str, ...]
    teachers: dict[str, tuple[str, ...]]  # school -> WG teachers
    headteachers: tuple[str, ...]
    venue: str
    start: dt.date
    end: dt.date
    activities: tuple[Activity, ...]
    release_funding: float | None = 0.0  # per school; None: every release day is paid for

    @cached_property
    def programme(self) -> Programme:
        """The programme with this Work Group's parameters (a relaxation may change them)."""
        return self.base.with_params(self.params)

    @property
    def all_teachers(self) -> tuple[str, ...]:
        return tuple(t for s in self.schools for t in self.teachers[s])

    def stream(self, kind: str) -> Stream | None:
        return self.programme.stream(kind)

    def activity(self, kind: str, school: str | None = None, day: dt.date | None = None) -> Activity | None:
        """The activity of a stream (and visited school); among fixed-date ones, the one on `day`."""
        found = [a for a in self.activities if a.kind == kind and a.school == school]
        on_day = [a for a in found if day is not None and a.dates is not None and day in a.dates]
        return (on_day or found or [None])[0]

    def units(self, stream: Stream) -> list[tuple[str | None, list[Activity]]]:
        """A stream's activities per unit it is counted in: per school for visits, else one."""
        out: dict[str | None, list[Activity]] = {}
        for a in self.activities:
            if a.kind == stream.kind:
                out.setdefault(a.school, []).append(a)
        return list(out.items())


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

    @property
    def activities(self) -> list[Activity]:
        return [a for wg in self.work_groups.values() for a in wg.activities]

    def pin_activity(self, pin: PinSpec) -> Activity | None:
        """The activity a pin fixes a session of."""
        wg = self.work_groups[pin.wg]
        return wg.activity(pin.kind, pin.school if pin.kind == "visit" else None, pin.date)

    def session_key(self, s) -> str | None:
        """The key of the activity a planned session belongs to (a central event's is its
        own, found by date), or None if the instance has no such stream."""
        wg = self.work_groups.get(s.work_group)
        act = wg.activity(s.kind, s.school if s.kind == "visit" else None, s.date) if wg else None
        return act.key if act else None

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
        bank = bank_holidays(cal, all_terms)
        closures = frozenset(expand_dates(cal.closures))
        hub_days = hub_school_days(cal, bank)

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
            busy = {(c.date, h) for c in p.commitments for h in halves(c.slot)}
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

        year = (min(t.start for t in cal.terms), max(t.end for t in cal.terms))
        schools.update({v.id: _venue_cal(v, year, bank, cal.terms) for v in inst.venues})
        wgs: dict[str, WorkGroupSpec] = {}
        pins = [PinSpec(i, p.work_group, p.kind, p.school, p.date, p.slot) for i, p in enumerate(inst.pinned)]
        for w in inst.work_groups:
            wgs[w.id] = _work_group_spec(inst, w, people, year)

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
        )


def _venue_cal(v: Venue, year: tuple[dt.date, dt.date], bank: dict, terms) -> SchoolCal:
    """A venue that is not a school: open every weekday of the hub's year but bank holidays."""
    return SchoolCal(
        id=v.id,
        name=v.name,
        days=frozenset(d for d in days_between(*year) if d.weekday() < 5 and d not in bank),
        blackouts={},
        terms=tuple(term_periods(terms)),
        capacity=v.capacity or UNLIMITED,
        location=(v.location.lat, v.location.lon) if v.location else None,
        prefer_days=frozenset(),
        prefer_dates=frozenset(),
    )


def _work_group_spec(
    inst: Instance, w: WorkGroup, people: dict[str, PersonCal], year: tuple[dt.date, dt.date]
) -> WorkGroupSpec:
    """One Work Group as plain data: its programme resolved into activities."""
    pdef = inst.programme(w.programme)
    programme = pdef.resolve(w.programme, w.params)
    venue = w.venue or people[w.specialist].school
    teachers = {ws.school: tuple(ws.teachers) for ws in w.schools}
    heads = tuple(ws.headteacher for ws in w.schools if ws.headteacher)
    all_teachers = tuple(t for ws in w.schools for t in ws.teachers)
    roles_of = {t.id: t.role for t in inst.teachers}
    trainee = next((t for t in all_teachers if roles_of.get(t) == "trainee"), None)
    cast = _Cast(
        wg=w.id,
        leaders={"specialist": w.specialist, "tfm-lead": inst.hub.tfm_lead, "trainee": trainee},
        roles={"teachers": all_teachers, "headteachers": heads, "trainee": (trainee,) if trainee else ()},
        venue=venue,
        people=people,
    )
    acts: list[Activity] = []
    for stream in programme.streams:
        if stream.per_school:
            acts += [
                a for ws in w.schools if (a := cast.activity(stream, ws.school, ws.teachers)) is not None
            ]
        elif stream.fixed:
            acts += cast.central(stream, w)
        elif (a := cast.activity(stream)) is not None:
            acts.append(a)
    return WorkGroupSpec(
        id=w.id,
        name=w.name or w.id,
        base=programme,
        params=pdef.values(w.params),
        leader=w.specialist,
        schools=tuple(ws.school for ws in w.schools),
        teachers=teachers,
        headteachers=heads,
        venue=venue,
        start=w.from_ or year[0],
        end=w.to or year[1],
        activities=tuple(acts),
        release_funding=funding_amount(programme.release_funding, inst.rates),
    )


@dataclass(frozen=True)
class _Cast:
    """Who leads and attends each stream of one Work Group, and where it meets."""

    wg: str
    leaders: dict[str, str | None]  # leader role -> person
    roles: dict[str, tuple[str, ...]]  # attendee role -> people ('school-teachers' per visit)
    venue: str  # the WG's venue
    people: dict[str, PersonCal]

    def activity(
        self,
        stream: Stream,
        school: str | None = None,
        school_teachers: list[str] | tuple[str, ...] = (),
        event: CentralEvent | None = None,
        key: str = "",
    ) -> Activity | None:
        """The stream's activity (for one school, or one central event); None when skipped:
        an optional stream whose attendees are nobody here, or a stream without its leader."""
        leader = self.leaders[stream.leader]
        roles = {**self.roles, "school-teachers": tuple(school_teachers)}
        named = [p for role in stream.attendees for p in roles[role]]
        if leader is None or (stream.optional and not named):
            return None
        if leader not in self.people or not self.people[leader].is_specialist:
            named.append(leader)  # a trainee leads their own days and is released for them
        venues = {
            "wg-venue": self.venue,
            "visited-school": school,
            "leader-school": self.people[leader].school if leader in self.people else None,
            "central": (event.venue if event is not None else None),
        }
        venue = venues[stream.venue] or venues["leader-school"]  # an online event: from school
        return Activity(
            key=key or f"{self.wg}/{stream.kind}" + (f"/{school}" if school else ""),
            wg=self.wg,
            kind=stream.kind,
            school=school,
            venue=venue,
            leader=leader,
            teachers=tuple(dict.fromkeys(named)),
            slots=(event.slot,) if event is not None else stream.slots,
            dates=frozenset({event.date}) if event is not None else None,
            what=event.what if event is not None else "",
            online=event is not None and event.venue is None,
        )

    def central(self, stream: Stream, w: WorkGroup) -> list[Activity]:
        """One activity per central event, on its own date and at its own venue."""
        acts = (
            self.activity(stream, event=e, key=f"{self.wg}/{stream.kind}/{j}")
            for j, e in enumerate(w.central_events, start=1)
        )
        return [a for a in acts if a is not None]


def _overlapping(periods, days: frozenset[dt.date], wg: WorkGroupSpec, min_days: int) -> list[Period]:
    """Each period cut to the WG window, kept when that leaves at least min_days school days."""
    return list(_cut(tuple(periods), days, wg.start, wg.end, min_days))


@functools.lru_cache(maxsize=4096)  # asked for again by every check of the rules that count per term
def _cut(
    periods, days: frozenset[dt.date], start: dt.date, end: dt.date, min_days: int
) -> tuple[Period, ...]:
    out = []
    ordered = _in_order(days)
    for t in periods:
        lo, hi = max(t.start, start), min(t.end, end)
        if lo <= hi and bisect.bisect_right(ordered, hi) - bisect.bisect_left(ordered, lo) >= min_days:
            out.append(Period(t.name, lo, hi))
    return tuple(out)


@functools.lru_cache(maxsize=1024)  # a calendar's days are asked for once per activity
def _in_order(days: frozenset[dt.date]) -> tuple[dt.date, ...]:
    return tuple(sorted(days))
