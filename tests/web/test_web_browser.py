"""The workspace in a real browser (Debian's Chromium through Playwright) against a real
`hubplan serve`, on SQLite and on PostgreSQL: sign in, upload, see a bad workbook's problems,
plan with progress, cancel a run, subscribe to a specialist's feed, sign out; then the same
by keyboard alone. axe-core checks every page visited, and report.html, for serious and
critical accessibility violations."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe
from icalendar import Calendar
from playwright.sync_api import expect
from web_support import PASSWORD, ROOT, browser, database_url, postgres, server, start_server, stop_server

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
SCREENSHOT = ROOT / "docs" / "workspace-year.png"
AXE = Axe()


def axe_clean(page) -> None:
    """No serious or critical violation on the page as it stands."""
    found = AXE.run(page).response["violations"]
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{page.url}:\n" + "\n".join(bad)


def workbooks(folder: Path) -> tuple[Path, Path]:
    """The bundled example as a workbook, and a copy with wrong weekdays for every teacher."""
    good = folder / "example-hub.xlsx"
    subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "template", "-o", str(good), "--from", str(EXAMPLE)],
        check=True,
        capture_output=True,
    )
    bad = folder / "example-hub-bad.xlsx"
    shutil.copy(good, bad)
    book = openpyxl.load_workbook(bad)
    sheet = book["Teachers"]
    column = [c.value for c in sheet[1]].index("works") + 1
    sheet.cell(2, column).value = "funday"
    book.save(bad)
    return good, bad


def sign_in(page, url: str, email: str, password: str) -> None:
    page.goto(url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    axe_clean(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your hubs")).to_be_visible()
    axe_clean(page)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def parse_feed(data: bytes) -> Calendar:
    from ical.calendar_stream import IcsCalendarStream

    IcsCalendarStream.calendar_from_ics(data.decode())  # the strict parser accepts it
    return Calendar.from_ical(data)


def test_coordinator_flow(server, browser, tmp_path, database_url):
    good, bad = workbooks(tmp_path)
    page = browser.new_page()
    url = server.url

    # The admin makes a hub and its coordinator, who also coordinates the bundled North East hub.
    sign_in(page, url, *server.admin)
    page.get_by_role("link", name="Hubs and accounts").click()
    axe_clean(page)
    page.get_by_label("Name", exact=True).fill("Test Hub")
    page.get_by_label("Short name").fill("test-hub")
    page.get_by_role("button", name="Create hub").click()
    expect(page.get_by_role("status")).to_contain_text("Hub Test Hub created")
    page.locator("#user-email").fill("coord@example.org")
    page.locator("#user-password").fill(PASSWORD)
    page.locator("#user-role").select_option("coordinator")
    page.locator("#user-hub").select_option("test-hub")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text("coord@example.org created")
    page.locator("#role-email").fill("coord@example.org")
    page.locator("#role-hub").select_option("north-east-hub")
    page.get_by_role("button", name="Give role").click()
    expect(page.get_by_role("status")).to_contain_text("coordinator of North East Coast Maths Hub")
    axe_clean(page)
    sign_out(page)

    # The coordinator uploads a workbook with a mistake, sees it, then the right one.
    sign_in(page, url, "coord@example.org", PASSWORD)
    page.get_by_role("link", name="Test Hub").click()
    axe_clean(page)
    page.get_by_role("navigation", name="Test Hub").get_by_role("link", name="Upload").click()
    axe_clean(page)
    page.get_by_label(re.compile("The hub's workbook")).set_input_files(bad)
    page.get_by_role("button", name="Upload", exact=True).click()
    problems = page.get_by_role("table")
    expect(page.get_by_role("heading", name=re.compile("nothing was stored"))).to_be_visible()
    row = problems.get_by_role("row").filter(has_text="works")
    expect(row.get_by_role("cell").nth(0)).to_have_text("Teachers")
    expect(row.get_by_role("cell").nth(1)).to_have_text("2")
    expect(row.get_by_role("cell").nth(2)).to_have_text("works")
    axe_clean(page)
    page.get_by_label(re.compile("The hub's workbook")).set_input_files(good)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("heading", name="Test Hub: version 1")).to_be_visible()
    axe_clean(page)

    # Plan the year: the run ends on its own page, with the year to look at.
    page.get_by_role("button", name="Plan the year").click()
    expect(page.get_by_role("heading", name=re.compile("planning run"))).to_be_visible()
    axe_clean(page)
    expect(page.get_by_role("status")).to_contain_text("Run done: optimal", timeout=60_000)
    page.get_by_role("link", name="See the year at a glance").click()
    expect(page.get_by_role("table")).to_contain_text("Sam Jones")
    axe_clean(page)
    if "sqlite" in database_url:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.get_by_label("Work Group", exact=True).select_option(index=1)
    page.get_by_role("button", name="Show").click()
    axe_clean(page)
    page.get_by_label("A row per", exact=True).select_option("school")
    page.get_by_role("button", name="Show").click()
    axe_clean(page)

    # A specialist's page, and their calendar subscription.
    page.get_by_role("link", name="Year at a glance").click()
    page.get_by_role("rowheader").get_by_role("link", name="Sam Jones").click()
    expect(page.get_by_role("heading", name="Sam Jones")).to_be_visible()
    axe_clean(page)
    page.get_by_role("button", name="Make a subscription link").click()
    feed_url = page.get_by_label("Link for calendar apps (https)").input_value()
    assert page.get_by_role("link", name=re.compile("webcal")).get_attribute("href").startswith("webcal://")
    axe_clean(page)
    sessions_shown = page.get_by_role("table").get_by_role("row").count() - 1
    data = urllib.request.urlopen(feed_url).read()
    calendar = parse_feed(data)
    events = [e for e in calendar.walk("VEVENT") if "commitment" not in str(e.get("DESCRIPTION", "")).lower()]
    assert len([e for e in calendar.walk("VEVENT")]) >= sessions_shown > 0
    assert events

    # Costs and files are there to read.
    page.get_by_role("link", name="Costs", exact=True).click()
    axe_clean(page)
    page.get_by_role("link", name="Files", exact=True).click()
    axe_clean(page)

    # A second run, on a larger hub: progress shows, and the run is cancelled.
    page.goto(url + "/hubs/north-east-hub")
    page.get_by_role("button", name=re.compile("Plan the year")).click()
    expect(page.get_by_role("status")).to_contain_text(  # told at the start (0 of N), then as parts end
        re.compile(r"\b[1-9]\d* of \d+ parts planned"), timeout=60_000
    )
    assert int(page.locator("#bar").get_attribute("value") or 0) >= 1
    page.get_by_role("button", name="Cancel this run").click()
    expect(page.get_by_role("status")).to_contain_text("Run cancelled")
    axe_clean(page)

    # Signed out, the hub is out of reach.
    sign_out(page)
    page.goto(url + "/hubs/test-hub/year")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "Sam Jones" not in page.content()
    page.close()


# -- by keyboard alone ----------------------------------------------------------------------


def tab_to(page, selector: str, most: int = 60) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


@pytest.fixture
def sqlite_server(tmp_path):
    s = start_server(f"sqlite:///{tmp_path / 'workspace.db'}", tmp_path)
    r = s.cli(
        "users",
        "add",
        "coord@example.org",
        "--role",
        "coordinator",
        "--hub",
        "example-hub",
        "--password-env",
        "PW",
        env={"PW": PASSWORD},
    )
    assert r.returncode == 0, r.stderr
    yield s
    stop_server(s)


def test_sign_in_upload_plan_and_subscribe_by_keyboard(sqlite_server, browser, tmp_path):
    good, _ = workbooks(tmp_path)
    page = browser.new_page()
    page.goto(sqlite_server.url + "/")
    tab_to(page, "a.skip")  # the first stop is the skip link
    tab_to(page, "#email")
    page.keyboard.type("coord@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your hubs")).to_be_visible()

    tab_to(page, 'a[href="/hubs/example-hub"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Example Maths Hub")).to_be_visible()
    tab_to(page, 'nav a[href$="/upload"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Example Maths Hub: upload the hub's data")).to_be_visible()
    tab_to(page, "#file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(good)
    tab_to(page, 'form[action$="/upload"] button')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Example Maths Hub: version 2")).to_be_visible()
    axe_clean(page)

    tab_to(page, 'form[action$="/plan"] button')
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Run done", timeout=60_000)
    tab_to(page, 'a[href$="/year"]:not(nav a)')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Example Maths Hub: the year at a glance")).to_be_visible()
    tab_to(page, 'a[href$="/specialists/ria-patel"]')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Ria Patel")).to_be_visible()
    tab_to(page, 'form[action$="/feed"] button')
    page.keyboard.press("Enter")
    field = page.get_by_label("Link for calendar apps (https)")
    expect(field).to_be_visible()
    axe_clean(page)
    calendar = parse_feed(urllib.request.urlopen(field.input_value()).read())
    assert list(calendar.walk("VEVENT"))

    # report.html, as the files page offers it, held to the same standard
    report = urllib.request.Request(sqlite_server.url + "/hubs/example-hub/files/report.html")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    report.add_header("Cookie", f"hubplan_session={cookies['hubplan_session']}")
    html = urllib.request.urlopen(report).read().decode()
    page.set_content(html)
    axe_clean(page)
    page.close()


def test_serve_refuses_a_public_address_before_the_admin_password_is_chosen(tmp_path):
    import subprocess
    import sys

    database = f"sqlite:///{tmp_path / 'w.db'}"
    cmd = [
        sys.executable,
        str(ROOT / "cli.py"),
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "1",
        "--database",
        database,
    ]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "still has the password made at first start" in r.stderr
    assert "Traceback" not in r.stderr
