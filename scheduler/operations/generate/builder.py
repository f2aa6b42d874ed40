"""One synthetic hub built: schools, people and Work Groups drawn from one `random.Random`
in a fixed order, so the same arguments give the same hub.

Generated hubs are feasible by construction: every teacher of a Work Group works the Work
Group's meeting day, specialists get release days in proportion to the days they lead, and
release caps are never below what a programme needs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.instance import WEEKDAYS
from models.programmes import PROGRAMMES

from .facts import (
    BLACKOUT_SHARE,
    CALENDAR_VARIANTS,
    CALENDAR_VARIANTS_PER_HUB,
    CENTRAL_VENUE_SHARE,
    CLUSTER_RADIUS_KM,
    EMAIL_SHARE,
    FACTS,
    GCSE_SEASON,
    GROUPS_PER_SPECIALIST,
    HUB_CALENDAR_SHARE,
    HUB_LEAD_CAPACITY,
    HUB_RADIUS_KM,
    LATE_START,
    LATE_START_SHARE,
    LEAD_SCHOOL_RADIUS_KM,
    MAX_RELEASE_DAYS,
    MAX_SPECIALIST_DAYS,
    MIN_RELEASE_DAYS,
    MOCK_WINDOWS,
    NARROW_RELEASE_SHARE,
    NEAR_SPECIALIST_KM,
    PART_TIME_SHARE,
    PREFER_DAYS_SHARE,
    PROGRAMME_MIX,
    REGIONS,
    RELEASE_CAP_SHARE,
    RELEASE_SLACK,
    RESIDENTIAL_WEEKS,
    SATS_WEEK,
    SCHOOL_RADIUS_KM,
    SLE_SHARE,
    SPECIALIST_ABSENCE_SHARE,
    SPECIALIST_AT_LEAD_SCHOOL_SHARE,
    TEACHING_WEEKS,
    UNAVAILABLE_SHARE,
    WEEKLY_CAP_SHARE,
    D,
    ProgrammeFacts,
)
from .names import (
    FIRST_NAMES,
    PLACE_HEADS,
    PLACE_TAILS,
    SAINTS,
    SCHOOL_STYLES,
    SPECIALIST_COMMITMENTS,
    SURNAMES,
    TFM_LEAD_COMMITMENTS,
    slug,
)
from .places import HUB_TERM_DAYS, around, hub_terms, inset_days, within


def programme_sequence(work_groups: int, mix: Mapping[str, int] = PROGRAMME_MIX) -> list[str]:
    """The programme of each Work Group, in the order generated.

    Counts are the mix scaled to `work_groups` by largest remainder (ties in mix order); a
    hub of two or more Work Groups always has a secondary one, as every real hub does.
    """
    total = sum(mix.values())
    shares = {p: work_groups * w / total for p, w in mix.items()}
    counts = {p: int(s) for p, s in shares.items()}
    by_remainder = sorted(mix, key=lambda p: (-(shares[p] - counts[p]), list(mix).index(p)))
    for p in by_remainder[: work_groups - sum(counts.values())]:
        counts[p] += 1
    secondary = [p for p in mix if FACTS[p].phase == "secondary" and mix[p] > 0]
    if work_groups >= 2 and secondary and not any(counts[p] for p in secondary):
        largest = max(counts, key=counts.__getitem__)
        counts[largest] -= 1
        counts[secondary[0]] += 1
    order = sorted(mix, key=lambda p: (FACTS[p].phase, list(mix).index(p)), reverse=True)
    return [p for p in order for _ in range(counts[p])]


def _pick_weighted(rng: random.Random, options: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """One of `options`, whose last element is its weight."""
    return rng.choices(options, weights=[o[-1] for o in options])[0]


# --------------------------------------------------------------------------- the generator


@dataclass
class _HubBuilder:
    """Builds one hub, drawing everything from `rng` in a fixed order."""

    rng: random.Random
    centre: tuple[float, float]
    variants: list[str]  # the calendar variants of this hub's academies
    locations: dict[str, tuple[float, float]] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    school_names: set[str] = field(default_factory=set)
    schools: list[dict[str, Any]] = field(default_factory=list)
    specialists: list[dict[str, Any]] = field(default_factory=list)
    teachers: list[dict[str, Any]] = field(default_factory=list)
    work_groups: list[dict[str, Any]] = field(default_factory=list)

    # -- names ---------------------------------------------------------------------
    def place(self) -> str:
        while True:
            name = self.rng.choice(PLACE_HEADS) + self.rng.choice(PLACE_TAILS)
            if name not in self.places:
                self.places.add(name)
                return name

    def unique_id(self, base: str) -> str:
        ident, n = base, 2
        while ident in self.ids:
            ident, n = f"{base}-{n}", n + 1
        self.ids.add(ident)
        return ident

    def person(self, school: str, role: str | None = None) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(SURNAMES)
        record: dict[str, Any] = {"id": self.unique_id(slug(f"{first} {last}")), "name": f"{first} {last}"}
        record["school"] = school
        if role:
            record["role"] = role
        return record

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def some_days(self, count: int) -> list[D]:
        return sorted(self.rng.sample(HUB_TERM_DAYS, count))

    # -- schools -------------------------------------------------------------------
    def school_name(self, phase: str) -> tuple[str, str]:
        """A school's name and the stem of its id; a saint's name shared with another
        school gets its place added, as "St Mary's Catholic Primary School, Ashford"."""
        template, suffix, _ = _pick_weighted(self.rng, SCHOOL_STYLES[phase])
        place, saint = self.place(), self.rng.choice(SAINTS)
        if not template.startswith("St "):
            return template.format(p=place, s=saint), slug(place) + suffix
        name, base = template.format(p=place, s=saint), f"st-{slug(saint)}s{suffix}"
        if name in self.school_names:
            name, base = f"{name}, {place}", f"{base}-{slug(place)}"
        self.school_names.add(name)
        return name, base

    def school(
        self, phase: str, near: tuple[float, float], radius_km: float, hub_calendar: bool = False
    ) -> str:
        """Add a school of `phase` within `radius_km` of `near`, on the hub's calendar or
        (unless `hub_calendar`) perhaps on one of the hub's variants."""
        name, base = self.school_name(phase)
        record: dict[str, Any] = {"id": self.unique_id(base), "name": name, "phase": phase}
        lat, lon = within(around(self.rng, near, radius_km), self.centre, HUB_RADIUS_KM)
        record["location"] = {"lat": round(lat, 4), "lon": round(lon, 4)}
        self.locations[record["id"]] = (record["location"]["lat"], record["location"]["lon"])
        calendar = None
        if not hub_calendar and not self.chance(HUB_CALENDAR_SHARE):
            calendar = self.rng.choice(self.variants)
        terms = hub_terms(calendar)
        if calendar is not None:
            record["terms"] = terms
        record["closures"] = inset_days(self.rng, terms)
        blackouts = self.blackouts(phase)
        if blackouts:
            record["blackouts"] = blackouts
        if self.chance(PREFER_DAYS_SHARE["school"]):
            record["prefer_days"] = [self.rng.choice(WEEKDAYS)]
        self.schools.append(record)
        return record["id"]

    def blackouts(self, phase: str) -> list[dict[str, Any]]:
        out = []
        if phase == "secondary":
            if self.chance(BLACKOUT_SHARE["mocks"]):
                a, b = self.rng.choice(MOCK_WINDOWS)
                out.append({"from": a, "to": b, "reason": "Year 11 mocks"})
            if self.chance(BLACKOUT_SHARE["gcse"]):
                out.append({"from": GCSE_SEASON[0], "to": GCSE_SEASON[1], "reason": "GCSE exams"})
        else:
            if self.chance(BLACKOUT_SHARE["sats"]):
                out.append({"from": SATS_WEEK[0], "to": SATS_WEEK[1], "reason": "KS2 SATs week"})
            if self.chance(BLACKOUT_SHARE["residential"]):
                monday = self.rng.choice(RESIDENTIAL_WEEKS)
                out.append(
                    {"from": monday, "to": monday + dt.timedelta(days=2), "reason": "Year 6 residential"}
                )
        return out

    # -- people --------------------------------------------------------------------
    def tfm_lead(self, school: str) -> str:
        record = self.person(school)
        record["email"] = f"{record['id'].replace('-', '.')}@example.org"
        record["release_days"] = list(WEEKDAYS)
        record["unavailable"] = self.some_days(2)
        record["commitments"] = [
            {"date": day, "slot": "day", "what": what}
            for day, what in zip(self.some_days(len(TFM_LEAD_COMMITMENTS)), TFM_LEAD_COMMITMENTS)
        ]
        self.specialists.append(record)
        return record["id"]

    def specialist(self, phase: str, school: str, load: float) -> tuple[str, list[str]]:
        """A specialist released on enough weekdays for `load` days of sessions a year:
        their id, and their release days in the order their Work Groups take them as
        meeting days."""
        record = self.person(school)
        if self.chance(EMAIL_SHARE):
            record["email"] = f"{record['id'].replace('-', '.')}@example.org"
        need = math.ceil(RELEASE_SLACK * load / TEACHING_WEEKS)
        count = max(MIN_RELEASE_DAYS[phase], min(MAX_RELEASE_DAYS, need))
        chosen = self.rng.sample(WEEKDAYS, count)
        release = [d for d in WEEKDAYS if d in chosen]
        record["release_days"] = release
        cap = max(1.0, math.ceil(2 * RELEASE_SLACK * load / TEACHING_WEEKS) / 2)
        if cap < count and self.chance(WEEKLY_CAP_SHARE):
            record["max_days_per_week"] = cap
        if self.chance(PREFER_DAYS_SHARE["specialist"]):
            record["prefer_days"] = [self.rng.choice(release)]
        if self.chance(SPECIALIST_ABSENCE_SHARE):
            record["unavailable"] = self.some_days(self.rng.randint(1, 2))
        if self.chance(SPECIALIST_ABSENCE_SHARE):
            day = self.some_days(1)[0]
            record["commitments"] = [
                {"date": day, "slot": "day", "what": self.rng.choice(SPECIALIST_COMMITMENTS)}
            ]
        if self.chance(SLE_SHARE):
            record["sle"] = True
        self.specialists.append(record)
        return record["id"], self.rng.sample(release, len(release))

    def teacher(self, school: str, role: str, core: str, facts: ProgrammeFacts) -> str:
        """A Work Group teacher who always works the Work Group's meeting day `core`."""
        record = self.person(school, role)
        works = list(WEEKDAYS)
        if self.chance(PART_TIME_SHARE):
            others = self.rng.sample([d for d in WEEKDAYS if d != core], self.rng.randint(2, 3))
            works = [d for d in WEEKDAYS if d == core or d in others]
            record["works"] = works
        if len(works) >= 3 and self.chance(NARROW_RELEASE_SHARE):
            dropped = self.rng.choice([d for d in works if d != core])
            record["release_days"] = [d for d in works if d != dropped]
        if self.chance(RELEASE_CAP_SHARE):
            record["max_release_days"] = facts.release_cap
        self.maybe_unavailable(record)
        self.teachers.append(record)
        return record["id"]

    def headteacher(self, school: str) -> str:
        record = self.person(school, "headteacher")
        if self.chance(PREFER_DAYS_SHARE["headteacher"]):
            record["prefer_days"] = [self.rng.choice(WEEKDAYS)]
        self.maybe_unavailable(record)
        self.teachers.append(record)
        return record["id"]

    def maybe_unavailable(self, record: dict[str, Any]) -> None:
        if self.chance(UNAVAILABLE_SHARE):
            day = self.some_days(1)[0]
            record["unavailable"] = (
                [day] if day.weekday() == 4 else [{"from": day, "to": day + dt.timedelta(days=1)}]
            )
        if record.get("role") != "headteacher" and self.chance(PREFER_DAYS_SHARE["teacher"]):
            record["prefer_days"] = [self.rng.choice(record.get("works", WEEKDAYS))]

    # -- work groups ---------------------------------------------------------------
    def work_group(
        self, programme: str, n_schools: int, specialist: str, core: str, lead_school: str
    ) -> None:
        """A Work Group of `n_schools` new schools near its specialist's, meeting on `core`."""
        facts = FACTS[programme]
        area = self.place()
        home = self.locations[next(p["school"] for p in self.specialists if p["id"] == specialist)]
        centre = within(around(self.rng, home, NEAR_SPECIALIST_KM), self.centre, HUB_RADIUS_KM)
        members = []
        for _ in range(n_schools):
            school = self.school(facts.phase, centre, SCHOOL_RADIUS_KM)
            entry: dict[str, Any] = {"school": school}
            n = self.rng.randint(*facts.teachers_per_school)
            entry["teachers"] = [self.teacher(school, facts.role, core, facts) for _ in range(n)]
            if programme == "primary-development":
                entry["headteacher"] = self.headteacher(school)
            members.append(entry)
        record: dict[str, Any] = {
            "id": self.unique_id(f"{facts.code}-{slug(area)}"),
            "name": f"{facts.title} ({area})",
            "programme": programme,
            "specialist": specialist,
            "schools": members,
        }
        if facts.phase == "secondary" and self.chance(LATE_START_SHARE):
            record["from"] = LATE_START
        if programme == "secondary-development" and self.chance(CENTRAL_VENUE_SHARE):
            record["venue"] = lead_school
        self.work_groups.append(record)


def _assign_specialists(rng: random.Random, programmes: list[str], schools: list[int]) -> list[list[int]]:
    """Indices of the Work Groups each specialist leads: 1–3, within MAX_SPECIALIST_DAYS."""
    teams: list[list[int]] = []
    for phase in ("secondary", "primary"):
        todo = [i for i, p in enumerate(programmes) if FACTS[p].phase == phase]
        values, weights = GROUPS_PER_SPECIALIST[phase]
        while todo:
            want = rng.choices(values, weights=weights)[0]
            team, load = [], 0.0
            while todo and len(team) < want:
                days = _specialist_days(programmes[todo[0]], schools[todo[0]])
                if team and load + days > MAX_SPECIALIST_DAYS:
                    break
                team.append(todo.pop(0))
                load += days
            teams.append(team)
    return teams


def _specialist_days(programme: str, n_schools: int) -> float:
    base, per_school = FACTS[programme].specialist_days
    return base + per_school * n_schools


def _region(hub: int) -> tuple[str, float, float]:
    name, lat, lon = REGIONS[(hub - 1) % len(REGIONS)]
    rounds = (hub - 1) // len(REGIONS)
    return (f"{name} {rounds + 1}" if rounds else name), lat, lon


def generate_instance(
    work_groups: int, seed: int = 0, hub: int = 1, *, mix: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """A realistic hub of `work_groups` Work Groups as plain instance data.

    `hub` numbers the hub (1, 2, …): it picks the region and, with `seed`, every draw, so
    the hubs of one national run differ. `mix` overrides PROGRAMME_MIX (e.g. one secondary
    development group: `{"secondary-development": 1}`).
    """
    if work_groups < 1:
        raise ValueError("a hub needs at least one Work Group")
    rng = random.Random(f"hubplan-generate:{seed}:{hub}")  # str seeds hash with SHA-512: stable
    region, lat, lon = _region(hub)
    variants = rng.sample(sorted(CALENDAR_VARIANTS), rng.randint(*CALENDAR_VARIANTS_PER_HUB))
    b = _HubBuilder(rng, (lat, lon), variants)
    lead_school = b.school("secondary", b.centre, LEAD_SCHOOL_RADIUS_KM, hub_calendar=True)
    b.schools[-1]["capacity"] = HUB_LEAD_CAPACITY
    tfm = b.tfm_lead(lead_school)

    programmes = programme_sequence(work_groups, mix or PROGRAMME_MIX)
    n_schools = [rng.randint(*(int(x) for x in PROGRAMMES[p].defaults["schools"])) for p in programmes]
    for team in _assign_specialists(rng, programmes, n_schools):
        phase = FACTS[programmes[team[0]]].phase
        load = sum(_specialist_days(programmes[i], n_schools[i]) for i in team)
        at_lead = phase == "secondary" and rng.random() < SPECIALIST_AT_LEAD_SCHOOL_SHARE
        home = lead_school if at_lead else b.school(phase, b.centre, CLUSTER_RADIUS_KM, hub_calendar=True)
        specialist, cores = b.specialist(phase, home, load)
        for k, i in enumerate(team):
            b.work_group(programmes[i], n_schools[i], specialist, cores[k % len(cores)], lead_school)

    return {
        "name": f"{slug(region)}-hub-{hub:02d}-2026-27",
        "hub": {"name": f"{region} Maths Hub", "tfm_lead": tfm},
        "calendar": {
            "timezone": "Europe/London",
            "bank_holidays": "england",
            "slots": {"am": "09:00-12:00", "pm": "13:00-15:30"},
            "terms": hub_terms(None),
            "closures": [],
        },
        "rates": {
            "supply_cover_day": rng.choice((200, 210, 220)),
            "specialist_day": 200,
            "sle_day": 350,
            "mileage_per_mile": 0.45,
        },
        "max_same_day_km": 30,
        "schools": b.schools,
        "specialists": b.specialists,
        "teachers": b.teachers,
        "work_groups": b.work_groups,
    }
