"""`hubplan backup` and `hubplan restore`: a hub's whole life in one file (versions, plans with
every file, runs, held uploads, roles, feed tokens hashed), back into an empty database on
either engine, compared table by table, row by row."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest
from seed import seed_plan
from sqlalchemy import select, text
from web_support import PASSWORD, ROOT, make_app, postgres

from models.load import load_instance
from web import feeds
from web.auth import verify_password
from web.db import make_engine, migrate, session_factory, transaction, utcnow
from web.hubs import add_version, load_bundled_hubs
from web.locking import Seen, hold
from web.tables import Base, Hub, Job, LoginAttempt, User

CHANGED = ROOT / "instances" / "what-if" / "example-after-changes.yaml"
SERVER_ONLY = {"server_settings", "login_attempts"}  # the server's, not a hub's: left out by design


def _url(kind: str, tmp_path, postgres_server, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    return postgres_server.new_database()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def _lived_in(app) -> dict:
    """A hub with a history: two versions, a plan superseded by a re-plan, a failed run, feed
    tokens live and revoked, a held upload, a failed sign-in; another hub with data only."""
    sessions = app.state.sessions
    seed_plan(sessions, "example-hub")
    with transaction(sessions) as db:
        hub = db.scalar(select(Hub).where(Hub.slug == "example-hub"))
        coord = db.scalar(select(User).where(User.email == "coord@example.org"))
        add_version(db, hub, load_instance(CHANGED), CHANGED.name, coord, Seen(hub.version))
        live = feeds.issue(db, hub.id, "specialists", "sam-jones")
        feeds.issue(db, hub.id, "schools", "oakfield")
        feeds.revoke(db, hub.id, "schools", "oakfield")
        hold(db, hub, coord, "late.yaml", CHANGED.read_text(), Seen(1))
        db.add(LoginAttempt(email="coord@example.org", address="192.0.2.1", at=utcnow()))
    seed_plan(sessions, "example-hub")
    with transaction(sessions) as db:
        db.add(
            Job(hub_id=1, version_id=1, state="failed", progress_json="", message="x", created_at=utcnow())
        )
    return {"token": live}


def _tables(engine) -> dict[str, list[tuple]]:
    out = {}
    with engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            rows = c.execute(select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


@pytest.mark.parametrize(
    "source, target",
    [("sqlite", "sqlite"), ("sqlite", "postgresql"), ("postgresql", "sqlite"), ("postgresql", "postgresql")],
)
def test_every_table_comes_back(source, target, make_app, postgres, tmp_path):
    app, _ = make_app(_url(source, tmp_path, postgres, "source"))
    made = _lived_in(app)
    before = _tables(app.state.engine)
    assert before["plans"] and before["plan_files"] and before["feed_tokens"] and before["held_uploads"]
    out = tmp_path / "hubs.jsonl.gz"
    r = cli("backup", "-o", str(out), "--database", app.state.settings.database)
    assert r.returncode == 0, r.stderr
    assert "example-hub, north-east-hub, pathways-hub" in r.stdout
    assert f"left out: {', '.join(sorted(SERVER_ONLY))}" in r.stdout

    url = _url(target, tmp_path, postgres, "target")
    r = cli("restore", str(out), "--database", url)
    assert r.returncode == 0, r.stderr
    engine = make_engine(url)
    after = _tables(engine)
    for name, rows in before.items():
        if name in SERVER_ONLY:
            assert after[name] == [], name
        else:
            assert after[name] == rows, f"{name}: {len(after[name])} rows restored of {len(rows)}"
    assert set(before) == set(Base.metadata.tables)  # every table of the schema was compared

    # the restored server works: the same feed link, the same passwords, new rows get new ids
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings

    restored = create_app(Settings(database=url))
    with TestClient(restored) as client:
        feed = client.get(f"/feeds/{made['token']}.ics")
        assert feed.status_code == 200
    with transaction(restored.state.sessions) as db:
        user = db.scalar(select(User).where(User.email == "coord@example.org"))
        assert verify_password(user.password_hash, PASSWORD)
        hub = db.scalar(select(Hub).where(Hub.slug == "north-east-hub"))
        version = add_version(db, hub, load_instance(CHANGED), "new.yaml", user, Seen(hub.version))
        job = Job(
            hub_id=hub.id,
            version_id=version.id,
            state="done",
            progress_json="",
            message="",
            created_at=utcnow(),
        )
        db.add(job)
        db.flush()
        assert version.id > max(r[0] for r in before["hub_versions"]) and job.id > max(
            r[0] for r in before["jobs"]
        )
    engine.dispose()
    restored.state.engine.dispose()


def test_one_hub_alone(make_app, postgres, tmp_path):
    """Only the chosen hub's rows, the accounts they name, and the admins."""
    app, _ = make_app(_url("postgresql", tmp_path, postgres, "source"))
    _lived_in(app)
    before = _tables(app.state.engine)
    out = tmp_path / "north-east.jsonl.gz"
    assert (
        cli(
            "backup", "--hub", "north-east-hub", "-o", str(out), "--database", app.state.settings.database
        ).returncode
        == 0
    )
    url = _url("sqlite", tmp_path, postgres, "target")
    assert cli("restore", str(out), "--database", url).returncode == 0
    after = _tables(make_engine(url))
    hub_id = next(r[0] for r in before["hubs"] if r[1] == "north-east-hub")
    assert [r[1] for r in after["hubs"]] == ["north-east-hub"]
    for name in ("hub_versions", "plans", "jobs", "feed_tokens", "held_uploads", "roles"):
        table = Base.metadata.tables[name]
        column = list(table.columns).index(table.c.hub_id)
        assert after[name] == [r for r in before[name] if r[column] == hub_id], name
    assert after["plan_files"] == []
    assert sorted(r[1] for r in after["users"]) == ["admin@example.org", "other@example.org"]


def test_mistakes_are_one_message(make_app, tmp_path):
    app, _ = make_app(f"sqlite:///{tmp_path / 'source.db'}")
    database = app.state.settings.database
    out = tmp_path / "b.jsonl.gz"
    cases = [
        (
            ("backup", "--hub", "nowhere", "-o", str(out), "--database", database),
            "--hub nowhere: no such hub",
        ),
        (
            ("restore", str(ROOT / "README.md"), "--database", f"sqlite:///{tmp_path / 'x.db'}"),
            "not a hubplan backup",
        ),
    ]
    assert cli("backup", "-o", str(out), "--database", database).returncode == 0
    cases.append((("restore", str(out), "--database", database), "already holds hubs and users"))
    wrong = tmp_path / "wrong.jsonl.gz"
    with gzip.open(wrong, "wt") as f:
        f.write(
            json.dumps({"format": "hubplan-backup", "format_version": 1, "schema": "9999", "hubs": []}) + "\n"
        )
    cases.append((("restore", str(wrong), "--database", f"sqlite:///{tmp_path / 'y.db'}"), "revision 9999"))
    for args, says in cases:
        r = cli(*args)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert not (tmp_path / "b.jsonl.gz.partial").exists()


def test_a_backup_from_an_older_schema_restores_into_the_newest(tmp_path):
    """Rows read at revision 0003 go in at 0003, then the database is migrated to the newest."""
    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(old, "0003")
    with old.begin() as c:
        c.execute(
            text(
                "INSERT INTO hubs (id, slug, name, created_at) VALUES (1, 'old-hub', 'Old Hub', '2026-01-01 00:00:00')"
            )
        )
    out = tmp_path / "old.jsonl.gz"
    assert cli("backup", "-o", str(out), "--database", f"sqlite:///{tmp_path / 'old.db'}").returncode == 0
    with gzip.open(out, "rt") as f:
        assert json.loads(f.readline())["schema"] == "0003"
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert cli("restore", str(out), "--database", url).returncode == 0
    new = make_engine(url)
    with session_factory(new)() as db:
        hub = db.scalar(select(Hub))
        assert hub.slug == "old-hub" and hub.version == 1  # the column 0004 added, at its default
    with transaction(session_factory(new)) as db:
        load_bundled_hubs(db, ROOT / "instances")  # the newest schema takes new rows
