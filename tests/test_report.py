"""report.html: what a reader sees, checked on the parsed page; then rendered by headless Chromium.

The page is written in XHTML syntax, so ElementTree parses it: a page that does not parse
has broken markup (an unescaped name, say). Regenerate docs/report-north-east.png with
`python tests/test_report.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zlib
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, HUB, ROOT

from models.load import load_instance, parse_instance
from scheduler.core.plan import Plan
from scheduler.core.problem import Problem
from scheduler.core.solve import SolveOptions, solve
from scheduler.outputs.costs import AFTER_FUNDING, FUNDING, RELEASE, TOTAL, cost_lines
from scheduler.outputs.costs import HUB as HUB_LINE
from scheduler.outputs.report import CSS, PALETTE, report_html
from scheduler.outputs.report_schools import SCHOOL_HEAD

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT = ROOT / "docs" / "report-north-east.png"
KIND_LETTER = {"group": "G", "visit": "V", "headteachers": "H"}


def render(instance, plan, notes=(), explanation=None) -> bytes:
    return report_html(instance, plan, cost_lines(instance, plan), list(notes), explanation)


def parse(html: bytes) -> ET.Element:
    return ET.fromstring(html.decode())


def text(el: ET.Element) -> str:
    return "".join(el.itertext())


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def money(x: float) -> str:
    return f"£{x:,.2f}"


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@pytest.fixture(scope="module")
def page(example_instance, example_plan) -> ET.Element:
    return parse(render(example_instance, example_plan))


@pytest.fixture(scope="module")
def year(page):
    table = page.find(".//table[@class='yr']")
    weeks = table.findall("thead/tr")[1].findall("th")
    return table, weeks, table.findall("tbody/tr")


# -- the year at a glance ---------------------------------------------------------------


def test_every_specialist_has_a_row_in_the_year(year, example_instance):
    _, _, rows = year
    labels = [row.find("th").text for row in rows]
    assert labels == [p.name for p in example_instance.specialists]
    lead = rows[labels.index("Jo Reed")].find("th/small").text
    assert example_instance.hub.tfm_lead == "jo-reed" and lead == "TfM Lead"


def test_a_column_per_school_week(year, example_instance):
    _, weeks, rows = year
    terms = example_instance.calendar.terms
    first, last = monday(terms[0].start), monday(terms[-1].end)
    expected = (last - first).days // 7 + 1
    assert expected == 47  # Mon 31 Aug 2026 to Mon 19 Jul 2027
    assert len(weeks) == expected
    assert weeks[0].get("title").startswith("w/c Mon 31 Aug 2026") and weeks[-1].text == "19"
    assert all(len(row.findall("td")) == expected + 1 for row in rows)  # and the days column


def test_half_terms_and_holidays_are_shaded(year):
    _, weeks, rows = year
    shade = {w.get("title").split(":")[0]: classes(w) for w in weeks}
    for week in ("Mon 21 Dec 2026", "Mon 28 Dec 2026", "Mon 29 Mar 2027", "Mon 5 Apr 2027"):
        assert shade[f"w/c {week}"] == {"hol"}, week
    for week in ("Mon 26 Oct 2026", "Mon 15 Feb 2027", "Mon 31 May 2027"):
        assert shade[f"w/c {week}"] == {"half"}, week
    for week in ("Mon 31 Aug 2026", "Mon 7 Sep 2026", "Mon 4 Jan 2027", "Mon 19 Jul 2027"):
        assert shade[f"w/c {week}"] == set(), week  # a school day or more
    for row in rows:  # the body columns are shaded as their header
        assert [classes(td) for td in row.findall("td")[:-1]] == [classes(w) for w in weeks]


def test_sessions_are_coloured_by_work_group_and_lettered_by_kind(year, example_instance, example_plan):
    _, weeks, rows = year
    colour = {w.id: f"w{i}" for i, w in enumerate(example_instance.work_groups)}
    column = {dt.date(2026, 8, 31) + dt.timedelta(weeks=i): i for i in range(len(weeks))}
    names = {p.id: p.name for p in example_instance.specialists}
    expected = Counter(
        (
            names[s.specialist],
            column[monday(s.date)],
            KIND_LETTER[s.kind],
            colour[s.work_group],
            s.slot == "day",
        )
        for s in example_plan.sessions
    )
    seen = Counter(
        (row.find("th").text, i, chip.text, (classes(chip) - {"s", "d"}).pop(), "d" in classes(chip))
        for row in rows
        for i, td in enumerate(row.findall("td")[:-1])
        for chip in td.findall("b")
    )
    assert seen == expected and sum(seen.values()) == len(example_plan.sessions)
    days = {row.find("th").text: float(row.findall("td")[-1].text) for row in rows}
    assert days["Sam Jones"] == 10  # R4: exactly 10 support days


def test_legend_names_every_work_group_in_its_colour(page, example_instance):
    legend = page.findall(".//ul[@class='legend']")[0].findall("li")
    assert len(legend) == len(example_instance.work_groups)
    for i, (li, wg) in enumerate(zip(legend, example_instance.work_groups)):
        assert wg.id in text(li) and classes(li.find("b")) == {"s", f"w{i}"}
    kinds = text(page.findall(".//ul[@class='legend']")[1])
    for what in ("group meeting", "school visit", "headteachers' meeting", "half-term", "holiday"):
        assert what in kinds


def test_a_leader_outside_the_specialists_gets_a_row(example_instance, example_plan):
    sessions = [
        dataclasses.replace(s, specialist="guest-lead") if s.kind == "headteachers" else s
        for s in example_plan.sessions
    ]
    root = parse(render(example_instance, dataclasses.replace(example_plan, sessions=sessions)))
    rows = root.findall(".//table[@class='yr']/tbody/tr")
    assert [r.find("th").text for r in rows][-1] == "guest-lead"
    assert len(rows[-1].findall(".//b")) == sum(s.kind == "headteachers" for s in sessions)


# -- schools term by term -------------------------------------------------------------------


def test_each_school_lists_its_sessions_term_by_term(page, example_instance, example_plan):
    blocks = page.findall(".//div[@class='school']")
    assert [b.find("h3").text for b in blocks] == [s.name for s in example_instance.schools]
    oakfield = blocks[[s.id for s in example_instance.schools].index("oakfield")]
    involved = [
        s
        for s in example_plan.sessions
        if "oakfield" in (s.venue, s.school) or {"alex-khan", "bea-lee"} & set(s.teachers)
    ]
    terms = {}
    for table in oakfield.findall("table"):  # a table a term, named by its caption
        rows = table.findall("tbody/tr")
        terms[table.find("caption").text.split(" term")[0]] = [
            [td.text for td in r.findall("td")] for r in rows
        ]
        assert [th.text for th in table.findall("thead/tr/th")] == list(SCHOOL_HEAD)
    assert list(terms) == ["Autumn", "Spring", "Summer"]
    assert sum(len(rows) for rows in terms.values()) == len(involved)
    visit = min(s for s in involved if s.kind == "visit")
    term = next(t.name for t in example_instance.calendar.terms if t.start <= visit.date <= t.end)
    day = f"{visit.date:%a} {visit.date.day} {visit.date:%b}"
    slot = {"am": "am", "pm": "pm", "day": "all day"}[visit.slot]
    assert [day, slot, "school visit", "sec-dev-1", "Sam Jones", "here"] in terms[term.capitalize()]


def test_a_term_or_table_without_rows_is_a_sentence(example_instance, example_plan):
    """A table of headings alone reads as data gone missing: an empty one is said in words."""
    kept = [s for s in example_plan.sessions if s.work_group != "sec-dev-1" and s.kind != "headteachers"]
    root = parse(render(example_instance, dataclasses.replace(example_plan, sessions=kept)))
    riverside = root.findall(".//div[@class='school']")[0]
    assert riverside.find("h3").text == "Riverside Academy" and riverside.find("table") is None
    assert [p.text.split(" · ")[0] + ": " + p.text.split(": ")[-1] for p in riverside.findall("p")] == [
        "Autumn term: no sessions",
        "Spring term: no sessions",
        "Summer term: no sessions",
    ]
    costs = root.find(".//section[@id='costs']")
    assert "No leader days." in [p.text for p in costs.findall("p")]  # sec-dev-1 has no session left
    assert all(t.find("tbody/tr") is not None for t in costs.findall(".//table"))


# -- objective, notes, explanation ---------------------------------------------------------------


def test_status_and_the_objective_term_by_term(example_instance, example_plan):
    plan = dataclasses.replace(
        example_plan, objective_terms={**example_plan.objective_terms, "S5 changes": 3}
    )
    root = parse(render(example_instance, plan))
    facts = text(root.find(".//p[@class='facts']"))
    for fact in (
        "status: optimal",
        f"objective: {plan.objective:,.0f}",
        f"bound: {plan.best_bound:,.0f}",
        "gap: 0.00%",
    ):
        assert fact in facts
    table = root.find(".//section[@id='objective']/table")
    rows = {r[0]: r[1:] for r in ([td.text for td in tr] for tr in table.findall("tbody/tr"))}
    assert list(rows) == ["S1 spread", "S2 preferences", "S3 travel", "S4 cost", "S5 changes"]
    w = example_instance.weights
    for term, weight in zip(rows, (w.spread, w.preferences, w.travel, w.cost)):
        value = plan.objective_terms[term]
        assert rows[term] == [f"{value:,}", str(weight), f"{value * weight:,}"]
    assert rows["S5 changes"] == ["3", "–", "–"]
    assert [th.text for th in table.find("tfoot/tr")][-1] == f"{plan.objective:,.0f}"


def test_notes_are_shown_before_the_year(example_instance, example_plan):
    notes = ["R3: sam-jones is double-booked on 2026-11-05 am", "school 'x' has no location"]
    root = parse(render(example_instance, example_plan, notes=notes))
    main = list(root.find("body/main"))
    box = root.find(".//div[@id='notes']")
    assert main.index(box) < main.index(root.find(".//section[@id='year']"))
    assert "alert" in classes(box) and [li.text for li in box.findall("ul/li")] == notes


def test_infeasible_plan_shows_why(example_instance):
    why = "R7: sec-dev-1 needs a visit to Oakfield School in the spring term <no day left>\nRelax: move it"
    plan = Plan(example_instance.name, "infeasible", notes=["R11: pinned[0] breaks R1"])
    html = render(example_instance, plan, notes=plan.notes, explanation=why)
    root = parse(html)
    box = root.find(".//div[@id='why']")
    assert box.find("pre").text == why and "alert" in classes(box)
    assert b"&lt;no day left&gt;" in html
    main = list(root.find("body/main"))
    assert main.index(box) < main.index(root.find(".//section[@id='year']"))
    assert "status: infeasible" in text(root.find(".//p[@class='facts']"))
    assert root.find(".//b[@class='bad']").text == "infeasible"
    assert "no plan" in text(root.find(".//section[@id='objective']"))
    assert len(root.findall(".//table[@class='yr']/tbody/tr")) == len(example_instance.specialists)


# -- costs --------------------------------------------------------------------------------------


def test_costs_are_totalled_against_funding(page, example_instance, example_plan):
    lines = cost_lines(example_instance, example_plan)
    table = page.find(".//table[@id='hub-costs']")
    head = [th.text for th in table.find("thead/tr")]
    hub = {c.item: c for c in lines if c.work_group == HUB_LINE}
    foot = dict(zip(head, (th.text for th in table.find("tfoot/tr"))))
    for item in (RELEASE, TOTAL, AFTER_FUNDING):
        assert foot[item] == money(hub[item].amount), item
    assert foot[FUNDING] == money(-hub[FUNDING].amount) == "£10,000.00"  # 2 × £2000 + 6 × £1000
    body = [[td.text for td in tr] for tr in table.findall("tbody/tr")]
    assert [r[0] for r in body] == [w.id for w in example_instance.work_groups]
    for wg, row in zip(example_instance.work_groups, body):
        own = {c.item: c.amount for c in lines if c.work_group == wg.id and not c.party}
        assert dict(zip(head, row))[TOTAL] == money(own[TOTAL])
        covered = money(own[TOTAL] - own[AFTER_FUNDING])
        summary = f"Total {money(own[TOTAL])}, of which release funding covers {covered}: "
        summary += f"{money(own[AFTER_FUNDING])} after funding."
        assert summary in text(page.find(".//section[@id='costs']"))


def test_each_work_group_has_its_school_and_leader_lines(page, example_instance, example_plan):
    lines = cost_lines(example_instance, example_plan)
    tables = page.findall(".//section[@id='costs']/table")[1:]
    assert len(tables) == 2 * len(example_instance.work_groups)  # schools, leaders
    schools = {tr[0].text: [td.text for td in tr] for tr in tables[0].findall("tbody/tr")}
    oak = {c.item: c for c in lines if c.work_group == "sec-dev-1" and c.party == "oakfield"}
    assert schools["Oakfield School"] == [
        "Oakfield School",
        f"{oak[RELEASE].quantity:g}",
        money(oak[RELEASE].amount),
        "£2,000.00",
        money(oak["release beyond funding"].amount),
    ]
    leaders = [[td.text for td in tr] for tr in tables[1].findall("tbody/tr")]
    assert [r[0] for r in leaders] == ["Sam Jones"] and leaders[0][2] == "£2,000.00"  # 10 days × £200


# -- safety and determinism -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(example_instance):
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["hub"]["name"] = "<script>alert(1)</script> Hub\x07"
    school = next(s for s in raw["schools"] if s["id"] == "oakfield")
    school["name"] = 'Ysgol "Glan" <b>Llŷn</b> & Môn 🧮'
    next(w for w in raw["work_groups"] if w["id"] == "sec-dev-1")["name"] = (
        "\"Quoted\" <script>alert('wg')</script>"
    )
    next(p for p in raw["specialists"] if p["id"] == "sam-jones")["name"] = "Siân O'Brien 👩‍🏫"
    return parse_instance(raw)


def test_text_from_the_instance_is_escaped(hostile, example_plan):
    html = render(hostile, example_plan, notes=["<img src=x onerror=alert(1)>"])
    assert b"<script" not in html and "<b>Llŷn".encode() not in html and b"<img" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; Hub" in html and b"\x07" not in html
    assert b"&quot;Quoted&quot; &lt;script&gt;alert(&#x27;wg&#x27;)&lt;/script&gt;" in html
    assert "Ysgol &quot;Glan&quot; &lt;b&gt;Llŷn&lt;/b&gt; &amp; Môn 🧮".encode() in html
    root = parse(html)  # so every attribute is closed where it should be
    assert root.find("head/title").text.startswith("<script>alert(1)</script> Hub")
    chips = root.findall(".//table[@class='yr']/tbody/tr/td/b")
    assert any(
        '"Quoted" <script>alert(\'wg\')</script> · school visit at Ysgol "Glan"' in c.get("title")
        for c in chips
    )
    assert [r.find("th").text for r in root.findall(".//table[@class='yr']/tbody/tr")][
        0
    ] == "Siân O'Brien 👩‍🏫"


def test_the_page_fetches_nothing(page, hostile, example_plan, example_instance):
    for html in (render(example_instance, example_plan), render(hostile, example_plan)):
        for ref in (
            b"http://",
            b"https://",
            b"src=",
            b"href=",
            b"@import",
            b"url(",
            b"<link",
            b"<script",
            b"<img",
        ):
            assert ref not in html, ref
    assert page.find("head/style") is not None


def test_the_same_inputs_give_the_same_bytes(example_instance, example_plan):
    first = render(example_instance, example_plan)
    shuffled = dataclasses.replace(example_plan, sessions=list(reversed(example_plan.sessions)))
    assert render(example_instance, example_plan) == first == render(example_instance, shuffled)


def luminance(colour: str) -> float:
    """Relative luminance of #rgb or #rrggbb (WCAG 2.2, 'relative luminance')."""
    hexa = colour.lstrip("#")
    hexa = "".join(c * 2 for c in hexa) if len(hexa) == 3 else hexa
    rgb = [int(hexa[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_letters_on_every_colour_are_legible():
    """axe cannot judge a one-letter chip ('too short'), so the palette is held to WCAG 1.4.3
    here: 4.5:1 for the letter on every Work Group's colour and on an unlisted one's grey."""
    assert contrast("#767676", "#fff") > 4.5 > contrast("#777", "#fff")  # the formula, at its edge
    grey = re.search(r"\.wx\{background:(#[0-9a-f]+);color:(#[0-9a-f]+)\}", CSS)
    pairs = {f"w{i}": pair for i, pair in enumerate(PALETTE)} | {"wx": grey.groups()}
    assert {k: round(contrast(*pair), 2) for k, pair in pairs.items() if contrast(*pair) < 4.5} == {}
    for rule in re.findall(r"\.(?:none|sub|ok|meh|bad)\{[^}]*color:(#[0-9a-f]+)", CSS):
        assert contrast(rule, "#fff") >= 4.5 and contrast(rule, "#f2f2f2") >= 4.5, rule


def test_everything_is_in_a_landmark_and_no_header_cell_is_empty(page, example_instance, example_plan):
    notes = parse(render(example_instance, example_plan, notes=["a clash"], explanation="why"))
    for root in (page, notes):
        assert [child.tag for child in root.find("body")] == ["header", "main"]
        cells = root.findall(".//th")
        assert cells and not [ET.tostring(th) for th in cells if not text(th).strip()]


def test_printing_is_styled(page):
    css = page.find("head/style").text
    assert "@media print" in css and "@page" in css and "break-inside:avoid" in css


# -- in a real browser ----------------------------------------------------------------------------


def chromium(*args: str) -> subprocess.CompletedProcess:
    """Headless Chromium with a fresh profile and nothing that reaches the network."""
    with tempfile.TemporaryDirectory(prefix="hubplan-chromium-") as profile:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
        flags += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
        cmd = [str(CHROMIUM), *flags, f"--user-data-dir={profile}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def screenshot(html: Path, png: Path) -> None:
    chromium(f"--screenshot={png}", "--window-size=1600,2000", html.as_uri())


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGB pixels (3 bytes each) of an 8-bit RGB/RGBA PNG, by the spec."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (size,), kind = struct.unpack(">I", data[pos : pos + 4]), data[pos + 4 : pos + 8]
        chunks.setdefault(kind, []).append(data[pos + 8 : pos + 8 + size])
        pos += 12 + size
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"][0])
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp, raw = (3 if colour == 2 else 4), zlib.decompress(b"".join(chunks[b"IDAT"]))
    stride, prev, pixels = width * bpp, bytes(width * bpp), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 2:  # Up, the commonest: a quick path
            line = bytearray((x + y) & 255 for x, y in zip(line, prev))
        for i in range(stride if kind in (1, 3, 4) else 0):  # undo the row's filter (PNG spec, section 9)
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                a = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + (0, a, b, (a + b) // 2, a)[kind]) & 255
        prev = bytes(line)
        pixels += [prev[x : x + 3] for x in range(0, stride, bpp)]
    return width, height, pixels


@pytest.fixture(scope="module")
def hub_report(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM} (set CHROMIUM to its path)")
    instance = load_instance(HUB)
    plan = solve(Problem.from_instance(instance), SolveOptions(time_limit=60, first_solution=True))
    assert plan.status in ("optimal", "feasible")
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_bytes(render(instance, plan))
    return instance, plan, path


def test_chromium_renders_every_leader_work_group_and_the_hub_total(hub_report):
    instance, plan, path = hub_report
    dom = chromium("--dump-dom", path.as_uri()).stdout
    for name in [p.name for p in instance.specialists] + [w.name for w in instance.work_groups]:
        assert name in dom, name
    total = next(c for c in cost_lines(instance, plan) if c.work_group == HUB_LINE and c.item == TOTAL)
    assert money(total.amount) in dom


def test_chromium_screenshot_shows_the_year_in_colour(hub_report, tmp_path):
    instance, _, path = hub_report
    png = tmp_path / "report.png"
    screenshot(path, png)
    width, height, pixels = png_pixels(png.read_bytes())
    assert (width, height) == (1600, 2000)
    colours = Counter(pixels)
    assert pixels[0] == b"\xff\xff\xff"  # the page background
    assert len(colours) > 500 and colours[b"\xff\xff\xff"] < 0.9 * len(pixels)
    for i in range(len(instance.work_groups)):  # every Work Group's chips are on screen
        assert colours[bytes.fromhex(PALETTE[i][0][1:])] > 50, PALETTE[i]


def test_axe_finds_nothing_serious_in_chromium(hub_report, example_instance):
    """axe-core (WCAG 2.2 AA and best practice) on the bundled hub's page and on a page with
    no plan, in Debian's Chromium through Playwright: no serious or critical violation, and
    none of the four it found before (contrast, empty headers, no main, content outside
    landmarks) at any level."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    _, _, path = hub_report
    nothing = path.with_name("infeasible.html")
    plan = Plan(example_instance.name, "infeasible", notes=["R11: pinned[0] breaks R1"])
    nothing.write_bytes(
        render(example_instance, plan, notes=plan.notes, explanation="R7: <why>\nRelax: this")
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless"])
        try:
            page = browser.new_page()
            results = []
            for html in (path, nothing):
                page.goto(html.as_uri())
                results.append(Axe().run(page).response)
        finally:
            browser.close()
    for html, result in zip((path, nothing), results):
        assert len(result["passes"]) > 15, html  # axe ran its rules on a real page
        found = {v["id"]: (v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]}
        serious = {k: v for k, v in found.items() if v[0] in ("serious", "critical")}
        assert not serious, f"{html.name}: {serious}"
        assert not {"color-contrast", "empty-table-header", "landmark-one-main", "region"} & set(found), found


def write_screenshot() -> None:
    """docs/report-north-east.png: the bundled hub's report, solved as `hubplan solve` does."""
    instance = load_instance(HUB)
    plan = solve(Problem.from_instance(instance))
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        html.write_bytes(render(instance, plan))
        SCREENSHOT.parent.mkdir(exist_ok=True)
        screenshot(html, SCREENSHOT)
    print(f"{plan.status}, objective {plan.objective:g}: wrote {SCREENSHOT}")


if __name__ == "__main__":
    write_screenshot()
