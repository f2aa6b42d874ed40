"""A hub (or every hub) in one file, and back into an empty database, on either engine.

The file is gzip-compressed JSON Lines: a header line, then one line per table, then one per
row, each a JSON array in the table's column order. Lines rather than one JSON document so
that a hub with years of plans (every plan keeps every file it wrote) is written and read a
row at a time, never held whole. Bytes are base64, times ISO 8601, all as the database had
them; feed tokens are there as the database holds them (their SHA-256, never the token).

What belongs to a hub is found from the schema itself, not from a list: the `hubs` rows
chosen, then every row of a table with a foreign key to rows already taken (versions, plans,
jobs, feed tokens, roles… and plan files through their plan), then the accounts those rows
name, and every admin. So a table a later migration adds comes along without a change
here. Tables that belong to the server and not to a hub (its session key, failed sign-ins)
stay out, and the header says so.

The header names the schema revision the rows were read at. Restoring migrates the empty
database to that revision, inserts every row with its own ids, moves PostgreSQL's id
sequences past them, and then migrates to the newest revision, so a file made by an older
hubplan restores into a newer one.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy import types as sa

from web.db import migrate, schema_revision

FORMAT = "hubplan-backup"
FORMAT_VERSION = 1
SERVER_ONLY = ("alembic_version",)  # never a hub's; other tables are judged by their keys
BATCH = 500  # rows inserted at once


class BackupError(Exception):
    """A backup or restore that cannot be done, in words for the person running it."""


@dataclass
class Summary:
    """What a backup or restore moved: rows per table, and the tables left out."""

    hubs: list[str]
    rows: dict[str, int] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)

    def line(self) -> str:
        total = sum(self.rows.values())
        return f"{', '.join(self.hubs) or 'no hubs'}: {total:,} rows in {len(self.rows)} tables"


# -- values ---------------------------------------------------------------------------------


def _encode(kind: sa.TypeEngine, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, sa.LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def _decode(kind: sa.TypeEngine, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    if isinstance(kind, sa.DateTime):
        return dt.datetime.fromisoformat(value)
    if isinstance(kind, sa.Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    return value


# -- backup -----------------------------------------------------------------------------------


def _schema(engine: Engine) -> MetaData:
    meta = MetaData()
    meta.reflect(engine)
    return meta


def _scope(meta: MetaData) -> tuple[list[Table], list[str]]:
    """The tables that hold a hub's rows, parents first, and the tables left out."""
    owned: list[Table] = []
    left: list[str] = []
    for table in meta.sorted_tables:
        if table.name == "hubs" or _owner_key(table, {t.name for t in owned}) is not None:
            owned.append(table)
        elif table.name != "users" and table.name not in SERVER_ONLY:
            left.append(table.name)
    return owned, left


def _owner_key(table: Table, owned: set[str]):
    """The foreign key by which a table's rows belong to rows already taken (to `hubs` if it
    has one, else to the first owned table it names)."""
    keys = [fk for fk in table.foreign_keys if fk.column.table.name in owned]
    keys.sort(key=lambda fk: (fk.column.table.name != "hubs", fk.parent.name))
    return keys[0] if keys else None


Taken = dict[tuple[str, str], set]  # (table, column) -> the values rows of other tables point at


def _where(table: Table, taken: Taken, chosen: list[str]):
    """Which rows of an owned table belong to the chosen hubs."""
    if table.name == "hubs":
        return table.c.slug.in_(chosen)
    key = _owner_key(table, {name for name, _ in taken} - {"users"})
    return key.parent.in_(sorted(taken.get((key.column.table.name, key.column.name), set())))


def _gather(db, owned: list[Table], meta: MetaData, chosen: list[str]) -> Taken:
    """The keys the chosen hubs' rows hold and point at, table by table (parents first), and
    the accounts they name: read before anything is written, so that the accounts can come
    first in the file, as a restore must insert them."""
    taken: Taken = {}
    for table in owned:
        pointed = sorted(
            {
                fk.column.name
                for t in meta.tables.values()
                for fk in t.foreign_keys
                if fk.column.table is table
            }
        )
        to_users = [fk for fk in table.foreign_keys if fk.column.table.name == "users"]
        names = [*pointed, *(fk.parent.name for fk in to_users)]
        where = _where(table, taken, chosen)
        for name in pointed:
            taken[(table.name, name)] = set()
        if not names:
            continue
        for row in db.execute(select(*(table.c[n] for n in names)).where(where)):
            values = dict(zip(names, row))
            for name in pointed:
                taken[(table.name, name)].add(values[name])
            for fk in to_users:
                if values[fk.parent.name] is not None:
                    taken.setdefault(("users", fk.column.name), set()).add(values[fk.parent.name])
    return taken


def write_backup(engine: Engine, out: Path, slugs: list[str] | None = None) -> Summary:
    """Write the hubs named by `slugs` (all when None) to `out`, with the accounts their rows
    name and every admin; written beside `out` and renamed into place when whole."""
    meta = _schema(engine)
    if "hubs" not in meta.tables:
        raise BackupError("the database has no hubs yet (its schema was never made)")
    hubs_table, users = meta.tables["hubs"], meta.tables["users"]
    with engine.connect() as db:
        known = list(db.scalars(select(hubs_table.c.slug).order_by(hubs_table.c.slug)))
        chosen = known if slugs is None else slugs
        unknown = [s for s in chosen if s not in known]
        if unknown:
            raise BackupError(f"--hub {unknown[0]}: no such hub (hubs: {', '.join(known) or 'none'})")
        owned, left = _scope(meta)
        summary = Summary(sorted(chosen), left_out=left)
        taken = _gather(db, owned, meta, chosen)
        header = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema": schema_revision(engine),
            "made": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "hubs": summary.hubs,
            "left_out": left,
        }
        named = sorted(taken.get(("users", "id"), set()))
        tmp = out.with_name(out.name + ".partial")
        try:
            with gzip.open(tmp, "wt", encoding="utf-8") as f:
                f.write(json.dumps(header) + "\n")
                _write_table(db, f, users, users.c.id.in_(named) | users.c.is_admin.is_(True), summary)
                for table in owned:
                    _write_table(db, f, table, _where(table, taken, chosen), summary)
            tmp.replace(out)
        finally:
            tmp.unlink(missing_ok=True)
    return summary


def _write_table(db, f: IO[str], table: Table, where, summary: Summary) -> None:
    columns = list(table.columns)
    f.write(json.dumps({"table": table.name, "columns": [c.name for c in columns]}) + "\n")
    count = 0
    query = select(table).where(where).order_by(*table.primary_key.columns)
    for row in db.execute(query.execution_options(yield_per=BATCH)):
        f.write(json.dumps([_encode(c.type, row[i]) for i, c in enumerate(columns)]) + "\n")
        count += 1
    summary.rows[table.name] = count


# -- restore ----------------------------------------------------------------------------------


def read_header(path: Path) -> dict:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header = json.loads(f.readline())
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError):
        raise BackupError(f"{path}: not a hubplan backup (not gzip-compressed JSON lines)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError(f"{path}: not a hubplan backup (no '{FORMAT}' header)")
    if header.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path}: a backup of format {header.get('format_version')}; this hubplan reads format {FORMAT_VERSION}"
        )
    return header


def restore_backup(engine: Engine, path: Path) -> Summary:
    """Bring a backup into `engine`'s database, which must hold no hubs and no accounts."""
    header = read_header(path)
    _require_empty(engine)
    _require_known(header["schema"])
    migrate(engine, header["schema"])
    meta = _schema(engine)
    summary = Summary(list(header["hubs"]), left_out=list(header.get("left_out", [])))
    with engine.begin() as db, gzip.open(path, "rt", encoding="utf-8") as f:
        f.readline()
        table, columns, batch = None, [], []
        for number, line in enumerate(f, start=2):
            item = json.loads(line)
            if isinstance(item, dict):
                _insert(db, table, batch)
                table, batch = _table(meta, item, path, number), []
                columns = [table.c[name] for name in item["columns"]]
                summary.rows[table.name] = 0
                continue
            if table is None or len(item) != len(columns):
                raise BackupError(f"{path}, line {number}: a row that does not fit its table")
            batch.append({c.name: _decode(c.type, v) for c, v in zip(columns, item)})
            summary.rows[table.name] += 1
            if len(batch) >= BATCH:
                _insert(db, table, batch)
                batch = []
        _insert(db, table, batch)
        if db.dialect.name == "postgresql":
            _move_sequences(db, meta)
    migrate(engine)
    return summary


def _table(meta: MetaData, item: dict, path: Path, number: int) -> Table:
    table = meta.tables.get(item.get("table", ""))
    if table is None or not all(name in table.c for name in item.get("columns", [])):
        raise BackupError(f"{path}, line {number}: table {item.get('table')!r} is not in the schema it names")
    return table


def _insert(db, table: Table | None, batch: list[dict]) -> None:
    if table is not None and batch:
        db.execute(table.insert(), batch)


def _require_empty(engine: Engine) -> None:
    names = set(inspect(engine).get_table_names())
    with engine.connect() as db:
        held = [t for t in ("hubs", "users") if t in names and db.scalar(text(f"SELECT count(*) FROM {t}"))]
    if held:
        raise BackupError(
            f"the database already holds {' and '.join(held)}; restore into an empty database "
            "(a new SQLite file, or createdb for PostgreSQL)"
        )


def _require_known(revision: str) -> None:
    from alembic.script import ScriptDirectory

    from web.db import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        found = scripts.get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        found = None
    if found is None:
        raise BackupError(
            f"the backup's schema is revision {revision}, which this hubplan does not know; "
            "restore it with the hubplan that made it, or a newer one"
        )


def _move_sequences(db, meta: MetaData) -> None:
    """PostgreSQL hands out ids from a sequence, which knows nothing of the rows just
    inserted with their own ids: move each past the largest."""
    for table in meta.sorted_tables:
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, sa.Integer):
            continue
        sequence = db.scalar(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": key[0].name}
        )
        if sequence:
            top = db.scalar(select(func.max(key[0])))
            db.execute(
                text("SELECT setval(:s, :v, :called)"),
                {"s": sequence, "v": top or 1, "called": top is not None},
            )
