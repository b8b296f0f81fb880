"""Engine settings per database: SQLite gets foreign keys and WAL, PostgreSQL a cheap liveness check;
helpers to tell which one; aliases made once and shared by every thread of a server."""
from __future__ import annotations

import select
import time

from flask import Flask
import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from .extensions import db


def sqlite_pragmas(dbapi_connection, _record) -> None:
    """A new SQLite connection's settings (a ``connect`` event listener): foreign keys enforced, WAL, and
    waiting on a busy database rather than failing. The bench's bare-insert yardstick uses the same."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# A pooled PostgreSQL connection idle for longer than this is pinged (a round trip) before use.
PING_AFTER_IDLE = 30.0


def _peer_hung_up(dbapi_connection) -> bool:
    """True when the server has spoken on an idle connection: it only does so to end it (a restart, a
    terminated backend). Polling the socket costs microseconds; a ping costs a round trip per request."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True
    return bool(readable)


def _answers_ping(dbapi_connection) -> bool:
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
        return True
    except Exception:  # noqa: BLE001 - any failure means the connection is gone
        return False


def _liveness_check(ping_after: float):
    """A pool ``checkout`` hook: a connection the server closed, or one idle for longer than
    ``ping_after`` seconds that no longer answers, is replaced before the request uses it.

    It replaces ``pool_pre_ping``, which pinged on every checkout: a round trip that cost about 1 ms of
    CPU on each count posted by a tablet. A connection lost while busy still fails that one request
    (which tablets send again with the same client_id); the pool then replaces the others.
    """
    def on_checkin(_dbapi_connection, record) -> None:
        record.info["countapp_idle_since"] = time.monotonic()

    def on_checkout(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.pop("countapp_idle_since", None)
        if idle_since is None:
            return   # a new connection
        if _peer_hung_up(dbapi_connection) or (time.monotonic() - idle_since >= ping_after
                                               and not _answers_ping(dbapi_connection)):
            raise exc.DisconnectionError("the database closed this pooled connection")

    return on_checkin, on_checkout


def configure_engine_events(app: Flask) -> None:
    """Attach per-connection settings once the engine exists."""
    with app.app_context():
        engine: Engine = db.engine
        if getattr(engine, "_countapp_configured", False):
            return
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", sqlite_pragmas)
        elif engine.dialect.name == "postgresql":
            on_checkin, on_checkout = _liveness_check(float(app.config.get("COUNTAPP_DB_PING_AFTER", PING_AFTER_IDLE)))
            event.listen(engine.pool, "checkin", on_checkin)
            event.listen(engine.pool, "checkout", on_checkout)
        engine._countapp_configured = True  # type: ignore[attr-defined]


def dialect() -> str:
    return db.engine.dialect.name


def shared_alias(entity, name: str):
    """``aliased(entity, name=name)`` for a module-level constant, which every thread of a server shares
    (``countapp serve --threads``), ready before any of them uses it.

    SQLAlchemy builds an alias's index of its columns the first time one is looked up, filling it in place: a
    second thread looking one up meanwhile finds the index half-built and misses the column. The statement it
    builds then is wrong, and stays wrong for the life of the process (the alias's adapter keeps the miss; the
    statement is cached): a gunicorn worker answered a third of its counts with a 500 (NoSuchColumnError
    'user_team.id') until it was restarted. Every column is looked up here, while the module is imported (one
    thread, under the import lock), so the threads only ever read the index."""
    alias = sa.orm.aliased(entity, name=name)
    for attribute in sa.inspect(entity).column_attrs:
        getattr(alias, attribute.key).expression   # the lookup (the attribute alone looks nothing up)
    return alias
