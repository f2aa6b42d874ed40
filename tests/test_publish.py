"""`hubplan publish` (scheduler.operations.publish) against a real Radicale CalDAV server.

One Radicale runs for the module on 127.0.0.1 (htpasswd auth, `owner_only` rights, storage in
a temporary folder); each test publishes as its own user, so tests share no calendars. What is
checked is what a CalDAV client reads back, through the `caldav` library.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote

import caldav
import icalendar
import pytest
from click.testing import CliRunner
from conftest import ROOT

from scheduler.core.plan import Plan, Session
from scheduler.operations.publish import (
    PublishError,
    Summary,
    fingerprint,
    publish,
    read_feeds,
    resource_name,
    split_feed,
)
from scheduler.outputs.ics import calendar_files

pytest.importorskip("radicale", reason="Radicale is not installed; it is the CalDAV server of these tests")

STAMP = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
RADICALE_CONFIG = """\
[server]
hosts = 127.0.0.1:{port}
[auth]
type = htpasswd
htpasswd_filename = {users}
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = {storage}
[web]
type = none
[logging]
level = warning
"""


# --- the server --------------------------------------------------------------------------


@dataclass
class Radicale:
    """A running server: its address, and its htpasswd file to add users to."""

    url: str
    users: Path
    numbers: Iterator[int]

    def account(self) -> tuple[str, str]:
        """A new user of the server (Radicale reads the htpasswd file at every login)."""
        user, password = f"user{next(self.numbers)}", secrets.token_urlsafe(12)
        with self.users.open("a", encoding="utf-8") as f:
            f.write(f"{user}:{password}\n")
        return user, password


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url: str, proc: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Radicale exited with {proc.returncode}: {log.read_text()}")
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="OPTIONS"), timeout=1)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer (401 included) means it is up
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"Radicale did not answer within {seconds} s: {log.read_text()}")


def scratch_folder(fallback: Path) -> Path:
    """A new folder in RAM where there is one (Radicale syncs every write to disk), else in `fallback`."""
    shm = Path("/dev/shm")
    return Path(
        tempfile.mkdtemp(prefix="hubplan-radicale-", dir=shm if os.access(shm, os.W_OK) else fallback)
    )


@pytest.fixture(scope="module")
def radicale(tmp_path_factory) -> Iterator[Radicale]:
    """One Radicale for the module, on a free port; its storage is removed afterwards."""
    base = tmp_path_factory.mktemp("radicale")
    users = base / "users"
    users.write_text("")
    storage = scratch_folder(base)
    port = free_port()
    config = base / "config"
    config.write_text(RADICALE_CONFIG.format(port=port, users=users, storage=storage / "collections"))
    log = base / "radicale.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_answering(url, proc, log)
        yield Radicale(url, users, itertools.count(1))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(storage, ignore_errors=True)


# --- what a client reads back ------------------------------------------------------------


@dataclass
class Stored:
    """One resource as the server hands it out, parsed when first looked at."""

    etag: str
    raw: bytes

    @cached_property
    def calendar(self) -> icalendar.Calendar:
        return icalendar.Calendar.from_ical(self.raw)

    @property
    def event(self) -> icalendar.Event:
        (event,) = [c for c in self.calendar.subcomponents if c.name == "VEVENT"]
        return event


@dataclass(frozen=True)
class Collection:
    display_name: str
    resources: dict[str, Stored]  # by resource name

    def uids(self) -> set[str]:
        """The UIDs held, from the resource names (`<UID>.ics`, checked once against the data)."""
        return {name.removesuffix(".ics") for name in self.resources}


def read_server(url: str, user: str, password: str) -> dict[str, Collection]:
    """Every calendar of `user`, by collection id, as the caldav library reads it."""
    principal = caldav.DAVClient(url=url, username=user, password=password).principal()
    out: dict[str, Collection] = {}
    for calendar in principal.get_calendars():
        resources = {
            unquote(str(obj.url).rsplit("/", 1)[-1]): Stored(obj.etag, obj.raw_data)
            for obj in calendar.get_events()
        }
        out[str(calendar.id)] = Collection(str(calendar.get_display_name()), resources)
    return out


# --- solve-like folders ------------------------------------------------------------------


def write_folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def collection_of(rel: str) -> str:
    """calendars/specialists/sam-jones.ics -> specialists-sam-jones"""
    folder, name = rel.split("/")[1:]
    return f"{folder}-{name.removesuffix('.ics')}"


def feed_uids(files: dict[str, bytes]) -> dict[str, set[str]]:
    """The UIDs of each feed, by the collection it becomes."""
    return {
        collection_of(rel): {str(e["UID"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}
        for rel, data in files.items()
    }


@dataclass(frozen=True)
class Replan:
    """Three solve-like folders: a plan, a re-plan (one moved, one dropped), the dropped one gone."""

    first: dict[str, bytes]
    second: dict[str, bytes]
    third: dict[str, bytes]
    folders: tuple[Path, Path, Path]
    moved: Session  # as re-planned
    moved_uid: str
    dropped_uid: str

    def feeds_with(self, uid: str) -> set[str]:
        return {c for c, uids in feed_uids(self.first).items() if uid in uids}


def uid_of(files: dict[str, bytes], summary_start: str, date: dt.date) -> str:
    for data in files.values():
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            if str(event["SUMMARY"]).startswith(summary_start) and event.decoded("DTSTART").date() == date:
                return str(event["UID"])
    raise AssertionError(f"no event {summary_start!r} on {date}")


@pytest.fixture(scope="module")
def replan(tmp_path_factory, example_instance, example_plan) -> Replan:
    sessions = list(example_plan.sessions)
    original = next(s for s in sessions if s.kind == "group" and s.work_group == "sec-dev-1")
    dropped = next(s for s in sessions if s.kind == "visit" and s.work_group == "sec-dev-1")
    moved = replace(original, date=original.date + dt.timedelta(days=7))
    kept = [moved if s is original else s for s in sessions if s is not dropped]
    plan = Plan(example_plan.instance, "optimal", kept)
    first = calendar_files(example_instance, example_plan, dtstamp=STAMP)
    second = calendar_files(
        example_instance,
        plan,
        sequences={moved.id: 1, dropped.id: 1},
        cancelled=[dropped],
        dtstamp=STAMP,
    )
    third = calendar_files(example_instance, plan, sequences={moved.id: 1}, dtstamp=STAMP)
    base = tmp_path_factory.mktemp("replan")
    folders = tuple(
        write_folder(base / name, files) for name, files in zip(("a", "b", "c"), (first, second, third))
    )
    return Replan(
        first,
        second,
        third,
        folders,
        moved,
        uid_of(first, "Group meeting – sec-dev-1", original.date),
        uid_of(first, "Visit to", dropped.date),
    )


@dataclass(frozen=True)
class Journey:
    """Publish a plan twice, its re-plan twice, then the re-plan without the dropped event."""

    summaries: list[Summary]  # of each of the five publishes
    servers: list[dict[str, Collection]]  # what a client reads after each


@pytest.fixture(scope="module")
def journey(radicale: Radicale, replan: Replan) -> Journey:
    user, password = radicale.account()
    summaries, servers = [], []
    plan, replanned, gone = replan.folders
    for folder in (plan, plan, replanned, replanned, gone):
        summaries.append(publish(folder, radicale.url, user, password))
        servers.append(read_server(radicale.url, user, password))
    return Journey(summaries, servers)


def total_events(files: dict[str, bytes]) -> int:
    return sum(len(uids) for uids in feed_uids(files).values())


# --- tests without a server ----------------------------------------------------------------


def test_resource_names_are_the_uid_or_a_safe_hashed_form() -> None:
    assert resource_name("0123abcd@hubplan") == "0123abcd@hubplan.ics"
    odd = resource_name("../../x y/é?#")
    assert odd.endswith(".ics") and "/" not in odd and "?" not in odd and ".." not in odd
    assert resource_name("a/b") != resource_name("a?b")  # the hash keeps them apart
    assert resource_name("a" * 300).startswith("a" * 60) and len(resource_name("a" * 300)) < 100
    assert not resource_name(".hidden").startswith(".")  # servers refuse dot-files


def test_fingerprint_ignores_order_folding_and_quoting() -> None:
    a = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:a\\, b\r\n"
        b"ORGANIZER;CN=Sam Jones:mailto:a@b.c\r\nSEQUENCE:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    b = (
        b'BEGIN:VCALENDAR\nPRODID:y\nVERSION:2.0\nBEGIN:VEVENT\nSEQUENCE:1\nORGANIZER;CN="Sam Jones":mailto:a@b.c\n'
        b"SUMMARY:a\\,\n  b\nUID:1\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(a.replace(b"SEQUENCE:1", b"SEQUENCE:2"))


def test_a_feed_splits_into_one_resource_per_uid(replan: Replan) -> None:
    data = replan.second["calendars/work-groups/sec-dev-1.ics"]
    name, resources = split_feed(data, "x.ics")
    assert name == "sec-dev-1 – hubplan"
    assert {r.uid for r in resources} == feed_uids(replan.second)["work-groups-sec-dev-1"]
    for res in resources:
        cal = icalendar.Calendar.from_ical(res.body)
        assert "METHOD" not in cal  # RFC 4791 4.1: no METHOD in a calendar object resource
        assert [c.name for c in cal.subcomponents] == ["VTIMEZONE", "VEVENT"]
        assert str(cal.subcomponents[1]["UID"]) == res.uid and res.name == f"{res.uid}.ics"
        assert fingerprint(res.body) == res.fingerprint  # as the server's copy will be compared


def test_not_a_solve_output_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="not a `hubplan solve` output"):
        read_feeds(tmp_path)
    with pytest.raises(PublishError, match="no such folder"):
        read_feeds(tmp_path / "missing")
    (tmp_path / "calendars" / "teachers").mkdir(parents=True)
    (tmp_path / "calendars" / "teachers" / "Bad Name.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(PublishError, match="not a hubplan feed name"):
        read_feeds(tmp_path)


# --- publishing --------------------------------------------------------------------------


def test_first_publish_makes_one_calendar_per_feed(journey: Journey, replan: Replan) -> None:
    summary, server = journey.summaries[0], journey.servers[0]
    assert set(server) == set(feed_uids(replan.first))
    assert (summary.calendars, summary.new_calendars) == (len(replan.first), len(replan.first))
    assert (summary.created, summary.updated, summary.deleted, summary.unchanged) == (
        total_events(replan.first),
        0,
        0,
        0,
    )
    assert summary.exit_code == 0 and not summary.rejected
    for rel, data in replan.first.items():
        expected = str(icalendar.Calendar.from_ical(data)["X-WR-CALNAME"])
        assert server[collection_of(rel)].display_name == expected
    assert server["specialists-sam-jones"].display_name == "Sam Jones – hubplan"


def test_each_event_is_its_own_resource_with_its_timezone(journey: Journey, replan: Replan) -> None:
    for collection, uids in feed_uids(replan.first).items():
        stored = journey.servers[0][collection].resources
        assert set(stored) == {f"{uid}.ics" for uid in uids}, collection
        for name, resource in stored.items():
            assert f"{resource.event['UID']}.ics" == name
            assert [str(z["TZID"]) for z in resource.calendar.walk("VTIMEZONE")] == ["Europe/London"]
            assert "METHOD" not in resource.calendar


def test_events_per_calendar_equal_the_feed_after_each_publish(journey: Journey, replan: Replan) -> None:
    feeds = (replan.first, replan.first, replan.second, replan.second, replan.third)
    for files, server in zip(feeds, journey.servers):
        expected = feed_uids(files)
        assert {c: server[c].uids() for c in expected} == expected


def test_publishing_twice_changes_nothing(journey: Journey, replan: Replan) -> None:
    for before, after, files in ((0, 1, replan.first), (2, 3, replan.second)):
        summary = journey.summaries[after]
        assert (summary.created, summary.updated, summary.deleted, summary.new_calendars) == (0, 0, 0, 0)
        assert summary.unchanged == total_events(files) and summary.exit_code == 0
        etags = [
            {c: {n: r.etag for n, r in col.resources.items()} for c, col in journey.servers[i].items()}
            for i in (before, after)
        ]
        assert etags[0] == etags[1]  # nothing was written


def test_replan_updates_the_moved_event_in_place(journey: Journey, replan: Replan) -> None:
    feeds = replan.feeds_with(replan.moved_uid)
    assert "work-groups-sec-dev-1" in feeds and "specialists-sam-jones" in feeds
    before, after = journey.servers[0], journey.servers[2]
    for collection in feeds:
        name = f"{replan.moved_uid}.ics"
        event = after[collection].resources[name].event  # same resource, same UID
        assert str(event["UID"]) == replan.moved_uid
        assert event.decoded("DTSTART").date() == replan.moved.date
        assert event["SEQUENCE"] == 1
        assert str(event["STATUS"]) == "CONFIRMED"
        assert after[collection].resources[name].etag != before[collection].resources[name].etag
    summary = journey.summaries[2]
    changed = len(feeds) + len(replan.feeds_with(replan.dropped_uid))
    assert (summary.created, summary.updated, summary.deleted) == (0, changed, 0)
    assert summary.unchanged == total_events(replan.second) - changed


def test_a_dropped_event_is_cancelled_then_deleted_when_it_leaves_the_feed(
    journey: Journey, replan: Replan
) -> None:
    feeds = replan.feeds_with(replan.dropped_uid)
    assert "work-groups-sec-dev-1" in feeds and len(feeds) >= 4  # the group, its leader, teachers, school
    for collection in feeds:
        event = journey.servers[2][collection].resources[f"{replan.dropped_uid}.ics"].event
        assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1
    summary = journey.summaries[4]
    assert (summary.created, summary.updated, summary.deleted) == (0, 0, len(feeds))
    assert all(replan.dropped_uid not in col.uids() for col in journey.servers[4].values())


def test_a_renamed_feed_renames_its_calendar_and_nothing_else(
    radicale: Radicale, replan: Replan, tmp_path: Path
) -> None:
    rel = "calendars/work-groups/sec-dev-1.ics"
    data = replan.first[rel]
    renamed = data.replace(b"X-WR-CALNAME:sec-dev-1 \xe2\x80\x93 hubplan", b"X-WR-CALNAME:Sec Dev One")
    assert renamed != data
    user, password = radicale.account()
    publish(write_folder(tmp_path / "a", {rel: data}), radicale.url, user, password)
    summary = publish(write_folder(tmp_path / "b", {rel: renamed}), radicale.url, user, password)
    events = len(feed_uids(replan.first)["work-groups-sec-dev-1"])
    assert (summary.new_calendars, summary.created, summary.updated, summary.unchanged) == (0, 0, 0, events)
    assert read_server(radicale.url, user, password)["work-groups-sec-dev-1"].display_name == "Sec Dev One"


def test_rejected_events_are_listed_and_the_rest_published(
    radicale: Radicale, replan: Replan, tmp_path: Path
) -> None:
    data = replan.first["calendars/work-groups/sec-dev-1.ics"]
    broken = data.replace(b"DTSTART;TZID=Europe/London:", b"DTSTART;TZID=Europe/London:x", 1)
    folder = write_folder(tmp_path, {"calendars/work-groups/sec-dev-1.ics": broken})
    user, password = radicale.account()
    result = invoke(folder, radicale.url, user, {"HUBPLAN_PW": password})
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("rejected: work-groups-sec-dev-1/") and "400" in line
    events = len(feed_uids(replan.first)["work-groups-sec-dev-1"])
    assert f"{events - 1} events created" in result.stdout and "1 rejected" in result.stdout
    assert len(read_server(radicale.url, user, password)["work-groups-sec-dev-1"].resources) == events - 1


# --- the command line ----------------------------------------------------------------------


def invoke(folder: Path, url: str, user: str | None, env: dict[str, str]):
    """`hubplan publish` in-process, password from $HUBPLAN_PW."""
    from cli import main

    args = ["publish", str(folder), "--url", url]
    if user:
        args += ["--user", user, "--password-env", "HUBPLAN_PW"]
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def hubplan_publish(folder: Path, url: str, user: str, password: str) -> subprocess.CompletedProcess:
    """`hubplan publish` as a user runs it, the password only in the environment."""
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "cli.py"),
            "publish",
            str(folder),
            "--url",
            url,
            "--user",
            user,
            "--password-env",
            "HUBPLAN_PW",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HUBPLAN_PW": password},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert password not in proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def small_folder(replan: Replan, tmp_path_factory) -> Path:
    """The Work Groups' feeds only: a quick folder to publish."""
    files = {rel: data for rel, data in replan.first.items() if "/work-groups/" in rel}
    return write_folder(tmp_path_factory.mktemp("small"), files)


def test_cli_publishes_end_to_end(radicale: Radicale, replan: Replan, small_folder: Path) -> None:
    user, password = radicale.account()
    proc = hubplan_publish(small_folder, radicale.url, user, password)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    events = sum(len(u) for c, u in feed_uids(replan.first).items() if c.startswith("work-groups-"))
    assert proc.stdout == (
        f"published 2 calendars (2 new) to {radicale.url}{user}/: {events} events created, "
        "0 updated, 0 deleted, 0 unchanged\n"
    )
    server = read_server(radicale.url, user, password)
    assert set(server) == {"work-groups-sec-dev-1", "work-groups-pri-dev-1"}
    again = hubplan_publish(small_folder, radicale.url, user, password)
    assert (
        again.returncode == 0
        and f"0 events created, 0 updated, 0 deleted, {events} unchanged" in again.stdout
    )


def test_cli_wrong_password_is_one_line_and_exit_2(radicale: Radicale, small_folder: Path) -> None:
    user, _ = radicale.account()
    proc = hubplan_publish(small_folder, radicale.url, user, "not-the-password")
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert "401" in line and user in line


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("unset", "HUBPLAN_PW: that environment variable is not set"),
        ("not-output", "not a `hubplan solve` output"),
        ("unreachable", "server unreachable (connection refused)"),
        ("password-in-url", "put no user name or password in the address"),
        ("no-login", "the server needs a login (401)"),
        ("other-user", "may not use this address (403)"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(
    case: str, message: str, radicale: Radicale, small_folder: Path, tmp_path: Path
) -> None:
    user, password = radicale.account()
    folder, url, env = small_folder, radicale.url, {"HUBPLAN_PW": password}
    if case == "unset":
        env = {"HUBPLAN_PW": None}
    elif case == "not-output":
        folder = tmp_path
    elif case == "unreachable":
        url = f"http://127.0.0.1:{free_port()}/"
    elif case == "password-in-url":
        url = radicale.url.replace("http://", f"http://{user}:{password}@")
    elif case == "other-user":
        url = f"{radicale.url}someone-else/"
    result = invoke(folder, url, None if case == "no-login" else user, env)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert message in line and password not in line
