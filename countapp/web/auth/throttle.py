"""Log-in throttling: only failed attempts count, per login and per address.

A log-in that works costs nothing (a warehouse of tablets behind one address logs in all morning);
after ``COUNTAPP_LOGIN_LIMIT`` failures on one login, or ``COUNTAPP_LOGIN_ADDRESS_LIMIT`` from one
address, every attempt, right password or not, is answered 429 until the window has moved on.
The counts live in Flask-Limiter's storage: in memory (each process apart) or in Redis when
``COUNTAPP_REDIS_URL`` is set, shared by every server and worker. If that storage is down, log-in
goes on unthrottled (and says so in the log) rather than locking everybody out on a count day.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import current_app, jsonify, render_template, request
from flask_babel import ngettext
from limits import parse_many

from ...extensions import limiter

log = logging.getLogger(__name__)


def client_address() -> str:
    """The caller's address. Behind the load balancer every connection comes from it: then the caller is
    the right-most ``X-Forwarded-For`` entry, the one the balancer added (earlier ones the caller may have
    made up). Trusted balancers are ``COUNTAPP_FORWARDED_ALLOW_IPS``, as for ``countapp serve``."""
    remote = request.remote_addr or "-"
    trusted = current_app.config["COUNTAPP_FORWARDED_ALLOW_IPS"]
    forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
    if forwarded and ("*" in trusted or remote in trusted):
        return forwarded
    return remote


def _checks(login: str | None):
    """(limit, identifiers) for this request: the login's limits, if any, then the address's."""
    config = current_app.config
    if login is not None:
        # Hashed: the storage (Redis) never holds logins, and odd characters cannot break its keys.
        key = hashlib.sha256(login.strip().casefold().encode()).hexdigest()[:32]
        for item in parse_many(config["COUNTAPP_LOGIN_LIMIT"]):
            yield item, ("countapp-login", key)
    for item in parse_many(config["COUNTAPP_LOGIN_ADDRESS_LIMIT"]):
        yield item, ("countapp-address", client_address())


def retry_after(login: str | None = None) -> int | None:
    """Seconds to wait before the next attempt (for this login and this address), or None: go ahead."""
    if not limiter.enabled:
        return None
    try:
        waits = [math.ceil(limiter.limiter.get_window_stats(item, *keys).reset_time - time.time())
                 for item, keys in _checks(login) if not limiter.limiter.test(item, *keys)]
    except Exception:  # noqa: BLE001  (the storage is down: see the module's docstring)
        log.warning("log-in throttling is off: its storage does not answer", exc_info=True)
        return None
    return max(1, *waits) if waits else None


def failed(login: str | None = None) -> None:
    """Count one failed attempt against the login (when known) and the address."""
    if not limiter.enabled:
        return
    try:
        for item, keys in _checks(login):
            limiter.limiter.hit(item, *keys)
    except Exception:  # noqa: BLE001
        log.warning("log-in throttling is off: its storage does not answer", exc_info=True)


def message(seconds: int) -> str:
    return ngettext("Too many failed attempts: wait %(num)d second, then try again.",
                    "Too many failed attempts: wait %(num)d seconds, then try again.", seconds)


def too_many(seconds: int, template: str | None = None, **context):
    """The 429 answer: the page with the message (``template``), or JSON for the API."""
    if template is None:
        response = jsonify(error={"message": message(seconds), "field": None})
    else:
        response = current_app.make_response(render_template(template, throttled=message(seconds), **context))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response
