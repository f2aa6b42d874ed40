"""Changes to an instance, as a person makes them in the workspace or a relaxation proposes
them: each a named operation with plain arguments (`Edit`), applied to the instance's data
and validated again exactly as a loaded file is (`apply_edit`).

An `Edit` is plain data (JSON), so a page can carry one in a button and the server apply it
later. The operations:

- a school's closures and blackouts: `add_closure`, `add_blackout`, `remove_closure`,
  `remove_blackout` (by position), `lift_blackout` (these dates out of every blackout);
- a person's dates and days: `add_unavailable`, `remove_unavailable`, `free_dates` (these
  dates out of the unavailable ones), `remove_commitments` (those on these dates),
  `set_release_days`, `add_release_day`, `set_person` (`max_days_per_week`,
  `max_release_days`);
- a Work Group's window and numbers: `set_window`, `set_param`;
- the hub: `set_max_km`; pins: `drop_pin`, `move_pin`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .instance import WEEKDAYS, Instance
from .load import parse_instance
from .problems import InstanceError


@dataclass(frozen=True)
class Edit:
    op: str
    args: dict[str, Any] = field(default_factory=dict)  # plain JSON values; dates as YYYY-MM-DD

    def as_json(self) -> str:
        return json.dumps({"op": self.op, "args": self.args}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Edit:
        try:
            data = json.loads(text)
            edit = cls(str(data["op"]), dict(data.get("args") or {}))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InstanceError(
                [("", "the change sent is not one hubplan can read; reload the page")]
            ) from None
        if edit.op not in OPS:
            raise InstanceError([("", f"'{edit.op[:40]}' is not a change hubplan knows")])
        return edit


def edits_json(edits: list[Edit]) -> str:
    """Several edits made together (a pair of changes an explanation checked), as JSON."""
    return json.dumps([{"op": e.op, "args": e.args} for e in edits], sort_keys=True)


def edits_from_json(text: str) -> list[Edit]:
    try:
        items = json.loads(text)
        if not isinstance(items, list) or not items:
            raise TypeError
    except (ValueError, TypeError):
        raise InstanceError(
            [("", "the changes sent are not ones hubplan can read; reload the page")]
        ) from None
    return [Edit.from_json(json.dumps(item)) for item in items]


def apply_edit(instance: Instance, edit: Edit) -> Instance:
    """The instance with `edit` made; InstanceError names what is wrong (a field, quoted)."""
    data = instance.model_dump(mode="json", by_alias=True, exclude_unset=True)
    try:
        OPS[edit.op](data, **edit.args)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise InstanceError([("", f"{edit.op}: {exc.args[0] if exc.args else type(exc).__name__}")]) from None
    return parse_instance(data)


# -- finding what an edit is about -----------------------------------------------------------------


def _one(data: dict, section: str, ident: str) -> dict:
    for item in data.get(section) or []:
        if item.get("id") == ident:
            return item
    raise KeyError(f"no {section[:-1]} '{ident}'")


def _person(data: dict, ident: str) -> dict:
    for section in ("specialists", "teachers"):
        for item in data.get(section) or []:
            if item.get("id") == ident:
                return item
    raise KeyError(f"no specialist or teacher '{ident}'")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"'{str(text)[:20]}' is not a date; write YYYY-MM-DD") from None


def _span(start: str, end: str | None) -> str | dict:
    """A date, or a range `{from, to}` (checked to run forwards)."""
    a, b = _day(start), _day(end or start)
    if b < a:
        raise ValueError(f"'to' ({b}) is before 'from' ({a})")
    return a.isoformat() if a == b else {"from": a.isoformat(), "to": b.isoformat()}


def _dates(item: str | dict) -> list[dt.date]:
    if isinstance(item, str):
        return [_day(item)]
    a, b = _day(item["from"]), _day(item["to"])
    return [a + dt.timedelta(days=k) for k in range((b - a).days + 1)]


def _without(items: list, gone: set[dt.date], keep: tuple[str, ...] = ()) -> list:
    """Dates and ranges with the dates `gone` taken out; a range cut in two keeps its other
    fields (a blackout's reason) on both parts."""
    out: list = []
    for item in items:
        days = [d for d in _dates(item) if d not in gone]
        runs: list[list[dt.date]] = []
        for d in days:
            if runs and (d - runs[-1][-1]).days == 1:
                runs[-1].append(d)
            else:
                runs.append([d])
        for run in runs:
            span = {"from": run[0].isoformat(), "to": run[-1].isoformat()}
            if keep:  # a blackout: always a range, with its reason
                out.append({**span, **{k: item[k] for k in keep if isinstance(item, dict) and k in item}})
            else:
                out.append(run[0].isoformat() if len(run) == 1 else span)
    return out


# -- the operations --------------------------------------------------------------------------------


def add_closure(data: dict, school: str, start: str, end: str | None = None) -> None:
    _one(data, "schools", school).setdefault("closures", []).append(_span(start, end))


def add_blackout(data: dict, school: str, start: str, end: str | None = None, reason: str = "") -> None:
    span = _span(start, end)
    item = span if isinstance(span, dict) else {"from": span, "to": span}
    _one(data, "schools", school).setdefault("blackouts", []).append({**item, "reason": reason})


def remove_closure(data: dict, school: str, index: int) -> None:
    _one(data, "schools", school)["closures"].pop(int(index))


def remove_blackout(data: dict, school: str, index: int) -> None:
    _one(data, "schools", school)["blackouts"].pop(int(index))


def lift_blackout(data: dict, school: str, dates: list[str]) -> None:
    s = _one(data, "schools", school)
    s["blackouts"] = _without(s.get("blackouts") or [], {_day(d) for d in dates}, ("reason",))


def add_unavailable(data: dict, person: str, start: str, end: str | None = None) -> None:
    _person(data, person).setdefault("unavailable", []).append(_span(start, end))


def remove_unavailable(data: dict, person: str, index: int) -> None:
    _person(data, person)["unavailable"].pop(int(index))


def free_dates(data: dict, person: str, dates: list[str]) -> None:
    p = _person(data, person)
    p["unavailable"] = _without(p.get("unavailable") or [], {_day(d) for d in dates})


def remove_commitments(data: dict, person: str, dates: list[str]) -> None:
    gone = {_day(d) for d in dates}
    p = _person(data, person)
    p["commitments"] = [c for c in p.get("commitments") or [] if _day(c["date"]) not in gone]


def set_release_days(data: dict, person: str, days: list[str]) -> None:
    bad = [d for d in days if d not in WEEKDAYS]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a weekday; use {', '.join(WEEKDAYS)}")
    _person(data, person)["release_days"] = [d for d in WEEKDAYS if d in days]


def add_release_day(data: dict, person: str, day: str) -> None:
    p = _person(data, person)
    now = p.get("release_days")
    if now is None:  # by default every weekday, a teacher's every day they work
        now = p.get("works", list(WEEKDAYS))
    set_release_days(data, person, [*now, day])


def set_person(data: dict, person: str, name: str, value: float | None) -> None:
    if name not in ("max_days_per_week", "max_release_days"):
        raise ValueError(f"'{name}' is not a number hubplan changes on a person")
    _person(data, person)[name] = value


def set_window(data: dict, work_group: str, start: str | None, end: str | None) -> None:
    wg = _one(data, "work_groups", work_group)
    for key, value in (("from", start), ("to", end)):
        if value:
            wg[key] = _day(value).isoformat()
        else:
            wg.pop(key, None)


def set_param(data: dict, work_group: str, name: str, value: float | list[float]) -> None:
    _one(data, "work_groups", work_group).setdefault("params", {})[name] = value


def set_max_km(data: dict, value: float) -> None:
    data["max_same_day_km"] = value


def drop_pin(data: dict, index: int) -> None:
    data["pinned"].pop(int(index))


def move_pin(data: dict, index: int, date: str, slot: str) -> None:
    pin = data["pinned"][int(index)]
    pin["date"], pin["slot"] = _day(date).isoformat(), slot


OPS: dict[str, Callable[..., None]] = {
    f.__name__: f
    for f in (
        add_closure,
        add_blackout,
        remove_closure,
        remove_blackout,
        lift_blackout,
        add_unavailable,
        remove_unavailable,
        free_dates,
        remove_commitments,
        set_release_days,
        add_release_day,
        set_person,
        set_window,
        set_param,
        set_max_km,
        drop_pin,
        move_pin,
    )
}
