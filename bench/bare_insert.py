"""The yardstick of issue 5: a bare Flask + Flask-SQLAlchemy endpoint that inserts one row per POST.

No log-in, no validation, no audit: what this machine can do at best with the same stack, server and
load generator. ``bench/count_load.py`` measures it and the app in turns with the same wrk script, so
that the app's figure can be read against the machine as it is during the run.

    python -m bench.bare_insert --port 8001 --workers 4 --threads 1   # COUNTAPP_DATABASE_URL set

serves it with the gunicorn settings of ``countapp serve`` (countapp.cli_serve.serve_options: preload,
keep-alive, timeouts), with the app's connection pool (the connections each process keeps open,
countapp.config.DB_POOL_SIZE or COUNTAPP_DB_POOL_SIZE), and on SQLite with the app's connection settings
(WAL, synchronous=NORMAL, busy timeout): the only differences from the app left are what the app does per
request.
"""
from __future__ import annotations

import argparse
import os

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class BareCount(Base):
    __tablename__ = "bare_count"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(sa.String(40))
    quantity: Mapped[str] = mapped_column(sa.String(40))
    client_id: Mapped[str] = mapped_column(sa.String(64))


def create_app() -> Flask:
    app = Flask(__name__)
    from countapp.config import DB_POOL_SIZE

    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["COUNTAPP_DATABASE_URL"]
    # As many connections kept open as the app keeps: with fewer than threads, both sides open and close
    # connections under load (issue 20), and the comparison would measure that.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": int(os.environ.get("COUNTAPP_DB_POOL_SIZE") or DB_POOL_SIZE)}
    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from countapp.database import sqlite_pragmas   # the app's own pragmas, not a copy

        with app.app_context():
            sa.event.listen(db.engine, "connect", sqlite_pragmas)

    @app.post("/api/v1/counts")
    def add():
        body = request.get_json()
        row = BareCount(ticket=str(body["ticket"]), quantity=str(body["quantity"]), client_id=body["client_id"])
        db.session.add(row)
        db.session.commit()
        return jsonify(id=row.id), 201

    return app


def create_table(url: str) -> None:
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def main() -> None:
    from countapp.cli_serve import make_server, serve_options

    parser = argparse.ArgumentParser(description="Serve the yardstick as `countapp serve` serves the app.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        db.engine.dispose()   # no pooled connection crosses the fork
    options = serve_options("127.0.0.1", args.port, args.workers, args.threads, 60, "text", access_log=False)
    make_server(app, options).run()


if __name__ == "__main__":
    main()
