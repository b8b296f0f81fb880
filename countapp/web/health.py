"""``/healthz``: what a load balancer asks before sending a server requests (public, no session)."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, jsonify

from ..extensions import db

log = logging.getLogger("countapp.health")


def healthz():
    """200 ``{"database": "ok", "queue": "ok"}``, or 503 naming what is out of reach."""
    from ..services.job_queue import queue_problem

    answer, healthy = {}, True
    try:
        db.session.execute(sa.text("SELECT 1"))
        answer["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        db.session.rollback()
        answer["database"], healthy = f"unreachable: {type(error).__name__}", False
        log.error("healthz: database unreachable: %s", error)
    problem = queue_problem()
    if problem is None:
        answer["queue"] = "ok"
    else:
        answer["queue"], healthy = f"unreachable: {problem.split(':', 1)[0]}", False
        log.error("healthz: queue unreachable: %s", problem)
    response = jsonify(answer)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
