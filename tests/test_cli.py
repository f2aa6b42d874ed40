"""End to end: the CLI on the bundled instances, as a user runs it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import DATA, EXAMPLE, HUB, ROOT, SPEC_EXAMPLE


def hubplan(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=None if env is None else {**os.environ, **env},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    out = tmp_path_factory.mktemp("example") / "out"
    proc = hubplan("solve", str(EXAMPLE), "--out", str(out), "--time-limit", "30")
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_solve_writes_every_output(solved, example_instance):
    out, proc = solved
    assert proc.stdout.startswith("optimal:")
    for name in ("plan.json", "plan.csv", "costs.csv", "report.html"):
        assert (out / name).stat().st_size > 0, name
    for folder, items in (
        ("specialists", example_instance.specialists),
        ("teachers", example_instance.teachers),
        ("schools", example_instance.schools),
        ("work-groups", example_instance.work_groups),
    ):
        for item in items:
            assert (out / "calendars" / folder / f"{item.id}.ics").is_file()
    plan = json.loads((out / "plan.json").read_text())
    assert {"instance", "status", "objective", "best_bound", "solve_seconds", "sessions"} <= set(plan)
    assert plan["status"] == "optimal"
    keys = {"id", "work_group", "kind", "date", "slot", "venue", "school", "specialist", "teachers"}
    assert all(keys <= set(s) for s in plan["sessions"])
    assert len({s["id"] for s in plan["sessions"]}) == len(plan["sessions"])
    with open(out / "plan.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == [s["id"] for s in plan["sessions"]]
    assert set(plan["objective_terms"]) == {"S1 spread", "S2 preferences", "S3 travel", "S4 cost"}


def test_check_passes_on_the_solved_plan(solved):
    out, _ = solved
    proc = hubplan("check", str(EXAMPLE), str(out / "plan.json"))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith("no violations")


def test_check_reads_a_hand_made_csv(solved, tmp_path):
    out, _ = solved
    plan = json.loads((out / "plan.json").read_text())
    path = tmp_path / "hand.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["work_group", "kind", "school", "date", "slot"])
        for s in plan["sessions"]:
            w.writerow([s["work_group"], s["kind"], s["school"] or "", s["date"], s["slot"]])
    assert hubplan("check", str(EXAMPLE), str(path)).returncode == 0
    # Move the pinned launch meeting to the afternoon: R11 (and nothing unreadable).
    text = path.read_text().replace("sec-dev-1,group,,2026-11-05,am", "sec-dev-1,group,,2026-11-05,pm")
    path.write_text(text)
    proc = hubplan("check", str(EXAMPLE), str(path))
    assert proc.returncode == 1
    assert "R11: pinned[0]" in proc.stdout


def test_check_rejects_an_unreadable_plan(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text("work_group,kind,school,date,slot\nsec-dev-1,visit,nowhere,2026-13-01,am\n")
    proc = hubplan("check", str(EXAMPLE), str(path))
    assert proc.returncode == 2
    assert "row 2.school: sec-dev-1 has no visits to 'nowhere'" in proc.stderr


def test_contract_example_solves_and_checks(tmp_path):
    out = tmp_path / "out"
    example = SPEC_EXAMPLE
    assert hubplan("solve", str(example), "--out", str(out)).returncode == 0
    assert hubplan("check", str(example), str(out / "plan.json")).returncode == 0


def test_same_input_and_seed_give_identical_files(solved, tmp_path):
    out, _ = solved
    again = tmp_path / "again"
    assert hubplan("solve", str(EXAMPLE), "--out", str(again), "--time-limit", "30").returncode == 0
    assert all_files(out) == all_files(again)


def test_reproducible_whatever_the_hash_seed(tmp_path):
    """Model building never depends on set order: R12 on (venues 5 km apart count as far)."""
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["max_same_day_km"] = 5
    path = tmp_path / "near.yaml"
    path.write_text(yaml.safe_dump(raw))
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"out{hash_seed}"
        assert (
            hubplan("solve", str(path), "--out", str(out), env={"PYTHONHASHSEED": hash_seed}).returncode == 0
        )
        outs.append(all_files(out))
    assert outs[0] == outs[1]


def test_two_workers_reproduce_too(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert (
            hubplan("solve", str(EXAMPLE), "--out", str(out), "--workers", "2", "--seed", "7").returncode == 0
        )
    assert all_files(a) == all_files(b)


def test_outputs_replace_their_own_files_only(tmp_path):
    """A re-run replaces hubplan's files (a stale explanation.txt goes) and nothing else."""
    out = tmp_path / "home"
    out.mkdir()
    (out / "notes.docx").write_text("precious")
    (out / "explanation.txt").write_text("stale")
    (out / "calendars" / "old").mkdir(parents=True)
    assert hubplan("solve", str(EXAMPLE), "--out", str(out)).returncode == 0
    assert (out / "notes.docx").read_text() == "precious"
    assert not (out / "explanation.txt").exists()
    assert not (out / "calendars" / "old").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "notes.docx",
            "plan.json",
            "plan.csv",
            "costs.csv",
            "costs.xlsx",
            "report.html",
            "calendars",
            "manifest.json",
        ]
    )


def test_infeasible_spring_visit_is_explained(tmp_path):
    raw = yaml.safe_load(EXAMPLE.read_text())
    parkside = next(s for s in raw["schools"] if s["id"] == "parkside")
    parkside["blackouts"].append({"from": "2027-01-04", "to": "2027-03-26", "reason": "Year 11 mocks"})
    path = tmp_path / "clash.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    proc = hubplan("solve", str(path), "--out", str(out))
    assert proc.returncode == 1
    text = (out / "explanation.txt").read_text()
    assert "R7" in text and "Parkside High School" in text and "spring term" in text
    assert json.loads((out / "plan.json").read_text())["sessions"] == []


def test_illegal_pin_is_named(tmp_path):
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["pinned"][0]["date"] = "2026-11-04"  # a Wednesday: Sam Jones is released Tue/Thu
    path = tmp_path / "pin.yaml"
    path.write_text(yaml.safe_dump(raw))
    proc = hubplan("solve", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert "R11: pinned[0]" in proc.stderr and "Sam Jones is not released" in proc.stderr


@pytest.mark.parametrize("name", ["full-options.yaml", "defaults-only.yaml", "json-instance.json"])
def test_hand_written_instances_solve(name, tmp_path):
    path = DATA / name
    out = tmp_path / "out"
    proc = hubplan("solve", str(path), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert hubplan("check", str(path), str(out / "plan.json")).returncode == 0


def test_bundled_hub_solves_and_checks(tmp_path):
    out = tmp_path / "out"
    proc = hubplan("solve", str(HUB), "--out", str(out), "--time-limit", "60")
    assert proc.returncode == 0, proc.stderr
    assert hubplan("check", str(HUB), str(out / "plan.json")).returncode == 0


def test_no_plan_within_the_time_limit_exits_3(tmp_path):
    out = tmp_path / "out"
    proc = hubplan("solve", str(HUB), "--out", str(out), "--time-limit", "0.02")
    assert proc.returncode == 3
    assert "No plan found within the time limit" in proc.stderr
    assert not out.exists()


def test_every_solved_calendar_parses_with_two_parsers(solved):
    from ical.calendar_stream import IcsCalendarStream
    from icalendar import Calendar

    out, _ = solved
    plan = json.loads((out / "plan.json").read_text())
    feeds = sorted((out / "calendars").rglob("*.ics"))
    assert feeds
    seen_uids: dict[str, str] = {}
    for path in feeds:
        data = path.read_bytes()
        assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
        strict = IcsCalendarStream.calendar_from_ics(data.decode())
        loose = Calendar.from_ical(data)
        events = loose.walk("VEVENT")
        assert len(strict.events) == len(events)
        for ev in events:
            uid = str(ev["UID"])
            assert seen_uids.setdefault(uid, str(ev["SUMMARY"])) == str(ev["SUMMARY"])
    work_group_events = sum(
        len(Calendar.from_ical(p.read_bytes()).walk("VEVENT"))
        for p in (out / "calendars" / "work-groups").glob("*.ics")
    )
    assert work_group_events == len(plan["sessions"])


def test_user_text_is_escaped_in_report_and_csv(tmp_path):
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["hub"]["name"] = "<script>alert(1)</script> Hub"
    next(s for s in raw["schools"] if s["id"] == "oakfield")["name"] = '=HYPERLINK("http://x") <b>Oak</b>'
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "out"
    assert hubplan("solve", str(path), "--out", str(out)).returncode == 0
    html = (out / "report.html").read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>Oak</b>" not in html
    ics = (out / "calendars" / "schools" / "oakfield.ics").read_text()
    assert "=HYPERLINK" in ics  # plain text in a calendar, escaped by iCalendar rules
    assert "<b>" not in (out / "costs.csv").read_text()  # costs name schools by id only


def test_unwritable_out_exits_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = hubplan("solve", str(EXAMPLE), "--out", str(blocker / "sub"))
    assert proc.returncode == 2
    assert "cannot be written" in proc.stderr or "is a file" in proc.stderr
