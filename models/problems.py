"""Problems with an instance, and how a message shows what the user wrote.

A problem is a `(path, message)` pair: the path reads like the YAML a user wrote
(`work_groups[0].schools[1].teachers[0]`, or for a workbook `WorkGroups row 7, column
school`), and the message quotes the value that is wrong and says what would be right:
`'tues' is not a weekday; use mon, tue, wed, thu or fri`. Every layer that finds problems
(the loader, the models' own validators, programmes, the workbook reader) says values
through `quoted`, so they look the same wherever they come from.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Problem = tuple[str, str]
QUOTE_CHARS = 60  # a value longer than this is cut: the message is about it, not a copy of it


def one_line(text: str) -> str:
    """`text` with what is not printable (line breaks, other controls, lone surrogates)
    written as escapes, so that a problem echoing a user's value stays on one line."""
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InstanceError(Exception):
    """An instance that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = [(one_line(path), one_line(message)) for path, message in problems]  # a line each
        super().__init__("\n".join(f"{p}: {m}" if p else m for p, m in problems))


def file_error(path: Path, message: str) -> InstanceError:
    """A file that cannot be used at all: one problem naming it."""
    return InstanceError([("", f"{path}: {message}")])


def quoted(value: Any) -> str:
    """`value` as a message quotes it, in the words of the file: text in quotes ('tues'),
    numbers and dates as written (2.5, 2026-09-03), true/false, null, and lists and
    mappings in flow style (['tue', 'thurs']); cut short after QUOTE_CHARS."""
    text = _flow(value)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _flow(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (dt.date, int, float)):
        return value.isoformat() if isinstance(value, dt.date) else repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return f"'{value}'"


def did_you_mean(bad: str, candidates: Iterable[Any]) -> str:
    """'; did you mean 'x'?' for the closest candidate, or ''."""
    close = difflib.get_close_matches(
        bad, sorted({c for c in candidates if isinstance(c, str)}), n=1, cutoff=0.6
    )
    return f"; did you mean '{close[0]}'?" if close else ""


def unknown(what: str, ident: str, known: Iterable[Any], fix: str = "") -> str:
    """The message for an id nothing has: "unknown school 'oakfeld'; did you mean 'oakfield'?",
    with the fix, if any, before the guess."""
    return f"unknown {what} '{ident}'" + (f"; {fix}" if fix else "") + did_you_mean(ident, known)
