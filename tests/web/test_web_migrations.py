"""Alembic's migrations, on SQLite and PostgreSQL: from empty to the models' schema, and a
database made by the first migration upgraded with its data kept."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from web_support import database_url, postgres, sqlite_url

from web.db import alembic_config, make_engine, migrate, schema_revision
from web.tables import Base

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_from_empty_to_the_models(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    assert schema_revision(engine) == HEAD
    with engine.connect() as c:
        assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
    migrate(engine)  # again: nothing to do
    engine.dispose()


def test_first_migration_upgraded_keeps_data(database_url):
    engine = make_engine(database_url)
    migrate(engine, "0001")
    assert "plans" not in inspect(engine).get_table_names()
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO users (id, email, password_hash, is_admin, password_chosen, created_at) "
                "VALUES (1, 'a@example.org', 'h', true, true, '2026-01-01 00:00:00')"
            )
        )
        c.execute(
            text(
                "INSERT INTO hubs (id, slug, name, created_at) VALUES (1, 'h', 'Hub', '2026-01-01 00:00:00')"
            )
        )
        c.execute(text("INSERT INTO roles (user_id, hub_id, role) VALUES (1, 1, 'coordinator')"))
        c.execute(
            text(
                "INSERT INTO hub_versions (id, hub_id, number, source_name, instance_yaml, changes_json, created_at) "
                "VALUES (1, 1, 1, 'hub.yaml', 'name: x', '[]', '2026-01-01 00:00:00')"
            )
        )
    migrate(engine)
    assert schema_revision(engine) == HEAD
    with engine.connect() as c:
        assert c.execute(text("SELECT email FROM users")).scalar() == "a@example.org"
        assert c.execute(text("SELECT role FROM roles")).scalar() == "coordinator"
        assert c.execute(text("SELECT source_name FROM hub_versions")).scalar() == "hub.yaml"
        assert c.execute(text("SELECT count(*) FROM plans")).scalar() == 0
        assert compare_metadata(MigrationContext.configure(c), Base.metadata) == []
    engine.dispose()


def test_a_plan_and_its_files_survive_every_later_migration(database_url):
    """A hub planned under an older schema keeps its plan, files (the feeds) and all: on
    SQLite a migration that rebuilds a table (a new column with a foreign key) must not let
    the rebuild's DROP TABLE cascade into the tables that refer to it."""
    engine = make_engine(database_url)
    migrate(engine, "0002")
    stamp = "'2026-01-01 00:00:00'"
    with engine.begin() as c:
        for sql in (
            "INSERT INTO users (id, email, password_hash, is_admin, password_chosen, created_at) "
            f"VALUES (1, 'a@example.org', 'h', true, true, {stamp})",
            f"INSERT INTO hubs (id, slug, name, created_at) VALUES (1, 'h', 'Hub', {stamp})",
            "INSERT INTO hub_versions (id, hub_id, number, source_name, instance_yaml, changes_json, created_at) "
            f"VALUES (1, 1, 1, 'hub.yaml', 'name: x', '[]', {stamp})",
            "INSERT INTO plans (id, hub_id, version_id, state, status, plan_json, summary, created_at, version) "
            f"VALUES (1, 1, 1, 'current', 'optimal', '{{}}', '', {stamp}, 1)",
        ):
            c.execute(text(sql))
        c.execute(
            text(
                "INSERT INTO plan_files (plan_id, path, content, etag) VALUES (1, 'calendars/a.ics', :b, 'e')"
            ),
            {"b": b"BEGIN:VCALENDAR"},
        )
    migrate(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT state FROM plans")).scalar() == "current"
        assert c.execute(text("SELECT content FROM plan_files")).scalar() == b"BEGIN:VCALENDAR"
        assert c.execute(text("SELECT name FROM hubs")).scalar() == "Hub"
        if engine.dialect.name == "sqlite":
            assert c.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_sqlite_runs_in_wal_mode(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()
