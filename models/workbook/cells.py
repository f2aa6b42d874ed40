"""One cell: how its value is read as the instance wants it, and written back so that
reading gives it again. Cells are forgiving of how people type (`Tues`, `2026-10-01 to
2026-10-02`, `group_days = 2..3`); what cannot be read is a CellError quoting the cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any


class Kind(Enum):
    """How a cell is read and written."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "yes/no"
    DATE = "date"
    DAYS = "weekdays"
    DATES = "dates"
    IDS = "ids"
    PARAMS = "params"


class CellError(ValueError):
    """A cell whose text cannot be read as its column's kind."""


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def number_text(x: float) -> str:
    """A number as a person writes it: 10, not 10.0."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def cell_text(value: Any) -> str:
    """Any cell value as the text it shows."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value).strip()


def _date(value: Any) -> str:
    """A date cell as ISO text; a bare number is refused rather than guessed at (pydantic would
    read it as seconds since 1970, Excel as days since 1900)."""
    text = cell_text(value)
    if isinstance(value, (int, float)) or text.isdigit():
        raise CellError(f"'{text}' is a number, not a date; write dates as YYYY-MM-DD")
    return text


_RANGE = re.compile(r"\s*\.\.\s*|\s+to\s+")


def _range(text: str) -> list[str] | str:
    """`A..B` (or `A to B`) as [A, B]; anything else as itself."""
    parts = _RANGE.split(text.strip())
    if len(parts) > 2 or "" in parts:
        raise CellError(f"'{text.strip()}' is not a value or a range FROM..TO")
    return parts if len(parts) == 2 else parts[0]


def _split(text: str, separators: str) -> list[str]:
    return [p for p in re.split(f"[{separators}]+", text) if p.strip()]


def _date_list(value: Any) -> list[Any]:
    if isinstance(value, (dt.date, int, float)):  # Excel made a lone date a date (or a number)
        return [_date(value)]
    out: list[Any] = []
    for piece in _split(cell_text(value), ";,\n"):
        item = _range(piece)
        out.append({"from": item[0], "to": item[1]} if isinstance(item, list) else _date(item))
    return out


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday")


def _day_list(value: Any) -> list[str]:
    """Weekdays, forgiving of case and full names (Monday, Tues); 'none' is no days."""
    text = cell_text(value)
    if text.lower() == "none":
        return []
    words = [w.lower() for w in _split(text, r"\s,;/")]
    return [next((d[:3] for d in _DAY_NAMES if len(w) >= 3 and d.startswith(w)), w) for w in words]


_PARAM = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(\S.*?)\s*")


def _params(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for piece in _split(cell_text(value), ";\n"):
        match = _PARAM.fullmatch(piece)
        if match is None:
            raise CellError(f"'{piece.strip()}' is not name=value (e.g. group_days=2..3)")
        name, text = match.groups()
        if name in out:
            raise CellError(f"'{name}' is given twice")
        out[name] = _range(text)
    return out


READERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: cell_text,
    Kind.NUMBER: lambda v: v.strip() if isinstance(v, str) else v,
    Kind.BOOL: cell_text,
    Kind.DATE: _date,
    Kind.DAYS: _day_list,
    Kind.DATES: _date_list,
    Kind.IDS: lambda v: _split(cell_text(v), r"\s,;"),
    Kind.PARAMS: _params,
}


def read_cell(kind: Kind, value: Any) -> Any:
    """A cell's value as the instance wants it (None when blank); CellError if unreadable."""
    return None if blank(value) else READERS[kind](value)


def _range_text(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value['from'].isoformat()}..{value['to'].isoformat()}"
    if isinstance(value, (tuple, list)):
        return "..".join(number_text(x) for x in value)
    return value.isoformat() if isinstance(value, dt.date) else number_text(value)


def cell_value(kind: Kind, value: Any, none_word: bool = False) -> Any:
    """An instance value as a cell of `kind` holds it, so that `read_cell` gives it back."""
    if value is None:
        return None
    if kind is Kind.NUMBER:
        return int(value) if float(value).is_integer() else float(value)
    if kind is Kind.BOOL:
        return "yes" if value else "no"
    if kind is Kind.DATE:
        return value
    if kind is Kind.DAYS:
        return " ".join(value) or ("none" if none_word else None)
    if kind in (Kind.DATES, Kind.IDS):
        return "; ".join(v if isinstance(v, str) else _range_text(v) for v in value) or None
    if kind is Kind.PARAMS:
        return "; ".join(f"{k}={_range_text(v)}" for k, v in value.items()) or None
    return str(value)


def field_tail(path: tuple[str | int, ...]) -> str:
    """A field path as the tail of an instance path: ('half_term', 0) → '.half_term[0]'."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def parent_path(path: str) -> str:
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def put(item: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set `item` at `path`, making the dicts (or the [a, b] pair, for an int key) on the way."""
    target: Any = item
    for key, nxt in zip(path, path[1:]):
        target = target.setdefault(key, [None, None] if isinstance(nxt, int) else {})
    target[path[-1]] = value


def dig(data: Any, path: Iterable[str | int]) -> Any:
    """The value at `path` inside dicts and pairs, None where it stops short."""
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, (list, tuple)) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data
