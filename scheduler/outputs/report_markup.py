"""What every part of report.html is written with: safe markup, words and numbers, names.

Every piece of text from the instance is escaped (quotes too) on its way in, by `h` and
`el`, with control characters made spaces; markup is built only from `Html` pieces, and
written in XHTML syntax so that tests (or any XML tool) can parse the page. Dates and money
are spelt out here, never by the locale, so the page depends only on its inputs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from models.instance import Instance
from scheduler.core.plan import Session
from scheduler.outputs.events import CentralEvents

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SLOT_LABEL = {"am": "am", "pm": "pm", "day": "all day"}
# kind -> (the letter on the year view, what it is)
KINDS = {
    "group": ("G", "group meeting"),
    "visit": ("V", "school visit"),
    "headteachers": ("H", "headteachers' meeting"),
    "development": ("D", "development day"),
    "central": ("C", "central event"),
}
# Work Group colours, given in instance order (the 17th WG takes the first again): background, and
# the text on it, at least 4.5:1 against it (WCAG 2.2 AA, 1.4.3).
PALETTE = (
    ("#1f77b4", "#fff"), ("#ff7f0e", "#000"), ("#2ca02c", "#000"), ("#d62728", "#fff"),
    ("#9467bd", "#000"), ("#8c564b", "#fff"), ("#e377c2", "#000"), ("#17becf", "#000"),
    ("#bcbd22", "#000"), ("#aec7e8", "#000"), ("#ffbb78", "#000"), ("#98df8a", "#000"),
    ("#ff9896", "#000"), ("#c5b0d5", "#000"), ("#c49c94", "#000"), ("#393b79", "#fff"),
)  # fmt: skip


# -- safe markup ---------------------------------------------------------------------


class Html(str):
    """Markup that is already safe to emit; any other str is text to escape."""


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # control characters, lone surrogates


def _text(value: object) -> str:
    """`value` as escaped text (quotes too), control characters and lone surrogates made spaces."""
    return escape(_UNSAFE.sub(" ", str(value)), quote=True)


def h(value: object) -> Html:
    """`value` as HTML: markup as it is, anything else as text."""
    return value if isinstance(value, Html) else Html(_text(value))


def el(tag: str, *body: object, **attrs: object) -> Html:
    """<tag attrs>body</tag>. Attribute names lose a trailing '_' (class_); empty ones are left out."""
    at = "".join(f' {k.rstrip("_")}="{_text(v)}"' for k, v in attrs.items() if v not in (None, ""))
    return Html(f"<{tag}{at}>{''.join(h(b) for b in body)}</{tag}>")


def join(parts: Iterable[object]) -> Html:
    return Html("".join(h(p) for p in parts))


def tr(cells: Sequence[object], numeric: Iterable[int] = (), cell: str = "td") -> Html:
    """A row of `cell` elements, its `numeric` columns right-aligned. A total row (`cell="total"`)
    is headed by its first cell and holds data in the others, since a header cell left empty
    tells a screen reader nothing."""
    right = set(numeric)
    tags = ["th", *["td"] * (len(cells) - 1)] if cell == "total" else [cell] * len(cells)
    return el(
        "tr",
        *(
            el(tag, c, class_="n" if i in right else None, scope="row" if cell == "total" and not i else None)
            for i, (tag, c) in enumerate(zip(tags, cells))
        ),
    )


def table(
    head: Sequence[object],
    rows: Sequence[Html],
    numeric: Iterable[int] = (),
    foot: str = "",
    empty: str = "",
    caption: str = "",
    **attrs: object,
) -> Html:
    """A table: its caption, a head row (its `numeric` columns right-aligned), rows made with
    `tr`, a foot row; without rows, the `empty` sentence instead, since a table of headings
    alone reads as data gone missing."""
    if not rows and empty:
        return el("p", empty, class_="none")
    top = el("caption", caption) if caption else ""
    tfoot = el("tfoot", foot) if foot else ""
    return el("table", top, el("thead", tr(head, numeric, "th")), el("tbody", join(rows)), tfoot, **attrs)


# -- words and numbers -----------------------------------------------------------------


def day_text(day: dt.date, year: bool = True) -> str:
    """'Tue 10 Nov 2026', the same in every locale."""
    text = f"{DAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]}"
    return f"{text} {day.year}" if year else text


def money(amount: float) -> str:
    """£1,234.50; a minus sign in front of money going the other way."""
    amount = round(amount, 2) + 0.0
    return f"{'−' if amount < 0 else ''}£{abs(amount):,.2f}"


def number(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


def month_text(year: int, month: int, first: bool = False) -> str:
    """'Sep', with the year on January and on the first month shown."""
    return MONTH_NAMES[month - 1] + (f" {year}" if first or month == 1 else "")


def kind_text(kind: str) -> tuple[str, str]:
    """A session kind's letter and words (a kind the report does not know: its initial)."""
    return KINDS.get(kind, (kind[:1].upper() or "?", kind))


# -- names -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Display names by id, and each Work Group's colour class, looked up in the inner loops."""

    people: dict[str, str]
    schools: dict[str, str]  # schools and venues
    wgs: dict[str, str]
    colour: dict[str, str]
    school_of: dict[str, str]
    central: CentralEvents

    @classmethod
    def of(cls, inst: Instance) -> Names:
        central = CentralEvents.of(inst)
        return cls(
            people={p.id: p.name for p in [*inst.specialists, *inst.teachers]},
            schools=central.places,
            wgs={w.id: w.name or w.id for w in inst.work_groups},
            colour={w.id: f"w{i % len(PALETTE)}" for i, w in enumerate(inst.work_groups)},
            school_of={t.id: t.school for t in inst.teachers},
            central=central,
        )

    def what_where(self, s: Session) -> str:
        """What a session is and where: a central event in its own words, at its venue or
        online; any other session by its kind, at its venue or visited school."""
        event = self.central.event(s)
        if event is None:
            return f"{kind_text(s.kind)[1]} at {self.school(s.school or s.venue)}"
        return (
            f"{event.what}, online" if event.venue is None else f"{event.what} at {self.central.where(event)}"
        )

    def person(self, pid: str) -> str:
        return self.people.get(pid, pid)

    def school(self, sid: str | None) -> str:
        return "" if sid is None else self.schools.get(sid, sid)

    def wg(self, wid: str) -> str:
        return self.wgs.get(wid, wid)
