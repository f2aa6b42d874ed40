"""Re-planning: the past stays, only what a change touches moves, calendars update in place."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import icalendar
import pytest
import yaml
from conftest import EXAMPLE
from ical.calendar_stream import IcsCalendarStream
from test_cli import hubplan

TODAY = dt.date(2027, 1, 4)
BLACKOUT = (dt.date(2027, 1, 25), dt.date(2027, 2, 5))  # two weeks at Marsden Primary
AWAY = (dt.date(2027, 3, 1), dt.date(2027, 3, 5))  # a week Ria Patel is unavailable
LATER = dt.date(2027, 3, 8)  # the second re-plan


def changed_instance(tmp: Path) -> Path:
    """The example with a two-week blackout at one school and an unavailable week for a specialist."""
    doc = yaml.safe_load(EXAMPLE.read_text())
    school = next(s for s in doc["schools"] if s["id"] == "marsden")
    school["blackouts"] = [{"from": BLACKOUT[0], "to": BLACKOUT[1], "reason": "Ofsted follow-up"}]
    ria = next(p for p in doc["specialists"] if p["id"] == "ria-patel")
    ria["unavailable"] = [{"from": AWAY[0], "to": AWAY[1]}]
    path = tmp / "changed.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def without_secondary(changed: Path, tmp: Path) -> Path:
    """The changed instance after the secondary Work Group has been withdrawn."""
    doc = yaml.safe_load(changed.read_text())
    doc["work_groups"] = [w for w in doc["work_groups"] if w["id"] != "sec-dev-1"]
    doc["pinned"] = [p for p in doc.get("pinned") or [] if p["work_group"] != "sec-dev-1"]
    path = tmp / "withdrawn.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def sessions(out: Path) -> dict[str, dict]:
    return {s["id"]: s for s in json.loads((out / "plan.json").read_text())["sessions"]}


def replan_cli(instance: Path, previous: Path, today: dt.date, out: Path):
    return hubplan(
        "solve", str(instance), "--previous", str(previous), "--today", str(today), "--out", str(out)
    )


def changes(out: Path) -> list[dict]:
    with open(out / "changes.csv", newline="") as f:
        return list(csv.DictReader(f))


def touched(plan: dict[str, dict], marsden_people: set[str]) -> set[str]:
    """Sessions from TODAY on that the two changes make illegal where they are."""
    out = set()
    for sid, s in plan.items():
        day = dt.date.fromisoformat(s["date"])
        at_marsden = s["venue"] == "marsden" or bool(marsden_people & set(s["teachers"]))
        if BLACKOUT[0] <= day <= BLACKOUT[1] and at_marsden:
            out.add(sid)
        if AWAY[0] <= day <= AWAY[1] and s["specialist"] == "ria-patel":
            out.add(sid)
    return out


@pytest.fixture(scope="module")
def replans(tmp_path_factory):
    """A: first plan; B: re-plan after the changes from TODAY; C: re-plan of B from LATER
    after the secondary Work Group is withdrawn."""
    tmp = tmp_path_factory.mktemp("replan")
    changed = changed_instance(tmp)
    a, b, c = tmp / "a", tmp / "b", tmp / "c"
    first = hubplan("solve", str(EXAMPLE), "--out", str(a))
    assert first.returncode == 0, first.stderr
    second = hubplan(
        "solve", str(changed), "--previous", str(a / "plan.json"), "--today", str(TODAY), "--out", str(b)
    )
    assert second.returncode == 0, second.stderr
    withdrawn = without_secondary(changed, tmp)
    third = hubplan(
        "solve", str(withdrawn), "--previous", str(b / "plan.json"), "--today", str(LATER), "--out", str(c)
    )
    assert third.returncode == 0, third.stderr
    return {"a": a, "b": b, "c": c, "changed": changed, "withdrawn": withdrawn, "second": second}


def test_only_sessions_the_change_touches_move(replans):
    before, after = sessions(replans["a"]), sessions(replans["b"])
    must_move = touched(before, {"mar-t1", "mar-t2", "mar-head"})
    # The changes hit the plan (which sessions depends on where the first plan put them).
    assert must_move
    moved = {r["id"] for r in changes(replans["b"]) if r["change"] == "moved"}
    assert moved == must_move
    for sid, s in before.items():
        if sid not in moved:
            assert (after[sid]["date"], after[sid]["slot"]) == (s["date"], s["slot"]), sid
    for sid in moved:
        assert dt.date.fromisoformat(before[sid]["date"]) >= TODAY
        assert after[sid]["date"] != before[sid]["date"] or after[sid]["slot"] != before[sid]["slot"]
    summary = replans["second"].stdout
    kept = len(before) - len(must_move)
    assert f"changes: {kept} kept, {len(must_move)} moved, 0 added, 0 cancelled" in summary
    assert (
        "R2 inside a blackout at Marsden Primary (Ofsted follow-up)"
        in (replans["b"] / "changes.csv").read_text()
    )


def test_nothing_before_today_moves(replans):
    before, after = sessions(replans["b"]), sessions(replans["c"])
    past = [sid for sid, s in before.items() if dt.date.fromisoformat(s["date"]) < LATER]
    for sid in past:
        if before[sid]["work_group"] == "sec-dev-1":  # withdrawn: its past is history, not a change
            assert sid not in after
            assert sid not in {r["id"] for r in changes(replans["c"])}
        else:
            assert (after[sid]["date"], after[sid]["slot"]) == (before[sid]["date"], before[sid]["slot"]), sid


def test_check_passes_on_each_new_plan(replans):
    for instance, out in ((replans["changed"], "b"), (replans["withdrawn"], "c")):
        proc = hubplan("check", str(instance), str(replans[out] / "plan.json"))
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_withdrawn_work_group_is_cancelled_from_today_on(replans):
    rows = changes(replans["c"])
    cancelled = {r["id"] for r in rows if r["change"] == "cancelled"}
    sec_later = {
        sid
        for sid, s in sessions(replans["b"]).items()
        if s["work_group"] == "sec-dev-1" and dt.date.fromisoformat(s["date"]) >= LATER
    }
    assert cancelled == sec_later and cancelled
    assert not [r for r in rows if r["change"] == "moved"]


def events(path: Path) -> dict[str, icalendar.Event]:
    """UID -> VEVENT, parsed with icalendar; the file must parse with `ical` too."""
    data = path.read_bytes()
    IcsCalendarStream.calendar_from_ics(data.decode())
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_calendars_update_in_place_across_two_replans(replans):
    feed = "calendars/specialists/sam-jones.ics"  # in every run, through the withdrawal
    runs = [events(replans[k] / feed) for k in ("a", "b", "c")]
    ria = [events(replans[k] / "calendars/specialists/ria-patel.ics") for k in ("a", "b", "c")]
    for earlier, later in ((runs[0], runs[1]), (runs[1], runs[2]), (ria[0], ria[1]), (ria[1], ria[2])):
        for uid, ev in later.items():
            if uid in earlier:  # SEQUENCE never goes down
                assert int(ev["SEQUENCE"]) >= int(earlier[uid]["SEQUENCE"]), uid
    # A moved session keeps its UID, with a higher SEQUENCE and LAST-MODIFIED.
    moved = [uid for uid, ev in ria[1].items() if ria[0][uid]["DTSTART"].dt != ev["DTSTART"].dt]
    assert len(moved) == sum(r["change"] == "moved" for r in changes(replans["b"])) > 0
    for uid in moved:
        assert int(ria[1][uid]["SEQUENCE"]) == int(ria[0][uid]["SEQUENCE"]) + 1
        assert ria[1][uid]["LAST-MODIFIED"].dt > ria[0][uid]["LAST-MODIFIED"].dt
    kept = [uid for uid, ev in ria[1].items() if uid not in moved]
    for uid in kept:
        assert ria[1][uid]["LAST-MODIFIED"].dt == ria[0][uid]["LAST-MODIFIED"].dt
    # Dropped sessions stay as CANCELLED with a higher SEQUENCE until their date has passed.
    b, c = runs[1], runs[2]
    gone = {uid for uid, ev in c.items() if ev["STATUS"] == "CANCELLED"}
    assert gone
    for uid in gone:
        assert c[uid]["DTSTART"].dt.date() >= LATER
        assert int(c[uid]["SEQUENCE"]) == int(b[uid]["SEQUENCE"]) + 1
    assert all(ev["DTSTART"].dt.date() >= LATER for ev in c.values() if ev["STATUS"] == "CANCELLED")


def test_plan_json_carries_sequences_and_cancellations(replans):
    doc = json.loads((replans["c"] / "plan.json").read_text())
    assert doc["cancelled"] and all(s["sequence"] >= 1 for s in doc["cancelled"])
    assert "S5 changes" in doc["objective_terms"]


def test_replan_from_a_handmade_csv_removes_a_clash(tmp_path, replans):
    """A coordinator's spreadsheet with a double booking becomes a clash-free plan with the
    fewest changes."""
    plan = sessions(replans["a"])
    rows = sorted(plan.values(), key=lambda s: s["id"])
    clash = next(s for s in rows if s["id"] == "pri-dev-1-visit-weston-2")
    other = next(s for s in rows if s["id"] == "pri-dev-1-visit-brookvale-2")
    clash_date = other["date"], other["slot"]
    path = tmp_path / "hand.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["work_group", "kind", "school", "date", "slot"])
        for s in rows:
            date, slot = clash_date if s is clash else (s["date"], s["slot"])
            w.writerow([s["work_group"], s["kind"], s["school"] or "", date, slot])
    assert hubplan("check", str(EXAMPLE), str(path)).returncode == 1
    out = tmp_path / "out"
    proc = hubplan("solve", str(EXAMPLE), "--previous", str(path), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert hubplan("check", str(EXAMPLE), str(out / "plan.json")).returncode == 0
    moved = [r for r in changes(out) if r["change"] == "moved"]
    assert len(moved) == 1 and moved[0]["from_date"] == clash_date[0]


def test_replan_outputs_are_byte_identical(tmp_path, replans):
    outs = []
    for name in ("x", "y"):
        out = tmp_path / name
        proc = replan_cli(replans["changed"], replans["a"] / "plan.json", TODAY, out)
        assert proc.returncode == 0, proc.stderr
        outs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    assert outs[0] == {
        p.relative_to(replans["b"]): p.read_bytes() for p in sorted(replans["b"].rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    "args, message",
    [
        (["--today", "2027-01-04"], "--today: only means something with --previous"),
        (["--previous", "missing.json"], "missing.json: cannot be read"),
    ],
)
def test_bad_replan_arguments_exit_2(tmp_path, args, message):
    proc = hubplan("solve", str(EXAMPLE), "--out", str(tmp_path / "o"), *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "o").exists()


def test_bad_previous_row_names_row_and_field(tmp_path):
    path = tmp_path / "prev.csv"
    path.write_text("work_group,kind,school,date,slot\nsec-dev-1,group,,2027-02-30,am\n")
    proc = hubplan("solve", str(EXAMPLE), "--out", str(tmp_path / "o"), "--previous", str(path))
    assert proc.returncode == 2
    assert "row 2.date" in proc.stderr and "2027-02-30" in proc.stderr


def test_bundled_after_changes_instance_replans_moving_only_what_it_touches(tmp_path, replans):
    bundled = EXAMPLE.parent / "what-if" / "example-after-changes.yaml"
    out = tmp_path / "out"
    proc = replan_cli(bundled, replans["a"] / "plan.json", TODAY, out)
    assert proc.returncode == 0, proc.stderr
    before = sessions(replans["a"])
    n = len(touched(before, {"mar-t1", "mar-t2", "mar-head"}))
    assert f"changes: {len(before) - n} kept, {n} moved, 0 added, 0 cancelled" in proc.stdout
    assert hubplan("check", str(bundled), str(out / "plan.json")).returncode == 0


def test_replan_without_change_keeps_everything_central_events_too(tmp_path):
    """Central events are one activity each, found by date: a re-plan keeps them too."""
    hub = EXAMPLE.parent / "pathways-hub-2026-27.yaml"
    first = hubplan("solve", str(hub), "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert any(s["kind"] == "central" for s in sessions(tmp_path / "a").values())
    again = replan_cli(hub, tmp_path / "a" / "plan.json", dt.date(2027, 1, 4), tmp_path / "b")
    assert again.returncode == 0, again.stderr
    rows = changes(tmp_path / "b")
    assert rows and {r["change"] for r in rows} == {"kept"}
    assert sessions(tmp_path / "a").keys() == sessions(tmp_path / "b").keys()
