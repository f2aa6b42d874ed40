"""Telling the people a change moved: one message per person, listing exactly their rows of
`changes.csv`, sent through the server's SMTP server or downloaded as `.eml` files.

A person is affected by a change when they attended the session before it or attend it
after (`web.drafts.people_of`): the specialist who leads it and the teachers at it. Their
message says each change in words and carries their rows of `changes.csv` (same columns, same
cells) as an attachment, so what they are told is what the hub's own file says.

Names and the hub's name are user text: control characters (CR, LF among them) are removed
before they reach a header (`models.text.clean_text`), and Python's SMTP policy refuses any
header that would still fold into another. Addresses come from the hub's data (`email` of a
specialist or teacher); someone without one is listed, and their message is in the download.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import smtplib
import zipfile
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from models.instance import Instance
from models.text import clean_text
from scheduler.services.replan import Change, changes_csv
from web.drafts import people_of
from web.moves import names, when
from web.settings import Settings

NO_REPLY = "noreply@hubplan.invalid"
WORDS = {"moved": "Moved", "added": "New", "cancelled": "Cancelled"}


@dataclass
class Message:
    person: str  # id
    name: str
    email: str | None
    changes: list[Change]
    mail: EmailMessage

    @property
    def filename(self) -> str:
        return f"{self.person}.eml"


def messages(
    instance: Instance, changes: list[Change], hub_name: str, sender: str, at: dt.datetime
) -> list[Message]:
    """One message per person whose sessions changed, in the order of their names."""
    emails = {p.id: p.email for p in [*instance.specialists, *instance.teachers]}
    who = names(instance)
    theirs: dict[str, list[Change]] = {}
    for c in changes:
        for person in people_of(c):
            theirs.setdefault(person, []).append(c)
    out = []
    for person, mine in sorted(theirs.items(), key=lambda kv: (who.get(kv[0], kv[0]), kv[0])):
        name = clean_text(who.get(person, person))
        out.append(
            Message(
                person,
                name,
                emails.get(person),
                mine,
                _mail(person, name, emails.get(person), mine, who, hub_name, sender, at),
            )
        )
    return out


def _mail(
    person: str,
    name: str,
    email: str | None,
    changes: list[Change],
    who: dict[str, str],
    hub_name: str,
    sender: str,
    at: dt.datetime,
) -> EmailMessage:
    hub = clean_text(hub_name)
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = f"{hub}: {len(changes)} change{'s' if len(changes) != 1 else ''} to your sessions"
    mail["From"] = Address(display_name=hub, addr_spec=sender)
    if email:
        mail["To"] = Address(display_name=name, addr_spec=email)
    mail["Date"] = format_datetime(at.replace(tzinfo=dt.timezone.utc))
    mail["Message-ID"] = make_msgid(idstring=person, domain="hubplan")
    lines = [f"Dear {name},", "", f"{hub} has changed the plan. These sessions of yours changed:", ""]
    for c in changes:
        lines.append(f"- {_said(c, who)}")
    lines += [
        "",
        "Your calendar subscription shows the changes already. The attached changes.csv",
        "lists the same changes as the hub's own changes.csv.",
    ]
    mail.set_content("\n".join(lines) + "\n")
    mail.add_attachment(changes_csv(changes), maintype="text", subtype="csv", filename="changes.csv")
    return mail


def _said(c: Change, who: dict[str, str]) -> str:
    s = c.session
    what = f"{clean_text(who.get(s.work_group, s.work_group))} {s.kind}"
    if s.school:
        what += f" at {clean_text(who.get(s.school, s.school))}"
    if c.change == "moved":
        text = (
            f"Moved: {what}, from {when(c.before.date, c.before.slot)} to {when(c.after.date, c.after.slot)}"
        )
    elif c.change == "added":
        text = f"New: {what}, on {when(s.date, s.slot)}"
    else:
        text = f"Cancelled: {what}, that was on {when(s.date, s.slot)}"
    return text + (f" ({clean_text(c.reason)})" if c.reason else "")


def eml_zip(found: list[Message]) -> bytes:
    """Every message as an .eml file, in one zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for m in found:
            z.writestr(m.filename, m.mail.as_bytes())
    return buffer.getvalue()


class SendError(Exception):
    """The SMTP server could not be reached or refused us, in words for the coordinator."""


def send(settings: Settings, found: list[Message]) -> list[dict]:
    """Send every message that has an address through the configured SMTP server; what
    happened to each, for the history."""
    if not settings.smtp_host:
        raise SendError("No SMTP server is configured (HUBPLAN_SMTP_HOST); download the messages instead.")
    results = []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            user, password = os.environ.get("HUBPLAN_SMTP_USER"), os.environ.get("HUBPLAN_SMTP_PASSWORD")
            if user and password:
                smtp.login(user, password)
            for m in found:
                if not m.email:
                    results.append({"person": m.person, "email": "", "status": "no e-mail address"})
                    continue
                try:
                    smtp.send_message(m.mail)
                    results.append({"person": m.person, "email": m.email, "status": "sent"})
                except smtplib.SMTPRecipientsRefused as exc:
                    results.append(
                        {"person": m.person, "email": m.email, "status": f"refused: {exc.recipients}"}
                    )
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"The SMTP server {settings.smtp_host}:{settings.smtp_port} failed: {exc}") from None
    return results
