"""Uploads: validated as `hubplan validate` does, nothing stored unless valid, versions with what changed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import openpyxl
import pytest
from sqlalchemy import func, select
from web_support import ROOT, as_user, make_app, sqlite_url

from models.load import load_instance
from web.diff import version_changes
from web.hubs import UploadRejected, read_upload
from web.tables import HubVersion

EXAMPLE = ROOT / "instances" / "example-hub-2026-27.yaml"
CHANGED = ROOT / "instances" / "what-if" / "example-after-changes.yaml"
LIMIT = 2**20


def _versions(app) -> int:
    with app.state.sessions() as db:
        return db.scalar(select(func.count()).select_from(HubVersion))


def test_bad_workbook_problems_by_sheet_row_and_column(tmp_path):
    good = tmp_path / "hub.xlsx"
    subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "template", "-o", str(good), "--from", str(EXAMPLE)],
        check=True,
    )
    bad = tmp_path / "bad.xlsx"
    shutil.copy(good, bad)
    book = openpyxl.load_workbook(bad)
    book["Teachers"]["F3"] = "funday"
    book.save(bad)
    with pytest.raises(UploadRejected) as caught:
        read_upload("bad.xlsx", bad.read_bytes(), LIMIT)
    places = [p.place for p in caught.value.problems]
    assert {"sheet": "Teachers", "row": "3", "column": "works"} in places
    assert read_upload("hub.xlsx", good.read_bytes(), LIMIT) == load_instance(EXAMPLE)


@pytest.mark.parametrize(
    "name, data, says",
    [
        ("hub.txt", b"name: x", "upload a workbook (.xlsx)"),
        ("hub.yaml", b"", "is empty"),
        ("hub.yaml", b"x" * (LIMIT + 1), "at most 1 MiB"),
        ("hub.xlsx", b"name: x\n", "not an Excel workbook inside"),
        ("hub.yaml", b"PK\x03\x04rest", "is a workbook inside"),
        ("hub.yaml", b"name: [unclosed", "hub.yaml: not valid YAML"),
        ("hub.json", b"{}", "name"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(name, data, says):
    with pytest.raises(UploadRejected) as caught:
        read_upload(name, data, LIMIT)
    text = " ".join(f"{p.where} {p.message}" for p in caught.value.problems)
    assert says in text and "/tmp" not in text


def test_nothing_is_stored_until_valid(sqlite_url, make_app):
    app, client = make_app(sqlite_url)
    b = as_user(client, "coord@example.org")
    before = _versions(app)
    b.get("/hubs/example-hub/upload")
    r = b.post("/hubs/example-hub/upload", files={"file": ("hub.yaml", b"name: x\nhub: 3\n")})
    assert r.status_code == 400 and "nothing was stored" in r.text
    assert _versions(app) == before
    r = b.post("/hubs/example-hub/upload", files={"file": ("after.yaml", CHANGED.read_bytes())})
    assert r.status_code == 200 and "version 2" in r.text
    assert "Ofsted follow-up" in r.text and "unavailable: added 2027-03-01..2027-03-05" in r.text
    assert _versions(app) == before + 1


def test_version_changes_name_schools_people_work_groups_and_dates():
    old = load_instance(EXAMPLE)
    data = old.model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["schools"] = data["schools"][:-1] + [{**data["schools"][-1], "name": "Renamed School"}]
    data["teachers"] = [t for t in data["teachers"] if t["id"] != "dee-nash"] + [
        {"id": "new-teacher", "name": "New Teacher", "school": data["schools"][0]["id"]}
    ]
    data["calendar"]["closures"] = ["2027-02-01"]
    for wg in data["work_groups"]:
        for s in wg["schools"]:
            s["teachers"] = [t for t in s["teachers"] if t != "dee-nash"]
    from models.load import parse_instance

    try:
        new = parse_instance(data)
    except Exception as exc:  # noqa: BLE001 - show why the edited instance is not valid
        pytest.fail(str(exc))
    rows = [(c.area, c.subject, c.what) for c in version_changes(old, new)]
    assert ("People", "teacher dee-nash (Dee Nash)", "removed") in rows
    assert ("People", "teacher new-teacher (New Teacher)", "added") in rows
    assert any(
        a == "Schools" and w.startswith("name: ") and w.endswith("→ Renamed School") for a, _, w in rows
    )
    assert ("Dates", "calendar", "closures: added 2027-02-01") in rows
    assert any(a == "Work Groups" and "removed dee-nash" in w for a, _, w in rows)
    assert json.dumps([c.as_dict() for c in version_changes(old, new)])
