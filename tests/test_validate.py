"""Bad instances: exit 2, every problem listed as `path.to.field: message`, never a traceback."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from conftest import DATA, EXAMPLE, ROOT

from cli import main


@pytest.fixture()
def raw():
    with open(EXAMPLE, encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)  # dates stay text, as a user wrote them


def run_validate(tmp_path, data) -> tuple[int, str]:
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _numbers(d):
    """BaseLoader leaves every scalar text; give numbers back their type like YAML would."""
    if isinstance(d, dict):
        return {k: _numbers(v) for k, v in d.items()}
    if isinstance(d, list):
        return [_numbers(v) for v in d]
    if isinstance(d, str):
        for cast in (int, float):
            try:
                return cast(d)
            except ValueError:
                pass
    return d


CASES = {
    "unknown teacher": (
        lambda r: r["work_groups"][0]["schools"][0]["teachers"].__setitem__(1, "bea-leee"),
        "work_groups[0].schools[0].teachers[1]: unknown teacher 'bea-leee'",
    ),
    "duplicate id": (
        lambda r: r["teachers"][1].__setitem__("id", "alex-khan"),
        "teachers[1].id: 'alex-khan' is used more than once",
    ),
    "id used by two kinds": (
        lambda r: r["teachers"][0].__setitem__("id", "oakfield"),
        "teachers[0].id: 'oakfield' is used more than once",
    ),
    "teacher at another school": (
        lambda r: r["work_groups"][0]["schools"][0]["teachers"].__setitem__(1, "dee-nash"),
        "work_groups[0].schools[0].teachers[1]: teacher 'dee-nash' works at parkside, not oakfield",
    ),
    "blackout out of order": (
        lambda r: r["schools"][1]["blackouts"][0].update({"from": "2027-06-25", "to": "2027-05-10"}),
        "schools[1].blackouts[0]: 'to' (2027-05-10) is before 'from' (2027-06-25)",
    ),
    "window out of order": (
        lambda r: r["work_groups"][0].update({"from": "2027-07-16", "to": "2026-11-02"}),
        "work_groups[0]: 'to' (2026-11-02) is before 'from' (2027-07-16)",
    ),
    "half-term outside its term": (
        lambda r: r["calendar"]["terms"][0].__setitem__("half_term", ["2026-12-21", "2026-12-23"]),
        "calendar.terms[0]: half_term 2026-12-21..2026-12-23 must lie inside the term",
    ),
    "bad weekday": (
        lambda r: r["specialists"][0].__setitem__("release_days", ["tue", "thurs"]),
        "specialists[0].release_days[1]: Input should be 'mon', 'tue', 'wed', 'thu' or 'fri'",
    ),
    "bad slot": (
        lambda r: r["pinned"][0].__setitem__("slot", "morning"),
        "pinned[0].slot: Input should be 'am', 'pm' or 'day'",
    ),
    "impossible date": (
        lambda r: r["schools"][1]["closures"].__setitem__(0, "2027-02-30"),
        "schools[1].closures[0]:",
    ),
    "three schools in secondary development": (
        lambda r: r["work_groups"][0]["schools"].append({"school": "riverside", "teachers": []}),
        "work_groups[0].params.support_days: group 2–4 days + 3 schools × 3–4 days make 11–16 days, which cannot be 10–10",
    ),
    "unknown field": (
        lambda r: r["schools"][0].__setitem__("nmae", "x"),
        "schools[0].nmae: unknown field",
    ),
    "unknown programme": (
        lambda r: r["work_groups"][1].__setitem__("programme", "primary-dev"),
        "work_groups[1].programme: unknown programme 'primary-dev'",
    ),
    "unknown param": (
        lambda r: r["work_groups"][0].__setitem__("params", {"group_dayz": 3}),
        "work_groups[0].params.group_dayz: unknown parameter",
    ),
    "path in an id": (
        lambda r: r["schools"][0].__setitem__("id", "../../etc"),
        "schools[0].id: ids use lowercase letters, digits and '-' only",
    ),
    "tfm lead unknown": (
        lambda r: r["hub"].__setitem__("tfm_lead", "nobody"),
        "hub.tfm_lead: 'nobody' is not a specialist id",
    ),
    "impossible pinned date": (
        lambda r: r["pinned"][0].__setitem__("date", "2026-11-31"),
        "pinned[0].date: Input should be a valid date",
    ),
    "window outside the year": (
        lambda r: r["work_groups"][0].update({"from": "2027-09-01", "to": "2027-12-01"}),
        "work_groups[0].from: the window 2027-09-01..2027-12-01 lies outside the hub's terms 2026-09-03..2027-07-21",
    ),
    "pinned visit without school": (
        lambda r: r["pinned"].append(
            {"work_group": "sec-dev-1", "kind": "visit", "date": "2026-11-10", "slot": "am"}
        ),
        "pinned[1].school: a pinned visit names the visited school",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_instance_names_the_field(case, raw, tmp_path):
    data = _numbers(copy.deepcopy(raw))
    mutate, expected = CASES[case]
    mutate(data)
    code, out = run_validate(tmp_path, data)
    assert code == 2
    assert expected in out
    assert "Traceback" not in out


def test_all_problems_reported_at_once(raw, tmp_path):
    data = _numbers(copy.deepcopy(raw))
    for case in ("unknown teacher", "bad weekday", "impossible date", "unknown field"):
        CASES[case][0](data)
    code, out = run_validate(tmp_path, data)
    assert code == 2
    for case in ("unknown teacher", "bad weekday", "impossible date", "unknown field"):
        assert CASES[case][1] in out, case


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"name: [unclosed\n", "not valid YAML"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"- just\n- a list\n", "expected a mapping"),
        (b"!!python/object/apply:os.system ['echo pwned']\n", "not valid YAML"),
    ],
)
def test_unreadable_files(tmp_path, content, expected):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "validate", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_missing_file_and_solve_writes_nothing(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "solve", str(tmp_path / "nope.yaml"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "no such file" in proc.stderr
    assert not out.exists()


def test_valid_files_validate():
    for path in [EXAMPLE, *sorted(DATA.glob("*.yaml")), *sorted(DATA.glob("*.json"))]:
        result = CliRunner().invoke(main, ["validate", str(path)])
        assert result.exit_code == 0, (path, result.output)


def test_full_options_instance_sets_every_optional_field():
    """tests/data/full-options.yaml is the proof that every field of the format loads;
    programmes-options.yaml adds the programme data form and the Specialist programme."""
    from pydantic import BaseModel

    from models.load import load_instance

    seen: set[tuple[str, str]] = set()
    classes: dict[str, type[BaseModel]] = {}

    def walk(value) -> None:
        if isinstance(value, BaseModel):
            classes[type(value).__name__] = type(value)
            seen.update((type(value).__name__, f) for f in value.model_fields_set)
            for f in type(value).model_fields:
                walk(getattr(value, f))
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(load_instance(DATA / "full-options.yaml"))
    walk(load_instance(DATA / "programmes-options.yaml"))
    every = {(name, f) for name, cls in classes.items() for f in cls.model_fields}
    assert every - seen == set()
