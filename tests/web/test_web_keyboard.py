"""The keyboard alone: sign in, upload, plan, and subscribe to a feed with Tab, Enter, Space
and typing only (no clicks), on a real server; axe-core on every page and on report.html."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import expect
from test_web_browser import axe_clean, parse_feed, workbooks
from web_support import PASSWORD, ROOT, start_server, stop_server


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
