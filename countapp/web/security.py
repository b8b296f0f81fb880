"""Who may do what: one guard every view goes through.

Every endpoint needs a logged-in user unless it is listed in ``PUBLIC_ENDPOINTS``; a view
names the roles it allows with ``@requires``. Auditors read everything and change nothing:
any method other than GET/HEAD/OPTIONS from an auditor is refused here, in one place.
"""
from __future__ import annotations

import functools

from flask import Flask, abort, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import csrf, db, login
from ..models import Role, User
from ..services.users import token_hash

PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.set_language", "api.openapi", "healthz",
                    "welcome.first_manager"}
# What a user whose password was reset may still reach until they choose a new one.
PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "auth.set_language"}
# What an auditor may still post: leaving, choosing a language, and their own audit work.
AUDITOR_WRITABLE = {"auth.logout", "auth.set_language", "auth.change_password"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def requires(*roles: Role):
    """Allow the view to the given roles only (403 for the others)."""
    allowed = set(roles)

    def decorator(view):
        view._countapp_roles = allowed  # read by tests that walk the url map

        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped._countapp_roles = allowed
        return wrapped

    return decorator


ALL_ROLES = tuple(Role)
STAFF = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)


@login.user_loader
def load_user(user_id: str) -> User | None:
    """The session and remember-me cookie hold "id:session_version" (User.get_id): a session made
    before the user was disabled or their password changed carries an old version and is refused."""
    ident, _sep, version = user_id.partition(":")
    try:
        ident, version = int(ident), int(version)
    except ValueError:
        return None
    user = db.session.get(User, ident)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


@login.request_loader
def load_user_from_token(req) -> User | None:
    """Integrations send ``Authorization: Bearer <token>`` (a personal API token)."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    user = db.session.scalar(db.select(User).filter_by(api_token_hash=token_hash(header[7:].strip())))
    return user if user and user.active else None


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_security(app: Flask) -> None:
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see this page.")
    login.login_message_category = "warning"

    @login.unauthorized_handler
    def unauthorized():
        if _wants_json():
            return jsonify(error={"message": _("Log in first."), "field": None}), 401
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    @app.before_request
    def guard():
        endpoint = request.endpoint
        # CSRF on every write made with the browser's session; token-authenticated API calls carry
        # no cookie, so they cannot be forged cross-site.
        if (app.config.get("WTF_CSRF_ENABLED", True) and request.method not in SAFE_METHODS
                and not request.headers.get("Authorization", "").startswith("Bearer ")):
            csrf.protect()
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return unauthorized()
        if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ALLOWED:
            if _wants_json():
                return jsonify(error={"message": _("Your password was reset: log in with the browser and choose "
                                                   "a new one first."), "field": None}), 403
            return redirect(url_for("auth.change_password"))
        if (current_user.role == Role.AUDITOR and request.method not in SAFE_METHODS
                and endpoint not in AUDITOR_WRITABLE
                and not getattr(app.view_functions.get(endpoint), "_countapp_auditor_may_post", False)):
            if _wants_json():
                return jsonify(error={"message": _("Auditors have read-only access."), "field": None}), 403
            abort(403)
        return None

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
