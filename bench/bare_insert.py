"""The yardstick of issue 5: a bare Flask + Flask-SQLAlchemy endpoint that inserts one row per POST.

No log-in, no validation, no audit: what this machine can do at best with the same stack, server and
load generator. ``bench/count_load.py`` measures it first (``gunicorn "bench.bare_insert:create_app()"``)
so that the app's figure can be read against the machine as it is during the run (the issue quotes
about 540 inserts/s on PostgreSQL and 450/s on SQLite for it at 50 connections, on a quiet machine).
"""
from __future__ import annotations

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
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["COUNTAPP_DATABASE_URL"]
    db.init_app(app)

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
