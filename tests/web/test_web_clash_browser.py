"""Resolving clashes by hand, in real Chromium (Playwright) against a real `hubplan serve` on
the bundled North East hub, with axe-core on every new page: a visit dragged into its
school's blackout shows the R2 warning with its reason; a fix moving at most two other
sessions is applied and the specialist's feed shows the session moved with SEQUENCE + 1;
the plan before is restored as a draft; a two-week blackout breaks sessions and "re-plan from
here" moves only those, keeping the past; a hub made infeasible is planned again after a
suggested relaxation. Then the editor's loop by keyboard alone."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request

import pytest
from icalendar import Calendar
from playwright.sync_api import expect
from test_web_browser import axe_clean, sign_in, tab_to
from web_support import PASSWORD, ROOT, browser, start_server, stop_server

from scheduler.core.plan import Session
from scheduler.outputs.ics import session_uid

TODAY = dt.date(2026, 11, 2)
SCREENSHOT = (
    ROOT / "docs" / "workspace-editor.png"
)  # a Monday after the autumn half-term: September and October are past
NE = "/hubs/north-east-hub"


@pytest.fixture
def ne_server(tmp_path):
    s = start_server(
        f"sqlite:///{tmp_path / 'workspace.db'}", tmp_path, env={"HUBPLAN_TODAY": TODAY.isoformat()}
    )
    for hub in ("north-east-hub", "example-hub"):
        r = s.cli(
            "users", "add", f"coord-{hub}@example.org", "--role", "coordinator", "--hub", hub,
            "--password-env", "PW", env={"PW": PASSWORD},
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
    yield s
    stop_server(s)


def _plan_the_year(page, url: str, hub: str) -> None:
    page.goto(url + hub)
    page.get_by_role("button", name=re.compile("Plan the year")).click()
    expect(page.get_by_role("status")).to_contain_text("Run done", timeout=240_000)


def _get(page, url: str) -> bytes:
    """A page's file, with the browser's session cookie."""
    request = urllib.request.Request(url)
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["hubplan_session"]
    request.add_header("Cookie", f"hubplan_session={cookie}")
    return urllib.request.urlopen(request).read()


def _feed(url: str) -> dict[str, tuple[int, str]]:
    out = {}
    for e in Calendar.from_ical(urllib.request.urlopen(url).read()).walk("VEVENT"):
        out[str(e["UID"])] = (int(e.get("SEQUENCE", 0)), e["DTSTART"].to_ical().decode())
    return out


def test_the_clash_loop_on_the_north_east_hub(ne_server, browser):
    # Tall enough to see both ends of a drag across two months of the editor's table at once
    # (a person's browser scrolls while they drag; Playwright's drag does not).
    url, page = ne_server.url, browser.new_page(viewport={"width": 1400, "height": 4000})
    sign_in(page, url, "coord-north-east-hub@example.org", PASSWORD)
    _plan_the_year(page, url, NE)
    plan = json.loads(_get(page, url + NE + "/files/plan.json"))
    visit = next(
        s
        for s in plan["sessions"]
        if s["id"].startswith("sd-newcastle-west-visit-lobley-hill-") and s["date"] > "2027-01-22"
    )

    # Omar Siddiqui's calendar subscription, before anything moves.
    page.goto(url + NE + "/specialists/omar-siddiqui")
    page.get_by_role("button", name="Make a subscription link").click()
    feed = page.get_by_label("Link for calendar apps (https)").input_value()
    uid = session_uid(
        plan["instance"], Session(dt.date.today(), "am", "", "", None, "", "", (), id=visit["id"])
    )
    before = _feed(feed)
    assert before[uid] == (0, before[uid][1])

    # A. Drag the visit into Lobley Hill's Year 11 mocks: the R2 warning, with the reason, on it.
    page.goto(url + NE)
    page.get_by_role("link", name=re.compile("Edit the plan")).click()
    expect(page.get_by_role("heading", name=re.compile("edit the current plan"))).to_be_visible()
    page.get_by_label("Work Group", exact=True).select_option("sd-newcastle-west")
    page.get_by_role("button", name="Show").click()
    axe_clean(page)
    chip = page.locator(f'.chip[data-session="{visit["id"]}"]')
    chip.drag_to(page.locator('td.cell[data-date="2027-01-13"][data-slot="day"]'))
    warning = page.locator(f'.warnings[data-for="{visit["id"]}"]')
    expect(warning).to_contain_text("R2")
    expect(warning).to_contain_text("inside a blackout at Lobley Hill School (Year 11 mocks)")
    expect(page.locator("#broken-count")).to_contain_text("The plan breaks")
    axe_clean(page)

    # B. Find a fix: one moving at most two other sessions, applied.
    chip.click()
    expect(page.get_by_role("button", name="Find a fix")).to_be_visible()
    expect(page.locator("td.cell.ok").first).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 1000})
    chip.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOT))
    page.set_viewport_size({"width": 1400, "height": 4000})
    page.get_by_role("button", name="Find a fix").click()
    expect(page.get_by_role("heading", name=re.compile("fixes for"))).to_be_visible()
    axe_clean(page)
    others = int(re.search(r"Repair 1: moves (\d+) other", page.content()).group(1))
    assert others <= 2
    page.get_by_role("link", name=re.compile("Look at repair 1")).click()
    expect(page.get_by_text("This draft keeps every rule.")).to_be_visible()
    axe_clean(page)
    page.get_by_role("button", name="Apply this draft").click()
    expect(page.get_by_role("heading", name=re.compile("applied on"))).to_be_visible()
    axe_clean(page)
    after = _feed(feed)
    assert after[uid][0] == before[uid][0] + 1 and after[uid][1] != before[uid][1]
    assert after[uid][1][:8] not in ("20270113", visit["date"].replace("-", ""))  # out of the mocks, not back

    # C. Restore the plan before as a draft.
    page.get_by_role("link", name="Plans and drafts").first.click()
    axe_clean(page)
    page.get_by_role("button", name=re.compile(r"Restore plan \d+ as a draft")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"draft \d+"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"restored"))).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text(visit["id"])
    axe_clean(page)

    # D. A two-week blackout: the sessions it breaks, and a re-plan from here that moves only those.
    current = json.loads(_get(page, url + NE + "/files/plan.json"))
    target = min(
        (s for s in current["sessions"] if s["kind"] == "visit" and s["work_group"].startswith("se-")
         and s["date"] >= (TODAY + dt.timedelta(days=14)).isoformat()),
        key=lambda s: s["date"],
    )  # fmt: skip
    monday = dt.date.fromisoformat(target["date"]) - dt.timedelta(
        days=dt.date.fromisoformat(target["date"]).weekday()
    )
    page.get_by_role("link", name="Change the hub").click()
    axe_clean(page)
    page.get_by_label("School", exact=True).select_option(target["school"])
    page.get_by_label("What", exact=True).select_option("add_blackout")
    page.get_by_label("From", exact=True).fill(monday.isoformat())
    page.get_by_label("To (leave empty for one day)", exact=True).first.fill(
        (monday + dt.timedelta(days=11)).isoformat()
    )
    page.get_by_label("Reason (blackouts)").fill("Ofsted inspection")
    page.get_by_role("button", name="Add to the school").click()
    expect(page.get_by_role("heading", name=re.compile("what version 2 breaks"))).to_be_visible()
    axe_clean(page)
    broken = set(re.findall(r"\(([a-z0-9-]+-\d+)\)</th>", page.content()))
    assert target["id"] in broken
    page.get_by_role("button", name="Re-plan from here").click()
    expect(page.get_by_role("status")).to_contain_text("Run done", timeout=240_000)
    page.get_by_role("link", name="Look at the draft and apply it").click()
    axe_clean(page)
    moved = re.findall(
        r"<td>moved</td>\s*<td>([a-z0-9-]+-\d+)[^<]*</td>\s*<td>[^<]*</td>\s*<td>(\w{3} \d\d \w{3} \d{4})",
        page.content(),
    )
    assert {sid for sid, _ in moved} == broken
    assert all(dt.datetime.strptime(was, "%a %d %b %Y").date() >= TODAY for _, was in moved)  # the past kept

    # E. The hub made infeasible (a school blacked out all spring), a relaxation applied, planned again.
    page.get_by_role("link", name="Change the hub").click()
    page.get_by_label("School", exact=True).select_option("birtley-east")
    page.get_by_label("What", exact=True).select_option("add_blackout")
    page.get_by_label("From", exact=True).fill("2027-01-04")
    page.get_by_label("To (leave empty for one day)", exact=True).first.fill("2027-03-26")
    page.get_by_label("Reason (blackouts)").fill("Rebuilding")
    page.get_by_role("button", name="Add to the school").click()
    page.get_by_role("button", name="Re-plan from here").click()
    expect(page.get_by_role("status")).to_contain_text("Run done", timeout=240_000)
    expect(page.get_by_role("heading", name="Why no plan exists")).to_be_visible()
    expect(page.locator("pre.explanation")).to_contain_text(
        re.compile(r"R7: .*Birtley East School in the spring term")
    )
    axe_clean(page)
    relax = page.get_by_role("button", name=re.compile("Birtley East School's blackout 'Rebuilding'")).first
    relax.click()
    expect(page.get_by_role("status")).to_contain_text("Run done", timeout=240_000)
    page.get_by_role("link", name="Look at the draft and apply it").click()
    expect(page.get_by_text("This draft keeps every rule.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"for version 4 of the hub's data"))).to_be_visible()
    axe_clean(page)
    page.close()


def back_to(page, selector: str, most: int = 60) -> None:
    """Press Shift+Tab until the focused element matches `selector`."""
    for _ in range(most):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Shift+Tab never reached {selector} on {page.url}")


def test_the_editor_by_keyboard_alone(ne_server, browser):
    """Select a session, read where else it could go, move it, see the check, save and apply:
    no mouse."""
    url, page = ne_server.url, browser.new_page()
    sign_in(page, url, "coord-example-hub@example.org", PASSWORD)
    _plan_the_year(page, url, "/hubs/example-hub")
    page.goto(url + "/hubs/example-hub")
    tab_to(page, 'a[href$="/edit"]:not(nav a)')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("edit the current plan"))).to_be_visible()
    tab_to(page, "#wg-choice")  # the primary Work Group: sec-dev-1's next session is pinned
    page.keyboard.press("ArrowDown")
    tab_to(page, 'form[aria-label="Choose a Work Group"] button')
    page.keyboard.press("Enter")
    expect(page.locator("#wg-choice")).to_have_value("pri-dev-1")
    tab_to(page, ".chip[draggable=true]", most=200)
    chosen = page.evaluate("document.activeElement.dataset.session")
    page.keyboard.press("Enter")
    expect(page.locator("#choice")).to_be_focused()
    options = page.locator("#choice option")
    expect(options.first).to_be_attached()
    texts = options.all_inner_texts()
    assert any(": not allowed: R" in t for t in texts) and any(": allowed" in t for t in texts)
    current = next(i for i, t in enumerate(texts) if "where it is now" in t)
    wanted = next(i for i, t in enumerate(texts) if i > current and ": allowed" in t)
    for _ in range(wanted - current):
        page.keyboard.press("ArrowDown")
    expect(page.locator("#choice-why")).to_contain_text("allowed")
    tab_to(page, "#move-here")
    page.keyboard.press("Enter")
    expect(page.locator("#moves-list")).to_contain_text(chosen)
    expect(page.locator("#broken-count")).to_contain_text("The plan keeps every rule.")
    axe_clean(page)
    back_to(page, "#save")
    page.keyboard.press("Enter")
    expect(page.get_by_text("This draft keeps every rule.")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text(chosen)
    tab_to(page, 'form[action$="/apply"] button')
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("applied on"))).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text(chosen)
    axe_clean(page)
    page.close()
