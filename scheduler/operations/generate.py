"""Realistic synthetic hubs for tests and benchmarks: `hubplan generate`.

`generate_instance(work_groups, seed, hub)` returns one instance as plain data (CONTRACT.md's
shape, dates as `datetime.date`); `render_instance` and `write_instance` turn it into YAML or
JSON. Everything is drawn from one `random.Random` seeded from (seed, hub) and built in a
fixed order, so the same arguments give byte-identical files.

The numbers below are the realism facts, each with where it comes from: DOMAIN.md (which
cites the seed documents), the bundled `instances/north-east-hub-2026-27.yaml` (a hand-written
hub) or the shape of a typical hub (~43 Work Groups, ~265 schools, ~530 teachers, ~26
specialists). Generated hubs are feasible by construction: every teacher of a Work Group
works the Work Group's meeting day, specialists get release days in proportion to the days
they lead, and release caps are never below what a programme needs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.instance import WEEKDAYS
from models.programmes import PROGRAMMES

D = dt.date

# --------------------------------------------------------------------------- realism facts

# DOMAIN.md "People, places, programmes": about 40 Maths Hubs in England.
NATIONAL_HUBS = 40
# A typical hub plans ~43 Work Groups. The mix is mostly primary development, with some
# secondary development, embedding and sustaining (DOMAIN.md "Built-in programmes").
TYPICAL_WORK_GROUPS = 43
PROGRAMME_MIX: dict[str, int] = {
    "primary-development": 30,
    "secondary-development": 6,
    "secondary-embedding": 4,
    "sustaining": 3,
}


@dataclass(frozen=True)
class ProgrammeFacts:
    """What one programme asks of the schools and specialist of a generated Work Group."""

    code: str  # Work Group id prefix
    title: str
    phase: str  # 'primary' | 'secondary'
    teachers_per_school: tuple[int, int]  # DOMAIN.md table; 1–2 for departments (NE hub)
    role: str
    release_cap: float  # max_release_days when a teacher has one: ≥ what the programme needs
    specialist_days: tuple[float, float]  # specialist days a year: base + per school


# Days follow DOMAIN.md: primary development is 6 half-day meetings and 3 half-day visits a
# school; secondary development 10 support days; embedding 3 days a school plus 3 half-day
# meetings; sustaining 3 half-day meetings. Release caps are the most a teacher can need.
FACTS: dict[str, ProgrammeFacts] = {
    "primary-development": ProgrammeFacts(
        "pd", "Primary Development", "primary", (2, 2), "teacher", 5, (3, 1.5)
    ),
    "secondary-development": ProgrammeFacts(
        "sd", "Secondary Development", "secondary", (2, 2), "advocate", 8, (10, 0)
    ),
    "secondary-embedding": ProgrammeFacts(
        "se", "Secondary Embedding", "secondary", (1, 2), "teacher", 5, (1.5, 3)
    ),
    "sustaining": ProgrammeFacts("su", "Sustaining", "secondary", (1, 2), "teacher", 2, (1.5, 0)),
}

# Specialists lead 1–3 Work Groups (DOMAIN.md: "one specialist may lead several"): a typical
# hub has ~20 primary and ~6 secondary specialists for its ~43 groups.
GROUPS_PER_SPECIALIST: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "primary": ((1, 2, 3), (6, 3, 1)),  # values, weights: 1.5 groups on average
    "secondary": ((1, 2, 3), (2, 4, 4)),  # 2.2 groups on average
}
MAX_SPECIALIST_DAYS = 42  # no specialist leads more than this many days a year
# Release days a week (NE hub): secondary specialists 1–2 fixed weekdays, primary 2–3; more
# only for a heavy load. A specialist gets ≥ RELEASE_SLACK × the days they lead.
MIN_RELEASE_DAYS = {"primary": 2, "secondary": 1}
MAX_RELEASE_DAYS = 4
RELEASE_SLACK = 2.5
TEACHING_WEEKS = 36  # 2026/27: 39 weeks of term less three half-term weeks
SLE_SHARE = 0.25  # year-3+ specialists paid at the SLE rate (DOMAIN.md "Money", seed 004)
WEEKLY_CAP_SHARE = 0.4  # specialists whose school caps their days a week (R9)
SPECIALIST_ABSENCE_SHARE = 0.5  # specialists with dates off, and with a fixed commitment
SPECIALIST_AT_LEAD_SCHOOL_SHARE = 0.3  # secondary specialists employed by the hub lead school
# Some secondary Work Groups start after the first fortnight of term, and some Development
# groups meet at the hub lead school, central for both departments (NE hub).
LATE_START = D(2026, 9, 14)
LATE_START_SHARE = 0.15
CENTRAL_VENUE_SHARE = 0.25

# The hub's calendar: a local-authority pattern for 2026/27 (CONTRACT.md, NE hub).
HUB_TERMS: tuple[tuple[str, D, D, tuple[D, D]], ...] = (
    ("autumn", D(2026, 9, 3), D(2026, 12, 18), (D(2026, 10, 26), D(2026, 10, 30))),
    ("spring", D(2027, 1, 5), D(2027, 3, 25), (D(2027, 2, 15), D(2027, 2, 19))),
    ("summer", D(2027, 4, 12), D(2027, 7, 21), (D(2027, 5, 31), D(2027, 6, 4))),
)
# Other local authorities and academy trusts set their own dates (DOMAIN.md "School"; NE hub):
# each change is (term, field, new value). A hub uses 2–3 of these besides its own.
CALENDAR_VARIANTS: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "early-start": (("autumn", "start", D(2026, 9, 2)), ("spring", "start", D(2027, 1, 4))),
    "late-start": (("autumn", "start", D(2026, 9, 7)), ("summer", "end", D(2027, 7, 22))),
    "two-week-october": (("autumn", "half_term", (D(2026, 10, 19), D(2026, 10, 30))),),
    "late-february": (("spring", "half_term", (D(2027, 2, 22), D(2027, 2, 26))),),
    "early-summer-finish": (("autumn", "start", D(2026, 9, 1)), ("summer", "end", D(2027, 7, 9))),
}
CALENDAR_VARIANTS_PER_HUB = (2, 3)
HUB_CALENDAR_SHARE = 0.5  # schools on the hub's own calendar
INSET_DAYS = 5  # every school closes for five INSET days, mostly at the start of a term

# Blackouts (DOMAIN.md "School": mock exams, GCSEs, …): dates a school will not release staff.
MOCK_WINDOWS = (
    (D(2026, 11, 23), D(2026, 12, 4)),
    (D(2026, 11, 30), D(2026, 12, 11)),
    (D(2027, 1, 11), D(2027, 1, 22)),
    (D(2027, 1, 18), D(2027, 1, 29)),
)
GCSE_SEASON = (D(2027, 5, 10), D(2027, 6, 25))
SATS_WEEK = (D(2027, 5, 10), D(2027, 5, 13))  # KS2 tests, week of 10 May 2027
RESIDENTIAL_WEEKS = (D(2027, 6, 14), D(2027, 6, 21), D(2027, 6, 28), D(2027, 7, 5))
BLACKOUT_SHARE = {"mocks": 0.65, "gcse": 0.6, "sats": 0.8, "residential": 0.1}

# People (NE hub): some teachers work part time or are released on fewer days than they work.
PART_TIME_SHARE = 0.2
NARROW_RELEASE_SHARE = 0.1
RELEASE_CAP_SHARE = 0.08
UNAVAILABLE_SHARE = 0.08
PREFER_DAYS_SHARE = {"school": 0.08, "teacher": 0.05, "headteacher": 0.15, "specialist": 0.3}
EMAIL_SHARE = 0.6

# Geography: a hub's schools lie within ~25 km of its centre; a Work Group's within a few km
# of each other (NE hub). Hub centres are county towns and cities spread over England.
HUB_RADIUS_KM = 25.0
CLUSTER_RADIUS_KM = 18.0
SCHOOL_RADIUS_KM = 6.0
NEAR_SPECIALIST_KM = 8.0  # a Work Group's schools cluster near its specialist's school
LEAD_SCHOOL_RADIUS_KM = 5.0  # the hub lead school is near the hub's centre
HUB_LEAD_CAPACITY = 3  # the hub lead school hosts several sessions at once (NE hub)
REGIONS: tuple[tuple[str, float, float], ...] = (
    ("Tees Valley", 54.57, -1.23),
    ("Humber", 53.74, -0.33),
    ("West Yorkshire", 53.80, -1.55),
    ("South Yorkshire", 53.38, -1.47),
    ("Greater Manchester", 53.48, -2.24),
    ("Merseyside", 53.41, -2.98),
    ("Lancashire", 53.76, -2.70),
    ("Cumbria", 54.89, -2.93),
    ("Northumberland", 55.17, -1.69),
    ("Cheshire", 53.19, -2.89),
    ("Staffordshire", 52.81, -2.12),
    ("Black Country", 52.59, -2.08),
    ("Birmingham", 52.48, -1.90),
    ("Warwickshire", 52.41, -1.51),
    ("Leicestershire", 52.64, -1.13),
    ("Nottinghamshire", 52.95, -1.15),
    ("Derbyshire", 52.92, -1.48),
    ("Lincolnshire", 53.23, -0.54),
    ("Norfolk", 52.63, 1.30),
    ("Suffolk", 52.06, 1.16),
    ("Cambridgeshire", 52.21, 0.12),
    ("Essex", 51.74, 0.47),
    ("Hertfordshire", 51.80, -0.21),
    ("Bedfordshire", 52.14, -0.47),
    ("Northamptonshire", 52.24, -0.90),
    ("Oxfordshire", 51.75, -1.26),
    ("Berkshire", 51.45, -0.97),
    ("Kent", 51.28, 1.08),
    ("Sussex", 50.83, -0.14),
    ("Surrey", 51.24, -0.57),
    ("Hampshire", 50.91, -1.40),
    ("Dorset", 50.72, -1.88),
    ("Wiltshire", 51.35, -1.99),
    ("Bristol", 51.45, -2.59),
    ("Gloucestershire", 51.86, -2.24),
    ("Somerset", 51.02, -3.10),
    ("Devon", 50.72, -3.53),
    ("Cornwall", 50.26, -5.05),
    ("Worcestershire", 52.19, -2.22),
    ("Shropshire", 52.71, -2.75),
)

# Name parts: invented names that read like English places, schools and people.
PLACE_HEADS = (
    "Ash",
    "Oak",
    "Elm",
    "Birch",
    "Hazel",
    "Rowan",
    "Willow",
    "Alder",
    "Holly",
    "Thorn",
    "Bramble",
    "Heather",
    "Fern",
    "Moor",
    "Brook",
    "Mill",
    "Church",
    "Castle",
    "Bridge",
    "Kings",
    "Queens",
    "Priory",
    "Abbey",
    "Grange",
    "Stone",
    "Red",
    "White",
    "Green",
    "Long",
    "High",
    "Low",
    "North",
    "South",
    "East",
    "West",
    "New",
    "Fox",
    "Hart",
    "Lark",
    "Wren",
    "Raven",
    "Swan",
    "Heron",
    "Cole",
    "Marsh",
    "Wood",
    "Lang",
    "Kirk",
    "Brad",
    "Hollin",
)
PLACE_TAILS = (
    "field",
    "ford",
    "wood",
    "ley",
    "ton",
    "bury",
    "dale",
    "brook",
    "side",
    "gate",
    "well",
    "worth",
    "ham",
    "stead",
    "moor",
    "hurst",
    "cliffe",
    "by",
    "thorpe",
    "combe",
    "mere",
    "holme",
    "ridge",
    "wick",
    "croft",
    "bank",
    "hill",
    "lea",
    "don",
    "stow",
)
SAINTS = (
    "Aidan",
    "Cuthbert",
    "Bede",
    "Mary",
    "Joseph",
    "Patrick",
    "Anne",
    "Peter",
    "Paul",
    "Thomas",
    "Michael",
    "John",
    "Hilda",
    "Chad",
    "Wilfrid",
    "Margaret",
    "Benedict",
    "Teresa",
    "Francis",
)
SCHOOL_STYLES = {
    "primary": (
        ("{p} Primary School", "-primary", 6),
        ("{p} Primary Academy", "-primary", 2),
        ("{p} Church of England Primary School", "-ce-primary", 2),
        ("{p} Community Primary School", "-primary", 1),
        ("St {s}'s Catholic Primary School", "-rc-primary", 1),
    ),
    "secondary": (
        ("{p} School", "-school", 3),
        ("{p} Academy", "-academy", 3),
        ("{p} High School", "-high", 3),
        ("{p} Community College", "-college", 1),
        ("St {s}'s Catholic High School", "-rc-high", 1),
    ),
}
FIRST_NAMES = (
    "Aisha",
    "Alan",
    "Alice",
    "Amir",
    "Amy",
    "Anna",
    "Ben",
    "Beth",
    "Callum",
    "Carol",
    "Chloe",
    "Chris",
    "Claire",
    "Dan",
    "David",
    "Dean",
    "Diane",
    "Ella",
    "Emma",
    "Erin",
    "Farah",
    "Fatima",
    "Fiona",
    "Gareth",
    "Gemma",
    "Grace",
    "Hannah",
    "Harry",
    "Helen",
    "Imran",
    "Isla",
    "Jack",
    "Jade",
    "James",
    "Jess",
    "Joe",
    "Josh",
    "Kate",
    "Kieran",
    "Laura",
    "Leah",
    "Liam",
    "Lily",
    "Lucy",
    "Luke",
    "Maria",
    "Mark",
    "Megan",
    "Mia",
    "Nadia",
    "Nathan",
    "Nina",
    "Noah",
    "Olivia",
    "Omar",
    "Owen",
    "Paul",
    "Priya",
    "Rachel",
    "Raj",
    "Rhys",
    "Rosie",
    "Ruth",
    "Ryan",
    "Sam",
    "Sarah",
    "Sean",
    "Sophie",
    "Sunil",
    "Tariq",
    "Tom",
    "Tomasz",
    "Vera",
    "Will",
    "Yusuf",
    "Zara",
    "Zoe",
    "Kwame",
    "Ngozi",
    "Wei",
    "Mei",
    "Ines",
    "Pavel",
    "Siobhan",
)
SURNAMES = (
    "Ali",
    "Armstrong",
    "Ashworth",
    "Baker",
    "Barker",
    "Bell",
    "Bhatt",
    "Brennan",
    "Carr",
    "Chambers",
    "Clarke",
    "Collins",
    "Cooper",
    "Dale",
    "Davies",
    "Dodds",
    "Doherty",
    "Edwards",
    "Elliott",
    "Evans",
    "Forster",
    "Foster",
    "Gibson",
    "Graham",
    "Grant",
    "Green",
    "Hall",
    "Harris",
    "Hedley",
    "Hill",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Johnson",
    "Jones",
    "Kaur",
    "Kelly",
    "Khan",
    "King",
    "Lee",
    "Lewis",
    "Malik",
    "Marsh",
    "Martin",
    "Mistry",
    "Moore",
    "Morgan",
    "Murphy",
    "Nowak",
    "Obi",
    "Okafor",
    "Parker",
    "Patel",
    "Pearson",
    "Phillips",
    "Price",
    "Quinn",
    "Raman",
    "Reid",
    "Roberts",
    "Robinson",
    "Rowe",
    "Scott",
    "Shah",
    "Shaw",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Walsh",
    "Ward",
    "Watson",
    "White",
    "Williams",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
    "Zhang",
    "Chen",
    "Mensah",
)
SPECIALIST_COMMITMENTS = ("Specialist network meeting", "Regional Maths Hubs event", "Accreditation day")
TFM_LEAD_COMMITMENTS = ("Maths Hubs national Forum", "Hub strategic board")


# --------------------------------------------------------------------------- small helpers


def slug(text: str) -> str:
    """`text` as an instance id: lowercase letters, digits and single '-'."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")


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


def _weekdays_between(start: D, end: D) -> list[D]:
    return [
        start + dt.timedelta(days=k)
        for k in range((end - start).days + 1)
        if (start + dt.timedelta(days=k)).weekday() < 5
    ]


def _next_weekday(day: D) -> D:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _terms(variant: str | None) -> list[dict[str, Any]]:
    """The hub's terms, changed as a calendar variant says."""
    terms = {name: {"name": name, "start": a, "end": b, "half_term": list(h)} for name, a, b, h in HUB_TERMS}
    for term, key, value in CALENDAR_VARIANTS.get(variant or "", ()):
        terms[term][key] = list(value) if isinstance(value, tuple) else value
    return list(terms.values())


def _term_days(terms: list[dict[str, Any]]) -> list[D]:
    """Weekdays in term, outside half-terms (bank holidays are left to the calendar)."""
    out = []
    for t in terms:
        lo, hi = t["half_term"]
        out += [d for d in _weekdays_between(t["start"], t["end"]) if not lo <= d <= hi]
    return out


HUB_TERM_DAYS = _term_days(_terms(None))


def _inset_days(rng: random.Random, terms: list[dict[str, Any]]) -> list[D]:
    """Five INSET days: the first day of the year and four more around the starts of terms."""
    by = {t["name"]: t for t in terms}
    after_half = [_next_weekday(t["half_term"][1] + dt.timedelta(days=1)) for t in terms]
    first = by["autumn"]["start"]
    pool = [
        _next_weekday(first + dt.timedelta(days=1)),
        by["autumn"]["half_term"][0] - dt.timedelta(days=3),  # the Friday before half-term
        by["spring"]["start"],
        by["summer"]["start"],
        by["summer"]["end"],
        *after_half,
    ]
    pool = sorted(set(pool) - {first})
    return sorted([first, *rng.sample(pool, INSET_DAYS - 1)])


def _move(point: tuple[float, float], km_north: float, km_east: float) -> tuple[float, float]:
    lat, lon = point
    return (lat + km_north / 111.0, lon + km_east / (111.0 * math.cos(math.radians(lat))))


def _near(rng: random.Random, centre: tuple[float, float], radius_km: float) -> tuple[float, float]:
    """A point uniformly spread over the disc of `radius_km` around `centre`."""
    r, a = radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return _move(centre, r * math.cos(a), r * math.sin(a))


def _within(point: tuple[float, float], centre: tuple[float, float], radius_km: float) -> tuple[float, float]:
    """`point` pulled towards `centre` until it lies within `radius_km` of it."""
    north = (point[0] - centre[0]) * 111.0
    east = (point[1] - centre[1]) * 111.0 * math.cos(math.radians(centre[0]))
    dist = math.hypot(north, east)
    if dist <= radius_km:
        return point
    scale = radius_km / dist
    return _move(centre, north * scale, east * scale)


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
        lat, lon = _within(_near(self.rng, near, radius_km), self.centre, HUB_RADIUS_KM)
        record["location"] = {"lat": round(lat, 4), "lon": round(lon, 4)}
        self.locations[record["id"]] = (record["location"]["lat"], record["location"]["lon"])
        calendar = None
        if not hub_calendar and not self.chance(HUB_CALENDAR_SHARE):
            calendar = self.rng.choice(self.variants)
        terms = _terms(calendar)
        if calendar is not None:
            record["terms"] = terms
        record["closures"] = _inset_days(self.rng, terms)
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
        centre = _within(_near(self.rng, home, NEAR_SPECIALIST_KM), self.centre, HUB_RADIUS_KM)
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
            "terms": _terms(None),
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


# --------------------------------------------------------------------------- writing


class _Dumper(yaml.SafeDumper):
    """Block style for structure, one-line flow style for records of plain values (as a
    person writes the bundled hub), indented lists, and no anchors: every school's terms
    are its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


FLOW_MAX_CHARS = 110  # a record of plain values about this short is written on one line


def _is_plain(value: Any) -> bool:
    """A scalar, or a list or mapping of plain values small enough for one line."""
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values()) and len(value) <= 4
    if isinstance(value, list):
        return all(_is_plain(v) for v in value)
    return True


def _flat_length(value: Any) -> int:
    """About how many characters `value` takes in YAML flow style."""
    if isinstance(value, dict):
        return 2 + sum(len(str(k)) + 4 + _flat_length(v) for k, v in value.items())
    if isinstance(value, list):
        return 2 + sum(2 + _flat_length(v) for v in value)
    return len(str(value))


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = all(_is_plain(v) for v in data.values()) and _flat_length(data) <= FLOW_MAX_CHARS
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def describe(data: Mapping[str, Any]) -> str:
    """One line of sizes: Work Groups, schools, specialists, teachers."""
    return (
        f"{len(data['work_groups'])} Work Groups, {len(data['schools'])} schools, "
        f"{len(data['specialists'])} specialists, {len(data['teachers'])} teachers"
    )


def render_instance(data: Mapping[str, Any], fmt: str = "yaml", header: str = "") -> bytes:
    """The instance as YAML (with `header` as comment lines) or JSON, as bytes."""
    if fmt == "json":
        return (json.dumps(data, indent=1, ensure_ascii=False, default=D.isoformat) + "\n").encode()
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    body = yaml.dump(dict(data), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=160)
    return (comment + body).encode()


def write_instance(data: Mapping[str, Any], path: str | Path, header: str = "") -> Path:
    """Write the instance to `path` (.json as JSON, else YAML), atomically."""
    from scheduler.outputs.files import write_file

    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    write_file(path, render_instance(data, fmt, header))
    return path


def generated_header(data: Mapping[str, Any], work_groups: int, seed: int, hub: int) -> str:
    """Comment lines for a generated file: what made it and what is in it."""
    return (
        f"A synthetic Maths Hub written by `hubplan generate --work-groups {work_groups} --seed {seed}`"
        f" (hub {hub}).\n{data['hub']['name']}: every name is invented, places are only roughly real.\n"
        f"{describe(data)}.\nThe same command writes the same bytes; see scheduler/generate.py for the facts used."
    )


def write_hubs(work_groups: int, hubs: int, seed: int, folder: str | Path) -> list[Path]:
    """Write `hubs` whole instances (`hub-01.yaml`, …) of `work_groups` Work Groups each."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(hubs)))
    paths = []
    for hub in range(1, hubs + 1):
        data = generate_instance(work_groups, seed, hub)
        header = generated_header(data, work_groups, seed, hub)
        paths.append(write_instance(data, folder / f"hub-{hub:0{width}d}.yaml", header))
    return paths
