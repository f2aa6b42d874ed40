"""Names are text, never code: school, person, Work Group and hub names written to attack the
pages, the database, the feeds and the downloads are uploaded through the workbook, planned,
and then looked at in real Chromium on every page; no dialog opens, no script runs, the
console stays clean, and every page sends a Content-Security-Policy without inline script.
A session is moved in the plan editor, saved and applied, the plan before restored and a
closure added at a hostile school, so that the drafts, history, editor, hub-edit and breaks
pages show the names too. The feeds, CSV files, the costs workbook, the report and the
messages to the people who moved keep the same names inert."""

from __future__ import annotations

import csv
import email
import io
import itertools
import json
import re
import urllib.request
import zipfile
from email.policy import default

import openpyxl
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from playwright.sync_api import expect
from sqlalchemy import inspect, select
from web_support import (
    PASSWORD,
    ROOT,
    as_user,
    browser,
    database_url,
    make_app,
    postgres,
    start_server,
    stop_server,
)

from web.auth import access_rules
from web.views import ROUTERS

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
HOSTILE = {  # (sheet, id, column): name
    ("Schools", "oakfield", "name"): "<img src=x onerror=alert(1)>",
    ("Schools", "parkside", "name"): "{{ 7*7 }} ${7*7} <!-- park",
    ("Specialists", "sam-jones", "name"): "</script><script>alert(2)</script>",
    ("Teachers", "alex-khan", "name"): "Robert'); DROP TABLE hubs; --",
    ("Teachers", "bea-lee", "name"): '=HYPERLINK("http://evil.example","click")',
    ("Teachers", "chris-moss", "name"): '"; DROP TABLE users; --',
    ("WorkGroups", "sec-dev-1", "name"): "Line one\r\nBEGIN:VEVENT\r\nSUMMARY:injected",
}
HUB_NAME = "<svg onload=alert(3)> & Co"
SUBJECTS = {
    ("Schools", "oakfield"): "schools",
    ("Schools", "parkside"): "schools",
    ("Specialists", "sam-jones"): "specialists",
    ("Teachers", "alex-khan"): "teachers",
    ("Teachers", "bea-lee"): "teachers",
    ("Teachers", "chris-moss"): "teachers",
    ("WorkGroups", "sec-dev-1"): "work-groups",
}
# GET routes that answer something other than a page, and how each is checked here instead.
NOT_PAGES = {
    "/healthz",  # text
    "/palette.css",
    "/feeds/{token}.ics",  # the feeds, below
    "/hubs/{slug}/files/{path:path}",  # the downloads, below
    "/hubs/{slug}/calendars.zip",
    "/hubs/{slug}/jobs/{job_id}/events",  # an event stream
    "/hubs/{slug}/history/{event_id}/changes.csv",  # the history's downloads, below
    "/hubs/{slug}/history/{event_id}/messages.zip",
}
TODAY = "2026-10-01"  # most of the example's year still to come: sessions to move


def shown(name: str) -> str:
    """A name as a page shows it: runs of white space (the CR LF too) as one space."""
    return re.sub(r"\s+", " ", name).strip()


def hostile_workbook(folder) -> bytes:
    path = folder / "hostile.xlsx"
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "template", "-o", str(path), "--from", str(EXAMPLE)],
        check=True,
        capture_output=True,
    )
    book = openpyxl.load_workbook(path)
    for (sheet, key, column), name in HOSTILE.items():
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == key:
                cell = row[header.index(column)]
                cell.value, cell.data_type = name, "s"  # text, as typed after an apostrophe
                break
        else:
            raise AssertionError(f"{sheet} has no row {key}")
    hub = book["Hub"]
    for row in hub.iter_rows(min_row=2):
        if row[0].value == "hub_name":
            row[1].value = HUB_NAME
    book.save(path)
    return path.read_bytes()


def _pages(slug: str, **ids: list[int]) -> list[str]:
    """Every page of the application for the hub, found from its routes, once for each of
    the ids given for its path's names (`job_id=[3]`, `number=[1, 2]`)."""
    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router)
    fill = {"slug": [slug]} | {name: [str(i) for i in values] for name, values in ids.items()}
    urls = []
    for (method, route), _rule in sorted(access_rules(app).items()):
        if method != "GET" or route in NOT_PAGES:
            continue
        if route == "/hubs/{slug}/{kind}/{subject}":
            urls += [f"/hubs/{slug}/{kind}/{key}" for (_, key), kind in SUBJECTS.items()]
            continue
        names = re.findall(r"\{(\w+)", route)
        missing = [n for n in names if n not in fill]
        assert not missing, f"{route}: say here how to fill {missing}, or list it in NOT_PAGES"
        for values in itertools.product(*(fill[n] for n in names)):
            chosen = dict(zip(names, values))
            urls.append(re.sub(r"\{(\w+)[^}]*\}", lambda m, c=chosen: c[m.group(1)], route))
        if route == "/hubs/{slug}/year":
            urls += [f"/hubs/{slug}/year?by={by}" for by in ("school", "work-group", "teacher")]
    return urls


class Watch:
    """Dialogs, console errors, page errors and every document's response headers."""

    def __init__(self, page):
        self.dialogs, self.errors, self.documents = [], [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                self.documents.append((r.url, r.status, r.headers))
                if r.request.resource_type == "document"
                else None
            ),
        )


INERT_DOM = """() => {
  const out = [];
  for (const s of document.querySelectorAll('script')) {
    if (!s.src || !new URL(s.src).pathname.startsWith('/static/')) out.push('script ' + s.outerHTML.slice(0, 80));
  }
  for (const e of document.querySelectorAll('*')) {
    for (const a of e.attributes) if (a.name.startsWith('on') || a.name === 'style') out.push(e.tagName + ' ' + a.name);
  }
  for (const e of document.querySelectorAll('img[src="x"], svg, iframe, object, embed')) out.push('element ' + e.tagName);
  return out;
}"""


def _csp_ok(headers: dict) -> bool:
    """A policy whose scripts (script-src, else default-src) are this site's files or none:
    no inline script, no eval, no data: or other sites."""
    directives = {}
    for part in headers.get("content-security-policy", "").split(";"):
        name, *values = part.split()
        directives[name] = values
    scripts = directives.get("script-src", directives.get("default-src"))
    return scripts is not None and set(scripts) <= {"'self'", "'none'"}


@pytest.fixture
def hostile_server(tmp_path):
    s = start_server(f"sqlite:///{tmp_path / 'workspace.db'}", tmp_path, env={"HUBPLAN_TODAY": TODAY})
    yield s
    stop_server(s)


def test_hostile_names_are_text_on_every_page_feed_and_download(hostile_server, browser, tmp_path):
    server, url = hostile_server, hostile_server.url
    data = hostile_workbook(tmp_path)
    (tmp_path / "hostile.xlsx").write_bytes(data)
    page = browser.new_page()
    watch = Watch(page)
    page.goto(url + "/")
    page.get_by_label("E-mail address").fill(server.admin[0])
    page.get_by_label("Password").fill(server.admin[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Hubs and accounts").click()
    page.get_by_label("Name", exact=True).fill(HUB_NAME)
    page.get_by_label("Short name").fill("hostile")
    page.get_by_role("button", name="Create hub").click()
    expect(page.get_by_role("status")).to_contain_text(f"Hub {HUB_NAME} created")

    page.goto(url + "/hubs/hostile/upload")
    page.get_by_label(re.compile("The hub's workbook")).set_input_files(tmp_path / "hostile.xlsx")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name=f"{HUB_NAME}: version 1")).to_be_visible()
    page.get_by_role("button", name=re.compile("Plan the year")).click()
    expect(page.get_by_role("status")).to_contain_text("Run done: optimal", timeout=90_000)
    job = int(page.url.rsplit("/", 1)[1])
    draft, event = _moved_applied_restored_and_closed(page, url)

    seen_text, texts = "", {}
    for path in _pages("hostile", job_id=[job], number=[1, 2], plan_id=[draft], event_id=[event]):
        page.goto(url + path)
        assert page.evaluate(INERT_DOM) == [], path
        texts[path] = page.inner_text("body")
        seen_text += texts[path] + "\n"
    for path in ("/plans", "/edit", f"/plans/{draft}/edit", f"/drafts/{draft}", f"/history/{event}"):
        assert shown(HUB_NAME) in texts["/hubs/hostile" + path], path
    oakfield = shown(HOSTILE[("Schools", "oakfield", "name")])
    assert oakfield in texts["/hubs/hostile/edit"] and oakfield in texts["/hubs/hostile/versions/2/breaks"]
    for (sheet, key, _), name in HOSTILE.items():
        page.goto(f"{url}/hubs/hostile/{SUBJECTS[(sheet, key)]}/{key}")
        expect(page.get_by_role("heading", level=1)).to_have_text(shown(name))
    for name in [*HOSTILE.values(), HUB_NAME]:
        assert shown(name) in seen_text, f"{name!r} is shown on no page"

    # the report, opened as the files page offers it (sandboxed), and as bare HTML (escaping alone)
    page.goto(url + "/hubs/hostile/files/report.html?view=true")
    report_html = page.content()
    assert shown(HOSTILE[("Specialists", "sam-jones", "name")]) in page.inner_text("body")
    page.set_content(report_html)
    assert page.evaluate(INERT_DOM) == []

    # a subscription to each hostile subject's feed
    feeds = {}
    for (_, key), kind in SUBJECTS.items():
        page.goto(f"{url}/hubs/hostile/{kind}/{key}")
        page.get_by_role("button", name=re.compile("subscription link")).click()
        feeds[key] = page.get_by_label("Link for calendar apps (https)").input_value()
    assert watch.dialogs == [], watch.dialogs
    assert watch.errors == [], (watch.errors, [(u, s) for u, s, _ in watch.documents if s >= 400])
    assert watch.documents and all(_csp_ok(h) for _, status, h in watch.documents if status == 200), [
        (u, h.get("content-security-policy")) for u, _, h in watch.documents if not _csp_ok(h)
    ]
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["hubplan_session"]
    page.close()

    for feed_url in feeds.values():
        _check_feed(urllib.request.urlopen(feed_url).read())

    def download(path: str) -> bytes:
        request = urllib.request.Request(f"{url}/hubs/hostile/files/{path}")
        request.add_header("Cookie", f"hubplan_session={cookie}")
        with urllib.request.urlopen(request) as r:
            assert "sandbox" in r.headers["Content-Security-Policy"]
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            return r.read()

    for name in ("plan.csv", "costs.csv"):  # ids only, but held to the same test
        _check_csv(download(name).decode("utf-8-sig"))
    for name in ("changes.csv", "messages.zip"):
        request = urllib.request.Request(f"{url}/hubs/hostile/history/{event}/{name}")
        request.add_header("Cookie", f"hubplan_session={cookie}")
        with urllib.request.urlopen(request) as r:
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Content-Disposition"].startswith("attachment;")
            data = r.read()
        _check_csv(data.decode("utf-8-sig")) if name.endswith(".csv") else _check_messages(data)
    _check_xlsx(download("costs.xlsx"))
    zipped = urllib.request.Request(f"{url}/hubs/hostile/calendars.zip")
    zipped.add_header("Cookie", f"hubplan_session={cookie}")
    with zipfile.ZipFile(io.BytesIO(urllib.request.urlopen(zipped).read())) as z:
        for info in z.infolist():
            assert not info.filename.startswith("/") and ".." not in info.filename
            _check_feed(z.read(info))
    assert (
        server.cli(
            "users",
            "add",
            "late@example.org",
            "--role",
            "admin",
            "--password-env",
            "PW",
            env={"PW": PASSWORD},
        ).returncode
        == 0
    )  # the users table is still there


def _moved_applied_restored_and_closed(page, url: str) -> tuple[int, int]:
    """In the plan editor, a session moved where the rules allow it, saved as a draft and
    applied (a history entry); the plan before restored as a draft; a closure added at the
    hostile Oakfield on a day it has a session (version 2, which breaks it). The restored
    draft's id and the history entry's."""
    page.goto(url + "/hubs/hostile")
    page.get_by_role("link", name=re.compile("Edit the plan")).click()
    chips, options = page.locator(".chip[draggable=true]"), page.locator("#choice option")
    for i in range(chips.count()):
        chips.nth(i).click()
        expect(page.locator("#panel-session")).not_to_contain_text("Looking where")
        allowed = [k for k, t in enumerate(options.all_inner_texts()) if ": allowed" in t]
        if allowed:
            break
    else:
        raise AssertionError("no session in the editor can move anywhere")
    page.locator("#choice").select_option(index=allowed[0])
    page.get_by_role("button", name="Move it there").click()
    expect(page.locator("#moves-list li")).to_have_count(1)
    expect(page.locator("#broken-count")).to_contain_text("The plan keeps every rule.")
    page.get_by_role("button", name="Save as a draft").click()
    expect(page.get_by_text("This draft keeps every rule.")).to_be_visible()
    page.get_by_role("button", name="Apply this draft").click()
    expect(page.get_by_role("heading", name=re.compile("applied on"))).to_be_visible()
    event = int(page.url.rsplit("/", 1)[1])

    page.goto(url + "/hubs/hostile/plans")
    page.get_by_role("button", name=re.compile(r"Restore plan \d+ as a draft")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"draft \d+"))).to_be_visible()
    draft = int(page.url.rsplit("/", 1)[1])

    plan = json.loads(page.request.get(url + "/hubs/hostile/files/plan.json").body())
    day = min(
        s["date"] for s in plan["sessions"] if "oakfield" in (s["venue"], s["school"]) and s["date"] > TODAY
    )
    page.goto(url + "/hubs/hostile/edit")
    page.get_by_label("School", exact=True).select_option("oakfield")
    page.get_by_label("What", exact=True).select_option("add_closure")
    page.get_by_label("From", exact=True).fill(day)
    page.get_by_role("button", name="Add to the school").click()
    expect(page.get_by_role("heading", name=re.compile("what version 2 breaks"))).to_be_visible()
    return draft, event


MAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}


def _check_messages(data: bytes) -> None:
    """The messages to the people who moved: each a well-formed e-mail whose names stay in
    their headers' values (no header made by a name's line break)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.namelist()
        for name in z.namelist():
            assert not name.startswith("/") and ".." not in name
            mail = email.message_from_bytes(z.read(name), policy=default)
            assert {k.lower() for k in mail.keys()} <= MAIL_HEADERS, mail.keys()
            assert not any(re.search(r"[\r\n]", str(v)) for v in mail.values())
            for part in mail.iter_attachments():  # the person's rows of changes.csv
                _check_csv(part.get_content())


def _check_feed(data: bytes) -> None:
    from ical.calendar_stream import IcsCalendarStream

    text = data.decode()
    IcsCalendarStream.calendar_from_ics(text)  # the strict parser takes it
    calendar = Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    assert len(re.findall(r"^BEGIN:VEVENT\r$", unfolded, re.M)) == len(events)  # no event made by a name
    assert not any(str(e.get("SUMMARY", "")) == "injected" for e in events)
    for e in events:
        for prop in ("SUMMARY", "LOCATION"):
            assert not re.search(r"[\r\n]", str(e.get(prop, ""))), (prop, str(e.get(prop)))
    assert not re.search(r"^SUMMARY:injected", unfolded, re.M)


def _check_csv(text: str) -> None:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows and all(len(r) == len(rows[0]) for r in rows), "a name broke a row"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")) and not (
                cell.startswith("-") and not _number(cell)
            ), cell


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _check_xlsx(data: bytes) -> None:
    """No cell is a formula, and the hub's name is in the title as text."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.data_type == "s" and HUB_NAME in c.value for c in cells)


def test_hostile_names_are_stored_as_written(database_url, make_app, tmp_path):
    """On both databases: the names go in and come back byte for byte, and every table is still there."""
    from web.hubs import instance_of
    from web.tables import Base, HubVersion

    app, client = make_app(database_url)
    b = as_user(client, "coord@example.org")
    b.get("/hubs/example-hub/upload")
    r = b.post("/hubs/example-hub/upload", files={"file": ("hostile.xlsx", hostile_workbook(tmp_path))})
    assert r.status_code == 200, r.text
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text
    with app.state.sessions() as db:
        version = db.scalar(select(HubVersion).order_by(HubVersion.id.desc()))
        instance = instance_of(version)
    names = {x.id: x.name for x in [*instance.schools, *instance.specialists, *instance.teachers]}
    names |= {w.id: w.name for w in instance.work_groups}
    for (_, key, _), name in HOSTILE.items():
        assert names[key] == name.strip()
    assert instance.hub.name == HUB_NAME
    assert set(inspect(app.state.engine).get_table_names()) >= set(Base.metadata.tables)
