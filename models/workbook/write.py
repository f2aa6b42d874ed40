"""Workbooks written: the blank template, and an instance as a filled workbook that reads
back (models.workbook.read) to an equal instance. Header cells carry each column's note,
columns with fixed choices offer them in a dropdown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..instance import Instance
from ..problems import InstanceError
from .cells import Kind, cell_value, dig
from .columns import (
    BLACKOUTS,
    CENTRAL_EVENTS,
    COMMITMENTS,
    HUB,
    HUB_CALENDAR,
    PINNED,
    SCHOOLS,
    SETTINGS,
    SHEETS,
    SPECIALISTS,
    TEACHERS,
    TEMPLATE_ROWS,
    TERMS,
    VENUES,
    WORK_GROUPS,
    Column,
    Sheet,
    setting_default,
)
from .xlsx import write_header, write_value, xlsx_bytes


def _dropdown(ws: Worksheet, cells: str, choices: tuple[str, ...] | str, strict: bool) -> None:
    formula = choices if isinstance(choices, str) else '"' + ",".join(choices) + '"'
    rule = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=strict)
    rule.add(cells)
    ws.add_data_validation(rule)


def _note(text: str) -> Comment:
    return Comment(text, "hubplan", height=40 + 16 * (len(text) // 45), width=320)


def _write_sheet(ws: Worksheet, sheet: Sheet, rows: list[list[Any]]) -> None:
    write_header(ws, 1, (c.name for c in sheet.columns), (c.width for c in sheet.columns))
    last = max(TEMPLATE_ROWS, len(rows) + 1)
    for at, col in enumerate(sheet.columns, start=1):
        ws.cell(1, at).comment = _note(col.help)
        letter = get_column_letter(at)
        if col.kind is not Kind.NUMBER and col.kind is not Kind.DATE:
            ws.column_dimensions[letter].number_format = "@"  # typed lists stay text, not dates
        if col.choices:
            _dropdown(ws, f"{letter}2:{letter}{last}", col.choices, col.strict)
    for number, values in enumerate(rows, start=2):
        for at, value in enumerate(values, start=1):
            write_value(ws.cell(number, at), value)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(rows) + 1}"


def _hub_rows(data: dict[str, Any] | None) -> list[list[Any]]:
    return [
        [
            s.name,
            None if data is None else cell_value(s.kind, dig(data, s.path)),
            f"{s.about} {setting_default(s)}",
        ]
        for s in SETTINGS
    ]


def _row(columns: Iterable[Column], item: dict[str, Any], **manual: Any) -> list[Any]:
    """One item as cells of `columns`; `manual` gives the cells of columns read by hand."""
    return [
        manual.get(c.name) if c.manual else cell_value(c.kind, dig(item, c.path), c.none_word)
        for c in columns
    ]


def _calendars(data: dict[str, Any]) -> tuple[dict[str, list[Any]], dict[str, str]]:
    """The Terms calendars: terms by name (the hub's first), and the name of each distinct
    list of school terms (by its repr), which is the id of the first school that has it."""
    terms: dict[str, list[Any]] = {HUB_CALENDAR: data["calendar"]["terms"]}
    names: dict[str, str] = {}
    for school in data["schools"]:
        key = repr(school["terms"])
        if school["terms"] is not None and key not in names:
            name = school["id"]
            while name in terms:
                name += "-terms"
            names[key], terms[name] = name, school["terms"]
    return terms, names


def _sheet_rows(data: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """Every sheet's rows for the dumped instance `data`."""
    terms, calendar_of = _calendars(data)
    people = data["specialists"] + data["teachers"]
    events = [(wg["id"], e) for wg in data["work_groups"] for e in wg.get("central_events", [])]
    return {
        HUB.name: _hub_rows(data),
        SCHOOLS.name: [
            _row(SCHOOLS.columns, s, calendar=calendar_of.get(repr(s["terms"]))) for s in data["schools"]
        ],
        SPECIALISTS.name: [_row(SPECIALISTS.columns, p) for p in data["specialists"]],
        TEACHERS.name: [_row(TEACHERS.columns, p) for p in data["teachers"]],
        WORK_GROUPS.name: [  # the Work Group's own columns on its first row only
            _row(WORK_GROUPS.columns, {**(wg if j == 0 else {"id": wg["id"]}), **ws})
            for wg in data["work_groups"]
            for j, ws in enumerate(wg["schools"])
        ],
        TERMS.name: [_row(TERMS.columns, t, calendar=name) for name, ts in terms.items() for t in ts],
        BLACKOUTS.name: [
            _row(BLACKOUTS.columns, b, school=s["id"]) for s in data["schools"] for b in s["blackouts"]
        ],
        COMMITMENTS.name: [
            _row(COMMITMENTS.columns, c, person=p["id"]) for p in people for c in p["commitments"]
        ],
        PINNED.name: [_row(PINNED.columns, p) for p in data["pinned"]],
        VENUES.name: [_row(VENUES.columns, v) for v in data.get("venues", [])],
        CENTRAL_EVENTS.name: [_row(CENTRAL_EVENTS.columns, e, work_group=wg) for wg, e in events],
    }


def _workbook(rows: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.name)
        _write_sheet(ws, sheet, rows.get(sheet.name, []))
    hub = book[HUB.name]
    for number, setting in enumerate(SETTINGS, start=2):
        if setting.choices:
            _dropdown(hub, f"B{number}", setting.choices, isinstance(setting.choices, tuple))
    return xlsx_bytes(book)


def template_workbook() -> bytes:
    """A blank workbook: every sheet with its header, a note on every header cell, dropdowns,
    and the Hub sheet's settings listed with what a blank value means."""
    return _workbook({HUB.name: _hub_rows(None)})


def instance_to_workbook(instance: Instance) -> bytes:
    """`instance` as a filled workbook, which `load_instance` reads back to an equal instance."""
    if instance.programmes:
        raise InstanceError(
            [("programmes", "instance-defined programmes have no sheet in a workbook; keep them in YAML")]
        )
    return _workbook(_sheet_rows(instance.model_dump(by_alias=True)))
