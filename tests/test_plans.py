"""Reading plans: one reader for `check` (strict) and re-planning (forgiving, with revisions).

Each bad row is read both ways: a problem both readings share has one message, and what only
`check` refuses (a Work Group, stream or person the instance does not know) a previous plan
may hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import EXAMPLE
from test_cli import hubplan

from models.load import InstanceError, load_instance
from scheduler.core.problem import Problem
from scheduler.outputs.export import plan_csv as export_plan_csv
from scheduler.services.plans import CSV_COLUMNS, read_plan, read_previous
from scheduler.services.replan import ReplanError, prepare

PATHWAYS = EXAMPLE.parent / "pathways-hub-2026-27.yaml"


def plan_json(tmp_path: Path, rows: list, cancelled: list | None = None) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"sessions": rows, **({"cancelled": cancelled} if cancelled else {})}))
    return path


def plan_csv(tmp_path: Path, rows: list[dict], columns=CSV_COLUMNS) -> Path:
    path = tmp_path / "plan.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def problems(read, path: Path, problem: Problem) -> list[tuple[str, str]]:
    with pytest.raises(InstanceError) as exc:
        read(path, problem)
    return exc.value.problems


@pytest.fixture(scope="module")
def rows(example_plan) -> list[dict]:
    return [s.as_dict() for s in example_plan.sessions]


def test_both_readings_read_a_plan_json_and_its_csv(tmp_path, example_problem, example_plan, rows):
    written = tmp_path / "written.csv"
    written.write_bytes(export_plan_csv(example_plan))
    for path in (plan_json(tmp_path, rows), written):
        assert read_plan(path, example_problem) == example_plan.sessions
        live, cancelled = read_previous(path, example_problem)
        assert live == example_plan.sessions and cancelled == []


BOTH = [
    ({"kind": "Group"}, "kind", "'Group' is not one of group, visit, headteachers, development, central"),
    ({"kind": "visit", "school": ""}, "school", "a visit names the school it visits"),
    ({"date": "2027-02-30"}, "date", "'2027-02-30' is not a date; write YYYY-MM-DD"),
    ({"slot": "noon"}, "slot", "'noon' is not am, pm or day"),
]


@pytest.mark.parametrize("change, column, message", BOTH)
def test_a_bad_row_has_one_message_in_both_readings(tmp_path, example_problem, rows, change, column, message):
    bad = [rows[0], {**rows[1], **change}]
    for path, at in ((plan_json(tmp_path, bad), "sessions[1]"), (plan_csv(tmp_path, bad), "row 3")):
        for read in (read_plan, read_previous):
            assert problems(read, path, example_problem) == [(f"{at}.{column}", message)]


def test_every_bad_row_is_listed_with_its_first_problem(tmp_path, example_problem, rows):
    bad = [{**rows[0], "slot": "noon", "date": "x"}, rows[1], 3, {**rows[2], "date": "2027-13-01"}]
    for read in (read_plan, read_previous):
        assert problems(read, plan_json(tmp_path, bad), example_problem) == [
            ("sessions[0].date", "'x' is not a date; write YYYY-MM-DD"),
            ("sessions[2]", "expected an object with work_group, kind, date, slot"),
            ("sessions[3].date", "'2027-13-01' is not a date; write YYYY-MM-DD"),
        ]


STRICT = [
    ({"work_group": "gone"}, "work_group", "unknown work group 'gone'"),
    ({"work_group": "sec-dev-1", "kind": "visit", "school": "nowhere"}, "school", "sec-dev-1 has no visits to 'nowhere'"),
    ({"work_group": "sec-dev-1", "kind": "headteachers"}, "kind", "sec-dev-1 has no 'headteachers' sessions"),
    ({"teachers": ["ghost", "alex-khan", "nobody"]}, "teachers", "unknown teacher(s) ghost, nobody"),
    ({"venue": "nowhere"}, "venue", "unknown school 'nowhere'"),
    ({"specialist": "ghost"}, "specialist", "unknown specialist 'ghost'"),
]  # fmt: skip


@pytest.mark.parametrize("change, column, message", STRICT)
def test_check_refuses_what_the_instance_does_not_know_a_previous_plan_may_hold(
    tmp_path, example_problem, rows, change, column, message
):
    path = plan_json(tmp_path, [{**rows[0], **change}])
    assert problems(read_plan, path, example_problem) == [(f"sessions[0].{column}", message)]
    (session,), _ = read_previous(path, example_problem)
    assert session.work_group == change.get("work_group", rows[0]["work_group"])


def test_only_a_previous_plan_carries_revisions(tmp_path, example_problem, rows):
    live = [{**rows[0], "sequence": 2, "modified": "2027-01-04T00:00:00Z"}, rows[1]]
    path = plan_json(tmp_path, live, cancelled=[{**rows[2], "sequence": 1}])
    (first, second), (gone,) = read_previous(path, example_problem)
    assert (first.sequence, first.modified, second.sequence, gone.id, gone.sequence) == (
        2,
        "2027-01-04T00:00:00Z",
        0,
        rows[2]["id"],
        1,
    )
    checked = read_plan(path, example_problem)
    assert [s.id for s in checked] == [rows[0]["id"], rows[1]["id"]]
    assert (checked[0].sequence, checked[0].modified) == (0, None)
    path = plan_json(tmp_path, [{**rows[0], "sequence": "twice"}])
    assert read_plan(path, example_problem)
    assert problems(read_previous, path, example_problem) == [
        ("sessions[0].sequence", "must be a whole number")
    ]


def test_a_csv_without_venue_or_attendees_takes_them_from_the_instance(tmp_path):
    """A central event is found by its date, so it takes that event's venue."""
    problem = Problem.from_instance(load_instance(PATHWAYS))
    events = [a for a in problem.activities if a.wg == "smp-kim-lowe" and a.kind == "central"]
    assert len({a.venue for a in events}) > 1
    visit = problem.work_groups["se-newcastle-east"].activity("visit", "heaton-manor")
    rows = [
        *({"work_group": a.wg, "kind": "central", "date": min(a.dates), "slot": "day"} for a in events),
        {"work_group": "se-newcastle-east", "kind": "visit", "school": "heaton-manor", "date": "2026-09-17", "slot": "pm"},
    ]  # fmt: skip
    path = plan_csv(tmp_path, rows)
    for read in (read_plan, lambda p, pr: read_previous(p, pr)[0]):
        sessions = read(path, problem)
        assert [s.venue for s in sessions] == [a.venue for a in events] + ["heaton-manor"]
        assert sessions[-1].teachers == visit.teachers and sessions[-1].specialist == visit.leader
        assert sessions[-1].school == "heaton-manor" and sessions[0].school is None


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("plan.json", "[]", "not a plan.json (an object with a 'sessions' list)"),
        ("plan.json", '{"sessions": 3}', "not a plan.json (an object with a 'sessions' list)"),
        ("plan.csv", "work_group,kind,date,slot\n", "the CSV needs the columns work_group,kind,school,date,slot; missing school"),
        ("plan.csv", b"\xff\xfe", "cannot be read as UTF-8 text (UnicodeDecodeError)"),
    ],
)  # fmt: skip
def test_an_unreadable_file_is_one_message_naming_it(tmp_path, example_problem, name, text, message):
    path = tmp_path / name
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    for read in (read_plan, read_previous):
        assert problems(read, path, example_problem) == [("", f"{path}: {message}")]
    with pytest.raises(ReplanError) as exc:
        prepare(example_problem, path, None)
    assert exc.value.problems == [("--previous", f"{path}: {message}")]


def test_replanning_names_the_previous_plan_and_its_row(tmp_path, example_problem, rows):
    path = plan_json(tmp_path, [rows[0]], cancelled=[{**rows[1], "slot": "noon"}])
    with pytest.raises(ReplanError) as exc:
        prepare(example_problem, path, dt.date(2027, 1, 4))
    assert exc.value.problems == [(f"--previous {path}: cancelled[0].slot", "'noon' is not am, pm or day")]


def test_a_previous_plan_of_groups_since_removed_is_read(tmp_path, example_problem, rows):
    """Sessions of a Work Group the instance dropped are cancelled by re-planning, not refused."""
    gone = [{**r, "work_group": "sec-dev-9", "id": f"old-{i}"} for i, r in enumerate(rows[:3])]
    replan = prepare(example_problem, plan_json(tmp_path, [*rows, *gone]), dt.date(2027, 1, 4))
    assert sorted(s.id for s in replan.unknown) == ["old-0", "old-1", "old-2"]
    assert len(replan.previous) == len(rows)


def test_a_visit_without_its_school_is_refused_by_solve_and_check(tmp_path, rows):
    """Re-planning once crashed sorting such a visit beside others (exit 70)."""
    visit = next(r for r in rows if r["kind"] == "visit")
    path = plan_csv(tmp_path, [{**visit, "school": ""}, visit])
    for args in (["check", str(EXAMPLE), str(path)], ["solve", str(EXAMPLE), "--previous", str(path)]):
        proc = hubplan(*args, *(["--out", str(tmp_path / "o")] if args[0] == "solve" else []))
        assert proc.returncode == 2, proc.stderr
        assert "row 2.school: a visit names the school it visits" in proc.stderr
