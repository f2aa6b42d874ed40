"""Central events of the Specialist programme (DOMAIN.md): fixed by the programme, one event
for the whole cohort.

- R2: the trainee is released for a central event whatever their weekly release days (which
  govern development days only); unavailability and blackouts still hold.
- R3: the trainees at one event are at the same event: it takes its venue's capacity once,
  however many attend, and an online event takes no venue's; a trainee is still never in two
  places at once.

Each change is shown on the model (the rule alone, a plan forced on the tiny hub of
`test_rules_model`) and by `check` on a hand-made plan: the rule is the unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import icalendar
import pytest
import yaml
from conftest import ROOT
from test_cli import hubplan
from test_rules_model import GROUP, hub, person, verdict, wg

from models.load import load_instance, parse_instance
from scheduler.core.model import Label
from scheduler.core.plan import Plan, Session
from scheduler.core.problem import Problem
from scheduler.core.rules import RULE, check_plan
from scheduler.outputs.ics import calendar_files, session_uid
from scheduler.services.explain import explain_instance
from scheduler.services.plans import read_plan

D = dt.date.fromisoformat
CENTRAL = {"leader": "trainee", "venue": "central", "slots": ["am", "pm", "day"]}
DEVELOPMENT = {"leader": "trainee", "venue": "leader-school", "slots": ["day"]}
WEDNESDAY = "2026-09-09"


def cohort(events_a, events_b=(), extra_wgs=(), edit=None):
    """Trainees Tia (of Near) and Tom (of Far), released on Tuesdays and Thursdays, each in
    a Work Group of the programme `p` (central events and development days), with these
    central events; Home hosts one session a slot, the Hall (not a school) as many as come."""

    def edited(doc):
        doc["teachers"] += [
            {"id": "tia", "name": "Tia", "school": "near", "role": "trainee", "release_days": ["tue", "thu"]},
            {"id": "tom", "name": "Tom", "school": "far", "role": "trainee", "release_days": ["tue", "thu"]},
        ]
        doc["venues"] = [{"id": "hall", "name": "Conference Hall", "capacity": 1}]
        doc["programmes"]["meetings"] = {"streams": {"group": GROUP}}
        if edit is not None:
            edit(doc)

    wgs = [wg("a", "sam", "near", ["tia"], central_events=list(events_a))]
    if events_b:
        wgs.append(wg("b", "sam", "far", ["tom"], central_events=list(events_b)))
    return hub({"central": CENTRAL, "development": DEVELOPMENT, "group": GROUP}, [*wgs, *extra_wgs], edited)


def meetings(wg_id: str, venue: str) -> dict:
    """A Work Group of Tess's, not on the Specialist programme, meeting at `venue`."""
    return {**wg(wg_id, "tess", "far"), "programme": "meetings", "venue": venue}


def event(day=WEDNESDAY, venue="home", slot="day", what="Regional central event") -> dict:
    return {"date": day, "slot": slot, "what": what, **({"venue": venue} if venue else {})}


def session(wg_id, kind, day, slot, venue, leader, teachers=()) -> Session:
    return Session(D(day), slot, wg_id, kind, None, venue, leader, tuple(teachers))


# -- R2: released for a central event whatever the weekly release days ----------------------


def test_model_r2_releases_a_trainee_for_a_central_event_on_any_weekday():
    p = cohort([event()])
    assert verdict(p, "R2", {"a/central/1": [(WEDNESDAY, "day")]}) == "optimal"
    # Their development days still keep to the release days: not on that Wednesday.
    assert verdict(p, "R2", {"a/development": [(WEDNESDAY, "day")]}) == "infeasible"
    assert verdict(p, "R2", {"a/development": [("2026-09-08", "day")]}) == "optimal"


@pytest.mark.parametrize(
    "what, edit",
    [
        ("unavailable", lambda d: person(d, "tia").update(unavailable=[WEDNESDAY])),
        ("blackout", lambda d: d["schools"][1].update(blackouts=[{"from": WEDNESDAY, "to": WEDNESDAY}])),
    ],
)
def test_model_r2_still_holds_a_trainee_to_unavailability_and_blackouts(what, edit):
    p = cohort([event()], edit=edit)
    assert verdict(p, "R2", {"a/central/1": [(WEDNESDAY, "day")]}) == "infeasible", what


def test_check_r2_releases_a_trainee_for_a_central_event_on_any_weekday():
    p = cohort([event()])
    at_event = session("a", "central", WEDNESDAY, "day", "home", "tia", ["tia"])
    assert not [v for v in check_plan(p, [at_event]) if v.rule == "R2"]
    developing = session("a", "development", WEDNESDAY, "day", "near", "tia", ["tia"])
    assert any("Tia is not released on that weekday" in v.message for v in check_plan(p, [developing]))
    away = cohort([event()], edit=lambda d: person(d, "tia").update(unavailable=[WEDNESDAY]))
    assert any("Tia is unavailable" in v.message for v in check_plan(away, [at_event]) if v.rule == "R2")


# -- R3: one event for the cohort: its venue's capacity taken once ---------------------------


@pytest.mark.parametrize("venue", ["home", "hall"])  # a school, and a venue that is not one
def test_model_r3_trainees_at_one_event_take_its_venue_once(venue):
    p = cohort([event(venue=venue)], [event(venue=venue)])
    both = {"a/central/1": [(WEDNESDAY, "day")], "b/central/1": [(WEDNESDAY, "day")]}
    assert verdict(p, "R3", both) == "optimal"
    # Another event there then is a second event: over the capacity of 1.
    other = cohort([event(venue=venue)], [event(venue=venue, what="Another event")])
    assert verdict(other, "R3", both) == "infeasible"


def test_model_r3_an_event_still_takes_its_venue_from_other_sessions():
    meeting = meetings("c", "home")
    p = cohort([event()], [event()], [meeting])
    held = {"a/central/1": [(WEDNESDAY, "day")], "b/central/1": [(WEDNESDAY, "day")]}
    assert verdict(p, "R3", {**held, "c/group": [(WEDNESDAY, "pm")]}) == "infeasible"
    assert verdict(p, "R3", {**held, "c/group": [("2026-09-10", "pm")]}) == "optimal"


def test_model_r3_an_online_event_is_hosted_nowhere_but_the_trainee_is_there():
    meeting = meetings("c", "near")  # at Near, Tia's own school
    p = cohort([event(venue=None)], extra_wgs=[meeting])
    online = {"a/central/1": [(WEDNESDAY, "day")]}
    assert verdict(p, "R3", {**online, "c/group": [(WEDNESDAY, "am")]}) == "optimal"
    # Tia herself cannot be at the online event and at her development day.
    assert verdict(p, "R3", {**online, "a/development": [(WEDNESDAY, "day")]}) == "infeasible"


def test_check_r3_trainees_at_one_event_take_its_venue_once():
    p = cohort([event()], [event()], [meetings("c", "home")])
    tia = session("a", "central", WEDNESDAY, "day", "home", "tia", ["tia"])
    tom = session("b", "central", WEDNESDAY, "day", "home", "tom", ["tom"])
    assert not [v for v in check_plan(p, [tia, tom]) if v.rule == "R3"]
    meeting = session("c", "group", WEDNESDAY, "pm", "home", "tess")
    found = [v.message for v in check_plan(p, [tia, tom, meeting]) if v.rule == "R3"]
    assert found == ["home hosts 2 sessions on 2026-09-09 pm, capacity 1"]
    two = cohort([event()], [event(what="Another event")])
    other = session("b", "central", WEDNESDAY, "day", "home", "tom", ["tom"])
    assert any("home hosts 2 sessions" in v.message for v in check_plan(two, [tia, other]) if v.rule == "R3")


def test_check_r3_an_online_event_is_hosted_nowhere():
    p = cohort([event(venue=None)], extra_wgs=[meetings("c", "near")])
    online = session("a", "central", WEDNESDAY, "day", "near", "tia", ["tia"])
    meeting = session("c", "group", WEDNESDAY, "am", "near", "tess")
    assert not [v for v in check_plan(p, [online, meeting]) if v.rule == "R3"]
    developing = session("a", "development", WEDNESDAY, "day", "near", "tia", ["tia"])
    assert any("Tia is booked twice" in v.message for v in check_plan(p, [online, developing]))


# -- the bundled cohort: solved, checked, and shown as the programme's events ----------------

COHORT = ROOT / "instances" / "specialist-cohort-2026-27.yaml"
PATHWAYS = ROOT / "instances" / "pathways-hub-2026-27.yaml"


@pytest.fixture(scope="module")
def cohort_solved(tmp_path_factory):
    out = tmp_path_factory.mktemp("cohort") / "out"
    proc = hubplan("solve", str(COHORT), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def cohort_plan(cohort_solved):
    inst = load_instance(COHORT)
    return inst, read_plan(cohort_solved / "plan.json", Problem.from_instance(inst))


def test_the_bundled_cohort_is_what_the_done_when_asks_for(cohort_plan):
    """Trainees at central events on weekdays outside their release days, several at one
    event at a school (Belmont) and at one not a school (Sheffield)."""
    inst, sessions = cohort_plan
    release = {t.id: set(t.release_days) for t in inst.teachers if t.role == "trainee"}
    central = [s for s in sessions if s.kind == "central"]
    off_days = [s for s in central if s.date.strftime("%a").lower() not in release[s.specialist]]
    assert {s.specialist for s in off_days} >= {"ava-reid", "ben-cole", "cara-dunn", "dev-shah", "eli-ford"}
    at = defaultdict(set)
    for s in central:
        at[(s.date, s.venue)].add(s.specialist)
    assert len(at[(D("2027-02-03"), "belmont-academy")]) == 4 and "belmont-academy" in {
        s.id for s in inst.schools
    }
    assert len(at[(D("2026-10-07"), "ncetm-sheffield")]) == 4 and "ncetm-sheffield" in {
        v.id for v in inst.venues
    }
    # Belmont's Sustaining group meets on Wednesdays, but not when it hosts a regional event.
    meetings = {s.date for s in sessions if s.work_group == "su-belmont"}
    assert {s.date.weekday() for s in sessions if s.work_group == "su-belmont"} == {2}
    assert not meetings & {D("2027-02-03"), D("2027-03-10")}


def test_the_bundled_cohort_checks_clean(cohort_solved):
    proc = hubplan("check", str(COHORT), str(cohort_solved / "plan.json"))
    assert proc.returncode == 0, proc.stdout
    assert "no violations" in proc.stdout


def _events(path: Path) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_calendars_show_the_event_its_place_and_the_hub(cohort_solved):
    feed = _events(cohort_solved / "calendars" / "teachers" / "ava-reid.ics")
    by_day = {e["DTSTART"].dt.date(): e for e in feed}
    launch, online, regional = by_day[D("2026-10-07")], by_day[D("2026-12-02")], by_day[D("2027-02-03")]
    assert (str(launch["SUMMARY"]), str(launch["LOCATION"])) == (
        "Launch residential (day 1)",
        "NCETM central events (Sheffield)",
    )
    assert (str(online["SUMMARY"]), str(online["LOCATION"])) == ("Online central event", "Online")
    assert (str(regional["SUMMARY"]), str(regional["LOCATION"])) == (
        "Regional central event",
        "Belmont Academy",
    )
    for e in (launch, online, regional):
        assert str(e["ORGANIZER"]) == "mailto:noreply@hubplan.invalid"
        assert e["ORGANIZER"].params["CN"] == "Wear Valley Maths Hub"
        assert "Led by" not in str(e["DESCRIPTION"])
    development = next(e for e in feed if str(e["CATEGORIES"].cats[0]) == "development")
    assert development["ORGANIZER"].params["CN"] == "Ava Reid"  # her own days: she leads them
    # Belmont hosts each regional event once, however many trainees attend.
    hosted = [
        str(e["SUMMARY"]) for e in _events(cohort_solved / "calendars" / "schools" / "belmont-academy.ics")
    ]
    assert hosted.count("Regional central event") == 1 and hosted.count("Year 2 regional event") == 1


def test_the_uid_of_a_central_event_is_its_session_s(cohort_plan):
    """Calendar apps key on UIDs: a central event's is its session's, as before."""
    inst, sessions = cohort_plan
    s = next(s for s in sessions if s.kind == "central")
    files = calendar_files(inst, Plan(inst.name, "optimal", sessions=sessions))
    uids = {
        str(e["UID"])
        for e in icalendar.Calendar.from_ical(files[f"calendars/teachers/{s.specialist}.ics"]).walk("VEVENT")
    }
    assert session_uid(inst.name, s) in uids


def test_the_report_shows_the_event_and_its_place(cohort_solved):
    page = (cohort_solved / "report.html").read_text()
    assert "Launch residential (day 1) at NCETM central events (Sheffield)" in page
    assert "Online central event, online" in page
    assert "ncetm-sheffield" not in page
    belmont = page[page.index("<h3>Belmont Academy</h3>") :].split("</div>", 1)[0]
    assert belmont.count("Regional central event") == 1


# -- a real clash with a fixed event: explained by the event, its date and what blocks it ------

REGIONAL = "smp-ava-reid's central event 'Regional central event' on 2027-02-03, all day, at Belmont Academy"


def explained(path: Path, *edits) -> str:
    doc = yaml.safe_load(path.read_text())
    for edit in edits:
        edit(doc)
    feasible, text = explain_instance(Problem.from_instance(parse_instance(doc)), time_limit=20)
    assert not feasible, text
    return text


def entry(doc: dict, section: str, ident: str) -> dict:
    return next(x for x in doc[section] if x["id"] == ident)


@pytest.mark.parametrize(
    "edit, blocked, change",
    [
        (
            lambda d: entry(d, "teachers", "ava-reid").update(unavailable=["2027-02-03"]),
            "- R2: {event} is fixed by the programme and cannot be kept: Ava Reid is unavailable.",
            "make Ava Reid available on 2027-02-03 (teachers: ava-reid, unavailable)",
        ),
        (
            lambda d: entry(d, "schools", "hartside").update(closures=["2027-02-03"]),
            "- R1: {event} is fixed by the programme and cannot be kept: not a school day at Hartside "
            "School, Ava Reid's school.",
            None,  # a closure is the school's: nothing in the instance to change for it
        ),
        (
            lambda d: entry(d, "schools", "hartside").update(
                blackouts=[{"from": "2027-02-01", "to": "2027-02-05", "reason": "mock exams"}]
            ),
            "- R2: {event} is fixed by the programme and cannot be kept: inside a blackout at Hartside "
            "School (mock exams).",
            "lift Hartside School's blackout 'mock exams' on 2027-02-03 (schools: hartside, blackouts)",
        ),
        (
            lambda d: entry(d, "teachers", "ava-reid").update(
                commitments=[{"date": "2027-02-03", "slot": "am", "what": "Parents' evening"}]
            ),
            "- R3: {event} is fixed by the programme and cannot be kept: Ava Reid has a fixed commitment.",
            "move Ava Reid's commitments off 2027-02-03 (teachers: ava-reid, commitments)",
        ),
    ],
    ids=["unavailable", "closure", "blackout", "commitment"],
)
def test_a_central_event_the_trainee_cannot_keep_is_named_with_its_blocker(edit, blocked, change):
    text = explained(COHORT, edit)
    assert blocked.format(event=REGIONAL) in text.splitlines()
    if change is None:
        assert "Relax" not in text
    else:
        assert text.splitlines()[-1] == f"    - {change}"


def test_a_session_of_another_work_group_in_the_event_s_slot_is_named():
    """Kim Lowe is also in an Embedding group: its meeting pinned on her regional event."""
    pin = {"work_group": "se-newcastle-east", "kind": "group", "date": "2027-02-03", "slot": "am"}
    text = explained(PATHWAYS, lambda d: d["pinned"].append(pin))
    assert (
        "- R3: Kim Lowe must be at smp-kim-lowe's central event 'Regional central event' on 2027-02-03, "
        "all day, at Durham Conference Centre and pinned[2] (se-newcastle-east group meeting on 2027-02-03 "
        "am), both fixed, but cannot be in two places at once."
    ) in text
    assert "    - remove pinned[2]" in text


def test_a_session_at_the_event_s_school_venue_then_is_named():
    """Belmont hosts one session a slot: the regional event, for all four trainees, takes it."""
    pin = {"work_group": "su-belmont", "kind": "group", "date": "2027-02-03", "slot": "pm"}
    text = explained(COHORT, lambda d: d.update(pinned=[pin]))
    assert (
        "- R3: Belmont Academy hosts one session at a time, but the central event 'Regional central event' "
        "on 2027-02-03, all day (for smp-ava-reid, smp-ben-cole, smp-cara-dunn and smp-dev-shah) and "
        "pinned[0] (su-belmont group meeting on 2027-02-03 pm) are both fixed there then."
    ) in text
    assert "    - remove pinned[0]" in text


def test_a_central_event_in_a_clash_the_model_finds_is_named():
    """R11 says which event is fixed, on which date and slot, not the rule's title."""
    p = Problem.from_instance(load_instance(COHORT))
    act = next(a for a in p.activities if a.wg == "smp-ava-reid" and a.fixed)
    label = Label("R11", ("smp-ava-reid",), act.key)
    assert RULE["R11"].describe(label, p) == (
        "smp-ava-reid's central event 'Launch residential (day 1)' on 2026-10-07, all day, at NCETM central "
        "events (Sheffield) is fixed by the programme"
    )
