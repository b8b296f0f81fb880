"""One translation point for errors: HTML pages flash, the API answers JSON, never a 500 for bad input."""
from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from tickets.errors import CountappError

from ..extensions import db
from ..i18n import message_gettext


def error_message(error: CountappError) -> str:
    return error.render(message_gettext)


def wants_json() -> bool:
    """The caller reads JSON: the API, and a page's script that posts JSON (the cycle tablet's counts). A
    script must not be handed a redirect to the log-in page or an HTML error page that it would take for an
    answer."""
    return request.path.startswith("/api/") or request.is_json


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CountappError)
    def countapp_error(error: CountappError):
        db.session.rollback()
        message = error_message(error)
        if wants_json():
            return jsonify(error={"message": message, "field": error.field}), error.status
        flash(message, "error")
        return redirect(request.referrer or "/"), 303

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Keep the exception's own headers (Allow on a 405, Retry-After on a 429, ...): only the body changes.
        headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
        if wants_json():
            return jsonify(error={"message": error.description, "field": None}), error.code, headers
        # A description of our own (e.g. which number is out of range) is shown; Werkzeug's stock English
        # texts are not (the page has its own translated one).
        detail = error.description if error.description != type(error).description else None
        return render_template("error.html", error=error, detail=detail), error.code, headers
