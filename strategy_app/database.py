"""Engine set-up: SQLite tuned for several workers, engines disposed after fork."""

from __future__ import annotations

import os
import weakref

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from strategy_app.extensions import db

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option: `connection.execution_options(sqlite_foreign_keys=False)` runs that
# connection's transactions with foreign keys off. Migrations need it: a batch migration
# recreates a table, and dropping the old one with foreign keys on would first delete its
# rows, cascading to (or nulling) every row that refers to them.
FOREIGN_KEYS_OPTION = "sqlite_foreign_keys"
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


_COMMITTED = "database_committed"  # in flask.g: this request has committed its write


def _wants_write() -> bool:
    """Outside a read request (a form post, an API write, a CLI command) we will write.

    Once a write request has committed, what follows is reading back what it wrote for the
    answer (an expired object refreshed, the page it redirects to): that transaction reads,
    so it does not queue for the write lock, and another writer holding the lock then does
    not turn a saved write into an error. Unless the session holds new changes already.
    """
    if not has_request_context():
        return True
    if request.method in _READ_METHODS:
        return False
    if g.get(_COMMITTED):
        session = db.session
        return bool(session.new or session.dirty or session.deleted)
    return True


def _note_commit(session: Session) -> None:
    if has_request_context():
        g.setdefault(_COMMITTED, True)


def committed_a_write() -> bool:
    """This request (a write: a form post, an API change) has committed what it changed."""
    return has_request_context() and request.method not in _READ_METHODS and bool(g.get(_COMMITTED))


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Take over transaction control from the sqlite3 module, so that "begin" below decides.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement commits by itself; a BEGIN here would undo that
        # PRAGMA foreign_keys is ignored inside a transaction, so it is set before BEGIN;
        # it is set again whenever it differs, so the pooled connection goes back to "on".
        foreign_keys = bool(options.get(FOREIGN_KEYS_OPTION, True))
        if conn.info.get(FOREIGN_KEYS_OPTION, True) != foreign_keys:
            conn.exec_driver_sql(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
            conn.info[FOREIGN_KEYS_OPTION] = foreign_keys
        # A deferred transaction that reads and then writes cannot wait for the lock: SQLite
        # answers "database is locked" at once. Writers therefore take the lock up front.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write() else "BEGIN")


def _dispose_after_fork() -> None:
    for engine in list(_engines):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_dispose_after_fork)


def configure(app: Flask) -> None:
    """Install the engine hooks for this app's database."""
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
    with app.app_context():
        engine = db.engine
        _engines.add(engine)
        if engine.dialect.name == "sqlite":
            _configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
