"""Fixtures of the workspace tests: a real PostgreSQL server (started here, in a temporary
folder, on a free port of 127.0.0.1), a fresh database on either engine, the application
in-process, a real `hubplan serve` in a subprocess, and Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from web_support import (
    CHROMIUM,
    ENGINES,
    PASSWORD,
    ROOT,
    Postgres,
    _pg_binary,
    free_port,
    start_server,
    stop_server,
)


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for this test session; `initdb` refuses root, so as root it runs
    as the package's `postgres` user, in a folder that user owns."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL is not installed: `python3 tasks.py test` installs Debian's postgresql")
    folder = Path(tempfile.mkdtemp(prefix="hubplan-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(
        [*as_user, initdb, "-D", data, "-A", "trust", "-U", "hubplan", "-E", "UTF8", "--no-sync"], **quiet
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [*as_user, pg_ctl, "-D", data, "-o", options, "-l", folder / "log", "-w", "start"], **quiet
    )
    try:
        yield Postgres(port)
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    """An empty database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'workspace.db'}"


@pytest.fixture
def make_app():
    """create_app on a database, with the bundled hubs and accounts: admin@example.org,
    coord@example.org (coordinator of example-hub), other@example.org (coordinator of
    north-east-hub) and viewer@example.org (viewer of example-hub)."""
    from fastapi.testclient import TestClient

    from web.app import create_app
    from web.auth import add_user
    from web.db import transaction
    from web.hubs import load_bundled_hubs
    from web.settings import Settings
    from web.tables import Hub

    opened = []

    def make(url: str, **settings):
        app = create_app(Settings(database=url, solve_time_limit=20, **settings))
        with transaction(app.state.sessions) as db:
            hubs = {h.slug: h for h in load_bundled_hubs(db, ROOT / "instances")}
            add_user(db, "admin@example.org", PASSWORD, "admin")
            add_user(db, "coord@example.org", PASSWORD, "coordinator", hubs["example-hub"])
            add_user(db, "other@example.org", PASSWORD, "coordinator", hubs["north-east-hub"])
            add_user(db, "viewer@example.org", PASSWORD, "viewer", hubs["example-hub"])
            assert db.get(Hub, hubs["example-hub"].id)
        client = TestClient(app, follow_redirects=True)
        client.__enter__()
        opened.append(client)
        return app, client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def server(database_url, tmp_path):
    s = start_server(database_url, tmp_path)
    yield s
    stop_server(s)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: `python3 tasks.py test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()
