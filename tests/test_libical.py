"""Stricter calendar checks: libical's parser and RFC 5546 restrictions, and hostile text.

libical runs in the system python (`/usr/bin/python3 tests/libical_check.py FILE...`), the one
with its GObject bindings; the tests skip when that python cannot load it. Every feed of a
solve of the example instance must pass, and so must every feed of a tiny instance whose
names carry CR/LF, iCalendar lines, control characters, long Welsh text and emoji; those
feeds must also parse with `icalendar` and the strict `ical`, hold exactly their sessions,
and show the texts (without their control characters) when read back.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import icalendar
import pytest
from conftest import ROOT
from ical.calendar_stream import IcsCalendarStream

from models.instance import Instance
from models.load import parse_instance
from scheduler.core.plan import Plan
from scheduler.core.problem import Problem
from scheduler.core.solve import SolveOptions, solve
from scheduler.outputs.ics import calendar_files

SYSTEM_PYTHON = Path("/usr/bin/python3")
CHECKER = ROOT / "tests" / "libical_check.py"

WELSH = (
    "Ysgol Gynradd Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch a'r Cylch; "
    "Ŵyr, ŷ â ê î ô û ẁ ẃ ẅ ỳ – ysgol gymunedol ddwyieithog, Ynys Môn 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
)
INJECTION = "Oak\r\nBEGIN:VEVENT\r\nUID:injected\r\nSUMMARY:evil\r\nEND:VEVENT\r\nEND:VCALENDAR\nfield"
CONTROL = "Con" + "".join(map(chr, range(0x20))) + "\x7ftrol"
EMOJI = "🏫 Emoji Academy 👩‍🏫🧮 😀"
TERMS = [
    {"name": "autumn", "start": "2026-09-03", "end": "2026-12-18", "half_term": ["2026-10-26", "2026-10-30"]},
    {"name": "spring", "start": "2027-01-05", "end": "2027-03-26", "half_term": ["2027-02-15", "2027-02-19"]},
    {"name": "summer", "start": "2027-04-12", "end": "2027-07-21", "half_term": ["2027-05-31", "2027-06-04"]},
]
SCHOOLS = {"welsh": WELSH, "inject": INJECTION, "control": CONTROL, "emoji": EMOJI}
PEOPLE = {
    "sam": 'Sam\x00 "Q" Jones;\nEND:VEVENT',
    "t-welsh": "Siân Ŵyn ap Dafydd",
    "t-inject": "Eve\r\nATTENDEE:mailto:eve@example.org",
    "t-control": "Del\x7fete\x1b[31m Red\x1b[0m",
    "t-emoji": "Zoë 😀 O'Brien, Jr.",
}
GROUP_NAME = "Sustaining\r\nBEGIN:VEVENT " + WELSH[:80]
COMMITMENT = "Central\r\nEND:VCALENDAR\tevent 🗓 ŷ"
HUB_NAME = "Hub\r\nEND:VCALENDAR " + WELSH[:100]
BLACKOUT_REASON = "Mocks\r\nBEGIN:VEVENT 🎓 ŵ\x07"


def shown(text: str) -> str:
    """What a calendar should show of `text`: control characters as spaces, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", text)).strip()


def nasty_raw() -> dict:
    """A tiny instance (one Sustaining Work Group: three meetings) full of hostile text."""
    return {
        "name": "nasty-2026-27",
        "hub": {"name": HUB_NAME, "tfm_lead": "sam"},
        "calendar": {"timezone": "Europe/London", "bank_holidays": "england", "terms": TERMS},
        "schools": [
            {
                "id": sid,
                "name": name,
                "phase": "secondary",
                "blackouts": [{"from": "2026-11-30", "to": "2026-12-04", "reason": BLACKOUT_REASON}],
            }
            for sid, name in SCHOOLS.items()
        ],
        "specialists": [
            {
                "id": "sam",
                "name": PEOPLE["sam"],
                "school": "welsh",
                "release_days": ["tue", "thu"],
                "commitments": [{"date": "2026-11-24", "slot": "day", "what": COMMITMENT}],
            }
        ],
        "teachers": [
            {"id": f"t-{sid}", "name": PEOPLE[f"t-{sid}"], "school": sid, "role": "advocate"}
            for sid in SCHOOLS
        ],
        "work_groups": [
            {
                "id": "sus-1",
                "name": GROUP_NAME,
                "programme": "sustaining",
                "specialist": "sam",
                "schools": [{"school": sid, "teachers": [f"t-{sid}"]} for sid in SCHOOLS],
            }
        ],
    }


def libical_problems(folder: Path, files: dict[str, bytes]) -> subprocess.CompletedProcess:
    """Write `files` under `folder` and run the libical check on all of them at once."""
    paths = []
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(str(path))
    return subprocess.run(
        [str(SYSTEM_PYTHON), str(CHECKER), *paths], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module", autouse=True)
def libical() -> None:
    """Skip the module unless the system python can load libical."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"{SYSTEM_PYTHON} not found; libical's bindings live there")
    probe = subprocess.run([str(SYSTEM_PYTHON), str(CHECKER), "--probe"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(
            f"{SYSTEM_PYTHON} cannot load libical (gir1.2-ical-3.0, python3-gi): {probe.stderr.strip()}"
        )


@pytest.fixture(scope="module")
def nasty() -> tuple[Instance, Plan, dict[str, bytes]]:
    instance = parse_instance(nasty_raw())
    plan = solve(Problem.from_instance(instance), SolveOptions(time_limit=10))
    assert plan.status in ("optimal", "feasible") and len(plan.sessions) == 3
    return instance, plan, calendar_files(instance, plan)


def expected_events(instance: Instance, plan: Plan, rel: str) -> int:
    """How many VEVENTs the feed at `rel` should hold: its sessions and commitments."""
    folder, ident = rel.removesuffix(".ics").split("/")[1:]
    if folder == "work-groups":
        return sum(s.work_group == ident for s in plan.sessions)
    if folder == "schools":
        home = {t.id: t.school for t in instance.teachers}
        return sum(ident in {s.venue, s.school, *(home[t] for t in s.teachers)} for s in plan.sessions)
    people = {p.id: p for p in (*instance.specialists, *instance.teachers)}
    return sum(ident in s.attendees for s in plan.sessions) + len(people[ident].commitments)


def test_example_feeds_pass_libical(example_instance, example_plan, tmp_path: Path) -> None:
    files = calendar_files(example_instance, example_plan)
    cancelled = Plan(example_plan.instance, "optimal", list(example_plan.sessions[1:]))
    replanned = calendar_files(
        example_instance,
        cancelled,
        sequences={example_plan.sessions[0].id: 1},
        cancelled=example_plan.sessions[:1],
    )
    assert b"STATUS:CANCELLED" in b"".join(replanned.values())
    for name, feeds in (("plan", files), ("replan", replanned)):
        proc = libical_problems(tmp_path / name, feeds)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout == ""


def test_the_check_reports_what_libical_rejects(example_instance, example_plan, tmp_path: Path) -> None:
    data = calendar_files(example_instance, example_plan)["calendars/work-groups/sec-dev-1.ics"]
    broken = {
        "no-dtstamp.ics": re.sub(rb"DTSTAMP:[^\r]*\r\n", b"", data, count=1),
        "bad-date.ics": data.replace(
            b"DTSTART;TZID=Europe/London:2026", b"DTSTART;TZID=Europe/London:x2026", 1
        ),
        "second-calendar.ics": data + data,
        "event-outside.ics": data + b"BEGIN:VEVENT\r\nUID:y\r\nEND:VEVENT\r\n",
    }
    proc = libical_problems(tmp_path, broken)
    assert proc.returncode == 1
    assert re.search(r"no-dtstamp\.ics: VEVENT \S+@hubplan: INVALID-ITIP: .*DTSTAMP", proc.stdout)
    assert re.search(r"bad-date\.ics: VEVENT \S+@hubplan: VALUE-PARSE-ERROR: .*DTSTART", proc.stdout)
    assert re.search(r"second-calendar\.ics: 2 top-level components \(VCALENDAR, VCALENDAR\)", proc.stdout)
    assert re.search(r"event-outside\.ics: 2 top-level components \(VCALENDAR, VEVENT\)", proc.stdout)


def test_hostile_text_passes_every_parser(nasty, tmp_path: Path) -> None:
    instance, plan, files = nasty
    proc = libical_problems(tmp_path, files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for rel, data in files.items():
        text = data.decode("utf-8")
        count = expected_events(instance, plan, rel)
        assert len(list(icalendar.Calendar.from_ical(text).walk("VEVENT"))) == count, rel
        assert len(IcsCalendarStream.calendar_from_ics(text).events) == count, rel
        lines = text.split("\r\n")
        assert lines.count("BEGIN:VEVENT") == count and lines.count("END:VCALENDAR") == 1, rel
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text), rel
        assert "UID:injected" not in lines and not any(line.startswith("ATTENDEE") for line in lines)
    assert sum(expected_events(instance, plan, rel) for rel in files) > len(files)  # not all empty


def feed(files: dict[str, bytes], rel: str) -> tuple[icalendar.Calendar, list]:
    """A feed read back by both parsers: the icalendar calendar and the strict `ical` events."""
    text = files[rel].decode("utf-8")
    return icalendar.Calendar.from_ical(text), IcsCalendarStream.calendar_from_ics(text).events


def test_hostile_text_survives_without_its_control_characters(nasty) -> None:
    _, plan, files = nasty
    for sid, name in SCHOOLS.items():
        loose, _ = feed(files, f"calendars/schools/{sid}.ics")
        assert str(loose["X-WR-CALNAME"]) == f"{shown(name)} – hubplan"
    for pid, name in PEOPLE.items():
        folder = "specialists" if pid == "sam" else "teachers"
        loose, _ = feed(files, f"calendars/{folder}/{pid}.ics")
        assert str(loose["X-WR-CALNAME"]) == f"{shown(name)} – hubplan"

    loose, strict = feed(files, "calendars/work-groups/sus-1.ics")
    assert str(loose["X-WR-CALNAME"]) == f"{shown(GROUP_NAME)} – hubplan"
    meeting = f"Group meeting – {shown(GROUP_NAME)}"
    assert [e.summary for e in strict] == [meeting] * len(plan.sessions)
    assert all(str(e["SUMMARY"]) == meeting for e in loose.walk("VEVENT"))
    assert {e.location for e in strict} == {shown(WELSH)}  # the venue: the specialist's school
    description = strict[0].description or ""
    assert f"Led by: {shown(PEOPLE['sam'])}" in description
    for pid, name in PEOPLE.items():
        assert shown(name) in description, pid
    organizer = loose.walk("VEVENT")[0]["ORGANIZER"]
    assert organizer.params["CN"] == shown(PEOPLE["sam"]).replace('"', "'")  # no quote in a parameter

    loose, strict = feed(files, "calendars/specialists/sam.ics")
    (commitment,) = [e for e in strict if e.dtstart.date() == dt.date(2026, 11, 24)]
    assert commitment.summary == shown(COMMITMENT)
    for rel, data in files.items():  # never written to a calendar: they must not leak half-way either
        assert b"Mocks" not in data and b"Hub " not in data, rel
