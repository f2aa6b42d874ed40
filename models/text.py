"""Text made safe for the files hubplan writes, shared by every exporter.

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` (or tab/CR, which some strip
before looking) as a formula: CSV formula injection. Ids cannot start so, but names and
free text typed by users can, and a CSV is opened in Excel far more often than read.
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(text: str) -> str:
    """`text` for a CSV text cell: a leading apostrophe when a spreadsheet would run it as a
    formula. A carriage return becomes a newline first: the csv module quotes a cell only for
    the characters of its line terminator ("\n" here), so a bare CR would end the row
    unquoted and start a new cell, perhaps with a formula."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def strip_control(text: str) -> str:
    """`text` without control characters (Unicode category Cc: C0, DEL and C1; tab and newlines too)."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """User text for calendars and reports: control characters and lone surrogates become
    spaces, and runs of whitespace one space, so no text can start a new line or property."""
    kept = (" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in str(text))
    return _SPACES.sub(" ", "".join(kept)).strip()
