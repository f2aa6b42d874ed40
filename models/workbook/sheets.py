"""A workbook's sheets as tables: the files read (an .xlsx, or a folder of CSVs named after
the sheets), each sheet matched to its spec by name and each header to its column. A sheet
or column hubplan does not know is a problem at its place, not a silent loss.

Why not pandas (`read_excel`, `read_csv`), tried for this: it reads a whole sheet before a
row can be counted, so the MAX_ROWS bound could no longer stop a zip bomb early; it refuses
a CSV whose rows are longer than its header, where this names the stray cells' column; it
guesses types (dates, numbers, NaN for blanks) that each column's kind then has to undo;
and importing it takes 0.5 s, ten times openpyxl's. Rows of cells are all a reader needs.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..limits import check_file
from ..problems import InstanceError, did_you_mean, file_error, quoted
from .cells import blank, cell_text
from .columns import SHEETS, Sheet

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
UNSUPPORTED_SUFFIXES = (".xls", ".ods", ".numbers")
MAX_ROWS = 50_000  # per sheet: far beyond any hub, short of a zip bomb's worth


@dataclass(frozen=True)
class Location:
    """Where in the workbook a value was read: sorts by sheet, then row."""

    order: int  # the sheet's place in SHEETS; len(SHEETS) for what no sheet holds
    row: int  # 0 for the sheet as a whole
    text: str  # 'WorkGroups row 7, column school'
    column: str = ""

    @classmethod
    def of(cls, sheet: str, row: int | None = None, column: str = "") -> Location:
        text = f"{sheet} sheet" if row is None else f"{sheet} row {row}"
        if column:
            text += f", column {column}"
        return cls(_sheet_order(sheet), row or 0, text, column)

    def within(self, key: str) -> Location:
        """A part of this cell's value, such as one of the params."""
        return Location(self.order, self.row, f"{self.text} ({key})", self.column)


def _sheet_order(sheet: str) -> int:
    return next((i for i, s in enumerate(SHEETS) if s.name == sheet), len(SHEETS))


CellProblem = tuple[Location, str]  # a problem at its place in the workbook


@dataclass(frozen=True)
class Row:
    number: int  # the spreadsheet's row number (the header is row 1)
    cells: tuple[Any, ...]


@dataclass
class Table:
    sheet: Sheet
    columns: dict[str, int] = field(default_factory=dict)  # column name -> position
    rows: list[Row] = field(default_factory=list)

    def cell(self, row: Row, name: str) -> Any:
        at = self.columns.get(name)
        return row.cells[at] if at is not None and at < len(row.cells) else None


def _xlsx_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    check_file(path)
    book = None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        return {ws.title: _worksheet_rows(ws, f"{path}: sheet {ws.title}") for ws in book.worksheets}
    except InstanceError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise file_error(
            path, f"not a readable Excel workbook ({type(exc).__name__}); save it as .xlsx"
        ) from None
    finally:
        if book is not None:
            book.close()


def _worksheet_rows(ws: Any, what: str) -> list[tuple[Any, ...]]:
    ws.reset_dimensions()  # trust the cells, not the size a sheet claims
    return _capped(ws.iter_rows(values_only=True), what)


def _capped(rows: Iterable[Any], what: str) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        if len(out) > MAX_ROWS:
            raise InstanceError([("", f"{what}: more than {MAX_ROWS} rows")])
        out.append(tuple(row))
    return out


def _csv_sheets(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise file_error(
            folder, "no CSV files; name one per sheet: " + ", ".join(f"{s.name}.csv" for s in SHEETS)
        )
    out: dict[str, list[tuple[Any, ...]]] = {}
    for path in files:
        check_file(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
            rows = csv.reader(io.StringIO(text, newline=""))
            out[path.stem] = [tuple(c or None for c in r) for r in _capped(rows, str(path))]
        except UnicodeDecodeError:
            raise file_error(path, "not UTF-8 text; save it as 'CSV UTF-8'") from None
        except csv.Error as exc:
            raise file_error(path, f"not valid CSV ({exc})") from None
    return out


def read_sheets(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet of a workbook, or every CSV of a folder, as rows of cell values."""
    if path.is_dir():
        return _csv_sheets(path)
    if path.suffix.lower() in UNSUPPORTED_SUFFIXES:
        raise file_error(
            path, "only .xlsx and .xlsm workbooks are read; save it as an Excel Workbook (.xlsx)"
        )
    return _xlsx_sheets(path)


def _key(name: Any) -> str:
    return re.sub(r"[\s_-]+", "", str(name)).lower()


def column_name(header: Any) -> str:
    return re.sub(r"[\s-]+", "_", cell_text(header)).lower()


def read_tables(sheets: dict[str, list[tuple[Any, ...]]]) -> tuple[dict[str, Table], list[CellProblem]]:
    """The hubplan sheets among `sheets`, and a problem for every sheet or column it does not know."""
    by_key = {_key(s.name): s for s in SHEETS}
    tables: dict[str, Table] = {}
    problems: list[CellProblem] = []
    for title, rows in sheets.items():
        spec = by_key.get(_key(title))
        here = Location(len(SHEETS), 0, f"sheet '{title}'")
        if spec is None:
            names = ", ".join(s.name for s in SHEETS)
            hint = did_you_mean(title, [s.name for s in SHEETS])
            problems.append((here, f"not a hubplan sheet{hint}; the sheets are {names}"))
        elif spec.name in tables:
            problems.append((here, f"a second {spec.name} sheet; keep one"))
        else:
            tables[spec.name] = _table(spec, rows, problems)
    return tables, problems


def _table(spec: Sheet, rows: list[tuple[Any, ...]], problems: list[CellProblem]) -> Table:
    table = Table(spec)
    known = [c.name for c in spec.columns]
    body = [Row(n, r) for n, r in enumerate(rows[1:], start=2) if not all(blank(v) for v in r)]
    width = max((len(r) for r in rows), default=0)  # a CSV row may run past its header
    headers = [*(rows[0] if rows else ()), *[None] * width][:width]
    for at, header in enumerate(headers):
        letter = get_column_letter(at + 1)
        if blank(header):
            under = next((r for r in body if at < len(r.cells) and not blank(r.cells[at])), None)
            if under is not None:
                value = quoted(cell_text(under.cells[at]))
                message = f"values under a blank header ({value} on row {under.number}); name the column"
                problems.append((Location.of(spec.name, 1, letter), message))
            continue
        name = column_name(header)
        where = Location.of(spec.name, 1, name)
        if name not in known:
            problems.append(
                (
                    where,
                    f"unknown column {quoted(cell_text(header))}{did_you_mean(name, known)}; "
                    f"the columns are {', '.join(known)}",
                )
            )
        elif name in table.columns:
            problems.append(
                (
                    where,
                    f"a second '{name}' column (also column {get_column_letter(table.columns[name] + 1)})",
                )
            )
        else:
            table.columns[name] = at
    table.rows = body
    return table
