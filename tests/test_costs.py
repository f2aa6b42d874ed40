"""costs.csv: exact amounts for a hand-made plan of the contract example.

The plan (not meant to keep every hard rule; costing does not need it):
- sec-dev-1 (sam-jones, home riverside, venue riverside): 4 half-day group meetings with all
  4 Advocates; oakfield visits with alex-khan and bea-lee: a day, an am+pm pair on one date
  (one trip), another day; parkside visits with chris-moss and dee-nash: three days, plus a
  half day with chris-moss alone.
- pri-dev-1 (ria-patel, home and venue lindale): one meeting with all 12 teachers; a
  headteachers' meeting led by jo-reed (home riverside) with the 6 headteachers; visits to
  brookvale (a trip) and to lindale (ria's own school: no trip).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pandas as pd
import pytest
from conftest import SPEC_EXAMPLE

from models.instance import Rates
from models.load import load_instance
from models.text import safe_cell, strip_control
from scheduler.core.geo import round_trip_miles
from scheduler.core.plan import Plan, Session
from scheduler.outputs.costs import (
    CostLine,
    cost_lines,
    costs_csv,
    missing_locations,
    release_days_by_school,
    release_funding,
)

D = dt.date.fromisoformat
ADVOCATES = ("alex-khan", "bea-lee", "chris-moss", "dee-nash")
OAK = ("alex-khan", "bea-lee")
PARK = ("chris-moss", "dee-nash")
PRI_SCHOOLS = ("lindale", "brookvale", "hollins", "marsden", "thornley", "weston")
PRI_TEACHERS = tuple(f"{p}-t{i}" for p in ("lin", "bro", "hol", "mar", "tho", "wes") for i in (1, 2))
HEADS = tuple(f"{p}-head" for p in ("lin", "bro", "hol", "mar", "tho", "wes"))


def sec(
    date: str, slot: str, kind: str, venue: str, teachers: tuple[str, ...], leader: str = "sam-jones"
) -> Session:
    school = venue if kind == "visit" else None
    return Session(D(date), slot, "sec-dev-1", kind, school, venue, leader, teachers)


def pri(
    date: str, slot: str, kind: str, venue: str, teachers: tuple[str, ...], leader: str = "ria-patel"
) -> Session:
    school = venue if kind == "visit" else None
    return Session(D(date), slot, "pri-dev-1", kind, school, venue, leader, teachers)


SESSIONS = [
    sec("2026-11-05", "am", "group", "riverside", ADVOCATES),
    sec("2026-11-19", "pm", "group", "riverside", ADVOCATES),
    sec("2027-01-14", "am", "group", "riverside", ADVOCATES),
    sec("2027-02-04", "am", "group", "riverside", ADVOCATES),
    sec("2026-11-12", "day", "visit", "oakfield", OAK),
    sec("2026-12-03", "am", "visit", "oakfield", OAK),
    sec("2026-12-03", "pm", "visit", "oakfield", OAK),
    sec("2027-03-04", "day", "visit", "oakfield", OAK),
    sec("2027-01-21", "day", "visit", "parkside", PARK),
    sec("2027-03-11", "day", "visit", "parkside", PARK),
    sec("2027-04-22", "day", "visit", "parkside", PARK),
    sec("2027-05-06", "am", "visit", "parkside", ("chris-moss",)),
    pri("2026-09-14", "am", "group", "lindale", PRI_TEACHERS),
    pri("2026-10-07", "pm", "headteachers", "lindale", HEADS, leader="jo-reed"),
    pri("2026-10-12", "am", "visit", "brookvale", ("bro-t1", "bro-t2")),
    pri("2026-10-14", "pm", "visit", "lindale", ("lin-t1", "lin-t2")),
]


@pytest.fixture(scope="module")
def inst():
    return load_instance(SPEC_EXAMPLE)


@pytest.fixture(scope="module")
def plan():
    return Plan(instance="example-hub-2026-27", status="feasible", sessions=list(SESSIONS))


@pytest.fixture(scope="module")
def lines(inst, plan):
    return cost_lines(inst, plan)


def pick(lines: list[CostLine], wg: str, party: str, item: str) -> CostLine:
    found = [c for c in lines if (c.work_group, c.party, c.item) == (wg, party, item)]
    assert len(found) == 1, (wg, party, item, found)
    return found[0]


def miles(inst, a: str, b: str) -> float:
    loc = {s.id: (s.location.lat, s.location.lon) for s in inst.schools}
    return round_trip_miles(loc[a], loc[b])


def with_changes(inst, specialists=None, schools=None):
    """A copy of the instance with some specialists or schools changed (the models are frozen)."""
    update = {}
    if specialists:
        update["specialists"] = [p.model_copy(update=specialists.get(p.id, {})) for p in inst.specialists]
    if schools:
        update["schools"] = [s.model_copy(update=schools.get(s.id, {})) for s in inst.schools]
    return inst.model_copy(update=update)


def test_release_funding_by_programme():
    r = Rates()
    assert release_funding("secondary-development", r) == 2000
    assert release_funding("primary-development", r) == 1000
    assert release_funding("secondary-embedding", r) == 0
    assert release_funding("sustaining", r) == 0
    assert release_funding("my-custom-programme", r) == 0
    custom = Rates(secondary_release_funding=2500, primary_release_funding=800)
    assert release_funding("secondary-development", custom) == 2500
    assert release_funding("primary-development", custom) == 800


def test_release_days_per_school(inst, plan):
    days = release_days_by_school(inst, plan)
    # oakfield: groups 2 x 4 x 0.5 = 4, visits 2 x (1 + 0.5 + 0.5 + 1) = 6
    # parkside: groups 4, visits 2 x 3 + 0.5 = 6.5
    # primary: the meeting 1 (2 teachers x 0.5) + headteacher 0.5, + a visit 1 for lindale and brookvale
    assert days == {
        ("sec-dev-1", "oakfield"): 10.0,
        ("sec-dev-1", "parkside"): 10.5,
        ("pri-dev-1", "lindale"): 2.5,
        ("pri-dev-1", "brookvale"): 2.5,
        ("pri-dev-1", "hollins"): 1.5,
        ("pri-dev-1", "marsden"): 1.5,
        ("pri-dev-1", "thornley"): 1.5,
        ("pri-dev-1", "weston"): 1.5,
    }


def test_release_funding_and_beyond(lines):
    oak = pick(lines, "sec-dev-1", "oakfield", "teacher release")
    assert (oak.quantity, oak.unit, oak.rate, oak.amount) == (10.0, "day", 200, 2000.0)
    park = pick(lines, "sec-dev-1", "parkside", "teacher release")
    assert (park.quantity, park.amount) == (10.5, 2100.0)
    for school in ("oakfield", "parkside"):
        f = pick(lines, "sec-dev-1", school, "release funding")
        assert (f.quantity, f.unit, f.rate, f.amount) == (1.0, "school", 2000, -2000.0)
    assert pick(lines, "sec-dev-1", "oakfield", "release beyond funding").amount == 0.0  # exactly funded
    assert pick(lines, "sec-dev-1", "parkside", "release beyond funding").amount == 100.0
    assert pick(lines, "pri-dev-1", "lindale", "teacher release").amount == 500.0
    assert pick(lines, "pri-dev-1", "hollins", "teacher release").amount == 300.0
    for school in PRI_SCHOOLS:
        assert pick(lines, "pri-dev-1", school, "release funding").amount == -1000.0
        assert pick(lines, "pri-dev-1", school, "release beyond funding").amount == 0.0
        tb = pick(lines, "pri-dev-1", school, "textbook match funding (up to)")
        assert (tb.quantity, tb.unit, tb.rate, tb.amount) == (1.0, "school", 2000, -2000.0)
    assert not [c for c in lines if c.work_group == "sec-dev-1" and c.item.startswith("textbook")]


def test_specialist_days(inst, plan, lines):
    sam = pick(lines, "sec-dev-1", "sam-jones", "specialist days")
    assert (sam.quantity, sam.unit, sam.rate, sam.amount) == (8.5, "day", 200, 1700.0)
    assert pick(lines, "pri-dev-1", "ria-patel", "specialist days").amount == 300.0  # 3 half days
    jo = pick(lines, "pri-dev-1", "jo-reed", "specialist days")  # the TfM Lead, for the headteachers
    assert (jo.quantity, jo.amount) == (0.5, 100.0)
    sle = cost_lines(with_changes(inst, specialists={"sam-jones": {"sle": True}}), plan)
    sam = pick(sle, "sec-dev-1", "sam-jones", "specialist days")
    assert (sam.rate, sam.amount) == (350, 2975.0)


def test_mileage_one_trip_per_venue_and_date(inst, lines):
    # oakfield: 2026-11-12, 2026-12-03 (am and pm: one trip), 2027-03-04; parkside: 4 dates
    expected = round(3 * miles(inst, "riverside", "oakfield") + 4 * miles(inst, "riverside", "parkside"), 1)
    sam = pick(lines, "sec-dev-1", "sam-jones", "mileage")
    assert (sam.quantity, sam.unit, sam.rate) == (expected, "mile", 0.45)
    assert sam.amount == round(expected * 0.45, 2)
    ria = pick(lines, "pri-dev-1", "ria-patel", "mileage")  # lindale is home: only brookvale counts
    assert ria.quantity == miles(inst, "lindale", "brookvale")
    jo = pick(lines, "pri-dev-1", "jo-reed", "mileage")
    assert jo.quantity == miles(inst, "riverside", "lindale")
    assert jo.amount == round(jo.quantity * 0.45, 2)
    assert missing_locations(inst, Plan("x", "feasible", list(SESSIONS))) == []


def test_one_trip_across_work_groups_charged_to_the_first(inst):
    sessions = [
        sec("2026-10-07", "am", "visit", "lindale", (), leader="jo-reed"),
        pri("2026-10-07", "pm", "headteachers", "lindale", HEADS, leader="jo-reed"),
    ]
    lines = cost_lines(inst, Plan("x", "feasible", sessions))
    assert pick(lines, "sec-dev-1", "jo-reed", "mileage").quantity == miles(inst, "riverside", "lindale")
    assert pick(lines, "pri-dev-1", "jo-reed", "mileage").quantity == 0.0


def test_missing_location_skips_the_trip_with_a_note(inst, plan):
    changed = with_changes(inst, schools={"brookvale": {"location": None}})
    assert missing_locations(changed, plan) == [
        "school 'brookvale' has no location, so R12 travel and its mileage cannot be judged"
    ]
    lines = cost_lines(changed, plan)
    assert pick(lines, "pri-dev-1", "ria-patel", "mileage").amount == 0.0
    assert pick(lines, "pri-dev-1", "jo-reed", "mileage").quantity == miles(inst, "riverside", "lindale")


def test_totals_per_work_group_and_hub(lines):
    wg_lines = [c for c in lines if c.work_group != "hub"]
    for wg in ("sec-dev-1", "pri-dev-1"):
        mine = [c for c in wg_lines if c.work_group == wg]
        spent = sum(c.amount for c in mine if c.item in ("teacher release", "specialist days", "mileage"))
        uncovered = sum(
            c.amount for c in mine if c.item in ("release beyond funding", "specialist days", "mileage")
        )
        total = pick(lines, wg, "", "total").amount
        assert total == pytest.approx(spent, abs=0.005)
        assert pick(lines, wg, "", "total after funding").amount == pytest.approx(uncovered, abs=0.005)
        assert 0 <= uncovered <= total
    sam_miles = pick(lines, "sec-dev-1", "sam-jones", "mileage").amount
    assert pick(lines, "sec-dev-1", "", "total").amount == pytest.approx(2000 + 2100 + 1700 + sam_miles)
    assert pick(lines, "sec-dev-1", "", "total after funding").amount == pytest.approx(100 + 1700 + sam_miles)

    hub = {c.item: c for c in lines if c.work_group == "hub"}
    assert [c.work_group for c in lines[-len(hub) :]] == ["hub"] * len(hub)  # hub lines come last
    for item, line in hub.items():
        assert line.amount == pytest.approx(sum(c.amount for c in wg_lines if c.item == item), abs=0.005)
    assert hub["release funding"].amount == -10000.0  # 2 x 2000 + 6 x 1000; textbook not included
    assert hub["release funding"].quantity == 8
    assert hub["textbook match funding (up to)"].amount == -12000.0
    assert hub["teacher release"].quantity == 31.5  # 10 + 10.5 + 2 x 2.5 + 4 x 1.5
    assert hub["release beyond funding"].amount == 100.0
    assert hub["total after funding"].amount == pytest.approx(
        hub["specialist days"].amount + hub["mileage"].amount + hub["release beyond funding"].amount
    )


def test_order_is_deterministic(inst, lines):
    shuffled = list(SESSIONS)
    random.Random(7).shuffle(shuffled)
    assert cost_lines(inst, Plan("x", "feasible", shuffled)) == lines
    assert [c.party for c in lines if c.work_group == "sec-dev-1"] == [
        *["oakfield"] * 3,
        *["parkside"] * 3,
        "sam-jones",
        "sam-jones",
        "",
        "",
    ]


def test_csv_parses_back(lines):
    data = costs_csv(lines)
    assert b"\r" not in data
    rows = list(csv.reader(io.StringIO(data.decode())))
    assert rows[0] == ["work_group", "party", "item", "quantity", "unit", "rate", "amount_gbp"]
    assert len(rows) == len(lines) + 1
    assert rows[1] == ["sec-dev-1", "oakfield", "teacher release", "10.00", "day", "200.00", "2000.00"]
    df = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    for column in ("quantity", "rate", "amount_gbp"):
        assert pd.api.types.is_float_dtype(df[column]), column
    assert df["amount_gbp"].tolist() == [c.amount for c in lines]
    total = df[(df.work_group == "hub") & (df.item == "total")]["amount_gbp"].item()
    assert total == pick(lines, "hub", "", "total").amount


def test_empty_plan_has_zero_totals(inst):
    lines = cost_lines(inst, Plan("x", "infeasible", []))
    assert pick(lines, "hub", "", "total").amount == 0.0
    assert pick(lines, "hub", "", "total after funding").amount == 0.0
    assert b"-0.00" not in costs_csv(lines)


@pytest.mark.parametrize("text", ["=SUM(A1:A2)", "+1", "-1", "@cmd", "\tx", "\rx"])
def test_safe_cell_neutralises_formulas(text):
    # A lone CR becomes LF, which csv quotes (a bare CR would end the row: test_hardening).
    assert safe_cell(text) == "'" + text.replace("\r", "\n")


def test_safe_cell_leaves_plain_text_and_csv_uses_it():
    assert safe_cell("oakfield") == "oakfield"
    assert safe_cell("") == ""
    evil = CostLine("sec-dev-1", '=HYPERLINK("http://x")', "@item", 1.0, "-day", 2.0, -2.0)
    row = list(csv.reader(io.StringIO(costs_csv([evil]).decode())))[1]
    assert row == ["sec-dev-1", '\'=HYPERLINK("http://x")', "'@item", "1.00", "'-day", "2.00", "-2.00"]


def test_strip_control():
    assert strip_control("a\x00b\x1fc\x7fd\x85e\tf\ng\rh") == "abcdefgh"
    assert strip_control("Café – ok") == "Café – ok"


def test_beyond_funding_is_what_s4_penalises(example_instance, example_plan):
    """On the solver's plan, the beyond-funding lines add up to the reported S4 term."""
    lines = cost_lines(example_instance, example_plan)
    beyond = sum(c.amount for c in lines if c.item == "release beyond funding" and c.work_group != "hub")
    assert beyond == example_plan.objective_terms["S4 cost"]
