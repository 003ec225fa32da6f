"""The world as it stood at the end of a past day, rebuilt from the audit log.

State at the end of day D = today's rows, minus the rows written after D, with every audit
event recorded after D undone (its "before" values applied, newest first; a creation undone
removes the row, a deletion undone brings it back). Events after D are few next to the rows,
so this is cheap.

The rebuilt world is read through the very queries the pages already send: for the rest of
the request the session's connection holds, for every table of the world, a temporary view
of the same name (temporary objects come before the real tables when a name is looked up,
on SQLite and on PostgreSQL). Each view reads the real table's rows created on or before D
that no later event touched, plus the rebuilt rows of those that one did (kept in a small
temporary table). The session is read-only while it looks at the past, and the request's
end rolls it back, which drops the views; nothing rewound is ever written.

Setting up costs a fixed number of statements: one read of the later events, one read of
the touched rows per table and one of which tables hold later rows (all three kept under
the data version, so a day asked again before any change costs none of them), then a view
per table that differs from that day (plus a temporary table and one insert when later
events touched it); a table nothing has touched since is read as it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from strategy_app.extensions import db
from strategy_app.models import ApiToken, AuditEvent, User
from strategy_app.models.base import UTCDateTime
from strategy_app.services.evaluation.clock import today
from strategy_app.services.plumbing import data_version
from strategy_app.services.plumbing.audit import ROW_ACTIONS, SECRET_FIELDS

PAST_KEY = data_version.PAST_KEY
_OBJECTS_KEY = "as_of_objects"  # on the DBAPI connection's record: what to drop at check-in
_PRESENT = "asof_present"
# People and their tokens stay as they are today: sign-in, permissions and secrets are not
# part of the history a page shows (who owned what then is: owner_id is rewound).
_LEFT_OUT = (AuditEvent, ApiToken, User)


class PastIsReadOnly(RuntimeError):
    """A write was attempted while the session showed a past day."""


def end_of(day: date) -> datetime:
    """The first instant after day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def world_tables() -> dict[str, sa.Table]:
    """The tables whose past the pages show, by audited entity name."""
    tables = {}
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, _LEFT_OUT) or not getattr(cls, "__audit__", True):
            continue
        table = mapper.local_table
        if isinstance(table, sa.Table) and "id" in table.c and "created_at" in table.c:
            tables[cls.__name__] = table
    return tables


def in_past(session: Session | None = None) -> date | None:
    """The past day the session shows, or None when it shows today."""
    return (session or db.session).info.get(PAST_KEY)


def rebuilt_rows(table_name: str, session: Session | None = None) -> str | None:
    """In the past the session shows, the temporary table holding table_name's rows that a
    later change touched, as they were then (None: no such row, or today). The view's other
    rows are the real table's, untouched since the day: an index of today's values holds
    for them (search reads its index so)."""
    made = (session or db.session).info.get(_OBJECTS_KEY) or ()
    return f"asof_{table_name}" if ("TABLE", f"asof_{table_name}") in made else None


def shows_past(as_of: date) -> bool:
    """Whether as_of is a past day (today and later show today's world)."""
    return as_of < today()


def python_value(column: sa.Column, value: Any) -> Any:
    """A value of the audit log's JSON back as the column's Python value."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime | sa.DateTime) and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if isinstance(kind, sa.Date) and isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Float):
        return float(value)
    if isinstance(kind, sa.Numeric):
        return Decimal(str(value))
    return value


def rewind(
    rows: dict[tuple[str, int], dict | None], events: list, tables: dict[str, sa.Table]
) -> None:
    """Undo events (newest first) on rows: entity → column values, None when absent."""
    for ev in events:
        table = tables.get(ev.entity_type)
        if table is None:
            continue
        key = (ev.entity_type, ev.entity_id)
        changes = ev.changes or {}
        if ev.action == "create":
            rows[key] = None
        elif ev.action == "delete":
            rows[key] = {
                c.name: python_value(c, (changes.get(c.name) or [None])[0]) for c in table.c
            }
        else:
            row = rows.get(key)
            if row is None:
                continue  # a row gone without a trace: nothing to rewind
            for name, (before, _after) in changes.items():
                if name in table.c and name not in SECRET_FIELDS:
                    row[name] = python_value(table.c[name], before)


def rebuild(
    as_of: date, only: dict[str, set[int]] | None = None, *, for_views: bool = False
) -> dict[str, dict[int, dict | None]]:
    """The rows that changed after as_of, as they stood at its end (None: not there then);
    only: just these rows (by entity name), for a refresh after a change. for_views: leave
    out the rows not there then that a view's "created before the end of as_of" already
    hides (made after it, or gone today), so that a table where nothing older changed
    needs no rebuilt rows at all and its view stays a plain filter the database can see
    through (its indexes still serve).

    One query for the later events, one per table they touched for today's rows.
    """
    tables = world_tables()
    query = sa.select(
        AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.action, AuditEvent.changes
    ).where(
        AuditEvent.created_at >= end_of(as_of),
        AuditEvent.entity_id.is_not(None),
        AuditEvent.action.in_(ROW_ACTIONS),
        AuditEvent.entity_type.in_(tables),
    )
    if only is not None:
        query = query.where(
            sa.or_(
                *(
                    sa.and_(AuditEvent.entity_type == name, AuditEvent.entity_id.in_(ids))
                    for name, ids in only.items()
                )
            )
        )
    events = db.session.execute(query.order_by(AuditEvent.id.desc())).all()
    touched: dict[str, set[int]] = {}
    for ev in events:
        touched.setdefault(ev.entity_type, set()).add(ev.entity_id)
    rows: dict[tuple[str, int], dict | None] = {}
    for name, ids in touched.items():
        table = tables[name]
        for row in db.session.execute(sa.select(table).where(table.c.id.in_(sorted(ids)))):
            rows[(name, row.id)] = dict(row._mapping)
    end = end_of(as_of)
    hidden = {
        key
        for key, row in rows.items()
        if row is not None and row.get("created_at") is not None and row["created_at"] >= end
    }
    rewind(rows, events, tables)
    for key, row in rows.items():  # not made yet at the end of the day (a bulk load, say,
        # writes rows without a creation event): not there then
        if row is not None and row.get("created_at") is not None and row["created_at"] >= end:
            rows[key] = None
    out: dict[str, dict[int, dict | None]] = {name: {} for name in touched}
    for (name, entity_id), row in rows.items():
        if for_views and row is None and (name, entity_id) in hidden:
            continue  # made after the day: the view's date filter hides it already
        out[name][entity_id] = row
    if not for_views:
        for name, ids in touched.items():
            for entity_id in ids:
                out[name].setdefault(entity_id, None)  # touched, gone today, never rebuilt
    return out


def _later_rows(as_of: date) -> set[str]:
    """The tables holding rows created after as_of (one query; each EXISTS stops at its
    first such row)."""
    end = end_of(as_of)
    tables = world_tables()
    checks = [
        sa.select(sa.literal(name)).where(sa.exists().where(table.c.created_at >= end))
        for name, table in tables.items()
    ]
    return set(db.session.scalars(sa.union_all(*checks))) if checks else set()


Prepared = tuple[dict[str, dict[int, tuple]], frozenset[str]]
# A refresh rebuilds the rows a change touched; past this many, the day is rebuilt afresh.
_MOST_REFRESHED = 1000


def _prepared(as_of: date, dialect) -> Prepared:
    """What showing as_of needs, kept under the data version: rebuild(as_of) as the driver
    takes it (per table and row id, a tuple of its columns bound for the dialect, then
    whether it was there), and the tables whose today differs from that day at all (rows
    created or touched later). The others need no view: they are as they were.

    Plain tuples only, so the same day asked again before any change costs no query and no
    conversion (pages, their charts and the API ask the same day over and over). After a
    change, only the rows it touched are rebuilt (_refresh_prepared): a change made today
    alters nothing of a past day but the later events of the rows it touched.
    """
    tables = world_tables()

    def bound(rebuilt: dict[str, dict[int, dict | None]]) -> dict[str, dict[int, tuple]]:
        out: dict[str, dict[int, tuple]] = {}
        for name, rows_of in rebuilt.items():
            columns = list(tables[name].c)
            binds = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
            rows = {}
            for entity_id, row in rows_of.items():
                values = row or {"id": entity_id}
                rows[entity_id] = (
                    *(
                        bind(v) if bind is not None and v is not None else v
                        for bind, v in zip(
                            binds, (values.get(c.name) for c in columns), strict=True
                        )
                    ),
                    row is not None,
                )
            out[name] = rows
        return out

    def compute() -> Prepared:
        out = bound(rebuild(as_of, for_views=True))
        return out, frozenset(_later_rows(as_of) | set(out))

    def refresh(old: Prepared, touched: data_version.Touched) -> Prepared | None:
        only = {kind: set(ids) for kind, ids in touched.ids.items() if kind in tables}
        if not only:
            return old
        if sum(len(ids) for ids in only.values()) > _MOST_REFRESHED:
            return None
        rows, differ = old
        rows = {name: dict(kept) for name, kept in rows.items()}
        fresh = bound(rebuild(as_of, only, for_views=True))
        for name, ids in only.items():
            kept = rows.setdefault(name, {})
            for entity_id in ids:
                kept.pop(entity_id, None)  # rebuilt below, or hidden by the date filter now
            kept.update(fresh.get(name, {}))
        return rows, differ | frozenset(only)

    return data_version.cache().get_or_refresh(
        ("as_of_world", as_of, dialect.name), compute, refresh
    )


def _literal_end(dialect: str, as_of: date) -> str:
    end = end_of(as_of)
    if dialect == "sqlite":
        return f"'{end.replace(tzinfo=None).isoformat(sep=' ', timespec='microseconds')}'"
    return f"'{end.isoformat()}'::timestamptz"


def enter(as_of: date) -> bool:
    """Show the world of the end of as_of to the rest of this request (when it is past).

    Returns whether the session now shows the past. Idempotent for the same day.
    """
    session = db.session
    if not shows_past(as_of):
        return False
    shown = in_past(session)
    if shown == as_of:
        return True
    if shown is not None:
        leave()
    if session.new or session.dirty or session.deleted:
        session.flush()  # nothing staged may be mistaken for the past
    conn = session.connection()
    changed, differ = _prepared(as_of, conn.dialect)
    dialect = conn.dialect.name
    schema = conn.dialect.default_schema_name or ("main" if dialect == "sqlite" else "public")
    quote = conn.dialect.identifier_preparer.quote
    end = _literal_end(dialect, as_of)
    made: list[tuple[str, str]] = []
    conn.info[_OBJECTS_KEY] = made
    session.info[_OBJECTS_KEY] = made
    session.info[PAST_KEY] = as_of
    for name, table in world_tables().items():
        if name not in differ:
            continue  # nothing created or changed in it since: today's rows are that day's
        columns = ", ".join(quote(c.name) for c in table.c)
        real = f"{quote(schema)}.{quote(table.name)}"
        # Names quoted by the dialect, the date written from a date: nothing from the request.
        body = f"SELECT {columns} FROM {real} WHERE created_at < {end}"  # noqa: S608
        rebuilt = changed.get(name)
        if rebuilt:
            holder = sa.Table(
                f"asof_{table.name}",
                sa.MetaData(),
                # keyed by id: each of the view's queries looks its rows up by id
                *(sa.Column(c.name, c.type, primary_key=c.name == "id") for c in table.c),
                sa.Column(_PRESENT, sa.Boolean),
                prefixes=["TEMPORARY"],
            )
            holder.create(conn)
            made.append(("TABLE", holder.name))
            kept = quote(holder.name)
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            names = ", ".join(quote(c.name) for c in holder.c)
            marks = ", ".join(mark for _ in holder.c)
            insert = f"INSERT INTO {kept} ({names}) VALUES ({marks})"  # noqa: S608 (quoted names)
            conn.exec_driver_sql(insert, list(rebuilt.values()))
            body = (
                f"{body} AND id NOT IN (SELECT id FROM {kept}) "  # noqa: S608
                f"UNION ALL SELECT {columns} FROM {kept} WHERE {_PRESENT}"
            )
        conn.exec_driver_sql(f"CREATE TEMPORARY VIEW {quote(table.name)} AS {body}")
        made.append(("VIEW", table.name))
    # The audit log as it was then: the history shown on a page stops at the day too.
    log = AuditEvent.__table__
    columns = ", ".join(quote(c.name) for c in log.c)
    conn.exec_driver_sql(
        f"CREATE TEMPORARY VIEW {quote(log.name)} AS SELECT {columns} "  # noqa: S608
        f"FROM {quote(schema)}.{quote(log.name)} WHERE created_at < {end}"
    )
    made.append(("VIEW", log.name))
    session.expire_all()  # what the session loaded before is re-read from the past
    return True


def leave() -> None:
    """Back to today: roll back the session's transaction, which drops the past's views."""
    session = db.session
    if session.info.get(PAST_KEY) is not None:
        session.rollback()


def _forget_past(session: Session, transaction) -> None:
    # Whoever ends the transaction (leave(), an error handler's rollback) ends the past too:
    # the views were made inside it and are gone with it.
    if transaction.parent is None and session.info.pop(PAST_KEY, None) is not None:
        made = session.info.pop(_OBJECTS_KEY, None)
        if made is not None:
            made.clear()  # nothing left for the pool's check-in to drop


def _refuse_flush(session: Session, _context, _instances) -> None:
    if session.info.get(PAST_KEY) is not None:
        raise PastIsReadOnly("Nothing can be changed while looking at a past day.")


def _refuse_commit(session: Session) -> None:
    if session.info.get(PAST_KEY) is not None:
        raise PastIsReadOnly("Nothing can be changed while looking at a past day.")


def _drop_leftovers(dbapi_connection, record) -> None:
    """A connection back in the pool drops any view of the past that outlived its request."""
    made = record.info.pop(_OBJECTS_KEY, None) if record is not None else None
    if not made:
        return
    sqlite = type(dbapi_connection).__module__.startswith("sqlite3")
    cursor = dbapi_connection.cursor()
    try:
        for kind, name in reversed(made):
            where = f"temp.{name}" if sqlite else f"pg_temp.{name}"
            cursor.execute(f"DROP {kind} IF EXISTS {where}")
    finally:
        cursor.close()
    if not sqlite:
        dbapi_connection.commit()


def install(app, session_class: type[Session] = Session) -> None:
    """Make sessions that show the past read-only, and pooled connections forget the past."""
    with app.app_context():
        engine = db.engine
    for target, name, fn in (
        (session_class, "before_flush", _refuse_flush),
        (session_class, "before_commit", _refuse_commit),
        (session_class, "after_transaction_end", _forget_past),
    ):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)
    if not event.contains(engine, "checkin", _drop_leftovers):
        event.listen(engine, "checkin", _drop_leftovers)
