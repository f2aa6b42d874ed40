"""costs.csv: what a plan costs, line by line, with the funding schools receive set against it.

DOMAIN.md "Money": teacher release is costed at the supply-cover day rate; each school in a
Work Group receives the release funding its programme names (`release_funding`: pounds per
school, a `rates` field, or every release day for the Specialist programme's trainee); a
specialist's days are paid at the specialist day rate, or the SLE rate when marked `sle` or
in year 3+ of the programme (`programme_year`); the leader's driving at the HMRC mileage rate. Lines come in
a fixed order: work groups in instance order, within one its schools in WG order, then its
leaders, then its totals; hub-wide totals last.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from models.instance import Instance, Rates
from models.programmes import PROGRAMMES, ProgrammeDef, funding_amount
from models.text import safe_cell, strip_control
from scheduler.core.geo import round_trip_miles
from scheduler.core.plan import Plan, Session

RELEASE = "teacher release"
FUNDING = "release funding"
BEYOND = "release beyond funding"
TEXTBOOK = "textbook match funding (up to)"
SPECIALIST = "specialist days"
MILEAGE = "mileage"
TOTAL = "total"
AFTER_FUNDING = "total after funding"
ITEMS = (RELEASE, FUNDING, BEYOND, TEXTBOOK, SPECIALIST, MILEAGE, TOTAL, AFTER_FUNDING)
DERIVED = (BEYOND, TOTAL, AFTER_FUNDING)  # sums, not priced quantities: quantity 1, rate = amount
COLUMNS = ("work_group", "party", "item", "quantity", "unit", "rate", "amount_gbp")
HUB = "hub"


@dataclass(frozen=True)
class CostLine:
    """One row of costs.csv; funding lines have a negative amount (money received)."""

    work_group: str  # the WG id, or "hub" for hub-level total lines
    party: str  # school id or person id ('' on totals)
    item: str  # one of ITEMS
    quantity: float  # days, miles, or 1
    unit: str  # 'day', 'mile', 'school', ''
    rate: float  # GBP per unit
    amount: float  # GBP


def _money(x: float) -> float:
    """Pounds to the penny, never -0.0."""
    return round(x, 2) + 0.0


def _derived(wg: str, party: str, item: str, amount: float) -> CostLine:
    amount = _money(amount)
    return CostLine(wg, party, item, 1.0, "", amount, amount)


def release_funding(programme: str | ProgrammeDef, rates: Rates, release: float = 0.0) -> float:
    """Release funding one school receives in a WG of this programme, given its release cost:
    secondary-development £2000 per department (rates.secondary_release_funding),
    primary-development £1000 per school (rates.primary_release_funding), the
    specialist-programme every release day (seed 004); secondary-embedding and sustaining 0
    (the seeds name no amount). A name that is not a built-in gets 0."""
    pdef = PROGRAMMES.get(programme) if isinstance(programme, str) else programme
    if pdef is None:
        return 0.0
    amount = funding_amount(pdef.release_funding, rates)
    return release if amount is None else amount


def _sessions_by_wg(instance: Instance, plan: Plan) -> dict[str, list[Session]]:
    """The plan's sessions per work group of the instance, in date order (others are ignored)."""
    out: dict[str, list[Session]] = {w.id: [] for w in instance.work_groups}
    for s in sorted(plan.sessions):
        if s.work_group in out:
            out[s.work_group].append(s)
    return out


def release_days_by_school(instance: Instance, plan: Plan) -> dict[tuple[str, str], float]:
    """(wg, school) -> teacher release days: each session's days once per teacher of that school
    attending it. Every school of every WG has a key (0.0 when none of its teachers attend);
    a school outside a WG's list whose teacher attends anyway follows that WG's schools."""
    school_of = {t.id: t.school for t in instance.teachers}
    by_wg = _sessions_by_wg(instance, plan)
    out: dict[tuple[str, str], float] = {}
    for wg in instance.work_groups:
        days = {ws.school: 0.0 for ws in wg.schools}
        for s in by_wg[wg.id]:
            for school in (school_of[t] for t in s.teachers if t in school_of):
                days[school] = days.get(school, 0.0) + s.days
        out.update({(wg.id, school): d for school, d in days.items()})
    return out


def _mileage(instance: Instance, plan: Plan) -> tuple[dict[tuple[str, str], float], list[str]]:
    """(wg, leader) -> miles, and notes on the places whose trips could not be costed.

    A trip is a leader's drive from their own school to a venue and back. Sessions of one
    leader at one venue on one date are one trip, even across work groups (as S3 counts
    them); it is charged to the first of those WGs in instance order.
    """
    places = [*instance.schools, *instance.venues]
    locations = {s.id: (s.location.lat, s.location.lon) if s.location else None for s in places}
    home = {p.id: p.school for p in [*instance.specialists, *instance.teachers]}  # a trainee leads too
    first_wg: dict[tuple[str, dt.date, str], str] = {}
    for wg_id, sessions in _sessions_by_wg(instance, plan).items():
        for s in sessions:
            if home.get(s.specialist) != s.venue:
                first_wg.setdefault((s.specialist, s.date, s.venue), wg_id)
    miles: dict[tuple[str, str], float] = defaultdict(float)
    notes: dict[str, None] = {}  # an ordered set
    for (leader, _, venue), wg_id in first_wg.items():
        base = home.get(leader)
        if base is None:
            note = f"mileage: '{leader}' is not a specialist with a school on record, so their trips are not costed"
            notes[note] = None
            continue
        trip = round_trip_miles(locations.get(base), locations.get(venue))
        if trip is None:
            for place in (base, venue):
                if locations.get(place) is None:
                    notes[
                        f"school '{place}' has no location, so R12 travel and its mileage cannot be judged"
                    ] = None
            continue
        miles[(wg_id, leader)] += trip
    return miles, list(notes)


def missing_locations(instance: Instance, plan: Plan) -> list[str]:
    """One note per place (or leader without a school) that left a trip of the plan uncosted."""
    return _mileage(instance, plan)[1]


def _hub_line(item: str, lines: list[CostLine]) -> CostLine:
    """The hub-wide sum of one item: its quantities add up; the rate is the common one, or
    the average (amount / quantity) where the summed lines have different rates."""
    amount = _money(sum(c.amount for c in lines))
    if item in DERIVED:
        return _derived(HUB, "", item, amount)
    quantity = round(sum(c.quantity for c in lines), 2) + 0.0
    rates = {c.rate for c in lines}
    rate = rates.pop() if len(rates) == 1 else (_money(abs(amount) / quantity) if quantity else 0.0)
    return CostLine(HUB, "", item, quantity, lines[0].unit, rate, amount)


def cost_lines(instance: Instance, plan: Plan) -> list[CostLine]:
    """Every cost line of the plan (see the module docstring for the order).

    Per WG and school: "teacher release" (days × supply-cover rate), "release funding"
    (negative), "release beyond funding" = max(0, release − funding): exactly what the
    optimiser's S4 term penalises (there in whole pounds), and for primary-development
    "textbook match funding (up to)", a ceiling rather than money certain, so it is never
    netted against release nor counted in any total. Per leader: "specialist days" and
    "mileage". Per WG: "total" (release + specialist days + mileage) and "total after
    funding" (total less the part of release that funding covers: specialist days +
    mileage + release beyond funding; never negative).
    """
    r = instance.rates
    release_days = release_days_by_school(instance, plan)
    miles, _ = _mileage(instance, plan)
    sle = {p.id: p.paid_as_sle for p in instance.specialists}
    by_wg = _sessions_by_wg(instance, plan)
    out: list[CostLine] = []
    for wg in instance.work_groups:
        programme = instance.programme(wg.programme)
        lines: list[CostLine] = []
        for (wg_id, school), days in release_days.items():
            if wg_id != wg.id:
                continue
            cost = _money(days * r.supply_cover_day)
            funding = release_funding(programme, r, cost) if programme is not None else 0.0
            lines += [
                CostLine(wg.id, school, RELEASE, days, "day", r.supply_cover_day, cost),
                CostLine(wg.id, school, FUNDING, 1.0, "school", funding, _money(-funding)),
                _derived(wg.id, school, BEYOND, max(0.0, cost - funding)),
            ]
            if programme is not None and programme.textbook_funding != 0.0:  # primary: "up to" £2000
                tb = funding_amount(programme.textbook_funding, r)
                lines.append(CostLine(wg.id, school, TEXTBOOK, 1.0, "school", tb, _money(-tb)))
        leader_days: dict[str, float] = {}
        for s in by_wg[wg.id]:
            leader_days[s.specialist] = leader_days.get(s.specialist, 0.0) + s.days
        for leader, days in leader_days.items():
            day_rate = r.sle_day if sle.get(leader) else r.specialist_day
            distance = round(miles.get((wg.id, leader), 0.0), 1) + 0.0
            if leader in sle:  # a trainee's own days are teacher release, costed above
                lines.append(
                    CostLine(wg.id, leader, SPECIALIST, days, "day", day_rate, _money(days * day_rate))
                )
            lines += [
                CostLine(
                    wg.id,
                    leader,
                    MILEAGE,
                    distance,
                    "mile",
                    r.mileage_per_mile,
                    _money(distance * r.mileage_per_mile),
                ),
            ]
        total = sum(c.amount for c in lines if c.item in (RELEASE, SPECIALIST, MILEAGE))
        uncovered = sum(c.amount for c in lines if c.item in (BEYOND, SPECIALIST, MILEAGE))
        lines += [_derived(wg.id, "", TOTAL, total), _derived(wg.id, "", AFTER_FUNDING, uncovered)]
        out += lines
    wg_lines = list(out)
    for item in ITEMS:
        same = [c for c in wg_lines if c.item == item]
        if same:
            out.append(_hub_line(item, same))
        elif item in (TOTAL, AFTER_FUNDING):  # the grand totals, even of an empty plan
            out.append(_derived(HUB, "", item, 0.0))
    return out


def _number(x: float) -> str:
    return f"{round(x, 2) + 0.0:.2f}"


def costs_csv(lines: list[CostLine]) -> bytes:
    """costs.csv as UTF-8 bytes: header, one row per line, LF endings, 2-dp numbers, text cells
    made safe for spreadsheets."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for c in lines:
        text = [safe_cell(strip_control(x)) for x in (c.work_group, c.party, c.item, c.unit)]
        w.writerow([*text[:3], _number(c.quantity), text[3], _number(c.rate), _number(c.amount)])
    return buf.getvalue().encode()
