"""Calendar feeds (scheduler.outputs.ics): RFC 5545 publish feeds, checked by two parsers."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import icalendar
import pytest
from conftest import SPEC_EXAMPLE
from ical.calendar_stream import IcsCalendarStream

from models.instance import Instance
from models.load import load_instance
from scheduler.core.plan import Plan, Session
from scheduler.outputs import ics as export_ics
from scheduler.outputs.ics import calendar_files

GROUP = Session(
    date=dt.date(2026, 11, 5),
    slot="am",
    work_group="sec-dev-1",
    kind="group",
    school=None,
    venue="riverside",
    specialist="sam-jones",
    teachers=("alex-khan", "bea-lee", "chris-moss", "dee-nash"),
    id="sec-dev-1-group-1",
)
VISIT = Session(
    date=dt.date(2027, 4, 20),
    slot="day",
    work_group="sec-dev-1",
    kind="visit",
    school="oakfield",
    venue="oakfield",
    specialist="sam-jones",
    teachers=("alex-khan", "bea-lee"),
    id="sec-dev-1-visit-oakfield-1",
)
HEADS = Session(
    date=dt.date(2026, 11, 11),
    slot="pm",
    work_group="pri-dev-1",
    kind="headteachers",
    school=None,
    venue="lindale",
    specialist="jo-reed",
    teachers=("lin-head", "bro-head"),
    id="pri-dev-1-headteachers-1",
)
SESSIONS = [GROUP, VISIT, HEADS]

UTC = dt.timezone.utc
WELSH = "Ysgol Gyfun Gŵyr; Abertawe, 🧮"


@pytest.fixture(scope="module")
def instance() -> Instance:
    return load_instance(SPEC_EXAMPLE)


@pytest.fixture(scope="module")
def files(instance: Instance) -> dict[str, bytes]:
    return calendar_files(instance, Plan(instance=instance.name, status="optimal", sessions=list(SESSIONS)))


def with_school_name(instance: Instance, school_id: str, name: str) -> Instance:
    schools = [s.model_copy(update={"name": name}) if s.id == school_id else s for s in instance.schools]
    return instance.model_copy(update={"schools": schools})


def parse(data: bytes) -> icalendar.Calendar:
    """Parse with both icalendar and the strict `ical` package; return the icalendar one."""
    text = data.decode("utf-8")
    IcsCalendarStream.calendar_from_ics(text)
    return icalendar.Calendar.from_ical(text)


def events(data: bytes) -> list[icalendar.Event]:
    return list(parse(data).walk("VEVENT"))


def event_by_summary(data: bytes, start: str) -> icalendar.Event:
    (found,) = [e for e in events(data) if str(e["SUMMARY"]).startswith(start)]
    return found


def test_one_feed_for_everyone_and_nothing_else(instance: Instance, files: dict[str, bytes]) -> None:
    expected = {f"calendars/specialists/{p.id}.ics" for p in instance.specialists}
    expected |= {f"calendars/teachers/{p.id}.ics" for p in instance.teachers}
    expected |= {f"calendars/schools/{s.id}.ics" for s in instance.schools}
    expected |= {f"calendars/work-groups/{w.id}.ics" for w in instance.work_groups}
    assert set(files) == expected
    assert all(isinstance(v, bytes) for v in files.values())


def test_every_feed_parses_with_both_parsers(files: dict[str, bytes]) -> None:
    for path, data in files.items():
        text = data.decode("utf-8")
        strict = IcsCalendarStream.calendar_from_ics(text)
        loose = icalendar.Calendar.from_ical(text)
        assert len(strict.events) == len(list(loose.walk("VEVENT"))), path


def test_calendar_headers_and_timezone(files: dict[str, bytes]) -> None:
    cal = parse(files["calendars/specialists/sam-jones.ics"])
    assert str(cal["PRODID"]) == "-//hubplan//hubplan 0.1//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "Sam Jones – hubplan"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/London"
    assert str(parse(files["calendars/schools/oakfield.ics"])["X-WR-CALNAME"]) == "Oakfield School – hubplan"
    for data in files.values():
        zones = list(icalendar.Calendar.from_ical(data).walk("VTIMEZONE"))
        assert [str(z["TZID"]) for z in zones] == ["Europe/London"]


def test_empty_feed_has_only_the_timezone(files: dict[str, bytes]) -> None:
    data = files["calendars/specialists/ria-patel.ics"]
    assert events(data) == []
    assert b"BEGIN:VTIMEZONE" in data
    assert len(IcsCalendarStream.calendar_from_ics(data.decode()).timezones) == 1


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("specialists/sam-jones.ics", 3),  # group, visit, and the commitment
        ("specialists/jo-reed.ics", 1),  # leads the headteachers' meeting
        ("specialists/ria-patel.ics", 0),
        ("teachers/alex-khan.ics", 2),
        ("teachers/chris-moss.ics", 1),
        ("teachers/lin-head.ics", 1),
        ("teachers/lin-t1.ics", 0),
        ("schools/oakfield.ics", 2),  # its teachers at the group meeting, and the visit
        ("schools/riverside.ics", 1),  # venue of the group meeting
        ("schools/parkside.ics", 1),
        ("schools/lindale.ics", 1),  # venue and its headteacher: listed once
        ("schools/brookvale.ics", 1),
        ("schools/hollins.ics", 0),
        ("work-groups/sec-dev-1.ics", 2),
        ("work-groups/pri-dev-1.ics", 1),
    ],
)
def test_event_counts(files: dict[str, bytes], path: str, count: int) -> None:
    data = files[f"calendars/{path}"]
    assert len(events(data)) == count
    assert len(IcsCalendarStream.calendar_from_ics(data.decode()).events) == count
    assert data.split(b"\r\n").count(b"BEGIN:VEVENT") == count


def test_summaries_locations_and_description(files: dict[str, bytes]) -> None:
    data = files["calendars/specialists/sam-jones.ics"]
    group = event_by_summary(data, "Group meeting – sec-dev-1")
    assert str(group["LOCATION"]) == "Riverside Academy"
    description = str(group["DESCRIPTION"])
    assert "Sam Jones" in description
    for name in ("Alex Khan", "Bea Lee", "Chris Moss", "Dee Nash"):
        assert name in description
    visit = event_by_summary(data, "Visit to Oakfield School – sec-dev-1")
    assert str(visit["LOCATION"]) == "Oakfield School"
    commitment = event_by_summary(data, "Specialist central event")
    assert commitment.decoded("DTSTART").date() == dt.date(2026, 11, 24)
    heads = event_by_summary(files["calendars/teachers/lin-head.ics"], "Headteachers' meeting – pri-dev-1")
    assert str(heads["LOCATION"]) == "Lindale Primary"
    assert "Jo Reed" in str(heads["DESCRIPTION"]) and "Kay Grant" in str(heads["DESCRIPTION"])


def test_times_in_london_winter_and_summer(files: dict[str, bytes]) -> None:
    data = files["calendars/specialists/sam-jones.ics"]
    assert b"DTSTART;TZID=Europe/London:20261105T090000\r\n" in data
    group = event_by_summary(data, "Group meeting")
    start, end = group.decoded("DTSTART"), group.decoded("DTEND")
    assert start.astimezone(UTC) == dt.datetime(2026, 11, 5, 9, 0, tzinfo=UTC)  # GMT
    assert end.astimezone(UTC) == dt.datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
    visit = event_by_summary(data, "Visit to")  # a day: am start to pm end, in BST
    assert visit.decoded("DTSTART").astimezone(UTC) == dt.datetime(2027, 4, 20, 8, 0, tzinfo=UTC)
    assert visit.decoded("DTEND").astimezone(UTC) == dt.datetime(2027, 4, 20, 14, 30, tzinfo=UTC)
    heads = event_by_summary(files["calendars/specialists/jo-reed.ics"], "Headteachers")
    assert heads.decoded("DTSTART").astimezone(UTC) == dt.datetime(2026, 11, 11, 13, 0, tzinfo=UTC)
    assert heads.decoded("DTEND").astimezone(UTC) == dt.datetime(2026, 11, 11, 15, 30, tzinfo=UTC)

    strict = IcsCalendarStream.calendar_from_ics(data.decode())
    offsets = {e.summary: e.dtstart.utcoffset() for e in strict.events}
    assert offsets["Group meeting – sec-dev-1"] == dt.timedelta(0)
    assert offsets["Visit to Oakfield School – sec-dev-1"] == dt.timedelta(hours=1)


def test_slot_times_come_from_the_instance(instance: Instance) -> None:
    slots = instance.calendar.slots.model_copy(update={"am": "08:45-12:15", "pm": "13:15-16:00"})
    changed = instance.model_copy(update={"calendar": instance.calendar.model_copy(update={"slots": slots})})
    data = calendar_files(changed, Plan(changed.name, "optimal", [VISIT]))[
        "calendars/work-groups/sec-dev-1.ics"
    ]
    (visit,) = events(data)
    assert visit.decoded("DTSTART").time() == dt.time(8, 45)
    assert visit.decoded("DTEND").time() == dt.time(16, 0)


def test_no_attendee_and_organizer_without_invented_address(
    instance: Instance, files: dict[str, bytes]
) -> None:
    for data in files.values():
        assert b"ATTENDEE" not in data
        for person in (*instance.specialists, *instance.teachers):
            assert f"{person.id}@".encode() not in data
    group = event_by_summary(files["calendars/specialists/sam-jones.ics"], "Group meeting")
    assert str(group["ORGANIZER"]) == "mailto:noreply@hubplan.invalid"
    assert group["ORGANIZER"].params["CN"] == "Sam Jones"


def test_organizer_uses_the_email_when_given(instance: Instance) -> None:
    specialists = [
        s.model_copy(update={"email": "sam.jones@example.org"}) if s.id == "sam-jones" else s
        for s in instance.specialists
    ]
    changed = instance.model_copy(update={"specialists": specialists})
    data = calendar_files(changed, Plan(changed.name, "optimal", [GROUP]))[
        "calendars/work-groups/sec-dev-1.ics"
    ]
    (group,) = events(data)
    assert str(group["ORGANIZER"]) == "mailto:sam.jones@example.org"
    assert group["ORGANIZER"].params["CN"] == "Sam Jones"


def test_uids_are_opaque_unique_and_stable(instance: Instance, files: dict[str, bytes]) -> None:
    words = {p.id for p in (*instance.specialists, *instance.teachers)}
    words |= {p.name for p in (*instance.specialists, *instance.teachers)}
    uids: dict[str, str] = {}
    for data in files.values():
        for event in events(data):
            uid = str(event["UID"])
            assert re.fullmatch(r"[0-9a-f]{32}@hubplan", uid), uid
            assert not any(w in uid for w in words)
            uids.setdefault(uid, str(event["SUMMARY"]))
            assert uids[uid] == str(event["SUMMARY"])  # one UID, one event, in every feed
    assert len(uids) == len(SESSIONS) + sum(len(p.commitments) for p in instance.specialists)

    moved = replace(GROUP, date=dt.date(2026, 11, 12))
    again = calendar_files(instance, Plan(instance.name, "optimal", [moved]))
    (event,) = events(again["calendars/work-groups/sec-dev-1.ics"])
    (before,) = [
        e for e in events(files["calendars/work-groups/sec-dev-1.ics"]) if e["SUMMARY"] == event["SUMMARY"]
    ]
    assert event["UID"] == before["UID"]  # a moved session keeps its UID


def test_uid_without_session_id_is_stable_and_distinct(instance: Instance) -> None:
    a = replace(GROUP, id="")
    b = replace(GROUP, id="", date=dt.date(2026, 11, 19))
    first = calendar_files(instance, Plan(instance.name, "optimal", [a, b]))
    second = calendar_files(instance, Plan(instance.name, "optimal", [a, b]))
    assert first == second
    uids = [str(e["UID"]) for e in events(first["calendars/work-groups/sec-dev-1.ics"])]
    assert len(set(uids)) == 2


def test_feeds_spliced_from_shared_events_are_what_icalendar_writes_whole(
    instance: Instance, files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each event is serialised once and spliced into every feed that has it; the bytes
    are those of building each feed as one icalendar Calendar and writing it whole."""

    def whole(self, name, items):
        cal = self.calendar(name)
        cal.add_component(self.timezone)
        for item in self.in_order(items):
            cal.add_component(item.event)
        return cal.to_ical()

    monkeypatch.setattr(export_ics._Encoder, "feed", whole)
    assert (
        calendar_files(instance, Plan(instance=instance.name, status="optimal", sessions=list(SESSIONS)))
        == files
    )
    assert sum(b"BEGIN:VEVENT" in data for data in files.values()) > 1


def test_bytes_are_deterministic(instance: Instance, files: dict[str, bytes]) -> None:
    again = calendar_files(instance, Plan(instance.name, "optimal", list(SESSIONS)))
    shuffled = calendar_files(instance, Plan(instance.name, "optimal", list(reversed(SESSIONS))))
    assert again == files
    assert shuffled == files
    assert list(again) == sorted(again)


def test_dtstamp_comes_from_the_plan(instance: Instance, files: dict[str, bytes]) -> None:
    for event in events(files["calendars/specialists/sam-jones.ics"]):
        assert event.decoded("DTSTAMP") == dt.datetime(2026, 11, 5, tzinfo=UTC)  # earliest session
        assert event.decoded("LAST-MODIFIED") == dt.datetime(2026, 11, 5, tzinfo=UTC)
    empty = calendar_files(instance, Plan(instance.name, "infeasible", []))
    (commitment,) = events(empty["calendars/specialists/sam-jones.ics"])
    assert commitment.decoded("DTSTAMP") == dt.datetime(2000, 1, 1, tzinfo=UTC)
    stamp = dt.datetime(2026, 9, 1, 12, 30, tzinfo=UTC)
    given = calendar_files(instance, Plan(instance.name, "optimal", [GROUP]), dtstamp=stamp)
    (group,) = events(given["calendars/work-groups/sec-dev-1.ics"])
    assert group.decoded("DTSTAMP") == stamp


def test_sequence_and_status(instance: Instance, files: dict[str, bytes]) -> None:
    for event in events(files["calendars/work-groups/sec-dev-1.ics"]):
        assert event["SEQUENCE"] == 0
        assert str(event["STATUS"]) == "CONFIRMED"
    dropped = replace(
        VISIT,
        id="sec-dev-1-visit-parkside-1",
        school="parkside",
        venue="parkside",
        teachers=("chris-moss", "dee-nash"),
    )
    replanned = calendar_files(
        instance,
        Plan(instance.name, "optimal", [GROUP]),
        sequences={GROUP.id: 2, dropped.id: 1},
        cancelled=[dropped, GROUP],  # GROUP is still planned: not cancelled
    )
    by_summary = {str(e["SUMMARY"]): e for e in events(replanned["calendars/work-groups/sec-dev-1.ics"])}
    assert set(by_summary) == {"Group meeting – sec-dev-1", "Visit to Parkside High School – sec-dev-1"}
    assert by_summary["Group meeting – sec-dev-1"]["SEQUENCE"] == 2
    assert str(by_summary["Group meeting – sec-dev-1"]["STATUS"]) == "CONFIRMED"
    cancelled = by_summary["Visit to Parkside High School – sec-dev-1"]
    assert str(cancelled["STATUS"]) == "CANCELLED" and cancelled["SEQUENCE"] == 1
    teacher = replanned["calendars/teachers/chris-moss.ics"]
    assert b"STATUS:CANCELLED" in teacher and len(events(teacher)) == 2
    strict = IcsCalendarStream.calendar_from_ics(teacher.decode())
    assert sorted(e.status.value for e in strict.events if e.status) == ["CANCELLED", "CONFIRMED"]


def test_control_characters_are_stripped(instance: Instance) -> None:
    evil = "Oak\x07field\r\nBEGIN:VEVENT\x7f\x85School"
    changed = with_school_name(instance, "oakfield", evil)
    feeds = calendar_files(changed, Plan(changed.name, "optimal", list(SESSIONS)))
    for data in feeds.values():
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", data)
        assert "\x85" not in data.decode()
        assert data.split(b"\r\n").count(b"BEGIN:VEVENT") == len(events(data))  # text, not lines
    data = feeds["calendars/schools/oakfield.ics"]
    assert len(events(data)) == 2
    visit = event_by_summary(data, "Visit to")
    assert str(visit["LOCATION"]) == "Oak field BEGIN:VEVENT School"
    assert str(parse(data)["X-WR-CALNAME"]) == "Oak field BEGIN:VEVENT School – hubplan"


def test_control_characters_in_commitments_and_person_names(instance: Instance) -> None:
    specialists = [
        s.model_copy(
            update={
                "name": "Sam\x00 Jones\n",
                "commitments": [
                    c.model_copy(update={"what": "Central\r\nEND:VCALENDAR\tevent"}) for c in s.commitments
                ],
            }
        )
        if s.id == "sam-jones"
        else s
        for s in instance.specialists
    ]
    changed = instance.model_copy(update={"specialists": specialists})
    data = calendar_files(changed, Plan(changed.name, "optimal", [GROUP]))[
        "calendars/specialists/sam-jones.ics"
    ]
    assert data.split(b"\r\n").count(b"END:VCALENDAR") == 1
    assert {str(e["SUMMARY"]) for e in events(data)} == {
        "Group meeting – sec-dev-1",
        "Central END:VCALENDAR event",
    }
    assert str(parse(data)["X-WR-CALNAME"]) == "Sam Jones – hubplan"


def test_unicode_commas_and_semicolons_round_trip(instance: Instance) -> None:
    changed = with_school_name(instance, "oakfield", WELSH)
    data = calendar_files(changed, Plan(changed.name, "optimal", list(SESSIONS)))[
        "calendars/schools/oakfield.ics"
    ]
    visit = event_by_summary(data, "Visit to")
    assert str(visit["LOCATION"]) == WELSH
    assert str(visit["SUMMARY"]) == f"Visit to {WELSH} – sec-dev-1"
    assert str(icalendar.Calendar.from_ical(data)["X-WR-CALNAME"]) == f"{WELSH} – hubplan"
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    (strict_visit,) = [e for e in strict.events if e.summary and e.summary.startswith("Visit to")]
    assert strict_visit.location == WELSH
    assert strict_visit.summary == f"Visit to {WELSH} – sec-dev-1"


def test_lines_are_crlf_and_folded_at_75_octets(instance: Instance) -> None:
    long_name = ("Ysgol Gymraeg Gŵyr a'r Cylch; 🧮, " * 6).strip()[:200]
    changed = with_school_name(instance, "oakfield", long_name)
    feeds = calendar_files(changed, Plan(changed.name, "optimal", list(SESSIONS)))
    for data in feeds.values():
        assert data.endswith(b"\r\n")
        assert b"\n" not in data.replace(b"\r\n", b"")
        assert b"\r" not in data.replace(b"\r\n", b"")
        for line in data.split(b"\r\n"):
            assert len(line) <= 75
            line.decode("utf-8")  # never split inside a character
    visit = event_by_summary(feeds["calendars/schools/oakfield.ics"], "Visit to")
    assert str(visit["LOCATION"]) == long_name
