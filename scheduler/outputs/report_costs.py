"""report.html's costs against funding: the hub summary, then each Work Group's schools and leaders.

The figures are `scheduler.outputs.costs`' cost lines, only added up and formatted here:
costs.csv, costs.xlsx and this page show the same pounds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from models.instance import Instance
from scheduler.outputs.costs import (
    AFTER_FUNDING,
    BEYOND,
    FUNDING,
    HUB,
    MILEAGE,
    RELEASE,
    SPECIALIST,
    TEXTBOOK,
    TOTAL,
    CostLine,
)
from scheduler.outputs.report_markup import Html, Names, el, join, money, table, tr


def _shown(c: CostLine) -> float:
    """A line's amount as the tables show it: funding as money received, so positive."""
    return -c.amount if c.item in (FUNDING, TEXTBOOK) else c.amount


def _sums(lines: Iterable[CostLine]) -> dict[str, str]:
    """item -> the money of its lines together, as shown; '–' for an item without lines."""
    out: dict[str, float] = defaultdict(float)
    for c in lines:
        out[c.item] += _shown(c)
    return defaultdict(lambda: "–", {item: money(x) for item, x in out.items()})


def cost_tables(inst: Instance, costs: list[CostLine], names: Names) -> Html:
    """The hub summary (a row per Work Group, the hub's totals below), then each Work Group."""
    if not costs:
        return el("p", "No costs.", class_="none")
    by_wg: dict[str, list[CostLine]] = defaultdict(list)
    for c in costs:
        by_wg[c.work_group].append(c)
    textbook = [TEXTBOOK] if any(c.item == TEXTBOOK for c in costs) else []  # only with primary WGs
    items = [RELEASE, FUNDING, BEYOND, SPECIALIST, MILEAGE, TOTAL, AFTER_FUNDING, *textbook]
    known = [w.id for w in inst.work_groups]
    wgs = [w for w in known if w in by_wg] + sorted(set(by_wg) - set(known) - {HUB})
    numeric = range(1, len(items) + 1)
    sums = {wg: _sums(by_wg[wg]) for wg in [*wgs, HUB]}
    rows = [tr([names.wg(wg), *(sums[wg][i] for i in items)], numeric) for wg in wgs]
    foot = tr(["hub", *(sums[HUB][i] for i in items)], numeric, "total")
    parts = [
        el("p", _rates(inst), class_="sub"),
        el("h3", "Hub summary"),
        table(["Work Group", *items], rows, numeric, foot, id="hub-costs"),
    ]
    return join(parts + [_wg_costs(wg, by_wg[wg], names) for wg in wgs])


def _rates(inst: Instance) -> str:
    r = inst.rates
    return (
        f"Teacher release at {money(r.supply_cover_day)} a day, specialists at {money(r.specialist_day)} "
        f"a day (SLE {money(r.sle_day)}), mileage at {money(r.mileage_per_mile)} a mile. Funding is "
        "money a school receives; textbook match funding is an upper limit, never counted in a total."
    )


def _wg_costs(wg: str, lines: list[CostLine], names: Names) -> Html:
    """One Work Group: its schools' release against their funding, its leaders, its totals."""
    textbook = [TEXTBOOK] if any(c.item == TEXTBOOK for c in lines) else []
    amount = {(c.party, c.item): money(_shown(c)) for c in lines}
    quantity = {(c.party, c.item): c.quantity for c in lines}
    school_items = [RELEASE, FUNDING, BEYOND, *textbook]
    schools = [
        tr(
            [names.school(c.party), f"{c.quantity:g}", *(amount.get((c.party, i), "") for i in school_items)],
            range(1, len(school_items) + 2),
        )
        for c in lines
        if c.item == RELEASE
    ]
    leaders = [
        tr(
            [
                names.person(c.party),
                f"{c.quantity:g}",
                amount[c.party, SPECIALIST],
                f"{quantity.get((c.party, MILEAGE), 0.0):,.1f}",
                amount.get((c.party, MILEAGE), ""),
            ],
            range(1, 5),
        )
        for c in lines
        if c.item == SPECIALIST
    ]
    total = sum(c.amount for c in lines if c.item == TOTAL)
    after = sum(c.amount for c in lines if c.item == AFTER_FUNDING)
    totals = (
        f"Total {money(total)}, of which release funding covers {money(total - after)}: "
        f"{money(after)} after funding."
    )
    return join(
        [
            el("h3", names.wg(wg)),
            table(
                ["school", "release days", *school_items],
                schools,
                range(1, len(school_items) + 2),
                empty="No teacher release.",
            ),
            table(
                ["leader", "days", SPECIALIST, "miles", MILEAGE],
                leaders,
                range(1, 5),
                empty="No leader days.",
            ),
            el("p", el("b", totals)),
        ]
    )
