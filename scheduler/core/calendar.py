"""Calendar expansion: terms, half-terms, closures and bank holidays into school days.

Everything here returns plain sets and tuples of `datetime.date`, computed once per
instance, so the model and the checker only ever test membership.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import holidays

from models.instance import Calendar, Term, expand_dates

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_name(day: dt.date) -> str:
    return WEEKDAY_NAMES[day.weekday()]


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every date from start to end inclusive."""
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


@lru_cache(maxsize=8)
def england_bank_holidays(years: tuple[int, ...]) -> dict[dt.date, str]:
    """England's bank holidays (the `holidays` package, subdivision ENG) for those years."""
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=years).items())


@dataclass(frozen=True)
class Period:
    """A named stretch of a calendar: a term ('autumn') or a half-term ('autumn-1')."""

    name: str
    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def half_terms(terms: list[Term]) -> list[Period]:
    """Each term split at its half-term break: autumn-1, autumn-2, …"""
    out: list[Period] = []
    for t in terms:
        if t.half_term is None:
            out.append(Period(f"{t.name}-1", t.start, t.end))
        else:
            a, b = t.half_term
            out.append(Period(f"{t.name}-1", t.start, a - dt.timedelta(days=1)))
            out.append(Period(f"{t.name}-2", b + dt.timedelta(days=1), t.end))
    return out


def term_periods(terms: list[Term]) -> list[Period]:
    return [Period(t.name, t.start, t.end) for t in terms]


def school_days(
    terms: list[Term],
    closures: list[dt.date],
    bank_holidays: dict[dt.date, str],
) -> frozenset[dt.date]:
    """Weekdays in term, outside half-term breaks, bank holidays and closures."""
    shut = set(closures) | set(bank_holidays)
    days: set[dt.date] = set()
    for t in terms:
        for day in days_between(t.start, t.end):
            if day.weekday() >= 5 or day in shut:
                continue
            if t.half_term and t.half_term[0] <= day <= t.half_term[1]:
                continue
            days.add(day)
    return frozenset(days)


def calendar_years(terms: list[Term]) -> tuple[int, ...]:
    return tuple(range(min(t.start.year for t in terms), max(t.end.year for t in terms) + 1))


def bank_holidays(calendar: Calendar, terms: list[Term] | None = None) -> dict[dt.date, str]:
    """The bank holidays a hub's calendar observes, over the years of `terms` (default
    its own terms; schools with their own term dates may reach further)."""
    if calendar.bank_holidays != "england":
        return {}
    return england_bank_holidays(calendar_years(terms or calendar.terms))


def hub_school_days(calendar: Calendar, bank: dict[dt.date, str] | None = None) -> frozenset[dt.date]:
    """The hub's school days: its terms less half-terms, bank holidays and its closures.
    The one source of the hub's days and weeks, for the model and the report alike."""
    bank = bank_holidays(calendar) if bank is None else bank
    return school_days(calendar.terms, expand_dates(calendar.closures), bank)
