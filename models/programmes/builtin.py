"""The built-in programmes of DOMAIN.md, written in exactly the form an instance uses under
`programmes:`, so that the model and `hubplan check` read built-ins and an instance's own
programmes the same way. A built-in that does not mean something stops the import."""

from __future__ import annotations

import yaml

from .definition import ProgrammeDef
from .meaning import definition_problems

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
        bad = definition_problems(pdef)
        if bad:
            raise RuntimeError(f"built-in programme {name} is wrong: {bad}")
    return out


PROGRAMMES: dict[str, ProgrammeDef] = _builtins()  # the built-ins, by name
