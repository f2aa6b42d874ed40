"""A filled workbook read as the instance's raw data, remembering the cell of every value.

`read_workbook(path)` returns a `WorkbookReader` whose `raw` is the instance as plain data
(what a YAML file would hold) and whose `in_cells` turns problems found in that data
(`work_groups[3].schools[0].school`) into the workbook's own terms (`WorkGroups row 7,
column school`), merged with what the reader itself found, sorted by sheet and row.
Validation is the loader's (models.load): the same checks and words as for YAML.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..instance import Instance
from ..problems import Problem, did_you_mean, quoted, unknown
from .cells import CellError, Kind, blank, dig, field_tail, parent_path, put, read_cell
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
    TERMS,
    VENUES,
    WORK_GROUP_COLUMNS,
    WORK_GROUP_SCHOOL_COLUMNS,
    WORK_GROUPS,
    Column,
    Sheet,
)
from .sheets import CellProblem, Location, Row, Table, column_name, read_sheets, read_tables


@dataclass
class Item:
    """A dict read from one row, with where each of its fields came from."""

    row: int
    data: dict[str, Any]
    where: dict[str, Location]  # instance path tail ('' is the item itself) -> cell


class WorkbookReader:
    """Builds the instance's plain data from the tables, remembering where each value came
    from, then says every problem of it in the workbook's own terms."""

    def __init__(self, tables: dict[str, Table], problems: list[CellProblem]):
        self.tables = tables
        self.problems = list(problems)
        self.where: dict[str, Location] = {}
        self.raw: dict[str, Any] = {"hub": {}, "calendar": {}}

    # ---- the sheets, in the order their references need

    def build(self) -> dict[str, Any]:
        """The instance as plain data, ready for `parse_instance`."""
        self._hub()
        calendars = self._calendars()
        self._list("schools", self._items(SCHOOLS), SCHOOLS)
        self._school_terms(calendars)
        self._children(BLACKOUTS, "school", self._index("schools"), "blackouts", "school")
        for key, sheet in (("specialists", SPECIALISTS), ("teachers", TEACHERS), ("venues", VENUES)):
            self._list(key, self._items(sheet), sheet)
        people = {**self._index("teachers"), **self._index("specialists")}
        self._children(COMMITMENTS, "person", people, "commitments", "specialist or teacher")
        self._list("work_groups", self._work_groups(), WORK_GROUPS)
        self._children(
            CENTRAL_EVENTS, "work_group", self._index("work_groups"), "central_events", "work group"
        )
        self._list("pinned", self._items(PINNED), PINNED)
        return self.raw

    def _list(self, key: str, items: list[Item], sheet: Sheet) -> None:
        """The items as the instance's list `key`; an optional list only when the sheet has rows,
        so that a workbook without a sheet the instance format lacks still reads."""
        known = Instance.model_fields.get(key)
        if items or (known is not None and known.is_required()):
            self.raw[key] = self._place(key, items, Location.of(sheet.name))

    def table(self, sheet: Sheet) -> Table:
        return self.tables.get(sheet.name) or Table(sheet)

    def value(self, table: Table, row: Row, name: str, kind: Kind | None = None) -> Any:
        """The cell of column `name` read as `kind` (its column's by default); None if blank or unreadable."""
        try:
            return read_cell(kind or table.sheet.column(name).kind, table.cell(row, name))
        except CellError as exc:
            self.problems.append((Location.of(table.sheet.name, row.number, name), str(exc)))
            return None

    def item(self, table: Table, row: Row, columns: Iterable[Column]) -> Item:
        """The fields of `columns` in one row."""
        sheet = table.sheet.name
        out = Item(row.number, {}, {"": Location.of(sheet, row.number)})
        for col in columns:
            if col.manual:
                continue
            out.where[field_tail(col.path)] = Location.of(sheet, row.number, col.name)
            value = self.value(table, row, col.name)
            if value is not None:
                put(out.data, col.path, value)
        return out

    def _items(self, sheet: Sheet) -> list[Item]:
        table = self.table(sheet)
        return [self.item(table, row, sheet.columns) for row in table.rows]

    def _register(self, base: str, item: Item) -> None:
        for tail, loc in item.where.items():
            self.where[base + tail] = loc

    def _place(self, base: str, items: list[Item], empty: Location) -> list[dict[str, Any]]:
        """The items' data as the list at instance path `base`, their cells remembered."""
        self.where[base] = items[0].where[""] if items else empty
        for i, item in enumerate(items):
            self._register(f"{base}[{i}]", item)
        return [copy.deepcopy(item.data) for item in items]

    def _index(self, key: str) -> dict[str, tuple[str, int]]:
        """id -> (key, position) of the items of one list; the first of a repeated id wins."""
        out: dict[str, tuple[str, int]] = {}
        for i, data in enumerate(self.raw.get(key, [])):
            if isinstance(data.get("id"), str):
                out.setdefault(data["id"], (key, i))
        return out

    def _hub(self) -> None:
        table = self.table(HUB)
        rows: dict[str, Row] = {}
        by_name = {s.name: s for s in SETTINGS}
        for row in table.rows:
            name = column_name(self.value(table, row, "setting") or "")
            here = Location.of(HUB.name, row.number, "setting")
            if not name:
                if not blank(table.cell(row, "value")):
                    value = quoted(table.cell(row, "value"))
                    self.problems.append((here, f"the value {value} has no setting name; name it here"))
            elif name not in by_name:
                self.problems.append((here, unknown("setting", name, by_name)))
            elif name in rows:
                self.problems.append((here, f"'{name}' is set again (first on row {rows[name].number})"))
            else:
                rows[name] = row
        for setting in SETTINGS:
            path = field_tail(setting.path)[1:]
            row = rows.get(setting.name)
            if row is None:
                self.where[path] = Location(0, 0, f"Hub sheet, setting {setting.name}")
                continue
            self.where[path] = Location.of(HUB.name, row.number, "value")
            value = self.value(table, row, "value", setting.kind)
            if value is not None:
                put(self.raw, setting.path, value)

    def _calendars(self) -> dict[str, list[Item]]:
        """Terms rows by calendar name; the hub's become calendar.terms."""
        table = self.table(TERMS)
        out: dict[str, list[Item]] = {}
        for row in table.rows:
            name = (self.value(table, row, "calendar") or HUB_CALENDAR).lower()
            out.setdefault(name, []).append(self.item(table, row, TERMS.columns))
        hub = out.get(HUB_CALENDAR, [])
        if not hub:
            self.problems.append(
                (
                    Location.of(TERMS.name),
                    "no rows give the hub's terms; add autumn, spring and summer with calendar 'hub'",
                )
            )
        terms = self._place("calendar.terms", hub, Location.of(TERMS.name))
        if terms:
            self.raw["calendar"]["terms"] = terms
        return out

    def _school_terms(self, calendars: dict[str, list[Item]]) -> None:
        table = self.table(SCHOOLS)
        for i, row in enumerate(table.rows):
            name = self.value(table, row, "calendar")
            if name is None or name.lower() == HUB_CALENDAR:
                continue
            items = calendars.get(name.lower())
            if items is None:
                hint = did_you_mean(name.lower(), calendars)
                here = Location.of(SCHOOLS.name, row.number, "calendar")
                self.problems.append((here, f"unknown calendar '{name}'; name one of the Terms sheet{hint}"))
                continue
            self.raw["schools"][i]["terms"] = self._place(
                f"schools[{i}].terms", items, Location.of(TERMS.name)
            )

    def _children(
        self, sheet: Sheet, owner: str, owners: dict[str, tuple[str, int]], key: str, what: str
    ) -> None:
        """Rows that each add to a list (`key`) of the item their `owner` column names."""
        table = self.table(sheet)
        for row in table.rows:
            ident = self.value(table, row, owner)
            here = Location.of(sheet.name, row.number, owner)
            if ident is None:
                self.problems.append((here, f"required: the id of the {what}"))
            elif ident not in owners:
                self.problems.append((here, unknown(what, ident, owners)))
            else:
                parent, i = owners[ident]
                items = self.raw[parent][i].setdefault(key, [])
                item = self.item(table, row, sheet.columns)
                self._register(f"{parent}[{i}].{key}[{len(items)}]", item)
                items.append(item.data)

    def _work_groups(self) -> list[Item]:
        """WorkGroups rows grouped by work_group (a blank one continues the group above)."""
        table = self.table(WORK_GROUPS)
        groups: dict[Any, list[Row]] = {}
        key: Any = None
        for row in table.rows:
            key = self.value(table, row, "work_group") or key or ("row", row.number)
            groups.setdefault(key, []).append(row)
        return [self._work_group(table, f"work_groups[{w}]", rows) for w, rows in enumerate(groups.values())]

    def _work_group(self, table: Table, base: str, rows: list[Row]) -> Item:
        """One Work Group: its own columns from all its rows, and a school from each row that names one."""
        group = self.item(table, rows[0], WORK_GROUP_COLUMNS)
        for row in rows[1:]:
            self._merge(group, self.item(table, row, WORK_GROUP_COLUMNS))
        schools = [self.item(table, row, WORK_GROUP_SCHOOL_COLUMNS) for row in rows]
        first = Location.of(WORK_GROUPS.name, rows[0].number, "school")
        group.data["schools"] = self._place(f"{base}.schools", [s for s in schools if s.data], first)
        return group

    def _merge(self, group: Item, later: Item) -> None:
        """A later row's Work Group columns: filling blanks, never contradicting."""
        for col in WORK_GROUP_COLUMNS:
            value = dig(later.data, col.path)
            if value is None:
                continue
            tail = field_tail(col.path)
            mine = dig(group.data, col.path)
            if mine is None:
                put(group.data, col.path, value)
                group.where[tail] = later.where[tail]
            elif mine != value:
                self.problems.append(
                    (
                        later.where[tail],
                        f"{quoted(value)} differs from {quoted(mine)} on row {group.row}, this Work "
                        "Group's first row; fill its Work Group columns there only, or repeat them exactly",
                    )
                )

    # ---- problems in the workbook's terms

    def locate(self, path: str) -> Location:
        """The cell an instance path was read from: its own, or its nearest recorded parent's."""
        probe = path
        while probe:
            loc = self.where.get(probe)
            if loc is not None:
                rest = path[len(probe) :]
                if rest.startswith(".") and loc.column:  # a key inside the cell's value: params
                    return loc.within(re.split(r"[.\[]", rest[1:])[0])
                return loc
            probe = parent_path(probe)
        return Location(len(SHEETS), 0, path)

    def in_cells(self, instance_problems: list[Problem]) -> list[Problem]:
        """Every problem, the reader's and those found in `raw`, at their cells, sorted by
        sheet and row. A cell the reader already complained about gets no second message."""
        said = {loc.text for loc, _ in self.problems}
        found = list(self.problems)
        for path, message in instance_problems:
            loc = self.locate(path)
            if loc.text not in said:
                found.append((loc, message))
        found.sort(key=lambda p: (p[0].order, p[0].row))
        return list(dict.fromkeys((loc.text, message) for loc, message in found))


def read_workbook(path: str | Path) -> WorkbookReader:
    """A workbook (.xlsx/.xlsm) or a folder of CSVs read: its `raw` instance data and the
    cells it came from. InstanceError (models.problems) only for a file that cannot be read."""
    reader = WorkbookReader(*read_tables(read_sheets(Path(path))))
    reader.build()
    return reader
