"""Fuzzing: no mutated instance crashes hubplan or half-writes an output folder (issue 7).

Valid instances (the bundled example and tests/data) are mutated by hypothesis: fields
dropped, duplicated, retyped and corrupted; odd unicode (right-to-left, zero-width, lone
surrogates, NUL); huge, negative and non-finite numbers; empty lists; deep nesting; unknown
keys of odd types. Each mutant, handed over as data, as YAML or as JSON, must load or be
refused with InstanceError whose problems each name a field (`path.to.field: message`) or
the file, one line each. Mutants are also solved with `solve_file` into a folder holding an
earlier run: exit 0–3 only, and a run refused (2) or without a plan (3) leaves the folder
byte for byte as it was. `benchmarks/fuzz.py` runs the same checks thousands of times.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DATA, EXAMPLE, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.instance import TERM_NAMES as TERMS
from models.instance import Instance
from models.limits import key_text
from models.load import InstanceError, load_instance, parse_instance, read_raw
from scheduler.core.solve import SolveOptions
from scheduler.operations.pipeline import EXIT_INVALID, EXIT_NO_PLAN, EXIT_OK, EXIT_TIME_LIMIT, solve_file

SEEDS: dict[str, dict[str, Any]] = {
    path.name: read_raw(path)
    for path in [EXAMPLE, *sorted(DATA.glob("*.yaml")), *sorted(DATA.glob("*.json"))]
}
SMALL_SEEDS = ("defaults-only.yaml", EXAMPLE.name)  # quick to solve
FIELDS = frozenset(Instance.model_fields) | {"from"}

# --------------------------------------------------------------------------- values

ODD_TEXT = (
    "",
    " ",
    "\u202eevil\u202c",  # right-to-left override
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew
    "a\u200bb\u200d",  # zero-width space and joiner
    "\ufeffbom",
    "nul\x00byte",
    "\x00",
    "\ud800",  # lone surrogates
    "x\udfffy",
    "e\u0301",
    "\U0001f600",
    "line\u2028break",
    "crlf\r\nBEGIN:VEVENT\r\nEND:VEVENT",
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "<script>alert(1)</script>",
    '"quoted"',
    "../x",
    "/etc/x",
    "a/b",
    "..",
    ".",
    "con",
    "nul",
    "lpt9",
    "hub",
    "x" * 1_001,
    "2026-02-30",
    "1999-12-31",
    "2101-01-01",
    "0001-01-01",
    "9999-12-31",
    "-2026-01-01",
    "2026-9-3",
    "\uff12\uff10\uff12\uff16-09-03",  # full-width digits
    "2026-11-05T00:00:00",
    "yes",
    "null",
    "mon",
    "am",
    "09:00-08:00",
    "primary-development",
)
NUMBERS = (0, -1, -(2**63), 2**63, 10**30, 10**4000, 0.5, -0.5, 1e308, -1e308, float("inf"), float("nan"))
TEXT = st.one_of(st.sampled_from(ODD_TEXT), st.text(max_size=12))
NUMBER = st.one_of(st.sampled_from(NUMBERS), st.integers(-10_000, 10_000), st.floats())
SCALAR = st.one_of(TEXT, NUMBER, st.booleans(), st.none())
VALUE = st.one_of(
    SCALAR,
    st.builds(list),  # a new one each time: st.just([]) would share one list between examples
    st.builds(dict),
    st.lists(SCALAR, max_size=3),
    st.dictionaries(TEXT, SCALAR, max_size=2),
)
KEY = st.one_of(TEXT, st.integers(-3, 3), st.booleans(), st.none())
DEPTH = st.one_of(st.integers(1, 12), st.sampled_from([60, 400, 3_000]))

# --------------------------------------------------------------------------- mutations

Place = tuple[Any, Any]  # (a dict or list, a key or index in it)
Draw = Callable[[st.SearchStrategy], Any]


def places(doc: Any) -> list[Place]:
    """Every (container, key) in `doc`, depth-first in a stable order."""
    found: list[Place] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        for key, value in list(node.items() if isinstance(node, dict) else enumerate(node)):
            found.append((node, key))
            if isinstance(value, (dict, list)):
                stack.append(value)
    return found


def drop(draw: Draw, node: Any, key: Any) -> None:
    del node[key]


def duplicate(draw: Draw, node: Any, key: Any) -> None:
    """The value again beside itself, or in place of a sibling: shared, as a YAML alias is."""
    if isinstance(node, list):
        node.insert(key, node[key])
    else:
        node[draw(st.sampled_from(sorted(map(str, node))))] = node[key]


def retype(draw: Draw, node: Any, key: Any) -> None:
    node[key] = draw(VALUE)


def corrupt(draw: Draw, node: Any, key: Any) -> None:
    """Odd text spliced into a string; an extreme number for a number; else a new value."""
    value = node[key]
    if isinstance(value, str):
        at = draw(st.integers(0, len(value)))
        node[key] = value[:at] + draw(st.sampled_from(ODD_TEXT)) + value[at:]
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        node[key] = draw(st.sampled_from(NUMBERS))
    else:
        node[key] = draw(VALUE)


def empty(draw: Draw, node: Any, key: Any) -> None:
    node[key] = draw(st.sampled_from([list, dict, str, type(None)]))()


def nest(draw: Draw, node: Any, key: Any) -> None:
    value, as_list = node[key], draw(st.booleans())
    for _ in range(draw(DEPTH)):
        value = [value] if as_list else {"x": value}
    node[key] = value


def add_key(draw: Draw, node: Any, key: Any) -> None:
    target = node[key] if isinstance(node[key], dict) else node
    if isinstance(target, dict):
        target[draw(KEY)] = draw(VALUE)
    else:
        target.append(draw(VALUE))


MUTATIONS = (drop, duplicate, retype, corrupt, empty, nest, add_key)


@st.composite
def mutants(draw: Draw, seeds: tuple[str, ...] = tuple(SEEDS)) -> dict[str, Any]:
    """A seed instance with one to four mutations."""
    doc = copy.deepcopy(SEEDS[draw(st.sampled_from(seeds))])
    for _ in range(draw(st.integers(1, 4))):
        spots = places(doc)
        if not spots:
            break
        node, key = draw(st.sampled_from(spots))
        draw(st.sampled_from(MUTATIONS))(draw, node, key)
    return doc


FREE_TEXT = frozenset({"name", "reason", "what"})  # fields that take any text up to 200 characters
OPTIONAL_LISTS = frozenset(
    {"closures", "blackouts", "unavailable", "commitments", "prefer_days", "prefer_dates"}
)


@st.composite
def odd_but_valid(draw: Draw, seeds: tuple[str, ...] = tuple(SEEDS)) -> dict[str, Any]:
    """A seed with odd text in its names, reasons and commitments and some optional lists
    emptied: mostly still valid, so the solver and every exporter see the odd text."""
    doc = copy.deepcopy(SEEDS[draw(st.sampled_from(seeds))])
    texts = [
        (n, k)
        for n, k in places(doc)
        if k in FREE_TEXT and isinstance(n[k], str) and n is not doc and n[k] not in TERMS
    ]
    for node, key in draw(st.lists(st.sampled_from(texts), min_size=1, max_size=6)) if texts else []:
        node[key] = (node[key] + draw(st.sampled_from(ODD_TEXT)))[:200]
    lists = [(n, k) for n, k in places(doc) if k in OPTIONAL_LISTS]
    for node, key in draw(st.lists(st.sampled_from(lists), max_size=3)) if lists else []:
        node[key] = []
    return doc


# Pieces of YAML syntax spliced into a seed file's text: tags, anchors, merges, flow and
# block markers, directives, quotes, controls.
YAML_SNIPPETS = (
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!binary ",
    "!!timestamp ",
    "!!set ",
    "!!omap ",
    "!!python/object:os.system ",
    "!custom ",
    "&a ",
    "*a",
    "<<: *a\n",
    "? ",
    "- ",
    ": ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "#",
    "|\n",
    ">-\n",
    "\t",
    "\n",
    "%YAML 1.1\n---\n",
    "---\n",
    "...\n",
    "'",
    '"',
    "\\",
    "\x00",
    "\ufeff",
    "\x85",
    "=",
    "~",
    "  ",
)
TEXT_SEEDS = {path.name: path.read_text(encoding="utf-8") for path in [EXAMPLE, *sorted(DATA.glob("*.yaml"))]}


@st.composite
def yaml_texts(draw: Draw) -> str:
    """A seed file's YAML text with one to five pieces of YAML syntax spliced in."""
    text = TEXT_SEEDS[draw(st.sampled_from(sorted(TEXT_SEEDS)))]
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(YAML_SNIPPETS)) + text[at:]
    return text


# --------------------------------------------------------------------------- checks


def write_mutant(doc: dict[str, Any], fmt: str, folder: Path) -> Path | None:
    """`doc` as a YAML or JSON file, or None when that format cannot express it (nesting
    too deep for the serialiser, an integer too long to print)."""
    try:
        text = json.dumps(doc) if fmt == "json" else yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    except (RecursionError, ValueError, yaml.YAMLError):
        return None
    path = folder / f"mutant.{fmt}"
    path.write_text(text, encoding="utf-8")
    return path


def assert_named(problems: list[tuple[str, str]], doc: Any) -> None:
    """Every problem names a field of the instance (or is about the file), on one line."""
    assert problems, "InstanceError without problems"
    # Keys as pydantic names them: true and false are 1 and 0 to a dict.
    keys = {key_text(int(k) if isinstance(k, bool) else k) for k in doc} if isinstance(doc, dict) else set()
    roots = FIELDS | keys
    for path, message in problems:
        assert isinstance(path, str) and isinstance(message, str) and message.strip(), (path, message)
        line = f"{path}: {message}" if path else message
        assert len(line.splitlines()) == 1, f"a problem on several lines: {line!r}"
        assert "Traceback" not in line
        if path:
            assert any(path == r or path.startswith((f"{r}.", f"{r}[")) for r in roots), (
                f"{path!r} names no field"
            )


def check_load(doc: dict[str, Any], fmt: str, folder: Path) -> str:
    """Load `doc` as hubplan would ('data': parse_instance; 'yaml'/'json': a file) and
    check the outcome: 'ok', or 'invalid' with well-formed problems. Anything else raises."""
    path = None if fmt == "data" else write_mutant(doc, fmt, folder)
    try:
        parse_instance(doc) if path is None else load_instance(path)
    except InstanceError as exc:
        assert_named(exc.problems, doc if path is None else as_read(path))
        return "invalid"
    return "ok"


def check_yaml_text(text: str, folder: Path) -> str:
    """Load a YAML text as a file: 'ok', or 'invalid' with well-formed problems."""
    path = folder / "mutant.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_instance(path)
    except InstanceError as exc:
        assert_named(exc.problems, as_read(path))
        return "invalid"
    return "ok"


def as_read(path: Path) -> Any:
    """The data hubplan reads from `path` (JSON turns keys into text), or None."""
    try:
        return read_raw(path)
    except InstanceError:
        return None


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) by relative path."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


FAST = SolveOptions(time_limit=0.5, first_solution=True)


def check_solve(doc: dict[str, Any], folder: Path, out: Path) -> int:
    """Solve `doc` (as YAML) into `out`, which holds an earlier run, and check that the folder
    ends whole: unchanged when refused or out of time, a full new output otherwise."""
    path = write_mutant(doc, "yaml", folder) or write_mutant(doc, "json", folder)
    if path is None:
        return EXIT_INVALID  # no file can hold it; check_load covers it as data
    before = snapshot(out)
    outcome = solve_file(path, out, FAST)
    after = snapshot(out)
    assert outcome.exit_code in (EXIT_OK, EXIT_NO_PLAN, EXIT_INVALID, EXIT_TIME_LIMIT), outcome
    assert not [name for name in after if name.startswith(".hubplan-")], "a staging folder was left"
    if outcome.exit_code in (EXIT_INVALID, EXIT_TIME_LIMIT):
        assert after == before, "a refused run changed --out"
        if outcome.exit_code == EXIT_INVALID:
            assert_named(outcome.problems, as_read(path))
    else:
        manifest = json.loads(after["manifest.json"])
        assert manifest["status"] == json.loads(after["plan.json"])["status"] == outcome.status
        assert set(manifest["outputs"]) == set(after) - {"manifest.json", "earlier.txt"}
    return outcome.exit_code


# --------------------------------------------------------------------------- tests

CI = settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@CI
@given(doc=mutants(), fmt=st.sampled_from(["data", "yaml", "json"]))
def test_mutants_load_or_name_their_fields(doc, fmt, tmp_path_factory):
    check_load(doc, fmt, tmp_path_factory.mktemp("fuzz"))


def earlier_output(folder: Path) -> dict[str, bytes]:
    """The files of a complete earlier run, and one of the user's, for `check_solve`."""
    out = folder / "earlier"
    assert solve_file(DATA / "defaults-only.yaml", out, FAST).exit_code == EXIT_OK
    (out / "earlier.txt").write_text("the user's own file")
    return snapshot(out)


def restore(out: Path, files: dict[str, bytes]) -> Path:
    """`out` holding exactly `files`."""
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return out


SOLVE_MUTANTS = st.one_of(mutants(SMALL_SEEDS), odd_but_valid(SMALL_SEEDS))


@CI
@given(text=yaml_texts())
def test_corrupted_yaml_loads_or_names_the_problem(text, tmp_path_factory):
    check_yaml_text(text, tmp_path_factory.mktemp("text"))


@pytest.fixture(scope="module")
def earlier(tmp_path_factory) -> dict[str, bytes]:
    return earlier_output(tmp_path_factory.mktemp("earlier"))


@settings(CI, max_examples=40)
@given(doc=SOLVE_MUTANTS)
def test_mutants_solve_or_leave_out_untouched(doc, earlier, tmp_path_factory):
    folder = tmp_path_factory.mktemp("solve")
    check_solve(doc, folder, restore(folder / "out", earlier))


def test_an_instance_without_work_groups_plans_nothing(earlier, tmp_path):
    """Found by the fuzzer: no Work Groups at all once crashed merging no plans."""
    doc = {**copy.deepcopy(SEEDS["defaults-only.yaml"]), "work_groups": [], "pinned": []}
    assert check_solve(doc, tmp_path, restore(tmp_path / "out", earlier)) == EXIT_OK
    assert json.loads((tmp_path / "out" / "plan.json").read_text())["sessions"] == []


def test_the_seeds_load():
    """The mutations start from valid instances, or they would test little."""
    for name, doc in SEEDS.items():
        assert isinstance(parse_instance(copy.deepcopy(doc)), Instance), name


HOSTILE_FILES = {
    "deep.yaml": "name: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "deep.json": '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "nul.yaml": "name: a\x00b\n",
    "surrogate.yaml": 'name: "\\ud800"\n',
    "surrogate.json": '{"name": "\\ud800", "hub": {"name": "\\udfff"}}',
    "huge-int.json": '{"name": "x", "max_same_day_km": ' + "9" * 5_000 + "}",
    "huge-int.yaml": "max_same_day_km: " + "9" * 5_000 + "\n",
    "laughs.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)),
    "two-docs.yaml": "name: a\n---\nname: b\n",
    "python-tag.yaml": "name: !!python/object/apply:os.system ['echo pwned']\n",
    "bad-int.yaml": "name: x\nmax_same_day_km: !!int abc\n",
    "bad-bool.yaml": "name: x\nmax_same_day_km: !!bool maybe\n",
    "timestamp.yaml": "name: x\npinned: [{date: !!timestamp abc}]\n",
    "list.json": "[1, 2]",
    "bom.yaml": "\ufeffname: x\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_hostile_files_on_the_command_line(name, command, tmp_path):
    """The CLI itself: exit 2, one line per problem plus the count, no traceback, no --out."""
    path = tmp_path / name
    path.write_text(HOSTILE_FILES[name], encoding="utf-8", errors="surrogatepass")
    out = tmp_path / "out"
    args = [str(path)] + (["--out", str(out)] if command == "solve" else [])
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), command, *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == EXIT_INVALID, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines and lines[-1].endswith("nothing was written."), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert not out.exists()
