"""Engine settings per database: SQLite gets foreign keys and WAL; helpers to tell which one."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .extensions import db


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def configure_engine_events(app: Flask) -> None:
    """Attach per-connection settings once the engine exists."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite" and not getattr(engine, "_countapp_configured", False):
            event.listen(engine, "connect", _on_sqlite_connect)
            engine._countapp_configured = True  # type: ignore[attr-defined]


def dialect() -> str:
    return db.engine.dialect.name
