"""Telling the people who moved: after a draft is applied, one message per affected person,
delivered to a real SMTP server (aiosmtpd on 127.0.0.1) and read back, each listing exactly
that person's rows of changes.csv; the same messages as .eml files in a zip; names with line
breaks in them stay inside their header."""

from __future__ import annotations

import csv
import datetime as dt
import email
import html
import io
import json
import re
import zipfile
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from web_support import ROOT, as_user, free_port, make_app, sqlite_url, wait_job

from models.limits import load_yaml
from models.yamlstyle import IMPORTED, dump_yaml
from web.plans import plan_of
from web.tables import PlanEvent, PlanRow

TODAY = dt.date(2026, 10, 1)
HUB = "/hubs/example-hub"
HOSTILE = "Alex Khan\r\nBcc: evil@example.org"


class Inbox:
    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=default))
        )
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _with_addresses() -> bytes:
    """The example hub with an address for everyone, and a name that tries to add a header."""
    data = load_yaml((ROOT / "instances" / "example-hub-2026-27.yaml").read_text())
    for p in [*data["specialists"], *data["teachers"]]:
        p["email"] = f"{p['id']}@schools.example"
    data["teachers"][0]["name"] = HOSTILE
    return dump_yaml(data, IMPORTED).encode()


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_each_affected_person_gets_exactly_their_changes(sqlite_url, make_app, smtp):
    controller, inbox = smtp
    app, client = make_app(
        sqlite_url,
        today_is=TODAY,
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_from="planner@hub.example",
        smtp_starttls=False,
    )
    b = as_user(client, "coord@example.org")
    b.get(f"{HUB}/upload")
    assert b.post(f"{HUB}/upload", files={"file": ("hub.yaml", _with_addresses())}).status_code == 200
    b.get(HUB)
    job = wait_job(app, int(str(b.post(f"{HUB}/plan").url).rsplit("/", 1)[1]))
    assert job.state == "done", job.message
    plan_id = job.plan_id

    # Move a Secondary Development visit and a primary group meeting, each to an allowed date.
    moves = []
    for wg, kind in (("sec-dev-1", "visit-oakfield"), ("pri-dev-1", "group")):
        page = b.get(f"{HUB}/plans/{plan_id}/edit?wg={wg}").text
        sid = next(s for s in re.findall(r'data-session="([^"]+)"[^>]*draggable', page) if kind in s)
        choices = b.client.post(
            f"{HUB}/plans/{plan_id}/where",
            json={"moves": moves, "pins": [], "session": sid},
            headers={"X-CSRF-Token": b.csrf},
        ).json()["choices"]
        to = next(c for c in choices if c["allowed"] and not c["current"])
        moves.append([sid, to["date"], to["slot"]])
    draft = b.post(f"{HUB}/plans/{plan_id}/save", {"moves": json.dumps(moves)})
    seen = html.unescape(re.search(r'name="seen" value="([^"]+)"', draft.text).group(1))
    event_page = b.post(f"{HUB}/drafts/{str(draft.url).rsplit('/', 1)[1]}/apply", {"seen": seen})
    assert event_page.status_code == 200 and "Send the messages by e-mail" in event_page.text
    event_id = int(str(event_page.url).rsplit("/", 1)[1])

    # Who each row of changes.csv concerns, from the plans themselves.
    changes = _rows(b.get(f"{HUB}/history/{event_id}/changes.csv").content)
    assert {r["change"] for r in changes} == {"moved"} and len(changes) >= 2
    with app.state.sessions() as db:
        event = db.get(PlanEvent, event_id)
        before, after = (plan_of(db.get(PlanRow, i)) for i in (event.other_id, event.plan_id))
    people = {
        s.id: set(s.attendees)
        for s in [*before.sessions, *after.sessions]
        if s.id in {r["id"] for r in changes}
    }
    theirs: dict[str, list[dict]] = {}
    for row in changes:
        for person in people[row["id"]]:
            theirs.setdefault(person, []).append(row)

    sent = b.post(f"{HUB}/history/{event_id}/send")
    assert sent.status_code == 200 and f"{len(theirs)} message(s) sent" in sent.text
    assert len(inbox.received) == len(theirs)  # one message per affected person
    told = {}
    for rcpt, message in inbox.received:
        assert len(rcpt) == 1 and rcpt[0].endswith("@schools.example")
        person = rcpt[0].split("@")[0]
        assert person not in told
        assert "bcc" not in {k.lower() for k in message.keys()}  # the hostile name stayed a name
        attachment = next(p for p in message.iter_attachments() if p.get_filename() == "changes.csv")
        told[person] = _rows(attachment.get_content().encode())
        body = message.get_body(("plain",)).get_content()
        assert body.count("\n- ") == len(theirs[person])
        assert str(message["From"]).startswith('"Example Maths Hub"') or "planner@hub.example" in str(
            message["From"]
        )
    assert told == theirs  # exactly their rows, as changes.csv has them
    hostile = next(m for r, m in inbox.received if r[0].startswith("alex-khan@"))
    assert "Bcc: evil" in str(hostile["To"]) and "\n" not in str(hostile["To"])

    # The same messages to download, one .eml per person, for those without e-mail too.
    z = zipfile.ZipFile(io.BytesIO(b.get(f"{HUB}/history/{event_id}/messages.zip").content))
    assert sorted(z.namelist()) == sorted(f"{p}.eml" for p in theirs)
    for name in z.namelist():
        m = email.message_from_bytes(z.read(name), policy=default)
        rows = _rows(next(p for p in m.iter_attachments()).get_content().encode())
        assert rows == theirs[name.removesuffix(".eml")]
    history = b.get(f"{HUB}/history/{event_id}")
    assert history.text.count("<td>sent</td>") == len(theirs)


def test_without_an_smtp_server_the_messages_are_downloads(sqlite_url, make_app):
    app, client = make_app(sqlite_url, today_is=TODAY)
    b = as_user(client, "coord@example.org")
    b.get(HUB)
    plan_id = wait_job(app, int(str(b.post(f"{HUB}/plan").url).rsplit("/", 1)[1])).plan_id
    page = b.get(f"{HUB}/plans/{plan_id}/edit?wg=sec-dev-1").text
    sid = next(s for s in re.findall(r'data-session="([^"]+)"[^>]*draggable', page) if "visit" in s)
    choices = b.client.post(
        f"{HUB}/plans/{plan_id}/where", json={"session": sid}, headers={"X-CSRF-Token": b.csrf}
    ).json()["choices"]
    to = next(c for c in choices if c["allowed"] and not c["current"])
    draft = b.post(f"{HUB}/plans/{plan_id}/save", {"moves": json.dumps([[sid, to["date"], to["slot"]]])})
    seen = html.unescape(re.search(r'name="seen" value="([^"]+)"', draft.text).group(1))
    event = b.post(f"{HUB}/drafts/{str(draft.url).rsplit('/', 1)[1]}/apply", {"seen": seen})
    assert "No SMTP server is configured" in event.text and "no address in the hub data" in event.text
    event_id = str(event.url).rsplit("/", 1)[1]
    refused = b.post(f"{HUB}/history/{event_id}/send")
    assert refused.status_code == 502 and "HUBPLAN_SMTP_HOST" in refused.text
    z = zipfile.ZipFile(io.BytesIO(b.get(f"{HUB}/history/{event_id}/messages.zip").content))
    assert "sam-jones.eml" in z.namelist()
    m = email.message_from_bytes(z.read("sam-jones.eml"), policy=default)
    assert m["To"] is None and "Sam Jones" in m.get_body(("plain",)).get_content()
    viewer = as_user(client, "viewer@example.org")
    assert viewer.get(f"{HUB}/history/{event_id}/messages.zip").status_code == 403
    assert viewer.get(f"{HUB}/history/{event_id}").status_code == 200
