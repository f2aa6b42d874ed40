"""Helpers and fixtures of the workspace tests.

Not a conftest.py: the project's tests import their shared conftest by name (`from conftest
import …`), which a second conftest.py would shadow. Test modules import the fixtures they use.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ENGINES = ("sqlite", "postgresql")
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Postgres:
    port: int
    folder: Path | None = None  # holds data/, the log and the socket
    as_user: tuple[str, ...] = ()  # runuser -u postgres -- when root
    options: str = ""

    def pg_ctl(self, *args) -> None:
        subprocess.run(
            [*self.as_user, _pg_binary("pg_ctl"), "-D", self.folder / "data", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.pg_ctl("-o", self.options, "-l", self.folder / "log", "-w", "start")

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://hubplan@127.0.0.1:{self.port}/{name}"

    def new_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=hubplan dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _pg_binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name)]
    return found[-1]


# -- the application in-process --------------------------------------------------------------


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


class Browserless:
    """A TestClient signed in (or not), that fills in the CSRF token of the last page."""

    def __init__(self, client):
        self.client, self.csrf = client, ""

    def get(self, url: str, **kw):
        r = self.client.get(url, **kw)
        m = re.search(r'name="csrf" value="([^"]+)"', r.text)
        if m:
            self.csrf = m.group(1)
        return r

    def post(self, url: str, data: dict | None = None, **kw):
        if not self.csrf:
            self.get("/")
        return self.client.post(url, data={"csrf": self.csrf, **(data or {})}, **kw)

    def sign_in(self, email: str, password: str = PASSWORD):
        self.get("/")
        r = self.post("/login", {"email": email, "password": password, "next": "/"})
        self.get("/")
        return r


def as_user(client, email: str) -> Browserless:
    b = Browserless(client)
    b.sign_in(email)
    return b


def wait_job(app, job_id: int, timeout: float = 120.0, states=("done", "failed", "cancelled", "interrupted")):
    from web.tables import Job

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with app.state.sessions() as db:
            job = db.get(Job, job_id)
            if job.state in states:
                return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job.state} after {timeout} s")


# -- a real server -------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    database: str
    admin: tuple[str, str]
    process: subprocess.Popen

    def cli(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *args, "--database", self.database],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )


def start_server(
    database: str,
    workdir: Path,
    env: dict | None = None,
    command: list[str] | None = None,
    admin: tuple[str, str] | None = None,
) -> Server:
    """`hubplan serve` on a free port (or `command`, which takes the same arguments), with
    `env` added to its environment. On a new database it prints the first admin's login;
    on one that has accounts already (a restart), give `admin`."""
    port = free_port()
    process = subprocess.Popen(
        [
            *(command or [sys.executable, str(ROOT / "cli.py")]),
            "serve",
            "--port",
            str(port),
            "--database",
            database,
            "--time-limit",
            "20",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=workdir,
        env={**os.environ, **(env or {})},
    )
    lines = []
    end = time.monotonic() + 60
    while time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"first admin login: (\S+)\s+password: (\S+)", line)
        if m:
            admin = (m.group(1), m.group(2))
        if admin is not None and (m or line.startswith("hubplan workspace on")):
            break
    if admin is None:
        process.kill()
        raise AssertionError(
            "hubplan serve did not start:\n" + "".join(lines) + (process.stdout.read() or "")
        )
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < end:
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{url}/healthz", timeout=2).read() == b"ok":
                return Server(url, database, admin, process)
        time.sleep(0.1)
    process.kill()
    raise AssertionError("hubplan serve never answered /healthz")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        raise AssertionError("hubplan serve did not stop within 20 s of SIGTERM") from None
    finally:
        server.process.stdout.close()


# -- fixtures ----------------------------------------------------------------------------------


_SERVERS: list[Postgres] = []


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for this test run (one, whichever modules ask); stopped at exit."""
    if not _SERVERS:
        _SERVERS.append(start_postgres())
    return _SERVERS[0]


def start_postgres() -> Postgres:
    """`initdb` refuses root, so as root the server runs as the package's `postgres` user, in
    a folder that user owns. Stopped when the tests end."""
    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.fail("PostgreSQL is not installed: `python3 tasks.py test` installs Debian's postgresql")
    folder = Path(tempfile.mkdtemp(prefix="hubplan-pg-"))
    as_user: tuple[str, ...] = ()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ("runuser", "-u", "postgres", "--")
    port = free_port()
    subprocess.run(
        [*as_user, initdb, "-D", folder / "data", "-A", "trust", "-U", "hubplan", "-E", "UTF8", "--no-sync"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    server = Postgres(port, folder, as_user, options)
    server.start()

    def stop() -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return server


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


_BROWSERS: list = []


@pytest.fixture(scope="session")
def browser():
    """Chromium for this test run: one, whichever modules ask (each module that imports this
    fixture gets its own session-scoped instance, and a second Playwright in the same thread
    refuses to start); closed at exit."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed: `python3 tasks.py test` installs Debian's chromium")
    if not _BROWSERS:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        _BROWSERS.append(
            (playwright, playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"]))
        )

        def stop() -> None:
            with contextlib.suppress(Exception):
                _BROWSERS[0][1].close()
                _BROWSERS[0][0].stop()

        atexit.register(stop)
    return _BROWSERS[0][1]
