"""Hardening (issue 7): interrupts, time limits, hostile text, size limits, reproducibility.

Runs that are stopped (Ctrl-C, SIGTERM, SIGKILL) or refused leave an earlier output folder
byte for byte as it was; a time limit gives the best plan found or exit 3; ids cannot escape
the output folder; no output runs user text as a formula, markup or calendar property; an
instance ten times the size of England's fails at once in bounded memory; and every output
folder carries a manifest that makes the same plan again.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, HUB, ROOT
from icalendar import Calendar
from test_fuzz import restore, snapshot

from models.limits import MAX_VALUES, LimitError, load_yaml
from models.load import InstanceError, parse_instance, read_raw
from models.text import FORMULA_STARTS
from scheduler.core.options import DEFAULT_GAP, every_core
from scheduler.core.plan import Plan, Session
from scheduler.core.progress import closeness
from scheduler.core.solve import SolveOptions
from scheduler.operations.batch import summary_csv
from scheduler.operations.generate import generate_instance, write_instance
from scheduler.operations.pipeline import EXIT_OK, solve_file
from scheduler.outputs import files as output_files
from scheduler.outputs.costs import CostLine, costs_csv
from scheduler.outputs.export import plan_csv
from scheduler.outputs.files import remove_stale_staging, write_outputs
from scheduler.outputs.manifest import input_sha256
from scheduler.services.replan import Change, changes_csv

CLI = str(ROOT / "cli.py")


def hubplan(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=timeout
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> dict[str, bytes]:
    """The files of a complete earlier run of the example hub, and a file of the user's."""
    out = tmp_path_factory.mktemp("earlier") / "out"
    assert hubplan("solve", str(EXAMPLE), "--out", str(out)).returncode == EXIT_OK
    (out / "notes.txt").write_text("the user's own notes")
    return snapshot(out)


# --------------------------------------------------------------------------- interrupts

MID_SOLVE = 3.0  # seconds: the bundled hub has loaded and is being proven optimal (~10 s in all)


def stop_mid_solve(out: Path, signum: int) -> tuple[int, str, str, float]:
    """Start `hubplan solve` on the bundled hub into `out`, send `signum` mid-solve:
    (exit code, stdout, stderr, seconds from the signal to the exit)."""
    proc = subprocess.Popen(
        [sys.executable, CLI, "solve", str(HUB), "--out", str(out), "--optimal"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(MID_SOLVE)
    assert proc.poll() is None, "the solve ended before it could be stopped"
    sent = time.perf_counter()
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    return proc.returncode, stdout, stderr, time.perf_counter() - sent


@pytest.mark.parametrize(
    "signum, code, line",
    [
        (signal.SIGINT, 130, "hubplan: interrupted; earlier outputs are untouched"),
        (signal.SIGTERM, 143, "hubplan: terminated; earlier outputs are untouched"),
    ],
)
def test_a_stopped_solve_exits_at_once_and_leaves_earlier_outputs(signum, code, line, earlier, tmp_path):
    out = restore(tmp_path / "out", earlier)
    returncode, stdout, stderr, seconds = stop_mid_solve(out, signum)
    assert returncode == code, stderr
    assert stderr.splitlines() == [line] and stdout == ""
    assert seconds < 5, f"took {seconds:.1f} s to stop"  # CP-SAT is stopped, not waited for
    assert snapshot(out) == earlier


def test_a_terminated_batch_stops_its_workers_at_once(tmp_path):
    """SIGTERM reaches `hubplan batch` alone, not its worker processes (Ctrl-C reaches the
    whole terminal group): they are ended, not waited for (each of these jobs, a typical hub
    proven optimal, takes half a minute or more)."""
    psutil = pytest.importorskip("psutil")
    hubs = tmp_path / "hubs"
    hubs.mkdir()
    for seed in (1, 2):
        write_instance(generate_instance(43, seed), hubs / f"hub-{seed}.yaml")
    proc = subprocess.Popen(
        [sys.executable, CLI, "batch", str(hubs), "--out", str(tmp_path / "out"), "--jobs", "2", "--optimal"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(MID_SOLVE + 2)  # the spawned workers have started and are solving
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert proc.poll() is None and workers, "the batch ended before it could be stopped"
    sent = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=30)
    finally:  # waited for its workers, once: leave nothing running behind the test
        for p in [proc, *workers]:
            with contextlib.suppress(OSError, psutil.Error):
                p.kill()
    seconds = time.perf_counter() - sent
    assert proc.returncode == 143, stderr
    assert stderr.splitlines()[-1] == "hubplan: terminated; earlier outputs are untouched"
    assert seconds < 5, f"took {seconds:.1f} s to stop"
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"workers left running: {alive}"


def test_sigkill_leaves_earlier_outputs_and_the_next_run_tidies_up(earlier, tmp_path):
    """SIGKILL cannot be caught: earlier outputs stay whole (the swap is all-or-nothing per
    entry and comes last), a staging folder may stay, and the next run removes it."""
    out = restore(tmp_path / "out", earlier)
    returncode, _, _, _ = stop_mid_solve(out, signal.SIGKILL)
    assert returncode == -signal.SIGKILL
    left = snapshot(out)
    assert {k: v for k, v in left.items() if not k.startswith(".hubplan-")} == earlier
    stale = out / ".hubplan-killed"
    (stale / "calendars").mkdir(parents=True)
    (stale / "plan.json").write_text("{}")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    assert hubplan("solve", str(EXAMPLE), "--out", str(out)).returncode == EXIT_OK
    assert not list(out.glob(".hubplan-*"))
    assert snapshot(out) == earlier  # the same plan again, the user's notes kept


def test_only_staging_folders_older_than_the_run_are_removed(tmp_path):
    old, new, mine = tmp_path / ".hubplan-old", tmp_path / ".hubplan-new", tmp_path / "hubplan-mine"
    for folder in (old, new, mine):
        folder.mkdir()
    os.utime(old, (100, 100))
    os.utime(mine, (100, 100))
    remove_stale_staging(tmp_path, before=time.time() - 60)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".hubplan-new", "hubplan-mine"]


class _Stop(Exception):
    """Raised by the test's SIGTERM handler."""


def test_a_signal_during_the_swap_waits_until_the_outputs_are_whole(earlier, tmp_path, monkeypatch):
    out = restore(tmp_path / "out", earlier)
    new = {name: data + b" " for name, data in earlier.items() if name != "notes.txt"}
    real_replace, calls = os.replace, []

    def replace_and_signal(src, dst):
        if not calls:
            os.kill(os.getpid(), signal.SIGTERM)  # held until every entry is swapped
        calls.append(dst)
        real_replace(src, dst)

    def stop(signum, frame):
        raise _Stop

    monkeypatch.setattr(output_files.os, "replace", replace_and_signal)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(_Stop):
            write_outputs(out, new)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert snapshot(out) == {**new, "notes.txt": earlier["notes.txt"]}
    assert not list(out.glob(".hubplan-*"))


def test_a_failed_write_leaves_earlier_outputs(earlier, tmp_path, monkeypatch):
    out = restore(tmp_path / "out", earlier)
    real_write, written = Path.write_bytes, []

    def fail_on_the_third(self, data):
        written.append(self)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_the_third)
    with pytest.raises(OSError):
        write_outputs(out, {name: b"new" for name in earlier if name != "notes.txt"})
    monkeypatch.undo()
    assert snapshot(out) == earlier


# --------------------------------------------------------------------------- time limits


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A generated hub of 8 Work Groups that CP-SAT cannot prove optimal in 2 s."""
    from scheduler.operations.generate import generate_instance, write_instance

    return write_instance(
        generate_instance(work_groups=8, seed=0), tmp_path_factory.mktemp("gen") / "gen.yaml"
    )


def test_no_plan_within_a_tiny_time_limit_exits_3_and_writes_nothing(generated, tmp_path):
    out = tmp_path / "out"
    proc = hubplan("solve", str(generated), "--out", str(out), "--time-limit", "0.05")
    assert proc.returncode == 3
    assert proc.stderr.splitlines() == [
        "No plan found within the time limit (0.05 s); nothing was written. Raise --time-limit."
    ]
    assert not out.exists()


def test_a_moderate_time_limit_gives_the_best_plan_found_with_its_gap(generated, tmp_path):
    out = tmp_path / "out"
    proc = hubplan("solve", str(generated), "--out", str(out), "--time-limit", "2", "--optimal")
    assert proc.returncode == EXIT_OK, proc.stderr
    plan = json.loads((out / "plan.json").read_text())
    assert plan["status"] == "feasible" and plan["sessions"]
    assert 0 < plan["gap"] < 1 and plan["best_bound"] < plan["objective"]
    assert proc.stdout.startswith("feasible:") and closeness(plan["gap"]) in proc.stdout
    assert json.loads((out / "manifest.json").read_text())["status"] == "feasible"


# --------------------------------------------------------------------------- ids


@pytest.fixture(scope="module")
def example_raw() -> dict:
    return read_raw(EXAMPLE)


def problems_of(raw: dict) -> list[tuple[str, str]]:
    try:
        parse_instance(raw)
    except InstanceError as exc:
        return exc.problems
    return []


ESCAPING = ["../x", "/etc/x", "a/b", "..", ".", "a\\b", "x.ics", ""]
RESERVED = ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9"]


@pytest.mark.parametrize("ident", ESCAPING + RESERVED)
@pytest.mark.parametrize("part", ["schools", "specialists", "teachers", "work_groups"])
def test_ids_that_cannot_name_a_file_are_refused(ident, part, example_raw):
    raw = copy.deepcopy(example_raw)
    raw[part][0]["id"] = ident
    found = dict(problems_of(raw))
    message = found.get(f"{part}[0].id", "")
    expected = (
        "device name on Windows" if ident in RESERVED else "is not an id (lowercase letters, digits and '-')"
    )
    assert expected in message and f"'{ident}'" in message, found


def test_hub_is_reserved_for_work_groups(example_raw):
    raw = copy.deepcopy(example_raw)
    raw["work_groups"][0]["id"] = "hub"
    assert "'hub' is reserved" in dict(problems_of(raw))["work_groups[0].id"]


def test_a_reserved_id_on_the_command_line(example_raw, tmp_path):
    raw = copy.deepcopy(example_raw)
    raw["teachers"][0]["id"] = "aux"
    path = tmp_path / "aux.json"
    path.write_text(json.dumps(raw))
    proc = hubplan("validate", str(path))
    assert proc.returncode == 2
    assert "teachers[0].id: 'aux' is a device name on Windows" in proc.stderr


# --------------------------------------------------------------------------- spreadsheets

HOSTILE_CELLS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']


def cells(data: bytes) -> list[str]:
    """Every cell of a CSV, as a spreadsheet reads it."""
    return [c for row in csv.reader(io.StringIO(data.decode(), newline="")) for c in row]


def formula_cells(data: bytes) -> list[str]:
    """Cells of a CSV that a spreadsheet would run as a formula (numbers excepted)."""

    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    return [c for c in cells(data) if c.startswith(FORMULA_STARTS) and not number(c)]


def hostile_session(text: str) -> Session:
    return Session(dt.date(2026, 11, 5), "am", text, text, text, text, text, (text, text), id=text)


@pytest.mark.parametrize("text", HOSTILE_CELLS)
def test_every_csv_writer_neutralises_formulas(text):
    session = hostile_session(text)
    outputs = {
        "plan.csv": plan_csv(Plan("x", "optimal", sessions=[session])),
        "costs.csv": costs_csv([CostLine(text, text, text, 1.0, text, 2.0, -3.0)]),
        "changes.csv": changes_csv([Change("moved", session, session, text)]),
        "summary.csv": summary_csv([{"instance": text, "status": text, "message": text}]),
    }
    for name, data in outputs.items():
        assert formula_cells(data) == [], name
        assert any(c.startswith("'") for c in cells(data)), f"{name}: the text was dropped, not kept as text"


def test_costs_xlsx_stores_text_never_formulas(example_raw):
    costs_xlsx = pytest.importorskip("scheduler.outputs.costs_xlsx").costs_xlsx
    from openpyxl import load_workbook

    raw = copy.deepcopy(example_raw)
    for item in raw["schools"] + raw["specialists"] + raw["work_groups"]:
        item["name"] = '=HYPERLINK("http://x","y")'
    instance = parse_instance(raw)
    lines = [
        CostLine(w["id"], raw["schools"][0]["id"], "=1+1", 1.0, "@day", 2.0, 2.0) for w in raw["work_groups"]
    ]
    book = load_workbook(io.BytesIO(costs_xlsx(instance, lines)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == '=HYPERLINK("http://x","y")' for c in cells)


# --------------------------------------------------------------------------- hostile instance

HOSTILE = (
    '=HYPERLINK("http://x","y") <script>alert(1)</script> "q" \r\nBEGIN:VEVENT\r\nSUMMARY:pwned\r\nEND:VEVENT'
)


def with_names(raw: dict, text: str) -> dict:
    """The instance with `text` in every name, reason and commitment, and in an e-mail."""
    raw = copy.deepcopy(raw)
    raw["hub"]["name"] = text
    for item in raw["schools"] + raw["specialists"] + raw["teachers"] + raw["work_groups"]:
        item["name"] = text
    for school in raw["schools"]:
        for blackout in school.get("blackouts", []):
            blackout["reason"] = text
    raw["specialists"][0]["commitments"] = [{"date": "2026-12-25", "what": text}]
    raw["specialists"][0]["email"] = '=HYPERLINK("x")@evil.example'
    return raw


@pytest.fixture(scope="module")
def hostile_and_plain(example_raw, tmp_path_factory) -> tuple[Path, Path]:
    """The example solved twice: with hostile names, and with plain ones."""
    folder = tmp_path_factory.mktemp("hostile")
    outs = []
    for name, text in (("hostile", HOSTILE), ("plain", "Plain name")):
        path = folder / f"{name}.json"
        path.write_text(json.dumps(with_names(example_raw, text)))
        out = folder / name
        assert solve_file(path, out, SolveOptions(time_limit=5)).exit_code == EXIT_OK
        outs.append(out)
    return outs[0], outs[1]


class _Tags(HTMLParser):
    """The markup of a page: each start tag with its attribute names, and script bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, tuple(sorted(a for a, _ in attrs))))


def markup(html: str) -> list[tuple[str, tuple[str, ...]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_hostile_names_stay_text_in_the_report(hostile_and_plain):
    hostile, plain = ((out / "report.html").read_text() for out in hostile_and_plain)
    assert markup(hostile) == markup(plain)  # no element or attribute came from a name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile and "<script>alert" not in hostile
    assert "&quot;q&quot;" in hostile


def test_hostile_names_stay_text_in_every_calendar(hostile_and_plain):
    hostile, plain = hostile_and_plain
    feeds = sorted((hostile / "calendars").rglob("*.ics"))
    assert feeds
    for path in feeds:
        data = path.read_bytes()
        events = Calendar.from_ical(data).walk("VEVENT")
        plain_events = Calendar.from_ical((plain / path.relative_to(hostile)).read_bytes()).walk("VEVENT")
        assert len(events) == len(plain_events), path.name
        assert data.count(b"\r\nBEGIN:VEVENT\r\n") == len(events), path.name
        assert b"\r\nSUMMARY:pwned" not in data
    described = [
        str(e.get("DESCRIPTION", "")) + str(e["SUMMARY"])
        for p in feeds
        for e in Calendar.from_ical(p.read_bytes()).walk("VEVENT")
    ]
    assert any("BEGIN:VEVENT" in text and "<script>" in text for text in described)  # kept, as text


@pytest.mark.parametrize("name", ["plan.csv", "costs.csv"])
def test_hostile_names_run_no_formula_in_the_csvs(name, hostile_and_plain):
    data = (hostile_and_plain[0] / name).read_bytes()
    assert data.count(b"\n") > 2 and formula_cells(data) == []


def test_hostile_names_run_no_formula_in_changes_csv(hostile_and_plain, tmp_path):
    """A re-plan of the hostile instance against its own plan: changes.csv."""
    hostile, _ = hostile_and_plain
    out = tmp_path / "replanned"
    outcome = solve_file(
        hostile.parent / "hostile.json", out, SolveOptions(time_limit=5), previous=hostile / "plan.json"
    )
    assert outcome.exit_code == EXIT_OK
    data = (out / "changes.csv").read_bytes()
    assert data.count(b"\n") > 2 and formula_cells(data) == []


def test_the_batch_summary_runs_no_formula(example_raw, tmp_path):
    evil = {**example_raw, "=HYPERLINK(1)": "x"}  # its one problem starts with that key
    (tmp_path / "evil.json").write_text(json.dumps(evil))
    proc = hubplan("batch", "evil.json", "--out", "out", "--jobs", "1", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = (tmp_path / "out" / "summary.csv").read_bytes()
    assert formula_cells(data) == [] and "'=HYPERLINK(1): unknown field" in data.decode()


# --------------------------------------------------------------------------- size limits


def refused(raw: dict) -> dict[str, str]:
    """The problems of `raw` by field; fails if it loads."""
    with pytest.raises(InstanceError) as caught:
        parse_instance(raw)
    return dict(caught.value.problems)


def at(raw: dict, path: tuple, value) -> dict:
    """A copy of `raw` with `value` at `path`."""
    raw = copy.deepcopy(raw)
    node = raw
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    "path, value, field, bound",
    [
        (("work_groups",), [{}] * 5_001, "work_groups", "at most 5,000"),
        (("schools",), [0] * 50_001, "schools", "at most 50,000"),
        (("teachers",), [0] * 100_001, "teachers", "at most 100,000"),
        (("specialists",), [0] * 5_001, "specialists", "at most 5,000"),
        (("pinned",), [0] * 100_001, "pinned", "at most 100,000"),
        (("schools", 1, "closures"), ["2026-11-02"] * 1_001, "schools[1].closures", "at most 1,000"),
        (("schools", 0, "name"), "x" * 1_001, "schools[0].name", "at most 1,000 characters"),
        (
            ("work_groups", 0, "params"),
            {f"p{i}": 1 for i in range(201)},
            "work_groups[0].params",
            "at most 200",
        ),
        (("hub", "name"), [[[[[[[[[["deep"]]]]]]]]]], "hub.name" + "[0]" * 8, "more than 10 levels"),
    ],
)
def test_each_size_bound_names_the_field_and_the_bound(path, value, field, bound, example_raw):
    problems = refused(at(example_raw, path, value))
    assert list(problems) == [field] and bound in problems[field]


@pytest.mark.parametrize(
    "path, value, field, message",
    [
        (
            ("schools", 1, "closures", 0),
            "1999-12-31",
            "schools[1].closures[0]",
            "'1999-12-31': hubplan plans years 2000–2100",
        ),
        (
            ("pinned", 0, "date"),
            "2101-01-01",
            "pinned[0].date",
            "'2101-01-01': hubplan plans years 2000–2100",
        ),
        (("work_groups", 0, "from"), 0, "work_groups[0].from", "0 is a number; write dates as YYYY-MM-DD"),
    ],
)
def test_dates_outside_the_years_planned_are_named_with_the_rest(path, value, field, message, example_raw):
    raw = at(example_raw, path, value)
    raw["teachers"][0]["role"] = "wizard"  # reported too: dates do not stop the checks
    problems = refused(raw)
    assert problems[field].startswith(message)
    assert "teachers[0].role" in problems


def test_a_file_over_50_mib_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.truncate(51 * 2**20)  # sparse: nothing is written
    with pytest.raises(InstanceError) as caught:
        read_raw(path)
    assert caught.value.problems == [
        (
            "",
            f"{path}: 51.0 MiB; an instance file may be at most 50 MiB (about 6× every Work Group in England); split it into several instances",
        )
    ]


def test_yaml_stops_at_the_first_bound_crossed():
    """The stream is not read past the bound: the broken YAML after it is never seen."""
    text = "work_groups:\n" + "  - {id: wg}\n" * 5_001 + "  - [unclosed\n"
    with pytest.raises(LimitError) as caught:
        load_yaml(text)
    assert caught.value.problems == [
        (
            "work_groups",
            "more than 5,000 Work Groups; one instance holds at most 5,000 (all of England's hubs have about 1,700); split it into several instances",
        )
    ]


def test_yaml_aliases_cannot_expand_without_bound():
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
    )
    with pytest.raises(LimitError) as caught:
        load_yaml(laughs)
    assert f"more than {MAX_VALUES:,} values once YAML aliases are expanded" in str(caught.value)


def ten_times_england(raw: dict) -> dict:
    """The bundled hub's schools, people and Work Groups copied to ~17,000 Work Groups: ten
    times England's. Only ids are renamed: the bounds fail before references are read."""
    copies = 17_000 // len(raw["work_groups"]) + 1
    big = dict(raw)
    for key in ("schools", "specialists", "teachers", "work_groups"):
        big[key] = [dict(item, id=f"{item['id']}-{k}") for k in range(copies) for item in raw[key]]
    return big


def yaml_with_anchors(doc: dict) -> str:
    """`doc` as YAML, fast: one JSON flow mapping per list item, and school terms shared by
    anchors and aliases as the bundled hub shares them (JSON is YAML's flow style)."""
    anchors: dict[int, str] = {}

    def item(value: dict) -> str:
        terms = value.get("terms")
        if terms is None:
            return json.dumps(value)
        name = anchors.get(id(terms))
        if name is None:
            name = anchors[id(terms)] = f"t{len(anchors)}"
            ref = f"&{name} {json.dumps(terms)}"
        else:
            ref = f"*{name}"
        return json.dumps({k: v for k, v in value.items() if k != "terms"})[:-1] + f', "terms": {ref}}}'

    lines = []
    for key, value in doc.items():
        if isinstance(value, list):
            lines += [f"{key}:", *(f"  - {item(v) if isinstance(v, dict) else json.dumps(v)}" for v in value)]
        else:
            lines.append(f"{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "fmt, problem",
    [
        ("yaml", "schools: more than 50,000 schools"),  # ~28 MB: read as a stream up to the bound
        ("json", "an instance file may be at most 50 MiB"),  # ~60 MB: refused by its size
    ],
)
def test_ten_times_england_fails_fast_in_bounded_memory(fmt, problem, tmp_path):
    big = ten_times_england(read_raw(HUB))
    assert len(big["work_groups"]) > 17_000
    path = tmp_path / f"england-x10.{fmt}"
    path.write_text(yaml_with_anchors(big) if fmt == "yaml" else json.dumps(big, separators=(",", ":")))
    del big
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, CLI, "validate", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    stderr = proc.stderr.read()
    proc.stdout.close(), proc.stderr.close()
    assert os.waitstatus_to_exitcode(status) == 2, stderr
    assert problem in stderr and stderr.splitlines()[-1] == "1 problem found; nothing was written."
    assert seconds < 20, f"{seconds:.1f} s"
    assert usage.ru_maxrss < 1.5 * 2**20, f"{usage.ru_maxrss / 2**10:.0f} MB"  # KiB on Linux


# --------------------------------------------------------------------------- manifest


@pytest.fixture(scope="module")
def manifest_runs(tmp_path_factory) -> list[Path]:
    """The example solved twice into different folders."""
    folder = tmp_path_factory.mktemp("manifest")
    outs = [folder / "a", folder / "b"]
    for out in outs:
        assert solve_file(EXAMPLE, out, SolveOptions(time_limit=30, seed=3)).exit_code == EXIT_OK
    return outs


def test_the_manifest_records_what_made_the_plan(manifest_runs):
    import ortools

    out = manifest_runs[0]
    manifest = json.loads((out / "manifest.json").read_text())
    plan = json.loads((out / "plan.json").read_text())
    assert manifest["input"] == EXAMPLE.name
    assert manifest["input_sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert manifest["ortools"] == ortools.__version__ == manifest["packages"]["ortools"]
    assert manifest["python"] == platform.python_version() and manifest["platform"] == platform.platform()
    assert manifest["hubplan"]
    options = manifest["options"]
    assert (options["seed"], options["time_limit"], options["decompose"]) == (3, 30, True)
    assert (options["workers"], options["gap"]) == (every_core(), DEFAULT_GAP)  # the defaults
    assert (manifest["status"], manifest["objective"]) == (plan["status"], plan["objective"])
    assert manifest["command"] == (
        f"hubplan solve {EXAMPLE.name} --out OUT --seed 3 --workers {every_core()} --time-limit 30 "
        f"--gap {DEFAULT_GAP:g}"
    )
    files = snapshot(out)
    assert manifest["outputs"] == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items() if name != "manifest.json"
    }
    assert not re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", json.dumps(manifest))  # no clock in it


def test_identical_runs_give_identical_manifests(manifest_runs):
    a, b = (snapshot(out) for out in manifest_runs)
    assert a["manifest.json"] == b["manifest.json"] and a == b


def test_the_input_hash_follows_the_input(tmp_path):
    raw = read_raw(EXAMPLE)
    shas = []
    for name in ("Example Maths Hub", "Example Maths Hub (renamed)"):
        raw["hub"]["name"] = name
        path = tmp_path / "hub.yaml"
        path.write_text(yaml.safe_dump(raw))
        shas.append(input_sha256(path))
    assert shas[0] != shas[1]
    folder = tmp_path / "csvs"
    folder.mkdir()
    (folder / "Hub.csv").write_text("name\nA\n")
    before = input_sha256(folder)
    (folder / "Hub.csv").write_text("name\nB\n")
    assert input_sha256(folder) != before


# --------------------------------------------------------------------------- version and extras


def test_the_version_is_written_once(manifest_runs):
    """pyproject.toml holds it; `--version` and the manifest read it from the installed metadata."""
    written = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)[1]
    assert hubplan("--version").stdout == f"hubplan, version {written}\n"
    assert json.loads((manifest_runs[0] / "manifest.json").read_text())["hubplan"] == written


def hubplan_without(modules: tuple[str, ...], *args: str) -> subprocess.CompletedProcess:
    """`hubplan ARGS` in a Python where importing any of `modules` fails, as when the optional
    extra that brings them is not installed."""
    code = (
        "import runpy, sys\n"
        f"for name in {modules!r}:\n    sys.modules[name] = None\n"
        f"sys.argv = ['hubplan', *{list(args)!r}]\n"
        f"runpy.run_path({CLI!r}, run_name='__main__')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_batch_on_dask_without_the_extra_says_what_to_install(tmp_path):
    out = tmp_path / "out"
    args = (
        "batch",
        str(EXAMPLE),
        "--out",
        str(out),
        "--executor",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:1",
    )
    proc = hubplan_without(("dask", "distributed"), *args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[0] == (
        "--executor dask needs Dask, an optional extra: pip install 'hubplan[dask]'"
    )
    assert not out.exists()
    assert hubplan_without(("dask", "distributed"), "validate", str(EXAMPLE)).returncode == 0


def test_publish_without_the_extra_says_what_to_install(earlier, tmp_path):
    out = restore(tmp_path / "out", earlier)
    proc = hubplan_without(("caldav",), "publish", str(out), "--url", "http://127.0.0.1:1/")
    assert proc.returncode == 2
    assert proc.stderr == (
        "hubplan publish: publishing needs the CalDAV client, an optional extra: pip install 'hubplan[caldav]'\n"
    )
