"""The built-in programmes of DOMAIN.md as data: their numbers and what each may override.

Every number is a `(min, max)` range; a plain number in an instance's `params` means
`(n, n)`. Day counts are in days (a half-day is 0.5). The model and `hubplan check` both
read the resolved numbers from here, so a default lives in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass

INF = 1000.0
Range = tuple[float, float]


@dataclass(frozen=True)
class Programme:
    """What a programme asks of a Work Group."""

    name: str
    has_group: bool  # R5 group meetings of the specialist with every teacher
    has_visits: bool  # the specialist visits each school
    has_headteachers: bool  # R13 termly headteachers' meeting led by the TfM Lead
    visit_slots: tuple[str, ...]  # 'am', 'pm' and maybe 'day'
    group_cadence: str | None  # 'half_term' (R8 one per half-term), 'term', or None
    visits_exact_per_term: bool  # R7 "exactly one" (primary) instead of "at least one"
    defaults: dict[str, Range]
    seed: str

    def resolve(self, params: dict[str, float | tuple[float, float]]) -> dict[str, Range]:
        out = dict(self.defaults)
        for key, value in params.items():
            out[key] = (
                (float(value[0]), float(value[1]))
                if isinstance(value, tuple)
                else (
                    float(value),
                    float(value),
                )
            )
        return out


COMMON: dict[str, Range] = {
    "group_gap_days": (14, 14),  # R8: group meetings of one WG at least this far apart
}

PROGRAMMES: dict[str, Programme] = {
    p.name: p
    for p in (
        Programme(
            name="secondary-development",
            has_group=True,
            has_visits=True,
            has_headteachers=False,
            visit_slots=("am", "pm", "day"),
            group_cadence=None,
            visits_exact_per_term=False,
            defaults={
                **COMMON,
                "schools": (2, 2),
                "support_days": (10, 10),  # R4
                "group_days": (2, 4),  # R4
                "school_days": (3, 4),  # R4, per school
                "group_meetings": (4, INF),  # R5
            },
            seed="NCP23-12 (000), 2020/21 sheet (001)",
        ),
        Programme(
            name="primary-development",
            has_group=True,
            has_visits=True,
            has_headteachers=True,
            visit_slots=("am", "pm"),
            group_cadence="half_term",
            visits_exact_per_term=True,
            defaults={**COMMON, "schools": (6, 7)},
            seed="NCP20-10 (002)",
        ),
        Programme(
            name="secondary-embedding",
            has_group=True,
            has_visits=True,
            has_headteachers=False,
            visit_slots=("am", "pm", "day"),
            group_cadence="term",
            visits_exact_per_term=False,
            defaults={**COMMON, "schools": (4, 6), "school_days": (3, 3)},
            seed="2020/21 sheet (001), pathway (003)",
        ),
        Programme(
            name="sustaining",
            has_group=True,
            has_visits=False,
            has_headteachers=False,
            visit_slots=(),
            group_cadence="term",
            visits_exact_per_term=False,
            defaults={**COMMON, "schools": (4, 6)},
            seed="2020/21 sheet (001), pathway (003)",
        ),
    )
}


def programme_problems(programme: Programme, params: dict, n_schools: int) -> list[tuple[str, str]]:
    """Why a Work Group's numbers cannot add up, as (field, message) pairs."""
    problems: list[tuple[str, str]] = []
    for key in params:
        if key not in programme.defaults:
            known = ", ".join(sorted(programme.defaults))
            problems.append((f"params.{key}", f"unknown parameter for {programme.name}; known: {known}"))
    if problems:
        return problems
    r = programme.resolve(params)
    lo, hi = r["schools"]
    if not lo <= n_schools <= hi:
        want = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
        problems.append(
            (
                "schools",
                f"{programme.name} takes {want} schools, this Work Group has {n_schools}; "
                f"change the schools or set params.schools",
            )
        )
    for key, (a, b) in r.items():
        if (a * 2) != int(a * 2) or (b * 2 != int(b * 2) and b != INF):
            problems.append((f"params.{key}", "numbers of days must be whole or half days"))
    if "support_days" in r:
        g_lo, g_hi = r["group_days"]
        s_lo, s_hi = r["school_days"]
        t_lo, t_hi = r["support_days"]
        can_lo = g_lo + n_schools * s_lo
        can_hi = g_hi + n_schools * s_hi
        if can_hi < t_lo or can_lo > t_hi:
            problems.append(
                (
                    "params.support_days",
                    f"group {g_lo:g}–{g_hi:g} days + {n_schools} schools × {s_lo:g}–{s_hi:g} days "
                    f"make {can_lo:g}–{can_hi:g} days, which cannot be {t_lo:g}–{t_hi:g} "
                    f"support days; change group_days, school_days or support_days",
                )
            )
        m_lo, _ = r["group_meetings"]
        if m_lo * 0.5 > g_hi:
            problems.append(
                (
                    "params.group_meetings",
                    f"{m_lo:g} half-day meetings need {m_lo / 2:g} days, more than group_days "
                    f"allows ({g_hi:g}); lower group_meetings or raise group_days",
                )
            )
    return problems
