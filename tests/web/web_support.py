"""Helpers of the workspace tests (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

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


def start_server(database: str, workdir: Path) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "cli.py"),
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
    )
    lines = []
    admin = None
    end = time.monotonic() + 60
    while admin is None and time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"first admin login: (\S+)\s+password: (\S+)", line)
        if m:
            admin = (m.group(1), m.group(2))
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
