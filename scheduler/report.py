"""report.html: one self-contained page: status, objective by term, the year per specialist, costs."""

from __future__ import annotations

from collections import defaultdict
from html import escape

from models.instance import Instance

from .costs import CostLine
from .plan import Plan

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
th{background:#eee}td.n{text-align:right}h1{font-size:1.5em}.bad{color:#a00}
@media print{body{margin:0}}
"""


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for r in rows:
        out.append(
            "<tr>"
            + "".join(
                f"<td{' class=n' if i in numeric else ''}>{escape(str(v))}</td>" for i, v in enumerate(r)
            )
            + "</tr>"
        )
    out.append("</table>")
    return "".join(out)


def report_html(
    instance: Instance, plan: Plan, costs: list[CostLine], notes: list[str], explanation: str | None
) -> bytes:
    people = {p.id: p.name for p in [*instance.specialists, *instance.teachers]}
    schools = {s.id: s.name for s in instance.schools}
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(instance.hub.name)}: plan</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(instance.hub.name)} — {escape(instance.name)}</h1>",
        f"<p>Status: <b>{escape(plan.status)}</b>; {len(plan.sessions)} sessions; objective {plan.objective if plan.objective is not None else '–'}"
        f" (bound {plan.best_bound if plan.best_bound is not None else '–'}).</p>",
    ]
    if explanation:
        parts.append(f"<h2>Why no plan exists</h2><pre class=bad>{escape(explanation)}</pre>")
    if plan.objective_terms:
        parts.append("<h2>Objective, term by term</h2>")
        parts.append(
            _table(["soft goal", "value"], [[k, f"{v:g}"] for k, v in plan.objective_terms.items()], {1})
        )
    by_leader: dict[str, list] = defaultdict(list)
    for s in plan.sessions:
        by_leader[s.specialist].append(s)
    if by_leader:
        parts.append("<h2>The year per specialist</h2>")
    for leader in sorted(by_leader, key=lambda x: people.get(x, x)):
        parts.append(f"<h3>{escape(people.get(leader, leader))}</h3>")
        rows = [
            [
                s.date.isoformat(),
                s.date.strftime("%a"),
                s.slot,
                s.work_group,
                s.kind,
                schools.get(s.venue, s.venue),
                ", ".join(people.get(t, t) for t in s.teachers),
            ]
            for s in by_leader[leader]
        ]
        parts.append(_table(["date", "day", "slot", "work group", "kind", "venue", "teachers"], rows))
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul>")
    if costs:
        parts.append("<h2>Costs (GBP)</h2>")
        parts.append(
            _table(
                ["work group", "party", "item", "quantity", "unit", "rate", "amount"],
                [
                    [
                        c.work_group,
                        c.party,
                        c.item,
                        f"{c.quantity:g}",
                        c.unit,
                        f"{c.rate:.2f}",
                        f"{c.amount:.2f}",
                    ]
                    for c in costs
                ],
                {3, 5, 6},
            )
        )
    parts.append("</body></html>\n")
    return "".join(parts).encode()
