"""Complete backup and restore of the database as one JSON document (DESIGN §5).

The export holds every table of the metadata, rows ordered by primary key, every column in a
canonical JSON form (dates "YYYY-MM-DD", datetimes ISO 8601 in UTC, decimals as strings with
their scale), so that exporting, importing into an empty database and exporting again gives
the same document. The import writes with Core inserts in one transaction: the ORM flush hook
does not run, so a restore adds no audit events of its own.
"""

from __future__ import annotations

import json
import math
import os
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from strategy_app.extensions import db

FORMAT = "strategy-tracker-export"
VERSION = 1
# How deep lists and objects may nest inside a JSON column (an audit event's changes, a
# milestone list): an export never comes near it, and deeper values could not be exported
# again (the JSON encoder recurses).
MAX_JSON_DEPTH = 32
TOO_DEEP = (
    "the file nests lists or objects too deeply (more than {} levels in a value): "
    "it is not an export of this app"
)
# What the export holds that must not leak: said when it is written.
SECRETS_NOTE = (
    "The file holds password hashes, API token hashes, session tokens and the emails of "
    "failed sign-ins: it is readable by its owner only; keep it as safe as the database."
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def schema_revision() -> str | None:
    """The database's Alembic revision, or the migrations' head if it has none."""
    current = MigrationContext.configure(db.session.connection()).get_current_revision()
    if current is not None:
        return current
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def export_document() -> dict:
    """Every row of every table, in a canonical JSON-safe form."""
    tables = {}
    for table in db.metadata.sorted_tables:
        result = db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        tables[table.name] = [
            {col.name: _to_json(col, row[col.name]) for col in table.columns}
            for row in result.mappings()
        ]
    return {"format": FORMAT, "version": VERSION, "schema": schema_revision(), "tables": tables}


def dumps(doc: dict) -> str:
    """The document as deterministic JSON text (sorted keys, UTF-8, trailing newline)."""
    return json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_file(path: Path, doc: dict) -> None:
    """Write the document to path readable and writable by its owner only (mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file that already existed keeps its old mode otherwise
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(dumps(doc))


def loads(text: str) -> Any:
    """Parse an export's text; nesting too deep for the parser is a ValueError, not a crash."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP.format(MAX_JSON_DEPTH)) from None


def import_document(doc: Any) -> dict[str, int]:
    """Restore an export into an empty database in one transaction; return rows per table."""
    try:
        rows_by_table = _parse(doc)
        _check_empty()
        counts = _insert(rows_by_table)
        db.session.commit()
    except sa.exc.DBAPIError as exc:
        db.session.rollback()
        raise ValueError(f"the database refused the data: {exc.orig}") from exc
    except BaseException:
        db.session.rollback()
        raise
    return counts


# --- export ------------------------------------------------------------------------------


def _to_json(column: sa.Column, value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        scale = _base_type(column).scale
        return str(value if scale is None else value.quantize(Decimal(1).scaleb(-scale)))
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf": JSON has no such numbers
    return value


# --- import ------------------------------------------------------------------------------


def _parse(doc: Any) -> dict[sa.Table, list[dict]]:
    """Validate the document and convert its values to Python values, table by table."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not a strategy-tracker export")
    if doc.get("version") != VERSION:
        raise ValueError(f"unsupported export version {doc.get('version')!r} (expected 1)")
    schema = schema_revision()
    if doc.get("schema") != schema:
        raise ValueError(
            f"the export is of schema revision {doc.get('schema')!r} but the database is at"
            f" {schema!r}: migrate to the same revision first"
        )
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise ValueError("'tables' must be an object of table name to rows")
    known = {t.name: t for t in db.metadata.sorted_tables}
    for name in tables:
        if name not in known:
            raise ValueError(f"unknown table {name!r}")
    parsed = {}
    for name, table in known.items():
        if name not in tables:
            raise ValueError(f"missing table {name!r}")
        rows = tables[name]
        if not isinstance(rows, list):
            raise ValueError(f"table {name!r}: rows must be a list")
        parsed[table] = [_parse_row(table, i, row) for i, row in enumerate(rows, start=1)]
    return parsed


def _parse_row(table: sa.Table, number: int, row: Any) -> dict:
    where = f"table {table.name!r} row {number}"
    if not isinstance(row, dict):
        raise ValueError(f"{where}: a row must be an object")
    names = set(table.columns.keys())
    for key in row:
        if key not in names:
            raise ValueError(f"{where}: unknown column {key!r}")
    values = {}
    for column in table.columns:
        if column.name not in row:
            raise ValueError(f"{where}: missing column {column.name!r}")
        try:
            values[column.name] = _from_json(column, row[column.name])
        except (ValueError, TypeError, InvalidOperation) as exc:
            raise ValueError(f"{where} column {column.name!r}: {exc}") from None
    return values


def _from_json(column: sa.Column, value: Any) -> Any:
    type_ = _base_type(column)
    if value is None:
        if not column.nullable:
            raise ValueError("must not be null")
        return None
    if isinstance(type_, sa.JSON):
        if _depth(value) > MAX_JSON_DEPTH:
            raise ValueError(TOO_DEEP.format(MAX_JSON_DEPTH))
        return value
    if isinstance(type_, sa.DateTime):
        if not isinstance(value, str):
            raise TypeError(f"expected an ISO 8601 datetime string, got {value!r}")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"datetime {value!r} has no UTC offset")
        return parsed.astimezone(UTC)
    if isinstance(type_, sa.Date):
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
        return date.fromisoformat(value)
    if isinstance(type_, sa.Float):
        if isinstance(value, str) and value in ("nan", "inf", "-inf"):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"expected a number, got {value!r}")
        return float(value)
    if isinstance(type_, sa.Numeric):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"expected a decimal number as a string, got {value!r}")
        number = Decimal(value)
        if not number.is_finite() or (
            type_.scale is not None and number != number.quantize(Decimal(1).scaleb(-type_.scale))
        ):
            raise ValueError(f"{value!r} is not a decimal with at most {type_.scale} places")
        return number
    if isinstance(type_, sa.Boolean):
        if not isinstance(value, bool):
            raise TypeError(f"expected true or false, got {value!r}")
        return value
    if isinstance(type_, sa.Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        bits = 63 if isinstance(type_, sa.BigInteger) else 31
        if not -(2**bits) <= value < 2**bits:
            raise ValueError(f"integer {value} is out of range")
        return value
    if isinstance(type_, sa.String):
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {value!r}")
        if type_.length is not None and len(value) > type_.length:
            raise ValueError(f"longer than {type_.length} characters")
        return value
    raise TypeError(f"cannot restore a column of type {type_!r}")


def _depth(value: Any) -> int:
    """How deep lists and objects nest in value (0 for a plain value), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((child, level + 1) for child in children)
    return deepest


def _base_type(column: sa.Column) -> sa.types.TypeEngine:
    type_ = column.type
    return type_.impl_instance if isinstance(type_, sa.types.TypeDecorator) else type_


def _check_empty() -> None:
    for table in db.metadata.sorted_tables:
        if db.session.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            raise ValueError("the database is not empty: import restores into an empty database")


def _insert(rows_by_table: dict[sa.Table, list[dict]]) -> dict[str, int]:
    """Insert parent tables first; foreign keys that close a cycle are set afterwards."""
    later = []
    for table, rows in rows_by_table.items():
        cyclic = [fk.parent.name for fk in table.foreign_keys if fk.use_alter]
        if cyclic and rows:
            later.append((table, cyclic, rows))
            rows = [{**row, **dict.fromkeys(cyclic)} for row in rows]
        if rows:
            db.session.execute(sa.insert(table), rows)
    for table, cyclic, rows in later:
        _set_columns(table, cyclic, rows)
    if db.session.get_bind().dialect.name == "postgresql":
        for table in rows_by_table:
            _reset_sequence(table)
    return {table.name: len(rows) for table, rows in rows_by_table.items()}


def _set_columns(table: sa.Table, names: list[str], rows: list[dict]) -> None:
    """Set the named columns by primary key, keeping columns with an onupdate unchanged."""
    (pk,) = table.primary_key.columns
    names = names + [c.name for c in table.columns if c.onupdate is not None]
    stmt = (
        sa.update(table)
        .where(pk == sa.bindparam("pk_"))
        .values({name: sa.bindparam(f"{name}_") for name in names})
    )
    params = [{"pk_": row[pk.name], **{f"{n}_": row[n] for n in names}} for row in rows]
    db.session.execute(stmt, params)


def _reset_sequence(table: sa.Table) -> None:
    """Move the id sequence past the restored ids so that new rows do not collide."""
    if "id" not in table.columns:
        return
    top = sa.func.max(table.c.id)
    sequence = sa.func.pg_get_serial_sequence(table.name, "id")
    db.session.execute(
        sa.select(sa.func.setval(sequence, sa.func.coalesce(top, 1), top.is_not(None)))
    )
