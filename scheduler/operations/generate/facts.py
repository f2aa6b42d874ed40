"""The realism facts of generated hubs, each with where it comes from: DOMAIN.md (which
cites the seed documents), the bundled `instances/north-east-hub-2026-27.yaml` (a
hand-written hub, "NE hub" below) or the shape of a typical hub (~43 Work Groups, ~265
schools, ~530 teachers, ~26 specialists).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

D = dt.date

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
