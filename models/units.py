"""Half-days and ranges: the arithmetic every layer shares, written once.

A session takes a half-day slot (`am`, `pm`) or a whole `day`; every count of days in
DOMAIN.md adds a half-day as 0.5. Programme numbers are ranges `(min, max)`, `INF` for no
limit, and messages say them as '3', '2–4' or 'at least 4'.
"""

from __future__ import annotations

INF = 1000.0  # "no limit": above any count or number of days a year holds
Range = tuple[float, float]
HALVES = ("am", "pm")


def halves(slot: str) -> tuple[str, ...]:
    """The half-days a slot takes: a `day` takes both."""
    return HALVES if slot == "day" else (slot,)


def units(slot: str) -> int:
    """A slot's length in half-days."""
    return 2 if slot == "day" else 1


def slot_days(slot: str) -> float:
    """A slot's length in days (a half-day counts 0.5)."""
    return units(slot) / 2


def days_text(n_halves: float) -> str:
    """'1 day', '2.5 days' for a number of half-days."""
    return f"{n_halves / 2:g} day" + ("" if n_halves == 2 else "s")


def in_range(value: float, rng: Range) -> bool:
    return rng[0] <= value <= rng[1]


def range_text(rng: Range) -> str:
    """'3', '2–4' or 'at least 4'."""
    lo, hi = rng
    if lo == hi:
        return f"{lo:g}"
    return f"at least {lo:g}" if hi >= INF else f"{lo:g}–{hi:g}"
