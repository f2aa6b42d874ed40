"""Writing .xlsx files: text that stays text, and the same bytes every time.

Shared by the instance workbook (models.workbook.write) and costs.xlsx
(scheduler.outputs.costs_xlsx).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..text import FORMULA_STARTS

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def write_text(cell: Cell, text: str) -> None:
    """`text` in `cell` as text, never a formula: stored as a string, and a value a spreadsheet
    would run (=, +, -, @ first) also gets Excel's own quote prefix, so editing the cell
    keeps it text. Characters XML cannot hold are dropped."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True


def write_value(cell: Cell, value: Any, number_format: str | None = None) -> None:
    """A text, date or number cell; None or '' leaves it blank."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        write_text(cell, value)
        return
    cell.value = value
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    elif number_format:
        cell.number_format = number_format


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")


def write_header(ws: Worksheet, row: int, names: Iterable[str], widths: Iterable[int]) -> None:
    """A bold header row, its columns `widths` characters wide."""
    for at, (name, width) in enumerate(zip(names, widths), start=1):
        cell = ws.cell(row, at)
        write_text(cell, name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(at)].width = width


def xlsx_bytes(book: Workbook) -> bytes:
    """`book` saved, byte for byte the same every time: openpyxl stamps the time into
    docProps/core.xml and every zip entry, so both are set to 1980-01-01."""
    book.properties.creator = "hubplan"
    buffer = io.BytesIO()
    book.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():  # openpyxl's own order, which is stable
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*", rb"\g<1>1980-01-01T00:00:00Z", data
                )
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()
