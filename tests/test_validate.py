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
        "specialists[0].release_days[1]: 'thurs' is not a weekday; use mon, tue, wed, thu or fri",
    ),
    "bad slot": (
        lambda r: r["pinned"][0].__setitem__("slot", "morning"),
        "pinned[0].slot: 'morning' is not a slot; use am, pm or day",
    ),
    "impossible date": (
        lambda r: r["schools"][1]["closures"].__setitem__(0, "2027-02-30"),
        "schools[1].closures[0]: '2027-02-30' is not a date",
    ),
    "three schools in secondary development": (
        lambda r: r["work_groups"][0]["schools"].append({"school": "riverside", "teachers": []}),
        "work_groups[0].params.support_days: group 2–4 days + 3 schools × 3–4 days make 11–16 days, which cannot be 10 "
        "support days",
    ),
    "unknown field": (
        lambda r: r["schools"][0].__setitem__("nmae", "x"),
        "schools[0].nmae: unknown field 'nmae'; did you mean 'name'?",
    ),
    "unknown programme": (
        lambda r: r["work_groups"][1].__setitem__("programme", "primary-dev"),
        "work_groups[1].programme: unknown programme 'primary-dev'",
    ),
    "unknown param": (
        lambda r: r["work_groups"][0].__setitem__("params", {"group_dayz": 3}),
        "work_groups[0].params.group_dayz: unknown parameter 'group_dayz' for secondary-development",
    ),
    "path in an id": (
        lambda r: r["schools"][0].__setitem__("id", "../../etc"),
        "schools[0].id: '../../etc' is not an id (lowercase letters, digits and '-')",
    ),
    "tfm lead unknown": (
        lambda r: r["hub"].__setitem__("tfm_lead", "nobody"),
        "hub.tfm_lead: 'nobody' is not a specialist id",
    ),
    "impossible pinned date": (
        lambda r: r["pinned"][0].__setitem__("date", "2026-11-31"),
        "pinned[0].date: '2026-11-31' is not a date",
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


def put(data: dict, path: tuple, value) -> None:
    """Set `value` at `path` inside `data`."""
    *parents, last = path
    for key in parents:
        data = data[key]
    data[last] = value


# Every kind of field with a bad value: (where it goes, the value, the path the problem
# names, and its message word for word, or the value as the message must quote it).
QUOTED = {
    # the issue's four examples, word for word
    "weekday": (
        ("specialists", 0, "release_days"),
        ["tues"],
        "specialists[0].release_days[0]",
        "'tues' is not a weekday; use mon, tue, wed, thu or fri",
    ),
    "date": (
        ("schools", 1, "closures"),
        ["2027-02-30"],
        "schools[1].closures[0]",
        "'2027-02-30' is not a date",
    ),
    "id": (
        ("teachers", 0, "id"),
        "../../etc/passwd",
        "teachers[0].id",
        "'../../etc/passwd' is not an id (lowercase letters, digits and '-')",
    ),
    "slot": (
        ("pinned", 0, "slot"),
        "morning",
        "pinned[0].slot",
        "'morning' is not a slot; use am, pm or day",
    ),
    # the rest: the path, and the value quoted
    "working day": (("teachers", 0, "works"), ["mon", "sat"], "teachers[0].works[1]", "'sat'"),
    "commitment slot": (
        ("specialists", 0, "commitments", 0, "slot"),
        "eve",
        "specialists[0].commitments[0].slot",
        "'eve'",
    ),
    "date as written elsewhere": (
        ("pinned", 0, "date"),
        "5/11/2026",
        "pinned[0].date",
        "'5/11/2026' is not a date; write dates as YYYY-MM-DD",
    ),
    "date of a range": (
        ("specialists", 0, "unavailable"),
        [{"from": "2027-03-01", "to": "2027-03-32"}],
        "specialists[0].unavailable[0].to",
        "'2027-03-32'",
    ),
    "range back to front": (
        ("schools", 1, "blackouts", 0, "to"),
        "2027-05-01",
        "schools[1].blackouts[0]",
        "'to' (2027-05-01) is before 'from' (2027-05-10)",
    ),
    "e-mail": (
        ("specialists", 0, "email"),
        "sam at example.org",
        "specialists[0].email",
        "'sam at example.org'",
    ),
    "phase": (("schools", 0, "phase"), "middle", "schools[0].phase", "'middle' is not a phase; use primary,"),
    "role": (("teachers", 0, "role"), "boss", "teachers[0].role", "'boss' is not a role; use advocate,"),
    "session kind": (
        ("pinned", 0, "kind"),
        "party",
        "pinned[0].kind",
        "'party' is not a session kind; use group,",
    ),
    "term": (("calendar", "terms", 0, "name"), "winter", "calendar.terms[0].name", "'winter' is not a term"),
    "time zone": (("calendar", "timezone"), "Europe/Paris", "calendar.timezone", "'Europe/Paris'"),
    "programme": (
        ("work_groups", 0, "programme"),
        "secondary-dev",
        "work_groups[0].programme",
        "'secondary-dev'",
    ),
    "number too small": (
        ("schools", 0, "capacity"),
        0,
        "schools[0].capacity",
        "0 is too small; use 1 or more",
    ),
    "number too large": (
        ("schools", 0, "location", "lat"),
        91.5,
        "schools[0].location.lat",
        "91.5 is too large",
    ),
    "negative money": (("rates", "sle_day"), -5, "rates.sle_day", "-5 is too small; use 0 or more"),
    "distance of zero": (("max_same_day_km",), 0, "max_same_day_km", "0 is too small; use more than 0"),
    "days a week": (
        ("specialists", 0, "max_days_per_week"),
        6,
        "specialists[0].max_days_per_week",
        "6 is too large",
    ),
    "not a number": (
        ("teachers", 2, "max_release_days"),
        "six",
        "teachers[2].max_release_days",
        "'six' is not a number",
    ),
    "not a whole number": (
        ("schools", 0, "capacity"),
        2.5,
        "schools[0].capacity",
        "2.5 is not a whole number",
    ),
    "parameter back to front": (
        ("work_groups", 0, "params"),
        {"group_days": [4, 2]},
        "work_groups[0].params.group_days",
        "[4, 2] has max below min; swap them",
    ),
    "parameter out of range": (
        ("work_groups", 0, "params"),
        {"support_days": 2000},
        "work_groups[0].params.support_days",
        "2000: numbers must lie between 0 and 1000",
    ),
    "parameter not a number": (
        ("work_groups", 0, "params"),
        {"group_days": "lots"},
        "work_groups[0].params.group_days",
        "'lots' is not a number or [min, max]",
    ),
    "boolean": (("specialists", 0, "sle"), "maybe", "specialists[0].sle", "'maybe' is not true or false"),
    "unknown key": (
        ("schools", 0, "nmae"),
        "x",
        "schools[0].nmae",
        "unknown field 'nmae'; did you mean 'name'?",
    ),
    "unknown top-level key": (("hubs",), {}, "hubs", "unknown field 'hubs'; did you mean 'hub'?"),
    "text": (("schools", 0, "name"), 12345, "schools[0].name", "12345 is not text; put it in quotes"),
    "list": (("schools", 0, "prefer_days"), "wed", "schools[0].prefer_days", "'wed' is not a list"),
    "mapping": (
        ("schools", 0, "location"),
        "Newcastle",
        "schools[0].location",
        "'Newcastle' is not a mapping",
    ),
    "time range": (("calendar", "slots", "am"), "nine", "calendar.slots.am", "'nine' is not a time range"),
    "half-term of one date": (
        ("calendar", "terms", 0, "half_term"),
        ["2026-10-26"],
        "calendar.terms[0].half_term",
        "['2026-10-26'] is too short; write [first, last]",
    ),
    "programme year": (("specialists", 0, "programme_year"), 2, "specialists[0].programme_year", "year 2"),
    # cross-references
    "unknown teacher": (
        ("work_groups", 0, "schools", 0, "teachers", 1),
        "bea-leee",
        "work_groups[0].schools[0].teachers[1]",
        "unknown teacher 'bea-leee'; did you mean 'bea-lee'?",
    ),
    "unknown school": (
        ("teachers", 0, "school"),
        "oakfeild",
        "teachers[0].school",
        "unknown school 'oakfeild'",
    ),
    "unknown specialist": (
        ("work_groups", 0, "specialist"),
        "sam-jone",
        "work_groups[0].specialist",
        "unknown specialist 'sam-jone'; did you mean 'sam-jones'?",
    ),
    "unknown venue": (("work_groups", 0, "venue"), "nowhere", "work_groups[0].venue", "'nowhere'"),
    "unknown TfM Lead": (("hub", "tfm_lead"), "nobody", "hub.tfm_lead", "'nobody' is not a specialist id"),
    "unknown work group": (("pinned", 0, "work_group"), "sec-dev-9", "pinned[0].work_group", "'sec-dev-9'"),
}


@pytest.mark.parametrize("case", sorted(QUOTED))
def test_every_message_names_the_field_and_quotes_the_value(case, raw, tmp_path):
    where, value, path, said = QUOTED[case]
    data = _numbers(copy.deepcopy(raw))
    put(data, where, value)
    code, out = run_validate(tmp_path, data)
    assert code == 2
    lines = [line for line in out.splitlines() if line.startswith(f"{path}: ")]
    assert len(lines) == 1 and said in lines[0], out


def test_the_issues_examples_word_for_word(raw, tmp_path):
    data = _numbers(copy.deepcopy(raw))
    for case in ("weekday", "date", "id", "slot"):
        put(data, *QUOTED[case][:2])
    code, out = run_validate(tmp_path, data)
    assert code == 2
    for case in ("weekday", "date", "id", "slot"):
        _, _, path, said = QUOTED[case]
        assert f"{path}: {said}" in out.splitlines()


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
