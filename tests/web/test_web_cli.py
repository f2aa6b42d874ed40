"""`hubplan users add`: passwords from the environment (never the command line), one clear
message for each mistake."""

from __future__ import annotations

import os
import subprocess
import sys

from web_support import PASSWORD, ROOT, database_url, postgres


def users(database: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "users", *args, "--database", database],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def test_users_add_and_its_mistakes(database_url):
    ok = users(
        database_url,
        "add",
        "Boss@Example.org",
        "--role",
        "admin",
        "--password-env",
        "PW",
        env={"PW": PASSWORD},
    )
    assert ok.returncode == 0 and "added boss@example.org (admin)" in ok.stdout
    cases = [
        (
            ("add", "boss@example.org", "--role", "admin", "--password-env", "PW"),
            {"PW": PASSWORD},
            "already has an account",
        ),
        (
            ("add", "c@example.org", "--role", "coordinator", "--password-env", "PW"),
            {"PW": PASSWORD},
            "needs --hub HUB",
        ),
        (
            ("add", "c@example.org", "--role", "viewer", "--hub", "nowhere", "--password-env", "PW"),
            {"PW": PASSWORD},
            "there is no hub 'nowhere'",
        ),
        (
            ("add", "c@example.org", "--role", "admin", "--password-env", "UNSET_VAR_X"),
            {},
            "UNSET_VAR_X: that environment variable is not set",
        ),
        (
            ("add", "c@example.org", "--role", "admin", "--password-env", "PW"),
            {"PW": "short"},
            "at least 10 characters",
        ),
        (
            ("add", "not-an-address", "--role", "admin", "--password-env", "PW"),
            {"PW": PASSWORD},
            "is not an e-mail address",
        ),
    ]
    for args, env, says in cases:
        r = users(database_url, *args, env=env)
        assert r.returncode == 2 and says in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    changed = users(
        database_url, "set-password", "boss@example.org", "--password-env", "PW", env={"PW": PASSWORD + "!"}
    )
    assert changed.returncode == 0


def test_a_database_that_cannot_be_opened_is_one_message():
    r = users(
        "mysql://x@localhost/db",
        "add",
        "a@example.org",
        "--role",
        "admin",
        "--password-env",
        "PW",
        env={"PW": PASSWORD},
    )
    assert r.returncode == 2 and "sqlite:///PATH" in r.stderr and "Traceback" not in r.stderr
