"""Calendar expansion: school days and the candidate slots computed before the model."""

from __future__ import annotations

import datetime as dt

from scheduler.core.calendar import half_terms
from scheduler.core.rules import candidate_slots

D = dt.date.fromisoformat


def test_school_days_exclude_weekends_breaks_bank_holidays_and_closures(example_problem):
    p = example_problem
    riverside, oakfield = p.schools["riverside"].days, p.schools["oakfield"].days
    assert D("2026-09-04") in riverside  # a Friday in term
    assert D("2026-09-05") not in riverside  # Saturday
    assert D("2026-10-27") not in riverside  # autumn half-term
    assert D("2027-05-03") not in riverside  # Early May bank holiday, in term
    assert D("2026-12-21") not in riverside  # Christmas holidays
    assert D("2026-09-03") in riverside and D("2026-09-03") not in oakfield  # Oakfield INSET day
    assert D("2027-01-05") not in oakfield
    assert D("2027-05-03") in p.bank_holidays


def test_hub_half_terms(example_instance):
    names = [h.name for h in half_terms(example_instance.calendar.terms)]
    assert names == ["autumn-1", "autumn-2", "spring-1", "spring-2", "summer-1", "summer-2"]
    first = half_terms(example_instance.calendar.terms)[0]
    assert (first.start, first.end) == (D("2026-09-03"), D("2026-10-25"))


def test_candidates_follow_release_days_unavailability_and_commitments(example_problem):
    p = example_problem
    wg = p.work_groups["sec-dev-1"]
    visits = candidate_slots(p, wg.activity("visit", "oakfield"))
    days = {d for d, _ in visits}
    assert {d.strftime("%a") for d in days} == {"Tue", "Thu"}  # Sam Jones's release days
    assert min(days) >= D("2026-11-02")  # the WG's window
    assert D("2026-11-17") not in days  # Sam is unavailable
    assert D("2026-11-24") not in days  # Sam's central event (a commitment)
    assert not any(D("2027-05-10") <= d <= D("2027-06-25") for d in days)  # Oakfield GCSE blackout
    assert {s for _, s in visits} == {"am", "pm", "day"}
    group = candidate_slots(p, wg.activity("group"))
    assert {s for _, s in group} == {"am", "pm"}  # R5: group meetings are half-days
    # Bea Lee works Mon–Thu, Parkside's mocks block its teachers from group meetings too.
    assert not any(D("2026-11-30") <= d <= D("2026-12-11") for d, _ in group)


def test_primary_visits_are_half_days(example_problem):
    act = example_problem.work_groups["pri-dev-1"].activity("visit", "lindale")
    assert {s for _, s in candidate_slots(example_problem, act)} == {"am", "pm"}
