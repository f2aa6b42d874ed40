"""Alembic's entry: migrations run on the connection `web.db.migrate` hands over, or on the
URL of `-x url=…` when run with the alembic command (`alembic -c … -x url=sqlite:///x.db upgrade head`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from web.db import engine_url
from web.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the database: alembic … -x url=sqlite:///PATH upgrade head")
    with create_engine(engine_url(url)).begin() as connection:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


run()
