"""Distances between places: straight-line for R12, road-ish miles for travel and mileage."""

from __future__ import annotations

import functools
import math

KM_PER_MILE = 1.609344
# Roads are longer than the straight line; 1.3 is a common detour factor for English towns.
ROAD_FACTOR = 1.3


@functools.lru_cache(maxsize=1 << 16)  # the model asks for the same pairs of venues many times
def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def round_trip_miles(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Miles driven from a to b and back, rounded to 0.1 mile; None when a place has no location."""
    if a is None or b is None:
        return None
    return round(2 * ROAD_FACTOR * haversine_km(a, b) / KM_PER_MILE, 1)
