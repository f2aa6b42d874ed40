"""report.html: one self-contained page a hub coordinator reads on a laptop and prints.

Top to bottom: the verdict (status, objective, bound, gap); anything that needs attention
(clashes and other notes, or why no plan exists); the year at a glance (a row per leader, a
column per school week, sessions coloured by Work Group and lettered by kind, half-terms
and holidays shaded); the objective term by term; the costs against the funding (a hub
summary, then each Work Group); each school's sessions term by term.

The page fetches nothing: the CSS is inline and there are no scripts, images or fonts.
Every piece of text from the instance is escaped (quotes too) on its way in, by `_h` and
`_el`, with control characters made spaces; markup is built only from `Html` pieces, and
written in XHTML syntax so that tests (or any XML tool) can parse the page. The output
depends only on the inputs: no clock, no locale (day and month names are spelt out here),
everything in instance or date order, no set iterated unsorted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import groupby

from models.instance import Instance, School, Term
from scheduler.core.calendar import days_between, hub_school_days
from scheduler.core.plan import Plan, Session
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

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SLOT_LABEL = {"am": "am", "pm": "pm", "day": "all day"}
SLOT_ORDER = {"am": 0, "day": 0, "pm": 1}
# kind -> (the letter on the year view, what it is)
KINDS = {
    "group": ("G", "group meeting"),
    "visit": ("V", "school visit"),
    "headteachers": ("H", "headteachers' meeting"),
    "development": ("D", "development day"),
    "central": ("C", "central event"),
}
# Work Group colours, given in instance order (the 17th WG takes the first again): background, text.
PALETTE = (
    ("#1f77b4", "#fff"), ("#ff7f0e", "#000"), ("#2ca02c", "#fff"), ("#d62728", "#fff"),
    ("#9467bd", "#fff"), ("#8c564b", "#fff"), ("#e377c2", "#000"), ("#17becf", "#000"),
    ("#bcbd22", "#000"), ("#aec7e8", "#000"), ("#ffbb78", "#000"), ("#98df8a", "#000"),
    ("#ff9896", "#000"), ("#c5b0d5", "#000"), ("#c49c94", "#000"), ("#393b79", "#fff"),
)  # fmt: skip
OTHER_WG = "wx"  # the class of a session whose Work Group the instance does not list
NOT_IN_TERM = "outside term"
NBSP = "\u00a0"

CSS = (
    """
*{box-sizing:border-box;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222}
h1{font-size:1.6em;margin:0}h2{margin:1.6em 0 .4em;border-bottom:2px solid #333}h3{margin:1em 0 .3em}
table{border-collapse:collapse;margin:.4em 0 1em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
th{background:#f2f2f2}.n{text-align:right;font-variant-numeric:tabular-nums}tfoot th,tfoot td{font-weight:bold}
.sub{color:#555;margin:.2em 0}.facts span{display:inline-block;margin:.3em 1.5em 0 0}
.ok{color:#176117}.meh{color:#8a5a00}.bad{color:#a00}
.alert{border:3px solid #a00;background:#fff4f4;padding:.2em 1em;margin:1em 0}
.alert h2{border:0;color:#a00;margin:.4em 0}.alert pre{white-space:pre-wrap;font-size:1.05em}
.yr{table-layout:fixed;width:100%;font-size:11px}.yr td,.yr th{padding:1px;text-align:center;vertical-align:top}
.yr .who{width:13em;text-align:left;padding:1px 4px}.yr .who small{display:block;color:#666;font-weight:normal}
.yr .tot{width:3.2em;text-align:right}.yr thead th{overflow:hidden;white-space:nowrap}
.half{background:#f5ebd0}.hol{background:#e2e2e2}
.s{display:inline-block;min-width:1.3em;margin:1px;border-radius:3px;font-weight:bold;line-height:1.5;text-align:center}
.s.d{box-shadow:inset 0 -3px #0009}.wx{background:#777;color:#fff}
.legend{display:flex;flex-wrap:wrap;gap:.2em 1.5em;padding:0;list-style:none;font-size:.9em}
.schools{display:grid;grid-template-columns:repeat(auto-fill,minmax(36em,1fr));gap:0 2em}
.schools table{width:100%;font-size:.9em}.schools tbody th{background:#e8eef6}.none{color:#888}
@page{size:A4 landscape;margin:10mm}
@media print{body{margin:0;font-size:9pt}section+section{break-before:page}.yr{font-size:7pt}
h2,h3{break-after:avoid}
thead{display:table-header-group}tr,.school,.alert{break-inside:avoid}.schools{display:block}}
"""
    + "".join(f".w{i}{{background:{bg};color:{ink}}}" for i, (bg, ink) in enumerate(PALETTE))
    + "\n"
)


# -- safe markup ---------------------------------------------------------------------


class Html(str):
    """Markup that is already safe to emit; any other str is text to escape."""


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # control characters, lone surrogates


def _text(value: object) -> str:
    """`value` as escaped text (quotes too), control characters and lone surrogates made spaces."""
    return escape(_UNSAFE.sub(" ", str(value)), quote=True)


def _h(value: object) -> Html:
    """`value` as HTML: markup as it is, anything else as text."""
    return value if isinstance(value, Html) else Html(_text(value))


def _el(tag: str, *body: object, **attrs: object) -> Html:
    """<tag attrs>body</tag>. Attribute names lose a trailing '_' (class_); empty ones are left out."""
    at = "".join(f' {k.rstrip("_")}="{_text(v)}"' for k, v in attrs.items() if v not in (None, ""))
    return Html(f"<{tag}{at}>{''.join(_h(b) for b in body)}</{tag}>")


def _join(parts: Iterable[object]) -> Html:
    return Html("".join(_h(p) for p in parts))


def _tr(cells: Sequence[object], numeric: Iterable[int] = (), cell: str = "td") -> Html:
    right = set(numeric)
    return _el("tr", *(_el(cell, c, class_="n" if i in right else None) for i, c in enumerate(cells)))


def _table(
    head: Sequence[object], rows: Iterable[Html], numeric: Iterable[int] = (), foot: str = "", **attrs: object
) -> Html:
    """A table: a head row (its `numeric` columns right-aligned), rows made with `_tr`, a foot row."""
    tfoot = _el("tfoot", foot) if foot else ""
    return _el("table", _el("thead", _tr(head, numeric, "th")), _el("tbody", _join(rows)), tfoot, **attrs)


# -- words and numbers -----------------------------------------------------------------


def _date(day: dt.date, year: bool = True) -> str:
    """'Tue 10 Nov 2026', the same in every locale."""
    text = f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def _money(amount: float) -> str:
    """£1,234.50; a minus sign in front of money going the other way."""
    amount = round(amount, 2) + 0.0
    return f"{'−' if amount < 0 else ''}£{abs(amount):,.2f}"


def _number(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


def _month(year: int, month: int, first: bool = False) -> str:
    """'Sep', with the year on January and on the first month shown."""
    return MONTH_NAMES[month - 1] + (f" {year}" if first or month == 1 else "")


def _kind(kind: str) -> tuple[str, str]:
    return KINDS.get(kind, (kind[:1].upper() or "?", kind))


# -- the hub's weeks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    monday: dt.date
    school_days: int  # in the hub's calendar
    shade: str  # '' for a school week, 'half' for a half-term, 'hol' for a holiday

    @property
    def title(self) -> str:
        what = {"half": "half-term", "hol": "holiday"}.get(self.shade, f"{self.school_days} school days")
        return f"w/c {_date(self.monday)}: {what}"


def school_weeks(instance: Instance) -> list[Week]:
    """Monday-dated ISO weeks from the week of the first term's start to that of the last
    term's end, by the hub calendar. A week without a school day is shaded: 'half' when it
    meets a half-term break, else 'hol'."""
    cal = instance.calendar
    days = hub_school_days(cal)
    breaks = [t.half_term for t in cal.terms if t.half_term]
    first = min(t.start for t in cal.terms)
    last = max(t.end for t in cal.terms)
    weeks = []
    for monday in days_between(first - dt.timedelta(days=first.weekday()), last)[::7]:
        friday = monday + dt.timedelta(days=4)
        count = sum(1 for d in days_between(monday, friday) if d in days)
        half = any(a <= friday and monday <= b for a, b in breaks)
        weeks.append(Week(monday, count, "" if count else "half" if half else "hol"))
    return weeks


# -- the page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Display names by id, and each Work Group's colour class, looked up in the inner loops."""

    people: dict[str, str]
    schools: dict[str, str]
    wgs: dict[str, str]
    colour: dict[str, str]
    school_of: dict[str, str]

    @classmethod
    def of(cls, inst: Instance) -> Names:
        return cls(
            people={p.id: p.name for p in [*inst.specialists, *inst.teachers]},
            schools={s.id: s.name for s in inst.schools},
            wgs={w.id: w.name or w.id for w in inst.work_groups},
            colour={w.id: f"w{i % len(PALETTE)}" for i, w in enumerate(inst.work_groups)},
            school_of={t.id: t.school for t in inst.teachers},
        )

    def person(self, pid: str) -> str:
        return self.people.get(pid, pid)

    def school(self, sid: str | None) -> str:
        return "" if sid is None else self.schools.get(sid, sid)

    def wg(self, wid: str) -> str:
        return self.wgs.get(wid, wid)


def _session_key(s: Session) -> tuple:
    return (s.date, SLOT_ORDER.get(s.slot, 2), s.work_group, s.kind, s.school or "", s.id)


def _chip(s: Session, names: Names) -> Html:
    """A session on the year view: its kind's letter on its Work Group's colour."""
    letter, what = _kind(s.kind)
    where = names.school(s.school or s.venue)
    when = f"{_date(s.date)} {SLOT_LABEL.get(s.slot, s.slot)}"
    title = f"{when} · {names.wg(s.work_group)} · {what} at {where}"
    day = " d" if s.slot == "day" else ""
    return _el("b", letter, class_=f"s {names.colour.get(s.work_group, OTHER_WG)}{day}", title=title)


def _year_head(weeks: list[Week]) -> Html:
    """Two header rows: the months, then the day of each week's Monday (shaded as its week)."""
    months = [(m, len(list(ws))) for m, ws in groupby(weeks, key=lambda w: (w.monday.year, w.monday.month))]
    top = [_el("th", _month(y, m, first=i == 0), colspan=n) for i, ((y, m), n) in enumerate(months)]
    return _join(
        [
            _el(
                "tr",
                _el("th", "Leader", class_="who", rowspan=2),
                *top,
                _el("th", "days", class_="tot", rowspan=2),
            ),
            _el("tr", *(_el("th", w.monday.day, class_=w.shade, title=w.title) for w in weeks)),
        ]
    )


def _year_view(inst: Instance, sessions: list[Session], weeks: list[Week], names: Names) -> Html:
    """A row per leader (every specialist, then anyone else leading a session), a column per week."""
    leaders = [p.id for p in inst.specialists]
    leaders += sorted({s.specialist for s in sessions} - set(leaders))
    col = {w.monday: i for i, w in enumerate(weeks)}
    cells: dict[str, list[list[Html]]] = {p: [[] for _ in weeks] for p in leaders}
    days: dict[str, float] = defaultdict(float)
    for s in sessions:
        i = col.get(s.date - dt.timedelta(days=s.date.weekday()))
        if i is not None:
            cells[s.specialist][i].append(_chip(s, names))
        days[s.specialist] += s.days
    home = {p.id: names.school(p.school) for p in inst.specialists}
    rows = [
        _el(
            "tr",
            _el(
                "th",
                names.person(p),
                _el("small", "TfM Lead" if p == inst.hub.tfm_lead else home.get(p, "")),
                class_="who",
                scope="row",
            ),
            *(_el("td", *chips, class_=w.shade) for w, chips in zip(weeks, cells[p])),
            _el("td", f"{days[p]:g}", class_="tot n"),
        )
        for p in leaders
    ]
    return _el("table", _el("thead", _year_head(weeks)), _el("tbody", *rows), class_="yr")


def _legend(inst: Instance, sessions: list[Session], names: Names) -> Html:
    count: dict[str, int] = defaultdict(int)
    for s in sessions:
        count[s.work_group] += 1
    wgs = [
        _el(
            "li",
            _el("b", NBSP, class_=f"s {names.colour[w.id]}"),
            f" {w.name or f'{w.id} ({w.programme})'}: {names.person(w.specialist)}, {count[w.id]} sessions",
        )
        for w in inst.work_groups
    ]
    kinds = [_el("li", _el("b", letter, class_="s wx"), f" {what}") for letter, what in KINDS.values()]
    kinds += [
        _el("li", _el("b", "G", class_="s wx d"), " a whole day (else half a day)"),
        _el("li", _el("b", NBSP, class_="s half"), " half-term"),
        _el("li", _el("b", NBSP, class_="s hol"), " holiday"),
    ]
    return _join([_el("ul", *wgs, class_="legend"), _el("ul", *kinds, class_="legend")])


def _summary(plan: Plan) -> Html:
    tone = {"optimal": "ok", "feasible": "meh"}.get(plan.status, "bad")
    gap = "–" if plan.gap is None else f"{plan.gap:.2%}"
    facts = [
        ("status", _el("b", plan.status, class_=tone)),
        ("sessions", len(plan.sessions)),
        ("objective", _number(plan.objective)),
        ("bound", _number(plan.best_bound)),
        ("gap", gap),
        ("solver time", f"{plan.solve_seconds:g} s (deterministic)"),
    ]
    return _el("p", *(_el("span", f"{k}: ", v) for k, v in facts), class_="facts")


def _attention(notes: list[str], explanation: str | None) -> Html:
    parts = []
    if explanation:
        text = Html("\n".join(_h(line) for line in explanation.splitlines()))
        parts.append(_el("div", _el("h2", "No plan: why"), _el("pre", text), class_="alert", id="why"))
    if notes:
        items = (_el("li", n) for n in notes)
        parts.append(
            _el(
                "div",
                _el("h2", f"Clashes and notes ({len(notes)})"),
                _el("ul", *items),
                class_="alert",
                id="notes",
            )
        )
    return _join(parts)


def _objective(inst: Instance, plan: Plan) -> Html:
    if not plan.objective_terms:
        return _el("p", "No objective: there is no plan.", class_="none")
    weights = inst.weights.model_dump()
    rows = []
    for term, value in plan.objective_terms.items():
        weight = weights.get(term.partition(" ")[2])
        weighted = "–" if weight is None else _number(weight * value)
        rows.append(_tr([term, _number(value), _number(weight), weighted], (1, 2, 3)))
    foot = _tr(["objective", "", "", _number(plan.objective)], (1, 2, 3), "th")
    return _table(["soft goal", "value", "weight", "in the objective"], rows, (1, 2, 3), foot)


# -- costs -----------------------------------------------------------------------------------


def _shown(c: CostLine) -> float:
    """A line's amount as the tables show it: funding as money received, so positive."""
    return -c.amount if c.item in (FUNDING, TEXTBOOK) else c.amount


def _sums(lines: Iterable[CostLine]) -> dict[str, str]:
    """item -> the money of its lines together, as shown; '–' for an item without lines."""
    out: dict[str, float] = defaultdict(float)
    for c in lines:
        out[c.item] += _shown(c)
    return defaultdict(lambda: "–", {item: _money(x) for item, x in out.items()})


def _costs(inst: Instance, costs: list[CostLine], names: Names) -> Html:
    """The hub summary (a row per Work Group, the hub's totals below), then each Work Group."""
    if not costs:
        return _el("p", "No costs.", class_="none")
    by_wg: dict[str, list[CostLine]] = defaultdict(list)
    for c in costs:
        by_wg[c.work_group].append(c)
    textbook = [TEXTBOOK] if any(c.item == TEXTBOOK for c in costs) else []  # only with primary WGs
    items = [RELEASE, FUNDING, BEYOND, SPECIALIST, MILEAGE, TOTAL, AFTER_FUNDING, *textbook]
    known = [w.id for w in inst.work_groups]
    wgs = [w for w in known if w in by_wg] + sorted(set(by_wg) - set(known) - {HUB})
    numeric = range(1, len(items) + 1)
    sums = {wg: _sums(by_wg[wg]) for wg in [*wgs, HUB]}
    rows = [_tr([names.wg(wg), *(sums[wg][i] for i in items)], numeric) for wg in wgs]
    foot = _tr(["hub", *(sums[HUB][i] for i in items)], numeric, "th")
    parts = [
        _el("p", _rates(inst), class_="sub"),
        _el("h3", "Hub summary"),
        _table(["Work Group", *items], rows, numeric, foot, id="hub-costs"),
    ]
    return _join(parts + [_wg_costs(wg, by_wg[wg], names) for wg in wgs])


def _rates(inst: Instance) -> str:
    r = inst.rates
    return (
        f"Teacher release at {_money(r.supply_cover_day)} a day, specialists at {_money(r.specialist_day)} "
        f"a day (SLE {_money(r.sle_day)}), mileage at {_money(r.mileage_per_mile)} a mile. Funding is "
        "money a school receives; textbook match funding is an upper limit, never counted in a total."
    )


def _wg_costs(wg: str, lines: list[CostLine], names: Names) -> Html:
    """One Work Group: its schools' release against their funding, its leaders, its totals."""
    textbook = [TEXTBOOK] if any(c.item == TEXTBOOK for c in lines) else []
    amount = {(c.party, c.item): _money(_shown(c)) for c in lines}
    quantity = {(c.party, c.item): c.quantity for c in lines}
    school_items = [RELEASE, FUNDING, BEYOND, *textbook]
    schools = [
        _tr(
            [names.school(c.party), f"{c.quantity:g}", *(amount.get((c.party, i), "") for i in school_items)],
            range(1, len(school_items) + 2),
        )
        for c in lines
        if c.item == RELEASE
    ]
    leaders = [
        _tr(
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
        f"Total {_money(total)}, of which release funding covers {_money(total - after)}: "
        f"{_money(after)} after funding."
    )
    return _join(
        [
            _el("h3", names.wg(wg)),
            _table(["school", "release days", *school_items], schools, range(1, len(school_items) + 2)),
            _table(["leader", "days", SPECIALIST, "miles", MILEAGE], leaders, range(1, 5)),
            _el("p", _el("b", totals)),
        ]
    )


# -- schools, term by term ----------------------------------------------------------------------


def _involving(sessions: list[Session], names: Names) -> dict[str, list[Session]]:
    """school -> the sessions it hosts, is visited in or sends teachers to, in date order."""
    out: dict[str, list[Session]] = defaultdict(list)
    for s in sessions:
        places = {s.venue, s.school, *(names.school_of.get(t) for t in s.teachers)}
        for sid in sorted(p for p in places if p):
            out[sid].append(s)
    return out


def _term_of(day: dt.date, terms: list[Term]) -> str:
    return next((t.name for t in terms if t.start <= day <= t.end), NOT_IN_TERM)


SCHOOL_HEAD = ("date", "slot", "kind", "Work Group", "leader", "where")


def _school_block(school: School, terms: list[Term], sessions: list[Session], names: Names) -> Html:
    """One school's sessions under a heading per term (its own terms, else the hub's)."""
    by_term: dict[str, list[Session]] = {t.name: [] for t in terms}
    for s in sessions:
        by_term.setdefault(_term_of(s.date, terms), []).append(s)
    spans = {t.name: f"{t.name.capitalize()} term · {_date(t.start, False)} – {_date(t.end)}" for t in terms}
    width = len(SCHOOL_HEAD)
    groups = []
    for term, ss in by_term.items():
        rows = [
            _tr(
                [
                    _date(s.date, False),
                    SLOT_LABEL.get(s.slot, s.slot),
                    _kind(s.kind)[1],
                    names.wg(s.work_group),
                    names.person(s.specialist),
                    "here" if s.venue == school.id else names.school(s.venue),
                ]
            )
            for s in ss
        ] or [_el("tr", _el("td", "no sessions", colspan=width, class_="none"))]
        groups.append(_el("tbody", _el("tr", _el("th", spans.get(term, term), colspan=width)), *rows))
    table = _el("table", _el("thead", _tr(SCHOOL_HEAD, (), "th")), *groups)
    return _el("div", _el("h3", school.name), table, class_="school")


def _school_terms(inst: Instance, sessions: list[Session], names: Names) -> Html:
    involving = _involving(sessions, names)
    blocks = (
        _school_block(school, list(school.terms or inst.calendar.terms), involving.get(school.id, []), names)
        for school in inst.schools
    )
    return _el("div", *blocks, class_="schools")


# -- entry point -----------------------------------------------------------------------------------

HEAD = '<meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>'


def report_html(
    instance: Instance, plan: Plan, costs: list[CostLine], notes: list[str], explanation: str | None
) -> bytes:
    """The whole page as UTF-8 bytes; the same inputs give the same bytes."""
    names = Names.of(instance)
    sessions = sorted(plan.sessions, key=_session_key)
    year = _year_view(instance, sessions, school_weeks(instance), names)
    sections = [
        ("year", "The year at a glance", _join([year, _legend(instance, sessions, names)])),
        ("objective", "The objective, term by term", _objective(instance, plan)),
        ("costs", "Costs against funding", _costs(instance, costs, names)),
        ("schools", "Each school, term by term", _school_terms(instance, sessions, names)),
    ]
    hub = instance.hub.name
    body = [
        _el("header", _el("h1", hub), _el("p", f"Plan {instance.name}", class_="sub"), _summary(plan)),
        _attention(notes, explanation),
        *(_el("section", _el("h2", title), content, id=key) for key, title, content in sections),
    ]
    head = _el("head", Html(HEAD), _el("title", f"{hub}: {instance.name}"), Html(f"<style>{CSS}</style>"))
    page = _el("html", head, _el("body", *body), lang="en-GB")
    return f"<!DOCTYPE html>\n{page}\n".encode()
