"""Engines, sessions and migrations, for SQLite (a file, WAL) and PostgreSQL alike.

SQLite is shared by the server's threads and, while planning, read by nobody else: worker
processes hand their results back to the server, which alone writes. WAL lets readers go
on while one writer writes; the busy timeout makes a writer wait its turn, not fail.

A PostgreSQL server may go away (restarted, failed over, its network down) and come back.
Every connection taken from the pool is tried first (`pool_pre_ping`), so one that died
meanwhile is replaced, not handed to a page; a connection attempt gives up after
CONNECT_TIMEOUT; pages answer 503 while the database is away (`UNREACHABLE`, handled in
`web.app`) and work again when it is back, without a restart. Work that must not be lost
when it comes at a bad moment (a finished planning run) waits for the database (`patiently`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy import exc as db_errors
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT = 5  # seconds to reach PostgreSQL before a page says it is away
# Connections: more than the threads that run requests (anyio's 40). A request holds its
# connection until its session closes, and the close needs a thread too: with fewer
# connections than threads, a burst left every thread waiting for a connection that only a
# waiting close would give back, until the pool's timeout (measured: feeds timing out after
# 10 s under benchmarks/load.py with the default 5 + 10). PostgreSQL allows 100 by default.
POOL_SIZE, POOL_OVERFLOW = 10, 40
PATIENCE = 300.0  # seconds `patiently` waits for an unreachable database
# What a database that cannot be reached raises (psycopg's OperationalError for a refused or
# dropped connection, the pool's TimeoutError when every connection is stuck).
UNREACHABLE = (db_errors.OperationalError, db_errors.InterfaceError, db_errors.TimeoutError)


class DatabaseUrlError(ValueError):
    """A --database that names no database hubplan can use."""


def engine_url(url: str) -> str:
    """sqlite:///PATH as given; postgresql://… (or postgres://…) through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - SQLAlchemy raises several kinds for a bad URL
        raise DatabaseUrlError(
            f"'{url}' is not a database URL; write sqlite:///PATH or postgresql://…"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(
            f"'{url}': hubplan serves from SQLite (sqlite:///PATH) or PostgreSQL (postgresql://…)"
        )
    return url


def make_engine(url: str) -> Engine:
    url = engine_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=CONNECT_TIMEOUT,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "foreign_keys=ON",
        "synchronous=NORMAL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def alembic_config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (by default the newest), from empty if need be.

    SQLite changes a table it cannot ALTER (a new column with a foreign key, say) by
    copying it and dropping the old one; with foreign keys enforced, that DROP TABLE would
    cascade into every table referring to it (a plan's files: its feeds). So, as SQLite's
    own procedure has it, foreign keys are off for the migration (a pragma that only takes
    effect outside a transaction) and checked whole before it commits."""
    from alembic import command

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # SQLAlchemy began a transaction around the pragma; end it
        try:
            with connection.begin():
                command.upgrade(alembic_config(connection), revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left rows whose references are gone: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def schema_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def healthy(engine: Engine) -> bool:
    """The database answers a query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One short transaction: committed on success, rolled back on any failure."""
    with factory() as db, db.begin():
        yield db


def patiently(work: Callable[[], T], patience: float = PATIENCE, pause: float = 1.0) -> T:
    """`work()` (a whole transaction), tried again every `pause` seconds while the database
    cannot be reached, for up to `patience` seconds; then its error stands."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return work()
        except UNREACHABLE:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)


def utcnow() -> dt.datetime:
    """Naive UTC, the same on both databases."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
