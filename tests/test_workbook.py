"""The instance as a workbook (models.workbook, read through models.load) and costs.xlsx (scheduler.outputs.costs_xlsx).

Workbooks are made in the tests from the bundled instances (`instance_to_workbook`) and then
edited cell by cell with openpyxl, as a coordinator would, so no binary file is checked in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import openpyxl.writer.excel
import pytest
import yaml
from conftest import DATA, EXAMPLE, HUB, ROOT
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.instance import (
    PROGRAMMES,
    Blackout,
    Calendar,
    CentralEvent,
    Commitment,
    Hub,
    Instance,
    Pin,
    Rates,
    School,
    SlotTimes,
    Specialist,
    Teacher,
    Term,
    Venue,
    Weights,
    WorkGroup,
    WorkGroupSchool,
)
from models.load import InstanceError, load_instance, parse_instance
from models.workbook import instance_to_workbook, template_workbook, write_text, xlsx_bytes
from models.workbook.columns import (
    BLACKOUTS,
    CENTRAL_EVENTS,
    COMMITMENTS,
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
)
from models.yamlstyle import instance_yaml
from scheduler.core.problem import Problem
from scheduler.core.solve import SolveOptions, solve
from scheduler.outputs.costs import FUNDING, TOTAL, cost_lines
from scheduler.outputs.costs import HUB as HUB_LINE
from scheduler.outputs.costs_xlsx import costs_xlsx, sheet_titles

FULL = DATA / "full-options.yaml"
DEFAULTS = DATA / "defaults-only.yaml"
SHEET_NAMES = [
    "Hub",
    "Schools",
    "Specialists",
    "Teachers",
    "WorkGroups",
    "Terms",
    "Blackouts",
    "Commitments",
    "Pinned",
    "Venues",
    "CentralEvents",
]
HOSTILE = ('=HYPERLINK("http://evil.example","click")', "+SUM(1,2)", "-2+3", "@cmd|' /C calc'!A0")


# ---------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def hub_book() -> bytes:
    return instance_to_workbook(load_instance(HUB))


@pytest.fixture(scope="module")
def full_book() -> bytes:
    return instance_to_workbook(load_instance(FULL))


def opened(book: bytes) -> Workbook:
    return load_workbook(io.BytesIO(book))


def column(ws: Worksheet, name: str) -> int:
    """The 1-based position of the column headed `name`."""
    return [c.value for c in ws[1]].index(name) + 1


def edited(book: bytes, tmp_path: Path, edit: Callable[[Workbook], None], name: str = "hub.xlsx") -> Path:
    """`book` changed by `edit`, saved as a file."""
    wb = opened(book)
    edit(wb)
    path = tmp_path / name
    wb.save(path)
    return path


def set_cell(sheet: str, row: int, name: str, value) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        ws = wb[sheet]
        ws.cell(row, column(ws, name)).value = value

    return edit


def problems(path: Path) -> list[str]:
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    return str(caught.value).splitlines()


def as_csv_folder(book: bytes, folder: Path) -> Path:
    """Every sheet of `book` as `<sheet>.csv` (UTF-8 with a BOM, as Excel saves 'CSV UTF-8')."""
    folder.mkdir()
    for ws in opened(book).worksheets:
        with open(folder / f"{ws.title}.csv", "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f)
            for row in ws.iter_rows(values_only=True):
                writer.writerow(
                    [
                        "" if v is None else v.date().isoformat() if isinstance(v, dt.datetime) else v
                        for v in row
                    ]
                )
    return folder


def with_hostile_names(instance: Instance) -> Instance:
    """`instance` with every school, person and Work Group named by one of HOSTILE in turn."""
    data = instance.model_dump(by_alias=True, exclude_unset=True)
    for key in ("schools", "specialists", "teachers", "work_groups"):
        for i, item in enumerate(data[key]):
            item["name"] = HOSTILE[i % len(HOSTILE)]
    data["hub"]["name"] = HOSTILE[0]
    return Instance.model_validate(data)


def with_extras(instance: Instance) -> Instance:
    """`instance` with the fields of the Specialist programme: venues, a trainee's Work Group
    with central events and a pinned development day, a specialist's programme year."""
    data = instance.model_dump(by_alias=True, exclude_unset=True)
    data["specialists"][-1]["programme_year"] = 3
    data["venues"] = [
        {
            "id": "civic-centre",
            "name": "Civic Centre",
            "location": {"lat": 54.97, "lon": -1.61},
            "capacity": 40,
        },
        {"id": "online-room", "name": "Online room"},
    ]
    data["teachers"].append({"id": "tom-hale", "name": "Tom Hale", "school": "riverside", "role": "trainee"})
    events = [
        {"date": "2026-11-18", "venue": "civic-centre", "what": "Regional event"},
        {"date": "2027-02-03", "slot": "am"},
    ]
    data["work_groups"].append(
        {
            "id": "smp-tom-hale",
            "programme": "specialist-programme",
            "specialist": "jo-reed",
            "schools": [{"school": "riverside", "teachers": ["tom-hale"]}],
            "params": {"year": 1, "central_days": 1.5},
            "central_events": events,
        }
    )
    data["pinned"].append(
        {"work_group": "smp-tom-hale", "kind": "development", "date": "2026-11-25", "slot": "day"}
    )
    return parse_instance(data)


def hubplan(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=cwd
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def formula_cells(book: bytes) -> list[str]:
    """Every cell stored as a formula, from the sheets' XML."""
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        return [
            m
            for n in z.namelist()
            if n.startswith("xl/worksheets/")
            for m in re.findall(r"<f[ >].*?</f>", z.read(n).decode())
        ]


# ---------------------------------------------------------------------------- template


def test_template_has_every_sheet_with_header_notes():
    wb = opened(template_workbook())
    assert wb.sheetnames == SHEET_NAMES
    for spec in SHEETS:
        ws = wb[spec.name]
        headers = [c for c in ws[1] if c.value is not None]
        assert [c.value for c in headers] == [c.name for c in spec.columns]
        for cell in headers:
            assert cell.comment is not None and len(cell.comment.text) > 20, (spec.name, cell.value)
            assert cell.font.bold
        assert ws.freeze_panes == "A2"
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in headers)
    notes = {(ws.title, c.value): c.comment.text for ws in wb.worksheets for c in ws[1] if c.comment}
    assert "YYYY-MM-DD" in notes[("Terms", "start")]
    assert "mon tue wed thu fri" in notes[("Teachers", "works")] and "commas" in notes[("Teachers", "works")]
    assert (
        "';'" in notes[("Specialists", "unavailable")] and "FROM..TO" in notes[("Specialists", "unavailable")]
    )
    assert "';'" in notes[("WorkGroups", "teachers")]
    assert "first row" in notes[("WorkGroups", "programme")]


def test_template_offers_dropdowns_where_natural():
    wb = opened(template_workbook())

    def rule(sheet: str, name: str):
        letter = wb[sheet].cell(1, column(wb[sheet], name)).column_letter
        found = [dv for dv in wb[sheet].data_validations.dataValidation if f"{letter}2:" in str(dv.sqref)]
        assert len(found) == 1, (sheet, name)
        return found[0]

    programme = rule("WorkGroups", "programme")
    assert all(p in programme.formula1 for p in PROGRAMMES) and programme.showErrorMessage
    assert rule("Pinned", "slot").formula1 == '"am,pm,day"'
    assert rule("Commitments", "slot").formula1 == '"am,pm,day"'
    days = rule("Teachers", "works")  # offered, but a list such as 'mon tue' is allowed too
    assert days.formula1 == '"mon,tue,wed,thu,fri"' and not days.showErrorMessage
    assert rule("Teachers", "school").formula1 == "Schools!$A$2:$A$2000"


def test_template_hub_sheet_lists_every_setting_and_its_default():
    ws = opened(template_workbook())["Hub"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == [s.name for s in SETTINGS]
    assert all(r[1] is None for r in rows.values())
    assert "Required." in rows["name"][2]
    assert "Blank: 350." in rows["sle_day"][2] and "Blank: 0.45." in rows["mileage_per_mile"][2]


def test_blank_template_says_what_is_missing(tmp_path):
    path = tmp_path / "blank.xlsx"
    path.write_bytes(template_workbook())
    found = problems(path)
    assert "Hub row 2, column value: missing; this field is required" in found  # the plan's name
    assert any(p.startswith("Terms sheet: no rows give the hub's terms") for p in found)
    assert any(p.startswith("Schools sheet: ") for p in found)


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("source", [HUB, FULL, DEFAULTS, EXAMPLE], ids=lambda p: p.stem)
def test_instance_workbook_instance_is_the_same(source, tmp_path):
    original = load_instance(source)
    path = tmp_path / "hub.xlsx"
    path.write_bytes(instance_to_workbook(original))
    again = load_instance(path)
    assert again.model_dump() == original.model_dump()
    written = tmp_path / "instance.yaml"
    written.write_text(instance_yaml(again, "hub.xlsx"))
    assert load_instance(written).model_dump() == original.model_dump()


def test_specialist_programme_fields_round_trip(tmp_path):
    original = with_extras(load_instance(FULL))
    path = tmp_path / "hub.xlsx"
    path.write_bytes(instance_to_workbook(original))
    assert load_instance(path).model_dump() == original.model_dump()
    wb = opened(path.read_bytes())
    assert [r[:4] for r in wb["CentralEvents"].iter_rows(min_row=2, values_only=True)] == [
        ("smp-tom-hale", dt.datetime(2026, 11, 18), "day", "civic-centre"),
        ("smp-tom-hale", dt.datetime(2027, 2, 3), "am", None),
    ]


def test_every_field_of_the_instance_format_has_a_place():
    """A field added to models/instance.py fails here until the workbook carries it (or says it cannot)."""

    def names(model) -> set[str]:
        return {f.alias or name for name, f in model.model_fields.items()}

    def filled(columns) -> set[str]:
        return {c.path[0] for c in columns if not c.manual}

    for model, columns, by_other_sheets in (
        (School, SCHOOLS.columns, {"terms", "blackouts"}),
        (Specialist, SPECIALISTS.columns, {"commitments"}),
        (Teacher, TEACHERS.columns, {"commitments"}),
        (WorkGroup, WORK_GROUP_COLUMNS, {"schools", "central_events"}),
        (WorkGroupSchool, WORK_GROUP_SCHOOL_COLUMNS, set()),
        (Term, TERMS.columns, set()),
        (Blackout, BLACKOUTS.columns, set()),
        (Commitment, COMMITMENTS.columns, set()),
        (CentralEvent, CENTRAL_EVENTS.columns, set()),
        (Venue, VENUES.columns, set()),
        (Pin, PINNED.columns, set()),
    ):
        assert names(model) == filled(columns) | by_other_sheets, model.__name__
    settings = {s.path for s in SETTINGS}
    expected = {("name",), ("max_same_day_km",), *(("hub", n) for n in names(Hub))}
    expected |= {("calendar", n) for n in names(Calendar) - {"slots", "terms"}}
    expected |= {("calendar", "slots", n) for n in names(SlotTimes)}
    expected |= {(key, n) for key, model in (("rates", Rates), ("weights", Weights)) for n in names(model)}
    assert settings == expected
    lists = {"schools", "specialists", "teachers", "venues", "work_groups", "pinned"}
    not_carried = {"programmes"}  # instance-defined programmes stay in YAML
    assert names(Instance) == {p[0] for p in settings} | lists | not_carried


def test_instance_defined_programmes_are_refused_clearly():
    inst = load_instance(FULL).model_copy(update={"programmes": {"custom": "defined in YAML"}})
    with pytest.raises(InstanceError, match="programmes: instance-defined programmes have no sheet"):
        instance_to_workbook(inst)


@pytest.mark.parametrize("source", [HUB, FULL], ids=lambda p: p.stem)
def test_round_trip_gives_the_same_plan(source, tmp_path):
    original = load_instance(source)
    path = tmp_path / "hub.xlsx"
    path.write_bytes(instance_to_workbook(original))
    options = SolveOptions(time_limit=5, first_solution=True)
    plans = [solve(Problem.from_instance(inst), options) for inst in (original, load_instance(path))]
    assert plans[0].status in ("optimal", "feasible")
    assert plans[0].sessions == plans[1].sessions


def test_workbook_layout_of_an_exported_hub(hub_book):
    wb = opened(hub_book)
    groups = list(wb["WorkGroups"].iter_rows(min_row=2, values_only=True))
    first, second = groups[0], groups[1]
    assert first[:3] == (
        "sd-chester-le-street",
        "Secondary Development (Chester-le-Street)",
        "secondary-development",
    )
    assert second[0] == "sd-chester-le-street" and second[1:8] == (None,) * 7  # Work Group columns once
    assert second[8:10] == ("stanley-burn", "kirsty-moffat; liam-hedley")
    schools = {r[0]: r[6] for r in wb["Schools"].iter_rows(min_row=2, values_only=True)}
    assert schools["kepier-vale"] is None  # the hub's terms
    assert schools["lobley-hill"] == schools["heaton-moor"] == "benwell-dene"  # one Tyneside calendar
    terms = [r[0] for r in wb["Terms"].iter_rows(min_row=2, values_only=True)]
    assert terms[:3] == ["hub"] * 3 and terms.count("benwell-dene") == 3
    assert (
        isinstance(wb["Terms"]["C2"].value, dt.datetime) and wb["Terms"]["C2"].number_format == "yyyy-mm-dd"
    )


def test_written_workbooks_are_byte_identical(hub_book):
    assert template_workbook() == template_workbook()
    assert instance_to_workbook(load_instance(HUB)) == hub_book


def test_instance_yaml_reads_like_the_bundled_instances():
    text = instance_yaml(load_instance(FULL), "hub.xlsx")
    assert text.startswith("# Written by `hubplan import` from hub.xlsx.\n")
    keys = [line.split(":")[0] for line in text.splitlines() if re.match(r"[a-z_]+:", line)]
    assert keys == [
        "name",
        "hub",
        "calendar",
        "rates",
        "weights",
        "max_same_day_km",
        "schools",
        "specialists",
        "teachers",
        "work_groups",
        "programmes",
        "pinned",
    ]
    assert (
        "  - {id: bea-lee, name: Bea Lee, school: oakfield, role: advocate, works: [mon, tue, wed, thu]}"
        in text
    )
    assert (
        "    - {name: autumn, start: 2026-09-03, end: 2026-12-18, half_term: [2026-10-26, 2026-10-30]}"
        in text
    )
    assert "params: {support_days: 10, group_days: [2, 3]}" in text
    assert yaml.safe_load(text)["name"] == "full-options-2026-27"


# ---------------------------------------------------------------------------- problems by sheet, row, column


def test_misspelt_school_in_work_groups_row_7(hub_book, tmp_path):
    assert opened(hub_book)["WorkGroups"].cell(7, 9).value == "lobley-hill"
    path = edited(hub_book, tmp_path, set_cell("WorkGroups", 7, "school", "lobly-hill"))
    found = problems(path)
    assert (
        "WorkGroups row 7, column school: unknown school 'lobly-hill'; did you mean 'lobley-hill'?" in found
    )
    assert (
        "WorkGroups row 7, column teachers: teacher 'fatima-noor' works at lobley-hill, not lobly-hill"
        in found
    )


def test_misspelt_oakfield_in_a_small_workbook(full_book, tmp_path):
    def edit(wb: Workbook) -> None:  # rows 2-6 are the two Work Groups; row 7 adds a third school
        ws = wb["WorkGroups"]
        ws.append(["pri-dev-1", None, None, None, None, None, None, None, "oakfeild", "bea-lee"])

    found = problems(edited(full_book, tmp_path, edit))
    assert found[0] == "WorkGroups row 7, column school: unknown school 'oakfeild'; did you mean 'oakfield'?"


def test_bad_date_in_terms_names_row_and_column(hub_book, tmp_path):
    path = edited(hub_book, tmp_path, set_cell("Terms", 3, "start", "2027-02-30"))
    assert problems(path) == ["Terms row 3, column start: '2027-02-30' is not a date"]


def test_a_shared_calendar_is_reported_once_for_all_its_schools(hub_book, tmp_path):
    ws = opened(hub_book)["Terms"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "benwell-dene")
    found = problems(edited(hub_book, tmp_path, set_cell("Terms", row, "end", "2026-13-01")))
    assert found == [f"Terms row {row}, column end: '2026-13-01' is not a date"]


def test_every_problem_is_listed_in_sheet_order(hub_book, tmp_path):
    def edit(wb: Workbook) -> None:
        set_cell("Pinned", 2, "slot", "evening")(wb)
        set_cell("Teachers", 3, "school", "nowhere")(wb)
        set_cell("Schools", 4, "phase", "middle")(wb)
        set_cell("Specialists", 2, "release_days", "Monday, Tues, Fryday")(wb)

    found = problems(edited(hub_book, tmp_path, edit))
    assert [p.split(":")[0] for p in found] == [
        "Schools row 4, column phase",
        "Specialists row 2, column release_days",
        "Teachers row 3, column school",
        "WorkGroups row 2, column teachers",  # the teacher of row 3 is in that Work Group
        "Pinned row 2, column slot",
    ]
    assert (
        "'fryday' is not a weekday; use mon," in found[1]
        and "unknown school 'nowhere'" in found[2]
        and "nowhere" in found[3]
    )


def _hub_row(setting: str) -> int:
    return [s.name for s in SETTINGS].index(setting) + 2


# A bad value in a cell of each kind: (sheet, row, column, the value typed, and the problem
# word for word, or its start: sheet, row and column, then the value quoted).
BAD_CELLS = {
    "weekday": (
        "Specialists",
        2,
        "release_days",
        "Tues, Fryday",
        "Specialists row 2, column release_days: 'fryday' is not a weekday; use mon, tue, wed, thu or fri",
    ),
    "date": (
        "Schools",
        4,
        "closures",
        "2027-02-30",
        "Schools row 4, column closures: '2027-02-30' is not a date",
    ),
    "id": (
        "Teachers",
        2,
        "id",
        "../../etc/passwd",
        "Teachers row 2, column id: '../../etc/passwd' is not an id (lowercase letters, digits and '-')",
    ),
    "slot": (
        "Pinned",
        2,
        "slot",
        "morning",
        "Pinned row 2, column slot: 'morning' is not a slot; use am, pm or day",
    ),
    "date of a range": (
        "Blackouts",
        2,
        "to",
        "2027-13-01",
        "Blackouts row 2, column to: '2027-13-01' is not a date",
    ),
    "date column": ("WorkGroups", 2, "from", "2026-11-31", "WorkGroups row 2, column from: '2026-11-31'"),
    "phase": ("Schools", 2, "phase", "middle", "Schools row 2, column phase: 'middle' is not a phase"),
    "role": ("Teachers", 2, "role", "boss", "Teachers row 2, column role: 'boss' is not a role"),
    "programme": (
        "WorkGroups",
        2,
        "programme",
        "secondary-dev",
        "WorkGroups row 2, column programme: unknown programme 'secondary-dev'",
    ),
    "kind": ("Pinned", 2, "kind", "party", "Pinned row 2, column kind: 'party' is not a session kind"),
    "term": ("Terms", 2, "term", "winter", "Terms row 2, column term: 'winter' is not a term"),
    "commitment slot": (
        "Commitments",
        2,
        "slot",
        "eve",
        "Commitments row 2, column slot: 'eve' is not a slot",
    ),
    "e-mail": (
        "Specialists",
        2,
        "email",
        "jo at example.org",
        "Specialists row 2, column email: 'jo at example.org'",
    ),
    "number too small": (
        "Schools",
        2,
        "capacity",
        0,
        "Schools row 2, column capacity: 0 is too small; use 1 or more",
    ),
    "number too large": (
        "Schools",
        2,
        "lat",
        91.5,
        "Schools row 2, column lat: 91.5 is too large; use 90 or less",
    ),
    "not a number": (
        "Teachers",
        2,
        "max_release_days",
        "six",
        "Teachers row 2, column max_release_days: 'six' is not a number",
    ),
    "boolean": (
        "Specialists",
        2,
        "sle",
        "maybe",
        "Specialists row 2, column sle: 'maybe' is not true or false",
    ),
    "parameter": (
        "WorkGroups",
        2,
        "params",
        "group_days=4..2",
        "WorkGroups row 2, column params (group_days): [4, 2] has max below min; swap them",
    ),
    "hub setting": (
        "Hub",
        _hub_row("max_same_day_km"),
        "value",
        0,
        f"Hub row {_hub_row('max_same_day_km')}, column value: 0 is too small; use more than 0",
    ),
    "unknown school": (
        "Teachers",
        2,
        "school",
        "oakfeild",
        "Teachers row 2, column school: unknown school 'oakfeild'",
    ),
    "unknown specialist": (
        "WorkGroups",
        2,
        "specialist",
        "sam-jone",
        "WorkGroups row 2, column specialist: unknown specialist 'sam-jone'; did you mean 'sam-jones'?",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CELLS))
def test_every_cell_problem_names_sheet_row_column_and_quotes_the_value(case, full_book, tmp_path):
    sheet, row, name, value, said = BAD_CELLS[case]
    found = problems(edited(full_book, tmp_path, set_cell(sheet, row, name, value)))
    assert any(p.startswith(said) for p in found), found


def test_unknown_sheets_columns_and_settings_are_named_with_a_suggestion(full_book, tmp_path):
    def edit(wb: Workbook) -> None:
        wb["Schools"].cell(1, column(wb["Schools"], "prefer_days")).value = "prefer_day"
        wb["Pinned"].title = "Pined"
        wb["Hub"]["A2"] = "nmae"

    found = problems(edited(full_book, tmp_path, edit))
    assert "Hub row 2, column setting: unknown setting 'nmae'; did you mean 'name'?" in found
    assert any(
        p.startswith(
            "Schools row 1, column prefer_day: unknown column 'prefer_day'; did you mean 'prefer_days'?"
        )
        for p in found
    )
    assert any(p.startswith("sheet 'Pined': not a hubplan sheet; did you mean 'Pinned'?") for p in found)


def test_rows_that_name_what_does_not_exist(full_book, tmp_path):
    def edit(wb: Workbook) -> None:
        set_cell("Blackouts", 2, "school", "oakfeld")(wb)
        set_cell("Commitments", 2, "person", "sam-jone")(wb)
        set_cell("Schools", 4, "calendar", "oakfeld")(wb)
        set_cell("Hub", 4, "value", "jo-red")(wb)  # tfm_lead

    found = problems(edited(full_book, tmp_path, edit))
    assert (
        "Hub row 4, column value: 'jo-red' is not a specialist id; add them to specialists; did you mean 'jo-reed'?"
        in found
    )
    assert (
        "Schools row 4, column calendar: unknown calendar 'oakfeld'; name one of the Terms sheet; did you mean 'oakfield'?"
        in found
    )
    assert "Blackouts row 2, column school: unknown school 'oakfeld'; did you mean 'oakfield'?" in found
    assert (
        "Commitments row 2, column person: unknown specialist or teacher 'sam-jone'; did you mean 'sam-jones'?"
        in found
    )


def test_work_group_columns_once_and_rows_that_continue(full_book, tmp_path):
    def blank_ids(wb: Workbook) -> None:  # a continuation row may leave work_group blank
        for row in (3, 5, 6):
            set_cell("WorkGroups", row, "work_group", None)(wb)

    again = load_instance(edited(full_book, tmp_path, blank_ids))
    assert again.model_dump() == load_instance(FULL).model_dump()
    found = problems(
        edited(full_book, tmp_path, set_cell("WorkGroups", 5, "programme", "sustaining"), "b.xlsx")
    )
    assert found == [
        "WorkGroups row 5, column programme: 'sustaining' differs from 'primary-development' on row 4, this "
        "Work Group's first row; fill its Work Group columns there only, or repeat them exactly"
    ]


def test_cells_are_read_as_people_type_them(full_book, tmp_path):
    def edit(wb: Workbook) -> None:
        set_cell("Teachers", 2, "works", "Monday, Tues;WED thursday")(wb)
        set_cell("Teachers", 2, "release_days", "tue")(wb)
        set_cell("Teachers", 3, "works", "none")(wb)
        set_cell("Specialists", 3, "unavailable", dt.datetime(2026, 11, 17))(wb)  # Excel made it a date
        set_cell("Specialists", 3, "sle", True)(wb)
        set_cell("Schools", 2, "closures", "2026-09-03 ; 2026-10-01 to 2026-10-02")(wb)
        set_cell("WorkGroups", 2, "params", "group_days = 2..3;support_days:9")(wb)
        set_cell("Schools", 2, "capacity", "2")(wb)

    inst = load_instance(edited(full_book, tmp_path, edit))
    alex, bea = inst.teachers[0], inst.teachers[1]
    assert alex.works == ["mon", "tue", "wed", "thu"] and alex.release_days == ["tue"]
    assert bea.works == []
    sam = inst.specialists[1]
    assert sam.unavailable == [dt.date(2026, 11, 17)] and sam.sle
    school = inst.schools[0]
    assert school.capacity == 2 and school.closures[0] == dt.date(2026, 9, 3)
    assert (school.closures[1].from_, school.closures[1].to) == (dt.date(2026, 10, 1), dt.date(2026, 10, 2))
    assert inst.work_groups[0].params == {"group_days": (2.0, 3.0), "support_days": 9.0}


def test_cells_that_cannot_be_read_are_named(full_book, tmp_path):
    def edit(wb: Workbook) -> None:
        set_cell("Blackouts", 2, "from", 46150)(wb)  # a date that lost its date format
        wb["Blackouts"]["B2"].number_format = "General"
        set_cell("WorkGroups", 2, "params", "support days 9")(wb)
        set_cell("Schools", 3, "closures", "2026-09-03..")(wb)

    found = problems(edited(full_book, tmp_path, edit))
    assert found == [
        "Schools row 3, column closures: '2026-09-03..' is not a value or a range FROM..TO",
        "WorkGroups row 2, column params: 'support days 9' is not name=value (e.g. group_days=2..3)",
        "Blackouts row 2, column from: '46150' is a number, not a date; write dates as YYYY-MM-DD",
    ]


def test_a_params_problem_names_the_parameter(full_book, tmp_path):
    found = problems(
        edited(full_book, tmp_path, set_cell("WorkGroups", 2, "params", "support_days=10; sessions=4"))
    )
    assert any(p.startswith("WorkGroups row 2, column params") and "sessions" in p for p in found), found


# ---------------------------------------------------------------------------- other sources


def test_csv_folder_import(full_book, tmp_path):
    folder = as_csv_folder(full_book, tmp_path / "hub")
    assert load_instance(folder).model_dump() == load_instance(FULL).model_dump()
    assert load_instance(folder).model_dump() == load_instance(FULL).model_dump()


def test_csv_folder_problems_name_the_row(full_book, tmp_path):
    folder = as_csv_folder(full_book, tmp_path / "hub")
    text = (folder / "WorkGroups.csv").read_text(encoding="utf-8-sig").replace(",parkside,", ",parksid,")
    (folder / "WorkGroups.csv").write_text(text, encoding="utf-8-sig")
    (folder / "Notes.csv").write_text("anything\n")
    found = problems(folder)
    assert "WorkGroups row 3, column school: unknown school 'parksid'; did you mean 'parkside'?" in found
    assert any(p.startswith("sheet 'Notes': not a hubplan sheet") for p in found)
    (folder / "Notes.csv").unlink()
    (folder / "Teachers.csv").write_bytes("id,name\nzoë,Zoë\n".encode("latin-1"))
    with pytest.raises(InstanceError, match="Teachers.csv: not UTF-8 text; save it as 'CSV UTF-8'"):
        load_instance(folder)


def test_a_csv_row_longer_than_its_header_names_the_stray_cell(full_book, tmp_path):
    folder = as_csv_folder(full_book, tmp_path / "hub")
    lines = (folder / "Schools.csv").read_text(encoding="utf-8-sig").splitlines()
    width = len(next(csv.reader(lines[:1])))
    lines[2] += ",Year 11 mocks"
    (folder / "Schools.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    column = openpyxl.utils.get_column_letter(width + 1)
    assert problems(folder) == [
        f"Schools row 1, column {column}: values under a blank header ('Year 11 mocks' on row 3); name the column"
    ]


def test_load_instance_dispatches_on_workbooks(hub_book, tmp_path):
    path = edited(hub_book, tmp_path, set_cell("WorkGroups", 7, "school", "lobly-hill"))
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    assert (
        "WorkGroups row 7, column school",
        "unknown school 'lobly-hill'; did you mean 'lobley-hill'?",
    ) in caught.value.problems
    for name, data, message in (
        ("missing.xlsx", None, "no such file"),
        ("broken.xlsx", b"name: not a workbook\n", "not a readable Excel workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "save it as an Excel Workbook (.xlsx)"),
    ):
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(InstanceError, match=re.escape(message)):
            load_instance(tmp_path / name)


# ---------------------------------------------------------------------------- text is never a formula


def test_write_text_stores_formula_like_text_as_text():
    wb = Workbook()
    for row, text in enumerate((*HOSTILE, "plain", "a\x01b"), start=1):
        write_text(wb.active.cell(row, 1), text)
    book = xlsx_bytes(wb)
    assert formula_cells(book) == []
    ws = opened(book).active
    for row, text in enumerate(HOSTILE, start=1):
        cell = ws.cell(row, 1)
        assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert (ws["A5"].value, ws["A5"].quotePrefix) == ("plain", False)
    assert ws["A6"].value == "ab"  # a character XML cannot hold is dropped


def test_hostile_names_round_trip_as_text(tmp_path):
    inst = with_hostile_names(load_instance(FULL))
    book = instance_to_workbook(inst)
    assert formula_cells(book) == []
    path = tmp_path / "hub.xlsx"
    path.write_bytes(book)
    assert opened(book)["Schools"]["B2"].data_type == "s"
    assert load_instance(path).model_dump() == inst.model_dump()


# ---------------------------------------------------------------------------- costs.xlsx


@pytest.fixture(scope="module")
def cost_book(example_instance, example_plan) -> tuple[bytes, list]:
    lines = cost_lines(example_instance, example_plan)
    return costs_xlsx(example_instance, lines), lines


def test_costs_xlsx_has_a_summary_and_a_sheet_per_work_group(cost_book, example_instance):
    wb = opened(cost_book[0])
    assert wb.sheetnames == ["Summary", *(w.id for w in example_instance.work_groups)]
    header = [c.value for c in wb["Summary"][3]]
    assert header == ["work_group", "name", "programme", "total", "release funding", "total after funding"]


def test_costs_xlsx_numbers_are_numbers_in_pounds(cost_book):
    book, lines = cost_book
    wb = opened(book)
    rows = {r[0].value: r for r in wb["Summary"].iter_rows(min_row=4, max_row=6)}
    hub_total = next(c.amount for c in lines if c.work_group == HUB_LINE and c.item == TOTAL)
    hub_funding = next(c.amount for c in lines if c.work_group == HUB_LINE and c.item == FUNDING)
    assert rows["hub"][3].value == pytest.approx(hub_total) and rows["hub"][4].value == pytest.approx(
        hub_funding
    )
    for cell in rows["hub"][3:6]:
        assert cell.data_type == "n" and isinstance(cell.value, (int, float)) and "£" in cell.number_format
    ws = wb["sec-dev-1"]
    body = [r for r in ws.iter_rows(min_row=4) if r[2].value]
    wg_lines = [c for c in lines if c.work_group == "sec-dev-1"]
    assert [(r[0].value or "", r[2].value, r[6].value) for r in body] == [
        (c.party, c.item, c.amount) for c in wg_lines
    ]
    assert all(r[6].data_type == "n" and "£" in r[6].number_format for r in body)
    assert all(r[3].data_type == "n" for r in body)


def test_costs_xlsx_is_byte_identical(cost_book, example_instance, monkeypatch):
    book, lines = cost_book

    class Later(dt.datetime):  # openpyxl stamps the time of saving; another clock changes nothing
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    monkeypatch.setattr(
        openpyxl.writer.excel, "datetime", SimpleNamespace(datetime=Later, timezone=dt.timezone)
    )
    assert costs_xlsx(example_instance, lines) == book
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert core.count("1980-01-01T00:00:00Z") == 2


def test_costs_xlsx_text_is_never_a_formula(example_instance, example_plan):
    inst = with_hostile_names(example_instance)
    book = costs_xlsx(inst, cost_lines(inst, example_plan))
    assert formula_cells(book) == []
    cells = [
        c for ws in opened(book).worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)
    ]
    hostile = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in hostile} == set(HOSTILE)
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)
    assert all(c.data_type == "s" for c in cells)


def test_sheet_titles_are_short_unique_and_safe():
    titles = sheet_titles(["a" * 40, "a" * 40, "summary", "x/y:z?", "'quoted'", "A" * 40])
    assert all(len(t) <= 31 for t in titles)
    assert len({t.lower() for t in titles}) == len(titles)
    assert "summary" not in titles and titles[2].startswith("summary~")
    assert titles[3] == "x-y-z-" and titles[4] == "quoted"


# ---------------------------------------------------------------------------- command line


def test_cli_template_and_import(tmp_path):
    proc = hubplan("template", "-o", "blank.xlsx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert opened((tmp_path / "blank.xlsx").read_bytes()).sheetnames == SHEET_NAMES
    proc = hubplan("template", "-o", "blank.xlsx", cwd=tmp_path)
    assert proc.returncode == 2 and "exists; add --force" in proc.stderr
    proc = hubplan("template", "--from", str(FULL), "-o", "hub.xlsx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = hubplan("import", "hub.xlsx", "-o", "instance.yaml", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert load_instance(tmp_path / "instance.yaml").model_dump() == load_instance(FULL).model_dump()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_template_and_import_files_follow_the_umask(umask, mode, tmp_path):
    """As every other output: the umask decides who may read them, not hubplan."""

    def run(*args: str) -> None:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            preexec_fn=lambda: os.umask(umask),
        )
        assert proc.returncode == 0, proc.stderr

    run("template", "-o", "blank.xlsx")
    run("template", "--from", str(FULL), "-o", "hub.xlsx")
    run("import", "hub.xlsx", "-o", "instance.yaml")
    for name in ("blank.xlsx", "hub.xlsx", "instance.yaml"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name


def test_cli_import_lists_every_problem_and_writes_nothing(hub_book, tmp_path):
    def edit(wb: Workbook) -> None:
        set_cell("WorkGroups", 7, "school", "lobly-hill")(wb)
        set_cell("Terms", 3, "start", "2027-02-30")(wb)

    edited(hub_book, tmp_path, edit)
    proc = hubplan("import", "hub.xlsx", "-o", "instance.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert (
        "WorkGroups row 7, column school: unknown school 'lobly-hill'; did you mean 'lobley-hill'?" in lines
    )
    assert any(line.startswith("Terms row 3, column start: ") for line in lines)
    assert lines[-1] == f"{len(lines) - 1} problems found; nothing was written."
    assert not (tmp_path / "instance.yaml").exists()


def test_cli_solve_takes_a_workbook(full_book, tmp_path):
    (tmp_path / "hub.xlsx").write_bytes(full_book)
    proc = hubplan("solve", "hub.xlsx", "--out", "out", "--time-limit", "5", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "plan.json").is_file()
