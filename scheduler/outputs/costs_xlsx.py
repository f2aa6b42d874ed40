"""costs.xlsx: the cost lines of costs.csv as a workbook a finance officer can read.

A Summary sheet gives one row per Work Group (total, release funding, total after funding)
and the hub's totals item by item; then one sheet per Work Group lists its lines, with the
names of the schools and people beside their ids. Amounts are numbers in a £ format, never
text; text is stored as text, never as a formula (`models.workbook.write_text`). The same
inputs give the same bytes (`models.workbook.xlsx_bytes`), so the file can sit in version
control beside plan.json.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from models.instance import Instance
from models.text import strip_control
from models.workbook import write_header, write_text, write_value, xlsx_bytes
from scheduler.outputs.costs import AFTER_FUNDING, FUNDING, HUB, TOTAL, CostLine

MONEY = '"£"#,##0.00;-"£"#,##0.00'
QUANTITY = "#,##0.0#"
SUMMARY = "Summary"
RESERVED = (SUMMARY, "History")  # Excel keeps 'History' for itself
MAX_TITLE = 31
TITLE_FONT = Font(bold=True, size=13)
_NOT_IN_TITLES = re.compile(r"[\[\]:*?/\\]")

# (header, width, number format) of the tables
WG_TABLE = (
    ("work_group", 24, None),
    ("name", 40, None),
    ("programme", 22, None),
    ("total", 14, MONEY),
    ("release funding", 16, MONEY),
    ("total after funding", 20, MONEY),
)
ITEM_TABLE = (
    ("item", 30, None),
    ("quantity", 10, QUANTITY),
    ("unit", 8, None),
    ("rate", 12, MONEY),
    ("amount", 14, MONEY),
)
LINE_TABLE = (("party", 24, None), ("name", 30, None), *ITEM_TABLE)


def sheet_titles(names: Iterable[str], taken: Iterable[str] = RESERVED) -> list[str]:
    """A sheet title for each name: at most 31 characters, none of []:*?/\\ or control
    characters, no apostrophe at either end, unique without regard to case (as Excel compares)."""
    used = {t.lower() for t in taken}
    out = []
    for name in names:
        base = _NOT_IN_TITLES.sub("-", strip_control(name)).strip("'") or "sheet"
        title, n = base[:MAX_TITLE], 2
        while title.lower() in used:
            suffix = f"~{n}"
            title, n = base[: MAX_TITLE - len(suffix)] + suffix, n + 1
        used.add(title.lower())
        out.append(title)
    return out


def _text(value: Any) -> Any:
    """Text as costs.csv cleans it (no control characters); other values as they are."""
    return strip_control(value) if isinstance(value, str) else value


def _table(
    ws: Worksheet, top: int, columns: Sequence[tuple[str, int, str | None]], rows: Iterable[Sequence[Any]]
) -> int:
    """A header at row `top` and `rows` under it, numbers in their column's format; the next free row."""
    write_header(ws, top, (c[0] for c in columns), (c[1] for c in columns))
    number = top
    for number, values in enumerate(rows, start=top + 1):
        for at, (value, (_, _, fmt)) in enumerate(zip(values, columns), start=1):
            write_value(ws.cell(number, at), _text(value), fmt)
    return number + 1


def _title(ws: Worksheet, text: str) -> None:
    write_text(ws.cell(1, 1), strip_control(text))
    ws.cell(1, 1).font = TITLE_FONT


def _sum(lines: Iterable[CostLine], wg: str, item: str) -> float:
    return round(sum(c.amount for c in lines if c.work_group == wg and c.item == item), 2) + 0.0


def _summary(ws: Worksheet, instance: Instance, lines: list[CostLine], wg_ids: list[str]) -> None:
    """Work Groups and the hub's total, then the hub's totals item by item."""
    _title(ws, f"Costs of {instance.hub.name} ({instance.name}); release funding is money received")
    wgs = {w.id: (w.name or w.id, w.programme) for w in instance.work_groups}
    labels = [(wg, *wgs.get(wg, (wg, ""))) for wg in wg_ids] + [(HUB, "all Work Groups", "")]
    rows = [
        [*label, *(_sum(lines, label[0], item) for item in (TOTAL, FUNDING, AFTER_FUNDING))]
        for label in labels
    ]
    after = _table(ws, 3, WG_TABLE, rows)
    hub = [[c.item, c.quantity, c.unit, c.rate, c.amount] for c in lines if c.work_group == HUB]
    _table(ws, after + 1, ITEM_TABLE, hub)
    ws.freeze_panes = "A4"


def _work_group_sheet(ws: Worksheet, title: str, lines: list[CostLine], names: dict[str, str]) -> None:
    _title(ws, title)
    rows = [[c.party, names.get(c.party, ""), c.item, c.quantity, c.unit, c.rate, c.amount] for c in lines]
    _table(ws, 3, LINE_TABLE, rows)
    ws.freeze_panes = "A4"


def costs_xlsx(instance: Instance, lines: list[CostLine]) -> bytes:
    """costs.xlsx for the cost lines of one plan (`scheduler.outputs.costs.cost_lines`): a Summary
    sheet, then a sheet per Work Group in the lines' order; byte-identical for equal inputs."""
    wg_ids = list(dict.fromkeys(c.work_group for c in lines if c.work_group != HUB))
    names = {p.id: p.name for p in (*instance.schools, *instance.specialists, *instance.teachers)}
    names |= {w.id: w.name or w.id for w in instance.work_groups}
    book = Workbook()
    book.remove(book.active)
    _summary(book.create_sheet(SUMMARY), instance, lines, wg_ids)
    for wg, title in zip(wg_ids, sheet_titles(wg_ids)):
        heading = wg if names.get(wg, wg) == wg else f"{wg}: {names[wg]}"
        _work_group_sheet(book.create_sheet(title), heading, [c for c in lines if c.work_group == wg], names)
    return xlsx_bytes(book)
