"""Where and when in a generated hub: its calendars (the hub's terms, a variant's, INSET
days) and points on the map (a school near its cluster, inside the hub's region)."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from .facts import CALENDAR_VARIANTS, HUB_TERMS, INSET_DAYS, D


def weekdays_between(start: D, end: D) -> list[D]:
    return [
        start + dt.timedelta(days=k)
        for k in range((end - start).days + 1)
        if (start + dt.timedelta(days=k)).weekday() < 5
    ]


def next_weekday(day: D) -> D:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def hub_terms(variant: str | None) -> list[dict[str, Any]]:
    """The hub's terms, changed as a calendar variant says."""
    terms = {name: {"name": name, "start": a, "end": b, "half_term": list(h)} for name, a, b, h in HUB_TERMS}
    for term, key, value in CALENDAR_VARIANTS.get(variant or "", ()):
        terms[term][key] = list(value) if isinstance(value, tuple) else value
    return list(terms.values())


def term_days(terms: list[dict[str, Any]]) -> list[D]:
    """Weekdays in term, outside half-terms (bank holidays are left to the calendar)."""
    out = []
    for t in terms:
        lo, hi = t["half_term"]
        out += [d for d in weekdays_between(t["start"], t["end"]) if not lo <= d <= hi]
    return out


HUB_TERM_DAYS = term_days(hub_terms(None))


def inset_days(rng: random.Random, terms: list[dict[str, Any]]) -> list[D]:
    """Five INSET days: the first day of the year and four more around the starts of terms."""
    by = {t["name"]: t for t in terms}
    after_half = [next_weekday(t["half_term"][1] + dt.timedelta(days=1)) for t in terms]
    first = by["autumn"]["start"]
    pool = [
        next_weekday(first + dt.timedelta(days=1)),
        by["autumn"]["half_term"][0] - dt.timedelta(days=3),  # the Friday before half-term
        by["spring"]["start"],
        by["summer"]["start"],
        by["summer"]["end"],
        *after_half,
    ]
    pool = sorted(set(pool) - {first})
    return sorted([first, *rng.sample(pool, INSET_DAYS - 1)])


def move(point: tuple[float, float], km_north: float, km_east: float) -> tuple[float, float]:
    lat, lon = point
    return (lat + km_north / 111.0, lon + km_east / (111.0 * math.cos(math.radians(lat))))


def around(rng: random.Random, centre: tuple[float, float], radius_km: float) -> tuple[float, float]:
    """A point uniformly spread over the disc of `radius_km` around `centre`."""
    r, a = radius_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return move(centre, r * math.cos(a), r * math.sin(a))


def within(point: tuple[float, float], centre: tuple[float, float], radius_km: float) -> tuple[float, float]:
    """`point` pulled towards `centre` until it lies within `radius_km` of it."""
    north = (point[0] - centre[0]) * 111.0
    east = (point[1] - centre[1]) * 111.0 * math.cos(math.radians(centre[0]))
    dist = math.hypot(north, east)
    if dist <= radius_km:
        return point
    scale = radius_km / dist
    return move(centre, north * scale, east * scale)
