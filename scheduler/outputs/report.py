"""report.html: one self-contained page a hub coordinator reads on a laptop and prints.

Top to bottom: the verdict (status, objective, bound, gap); anything that needs attention
(clashes and other notes, or why no plan exists); the year at a glance (a row per leader, a
column per school week, sessions coloured by Work Group and lettered by kind, half-terms
and holidays shaded); the objective term by term; the costs against the funding (a hub
summary, then each Work Group); each school's sessions term by term.

This module draws the page, its styles, the verdict, the notes and the objective; the
other parts each have their module: `report_year` (the year at a glance), `report_costs`
(the cost tables), `report_schools` (each school term by term), all written with
`report_markup` (safe markup, words and numbers, names).

The page meets WCAG 2.2 AA, as axe-core checks it in the tests: everything sits in the
header or the one main landmark, text is at least 4.5:1 against its background (letters on
Work Group colours too), no header cell is empty, a table with no rows is a sentence
instead, and a Work Group's colour is never its only sign (each chip is lettered by kind
and titled in words).

The page fetches nothing: the CSS is inline and there are no scripts, images or fonts.
Every piece of text from the instance is escaped on its way in (`report_markup`). The
output depends only on the inputs: no clock, no locale, everything in instance or date
order, no set iterated unsorted.
"""

from __future__ import annotations

from models.instance import Instance
from scheduler.core.plan import Plan, Session
from scheduler.outputs.costs import CostLine
from scheduler.outputs.report_costs import cost_tables
from scheduler.outputs.report_markup import PALETTE, Html, Names, el, h, join, number, table, tr
from scheduler.outputs.report_schools import school_terms
from scheduler.outputs.report_year import legend, year_view

SLOT_ORDER = {"am": 0, "day": 0, "pm": 1}

CSS = (
    """
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.6em;margin:0}h2{margin:1.6em 0 .4em;border-bottom:2px solid #333}h3{margin:1em 0 .3em}
table{border-collapse:collapse;margin:.4em 0 1em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
th,tfoot td{background:#f2f2f2}.n{text-align:right;font-variant-numeric:tabular-nums}tfoot th,tfoot td{font-weight:bold}
.sub{color:#555;margin:.2em 0}.facts span{display:inline-block;margin:.3em 1.5em 0 0}
.ok{color:#176117}.meh{color:#8a5a00}.bad{color:#a00}
.alert{border:3px solid #a00;background:#fff4f4;padding:.2em 1em;margin:1em 0}
.alert h2{border:0;color:#a00;margin:.4em 0}.alert pre{white-space:pre-wrap;font-size:1.05em}
.yr{table-layout:fixed;width:100%;font-size:11px}.yr td,.yr th{padding:1px;text-align:center;vertical-align:top}
.yr .who{width:13em;text-align:left;padding:1px 4px}.yr .who small{display:block;color:#666;font-weight:normal}
.yr .tot{width:3.2em;text-align:right}.yr thead th{overflow:hidden;white-space:nowrap}
.half{background:#f5ebd0}.hol{background:#e2e2e2}
.s{display:inline-block;min-width:1.3em;margin:1px;border-radius:3px;font-weight:bold;line-height:1.5;text-align:center}
.s.d{box-shadow:inset 0 -3px #0009}.wx{background:#666;color:#fff}
.legend{display:flex;flex-wrap:wrap;gap:.2em 1.5em;padding:0;list-style:none;font-size:.9em}
.schools{display:grid;grid-template-columns:repeat(auto-fill,minmax(36em,1fr));gap:0 2em}
.schools table{width:100%;font-size:.9em}.none{color:#666}
.schools caption{text-align:left;font-weight:bold;background:#e8eef6;border:1px solid #ccc;border-bottom:0;padding:2px 6px}
@page{size:A4 landscape;margin:10mm}
@media print{body{margin:0;font-size:9pt}section+section{break-before:page}.yr{font-size:7pt}
h2,h3{break-after:avoid}
thead{display:table-header-group}tr,.school,.alert{break-inside:avoid}.schools{display:block}}
"""
    + "".join(f".w{i}{{background:{bg};color:{ink}}}" for i, (bg, ink) in enumerate(PALETTE))
    + "\n"
)


def _summary(plan: Plan) -> Html:
    tone = {"optimal": "ok", "feasible": "meh"}.get(plan.status, "bad")
    gap = "–" if plan.gap is None else f"{plan.gap:.2%}"
    facts = [
        ("status", el("b", plan.status, class_=tone)),
        ("sessions", len(plan.sessions)),
        ("objective", number(plan.objective)),
        ("bound", number(plan.best_bound)),
        ("gap", gap),
        ("solver time", f"{plan.solve_seconds:g} s (deterministic)"),
    ]
    return el("p", *(el("span", f"{k}: ", v) for k, v in facts), class_="facts")


def _attention(notes: list[str], explanation: str | None) -> Html:
    parts = []
    if explanation:
        text = Html("\n".join(h(line) for line in explanation.splitlines()))
        parts.append(el("div", el("h2", "No plan: why"), el("pre", text), class_="alert", id="why"))
    if notes:
        items = (el("li", n) for n in notes)
        parts.append(
            el(
                "div",
                el("h2", f"Clashes and notes ({len(notes)})"),
                el("ul", *items),
                class_="alert",
                id="notes",
            )
        )
    return join(parts)


def _objective(inst: Instance, plan: Plan) -> Html:
    if not plan.objective_terms:
        return el("p", "No objective: there is no plan.", class_="none")
    weights = inst.weights.model_dump()
    rows = []
    for term, value in plan.objective_terms.items():
        weight = weights.get(term.partition(" ")[2])
        weighted = "–" if weight is None else number(weight * value)
        rows.append(tr([term, number(value), number(weight), weighted], (1, 2, 3)))
    foot = tr(["objective", "", "", number(plan.objective)], (1, 2, 3), "total")
    return table(["soft goal", "value", "weight", "in the objective"], rows, (1, 2, 3), foot)


def _session_key(s: Session) -> tuple:
    return (s.date, SLOT_ORDER.get(s.slot, 2), s.work_group, s.kind, s.school or "", s.id)


# -- entry point -----------------------------------------------------------------------------------

HEAD = '<meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>'


def report_html(
    instance: Instance, plan: Plan, costs: list[CostLine], notes: list[str], explanation: str | None
) -> bytes:
    """The whole page as UTF-8 bytes; the same inputs give the same bytes."""
    names = Names.of(instance)
    sessions = sorted(plan.sessions, key=_session_key)
    year = join([year_view(instance, sessions, names), legend(instance, sessions, names)])
    sections = [
        ("year", "The year at a glance", year),
        ("objective", "The objective, term by term", _objective(instance, plan)),
        ("costs", "Costs against funding", cost_tables(instance, costs, names)),
        ("schools", "Each school, term by term", school_terms(instance, sessions, names)),
    ]
    hub = instance.hub.name
    body = [
        el("header", el("h1", hub), el("p", f"Plan {instance.name}", class_="sub"), _summary(plan)),
        el(
            "main",
            _attention(notes, explanation),
            *(el("section", el("h2", title), content, id=key) for key, title, content in sections),
        ),
    ]
    head = el("head", Html(HEAD), el("title", f"{hub}: {instance.name}"), Html(f"<style>{CSS}</style>"))
    page = el("html", head, el("body", *body), lang="en-GB")
    return f"<!DOCTYPE html>\n{page}\n".encode()
