"""What a programme definition means, and whether one Work Group's numbers can add up.

Shape is pydantic's (models.programmes.definition); meaning is here: references to params
and streams, combinations that cannot mean anything, numbers that cannot add up. Problems
are `(field path, message)` pairs, paths below the programme or the Work Group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..problems import Problem, did_you_mean, quoted
from ..units import INF, halves, range_text, slot_days
from .definition import COUNT_FIELDS, DEFAULT_VENUE, WHOLE_COUNTS, ProgrammeDef, StreamDef, pair
from .plain import Programme, Stream


def definition_problems(pdef: ProgrammeDef) -> list[Problem]:
    """What is wrong with a programme definition, as (path below the programme, message).
    Whether its name clashes with a built-in's is the instance's question (models.references)."""
    out = _reference_problems(pdef)
    for kind, stream in pdef.streams.items():
        out += [(f"streams.{kind}.{f}", m) for f, m in _stream_problems(kind, stream, pdef)]
    out += _cycle_problems(pdef)
    if not out:
        resolved = pdef.resolve("", {})
        out += [(path, m) for path, _, m in count_problems(pdef, resolved)]
    return out


def _reference_problems(pdef: ProgrammeDef) -> list[Problem]:
    known = pdef.defaults
    names = ", ".join(sorted(known))
    out = [
        (path, f"'{ref}' is not a parameter of this programme; declare it under params (known: {names})")
        for path, ref in pdef.refs()
        if ref not in known
    ]
    for param, table in pdef.variants.items():
        if param not in known:
            out.append((f"variants.{param}", f"'{param}' is not a parameter; declare it under params"))
        for key, values in table.items():
            out += [
                (f"variants.{param}.{key}.{p}", f"'{p}' is not a parameter; declare it under params")
                for p in values
                if p not in known
            ]
    return out


def _stream_problems(kind: str, s: StreamDef, pdef: ProgrammeDef) -> list[Problem]:
    """Combinations of kind, venue, attendees and fields that cannot mean anything."""
    venue = s.venue or DEFAULT_VENUE.get(kind, "wg-venue")
    out: list[Problem] = []
    if kind == "visit" and venue != "visited-school":
        out.append(("venue", f"{quoted(venue)}: a visit is held at the visited school; write visited-school"))
    if kind != "visit" and venue == "visited-school":
        out.append(("venue", "'visited-school' holds only visits; use wg-venue or leader-school"))
    if (kind == "central") != (venue == "central"):
        out.append(
            (
                "venue",
                f"{quoted(venue)}: central events (and only they) are held at each event's venue: "
                "a central stream has venue: central",
            )
        )
    if kind != "visit" and "school-teachers" in s.attendees:
        out.append(
            (
                "attendees",
                "'school-teachers': only a visit has one school's teachers; use teachers (all of the WG's)",
            )
        )
    if s.per_term is not None and s.per_half_term is not None:
        out.append(("per_half_term", "choose per_term or per_half_term, not both"))
    if venue == "central":
        out += [
            (f, "central events are the Work Group's central_events on fixed dates; remove this field")
            for f in ("sessions", "per_term", "per_half_term", "gap_days", "after")
            if getattr(s, f) is not None
        ]
    if s.after is not None and s.after not in pdef.streams:
        out.append(("after", f"'{s.after}' is not a stream of this programme ({', '.join(pdef.streams)})"))
    elif s.after == kind:
        out.append(("after", f"'{kind}': a stream cannot come after itself"))
    return out


def _cycle_problems(pdef: ProgrammeDef) -> list[Problem]:
    for start in pdef.streams:
        seen, kind = [start], pdef.streams[start].after
        while kind is not None and kind in pdef.streams and kind != seen[-1]:
            if kind in seen:
                circle = " → ".join([*seen[seen.index(kind) :], kind])
                return [
                    (
                        f"streams.{start}.after",
                        f"streams come after each other in a circle ({circle}); remove one 'after'",
                    )
                ]
            seen.append(kind)
            kind = pdef.streams[kind].after
    return []


def count_problems(
    pdef: ProgrammeDef, p: Programme, n_schools: int | None = None
) -> list[tuple[str, str, str]]:
    """Numbers of one resolved programme that cannot work, as (path below the programme,
    parameter involved or '', message). With n_schools, also whether total_days can add up."""
    out: list[tuple[str, str, str]] = []
    for s in p.streams:
        at = f"streams.{s.kind}"
        for field in COUNT_FIELDS:
            rng = getattr(s, field)
            if rng is None:
                continue
            rng = (rng, rng) if isinstance(rng, float) else rng
            step = 1.0 if field in WHOLE_COUNTS else 0.5
            if any(x < INF and x / step != int(x / step) for x in rng):
                what = "whole numbers" if step == 1 else "whole or half days"
                message = f"the {s.kind} stream's {field.replace('_', ' ')} must be {what}"
                out.append((f"{at}.{field}", pdef.ref(f"{at}.{field}") or "", message))
        out += _sessions_vs_days(pdef, s)
    if p.max_days_per_week is not None and p.max_days_per_week <= 0:
        ref = pdef.ref("max_days_per_week") or ""
        out.append(("max_days_per_week", ref, "at most 0 days a week allows no session; raise it"))
    if n_schools is not None and p.total_days is not None:
        out += _total_problems(pdef, p, n_schools)
    return out


def _label(pdef: ProgrammeDef, path: str) -> str:
    """How a message names a number: its parameter, or the field of the definition."""
    return pdef.ref(path) or path


def _sessions_vs_days(pdef: ProgrammeDef, s: Stream) -> list[tuple[str, str, str]]:
    if s.sessions is None or s.days is None:
        return []
    at = f"streams.{s.kind}"
    shortest = 0.5 if ("am" in s.slots or "pm" in s.slots) else 1.0
    n_lo, n_hi = s.sessions
    d_lo, d_hi = s.days
    sessions, days = _label(pdef, f"{at}.sessions"), _label(pdef, f"{at}.days")
    if n_lo * shortest > d_hi:
        return [
            (
                f"{at}.sessions",
                pdef.ref(f"{at}.sessions") or "",
                f"{n_lo:g} sessions of at least {shortest:g} day need {n_lo * shortest:g} days, more than "
                f"{days} allows ({d_hi:g}); lower {sessions} or raise {days}",
            )
        ]
    if n_hi < INF and n_hi * s.longest < d_lo:
        return [
            (
                f"{at}.days",
                pdef.ref(f"{at}.days") or "",
                f"at most {n_hi:g} sessions of {s.longest:g} day make {n_hi * s.longest:g} days, fewer than "
                f"{days} needs ({d_lo:g}); raise {sessions} or lower {days}",
            )
        ]
    return []


def _total_problems(pdef: ProgrammeDef, p: Programme, n_schools: int) -> list[tuple[str, str, str]]:
    """Whether the streams' days can add up to total_days (R4), e.g. 2–4 + 2 × 3–4 = 10."""
    parts, lo, hi = [], 0.0, 0.0
    for s in p.streams:
        d_lo, d_hi = s.days if s.days is not None else (0.0, INF)
        n = n_schools if s.per_school else 1
        lo, hi = lo + n * d_lo, min(INF, hi + n * d_hi)
        span = f"{range_text(s.days)} days" if s.days is not None else "any number of days"
        parts.append(f"{n} schools × {span}" if s.per_school else f"{s.kind} {span}")
    t_lo, t_hi = p.total_days
    if hi >= t_lo and lo <= t_hi:
        return []
    total = _label(pdef, "total_days")
    names = [_label(pdef, f"streams.{s.kind}.days") for s in p.streams if s.days is not None]
    change = ", ".join(names) + f" or {total}" if names else total
    return [
        (
            "total_days",
            pdef.ref("total_days") or "",
            f"{' + '.join(parts)} make {range_text((lo, hi))} days, which cannot be {range_text(p.total_days)} "
            f"{total.replace('_', ' ')}; change {change}",
        )
    ]


def programme_problems(name: str, pdef: ProgrammeDef, params: dict, n_schools: int) -> list[Problem]:
    """Why one Work Group's numbers cannot add up, as (path below the WG, message)."""
    known = pdef.defaults
    unknown = [key for key in params if key not in known]
    if unknown:
        names = ", ".join(sorted(known))
        return [
            (
                f"params.{key}",
                f"unknown parameter {quoted(key)} for {name}; known: {names}{did_you_mean(key, known)}",
            )
            for key in unknown
        ]
    problems = _variant_problems(name, pdef, params)
    if problems:
        return problems
    values = pdef.values(params)
    lo, hi = values["schools"]
    if not lo <= n_schools <= hi:
        problems.append(
            (
                "schools",
                f"{name} takes {range_text((lo, hi))} schools, this Work Group has "
                f"{n_schools}; change the schools or set params.schools",
            )
        )
    problems += [
        (f"params.{key}", f"{quoted(params.get(key, a))}: numbers of days must be whole or half days")
        for key, (a, b) in values.items()
        if a * 2 != int(a * 2) or (b < INF and b * 2 != int(b * 2))
    ]
    # A number written into the definition is reported there (definition_problems), once.
    for path, ref, message in count_problems(pdef, pdef.resolve(name, params), n_schools):
        if ref:
            problems.append((f"params.{ref}", message))
        elif path == "total_days":
            problems.append(("schools", message))
    return list(dict.fromkeys(problems))


def _variant_problems(name: str, pdef: ProgrammeDef, params: dict) -> list[Problem]:
    out = []
    for param, table in pdef.variants.items():
        if param in params:
            value = pair(params[param])
            if value[0] != value[1] or value[0] != int(value[0]) or int(value[0]) not in table:
                keys = " or ".join(str(k) for k in table)
                out.append((f"params.{param}", f"{name} has {param} {keys}, not {range_text(value)}"))
    return out


def central_problems(
    name: str, pdef: ProgrammeDef, params: dict, events: Sequence[tuple[dt.date, str]]
) -> list[Problem]:
    """A Work Group's central events, as (date, slot): only for a programme with a central
    stream, adding up to its days. Paths are below the Work Group."""
    stream = pdef.resolve(name, params).stream("central")
    if stream is None:
        return [("central_events", f"{name} has no central events; remove them")] if events else []
    out = []
    taken: dict[tuple, int] = {}
    for j, (date, slot) in enumerate(events):
        if slot not in stream.slots:
            out.append(
                (
                    f"central_events[{j}].slot",
                    f"{quoted(slot)}: {name} central events use {', '.join(stream.slots)}",
                )
            )
        for half in halves(slot):
            k = taken.setdefault((date, half), j)
            if k != j:
                out.append((f"central_events[{j}]", f"overlaps central_events[{k}] on {date}"))
    total = sum(slot_days(slot) for _, slot in events)
    if stream.days is not None and not stream.days[0] <= total <= stream.days[1]:
        ref = pdef.ref("streams.central.days")
        fix = f"; add or remove events, or set params.{ref}" if ref else ""
        out.append(
            (
                "central_events",
                f"{name} has {range_text(stream.days)} days of central events, these add up to {total:g}{fix}",
            )
        )
    return list(dict.fromkeys(out))
