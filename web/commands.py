"""`hubplan serve`, `hubplan users`, `hubplan backup` and `hubplan restore`: the workspace
from the command line.

Imports of the web stack happen inside the commands, so that the rest of the command line
starts as fast as before.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from web.settings import DEFAULT_DATABASE

FIRST_ADMIN = "admin@hubplan.local"
EXIT_INVALID = 2


def _fail(message: str) -> NoReturn:
    click.echo(f"hubplan: {message}", err=True)
    sys.exit(EXIT_INVALID)


def _database_option(f):
    return click.option(
        "--database",
        default=DEFAULT_DATABASE,
        show_default=True,
        help="sqlite:///PATH (a file, created if need be) or postgresql://USER@HOST:PORT/NAME.",
    )(f)


def _sessions(database: str):
    """Sessions on a migrated database, or one clear message."""
    from web.db import DatabaseUrlError, make_engine, migrate, session_factory

    try:
        engine = make_engine(database)
        migrate(engine)
    except DatabaseUrlError as exc:
        _fail(f"--database: {exc}")
    except Exception as exc:  # noqa: BLE001 - a database that cannot be reached or opened
        _fail(f"--database {database}: cannot be opened ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    return session_factory(engine)


def first_start(sessions, settings) -> tuple[str, str] | None:
    """On a new database: the first admin (returned with its password, to print once) and
    the bundled hubs. Nothing on a database that has accounts and hubs already."""
    from sqlalchemy import select

    from web.auth import add_user, new_password
    from web.db import transaction
    from web.hubs import load_bundled_hubs
    from web.tables import Hub, User

    login = None
    with transaction(sessions) as db:
        if db.scalar(select(User).limit(1)) is None:
            password = new_password()
            add_user(db, FIRST_ADMIN, password, "admin", chosen=False)
            login = (FIRST_ADMIN, password)
        if db.scalar(select(Hub).limit(1)) is None:
            load_bundled_hubs(db, settings.bundled)
    return login


def unchosen_admin(sessions) -> str | None:
    """An admin still on the password made at first start, if any."""
    from sqlalchemy import select

    from web.tables import User

    with sessions() as db:
        user = db.scalar(select(User).where(User.is_admin, User.password_chosen.is_(False)).limit(1))
        return user.email if user else None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@_database_option
@click.option(
    "--time-limit",
    type=click.FloatRange(0.01, 86_400),
    default=None,
    help="Search budget of each planning run, as `solve --time-limit` [default: 60].",
)
def serve(host: str, port: int, database: str, time_limit: float | None) -> None:
    """Serve the workspace: hubplan in the browser. Migrates the database on start; a new
    one gets a first admin (printed once) and the bundled hubs."""
    import uvicorn

    from web.app import create_app
    from web.db import DatabaseUrlError
    from web.settings import Settings

    settings = Settings.from_env(database=database, host=host, port=port, solve_time_limit=time_limit)
    try:
        app = create_app(settings)
    except DatabaseUrlError as exc:
        _fail(f"--database: {exc}")
    except Exception as exc:  # noqa: BLE001 - a database that cannot be reached or opened
        _fail(f"--database {database}: cannot be opened ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    login = first_start(app.state.sessions, settings)
    waiting = unchosen_admin(app.state.sessions)
    if not settings.loopback and waiting:
        _fail(
            f"--host {host}: other machines could reach this server, and {waiting} still has the password "
            "made at first start. Choose a password first: serve on 127.0.0.1 and change it under "
            f"'Your account', or run `hubplan users set-password {waiting} --database {database}`."
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"hubplan workspace on http://{shown}:{port}/ (database {database})")
    if login:
        click.echo(
            f"first admin login: {login[0]}  password: {login[1]}  (shown once; change it after signing in)"
        )
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


@click.group()
def users() -> None:
    """Accounts of the workspace."""


def _password(password_env: str | None) -> str:
    if password_env:
        value = os.environ.get(password_env)
        if value is None:
            _fail(f"--password-env {password_env}: that environment variable is not set")
        return value
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "coordinator", "viewer"]), required=True)
@click.option("--hub", help="The hub's short name (for a coordinator or viewer).")
@click.option(
    "--password-env", metavar="VAR", help="Environment variable that holds the password (else a prompt)."
)
@_database_option
def add(email: str, role: str, hub: str | None, password_env: str | None, database: str) -> None:
    """Create an account: an admin, or a coordinator or viewer of --hub."""
    from sqlalchemy import select

    from web.auth import AccountError, add_user
    from web.db import transaction
    from web.tables import Hub

    sessions = _sessions(database)
    if role != "admin" and not hub:
        _fail(f"--role {role} needs --hub HUB")
    password = _password(password_env)
    try:
        with transaction(sessions) as db:
            target = db.scalar(select(Hub).where(Hub.slug == hub)) if hub else None
            if hub and target is None:
                known = ", ".join(db.scalars(select(Hub.slug).order_by(Hub.slug))) or "none yet"
                raise AccountError(f"--hub: there is no hub '{hub}' (hubs: {known})")
            add_user(db, email, password, role, target)
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"added {email.strip().lower()} ({role}{' of ' + hub if hub and role != 'admin' else ''})")


@users.command("set-password")
@click.argument("email")
@click.option(
    "--password-env", metavar="VAR", help="Environment variable that holds the password (else a prompt)."
)
@_database_option
def set_password(email: str, password_env: str | None, database: str) -> None:
    """Set an account's password."""
    from sqlalchemy import select

    from web.auth import end_sessions, hash_password, password_problem
    from web.db import transaction
    from web.tables import User

    sessions = _sessions(database)
    password = _password(password_env)
    problem = password_problem(password)
    if problem:
        _fail(problem)
    with transaction(sessions) as db:
        user = db.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            _fail(f"there is no account {email}")
        user.password_hash, user.password_chosen = hash_password(password), True
        end_sessions(user)  # a reset password ends the account's sessions everywhere
    click.echo(f"password of {email.strip().lower()} set")


@contextlib.contextmanager
def _database_for(database: str, doing: str):
    """An engine on an existing database (not migrated: a backup reads it as it is); every
    failure one message."""
    from web.backup import BackupError
    from web.db import DatabaseUrlError, make_engine

    try:
        engine = make_engine(database)
    except DatabaseUrlError as exc:
        _fail(f"--database: {exc}")
    try:
        yield engine
    except BackupError as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a database that cannot be reached, read or written
        _fail(f"--database {database}: cannot be {doing} ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    finally:
        engine.dispose()


@click.command()
@click.option(
    "--hub",
    "hubs",
    multiple=True,
    metavar="HUB",
    help="A hub's short name; repeat for more [default: every hub].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The backup file (.jsonl.gz).",
)
@_database_option
def backup(hubs: tuple[str, ...], output: Path, database: str) -> None:
    """Write hubs to one file: their versions, plans with every file, runs, held uploads, roles
    and feed tokens (hashed), with the accounts they name and every admin."""
    from web.backup import write_backup

    with _database_for(database, "read") as engine:
        summary = write_backup(engine, output, list(hubs) or None)
    click.echo(f"wrote {output}: {summary.line()}")
    if summary.left_out:
        click.echo(f"not a hub's, left out: {', '.join(summary.left_out)}")


@click.command()
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_database_option
def restore(backup_file: Path, database: str) -> None:
    """Bring a backup into an empty database (SQLite or PostgreSQL, whichever made it)."""
    from web.backup import restore_backup

    with _database_for(database, "written") as engine:
        summary = restore_backup(engine, backup_file)
    click.echo(f"restored {backup_file}: {summary.line()}")
