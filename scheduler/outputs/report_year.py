"""report.html's year at a glance: a row per leader, a column per school week.

Sessions are chips coloured by Work Group and lettered by kind (a whole day underlined);
half-terms and holidays are shaded, and a legend names every colour and letter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from itertools import groupby

from models.instance import Instance
from scheduler.core.calendar import days_between, hub_school_days
from scheduler.core.plan import Session
from scheduler.outputs.report_markup import (
    KINDS,
    SLOT_LABEL,
    Html,
    Names,
    day_text,
    el,
    join,
    kind_text,
    month_text,
)

OTHER_WG = "wx"  # the class of a session whose Work Group the instance does not list
NBSP = "\u00a0"


@dataclass(frozen=True)
class Week:
    monday: dt.date
    school_days: int  # in the hub's calendar
    shade: str  # '' for a school week, 'half' for a half-term, 'hol' for a holiday

    @property
    def title(self) -> str:
        what = {"half": "half-term", "hol": "holiday"}.get(self.shade, f"{self.school_days} school days")
        return f"w/c {day_text(self.monday)}: {what}"


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


def _chip(s: Session, names: Names) -> Html:
    """A session on the year view: its kind's letter on its Work Group's colour."""
    letter = kind_text(s.kind)[0]
    when = f"{day_text(s.date)} {SLOT_LABEL.get(s.slot, s.slot)}"
    title = f"{when} · {names.wg(s.work_group)} · {names.what_where(s)}"
    day = " d" if s.slot == "day" else ""
    return el("b", letter, class_=f"s {names.colour.get(s.work_group, OTHER_WG)}{day}", title=title)


def _year_head(weeks: list[Week]) -> Html:
    """Two header rows: the months, then the day of each week's Monday (shaded as its week)."""
    months = [(m, len(list(ws))) for m, ws in groupby(weeks, key=lambda w: (w.monday.year, w.monday.month))]
    top = [el("th", month_text(y, m, first=i == 0), colspan=n) for i, ((y, m), n) in enumerate(months)]
    return join(
        [
            el(
                "tr",
                el("th", "Leader", class_="who", rowspan=2),
                *top,
                el("th", "days", class_="tot", rowspan=2),
            ),
            el("tr", *(el("th", w.monday.day, class_=w.shade, title=w.title) for w in weeks)),
        ]
    )


def year_view(inst: Instance, sessions: list[Session], names: Names) -> Html:
    """A row per leader (every specialist, then anyone else leading a session), a column per week."""
    weeks = school_weeks(inst)
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
        el(
            "tr",
            el(
                "th",
                names.person(p),
                el("small", "TfM Lead" if p == inst.hub.tfm_lead else home.get(p, "")),
                class_="who",
                scope="row",
            ),
            *(el("td", *chips, class_=w.shade) for w, chips in zip(weeks, cells[p])),
            el("td", f"{days[p]:g}", class_="tot n"),
        )
        for p in leaders
    ]
    return el("table", el("thead", _year_head(weeks)), el("tbody", *rows), class_="yr")


def legend(inst: Instance, sessions: list[Session], names: Names) -> Html:
    count: dict[str, int] = defaultdict(int)
    for s in sessions:
        count[s.work_group] += 1
    wgs = [
        el(
            "li",
            el("b", NBSP, class_=f"s {names.colour[w.id]}"),
            f" {w.name or f'{w.id} ({w.programme})'}: {names.person(w.specialist)}, {count[w.id]} sessions",
        )
        for w in inst.work_groups
    ]
    kinds = [el("li", el("b", letter, class_="s wx"), f" {what}") for letter, what in KINDS.values()]
    kinds += [
        el("li", el("b", "G", class_="s wx d"), " a whole day (else half a day)"),
        el("li", el("b", NBSP, class_="s half"), " half-term"),
        el("li", el("b", NBSP, class_="s hol"), " holiday"),
    ]
    return join([el("ul", *wgs, class_="legend"), el("ul", *kinds, class_="legend")])
