"""Who may do what: one guard every view goes through.

Every endpoint needs a logged-in user unless it is listed in ``PUBLIC_ENDPOINTS``; a view
names the roles it allows with ``@requires``. Auditors read everything and change nothing:
any method other than GET/HEAD/OPTIONS from an auditor is refused here, in one place.
"""
from __future__ import annotations

import functools
import re
import secrets
import weakref
from collections import namedtuple

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from ..extensions import csrf, db, login
from ..models import Role, User
from ..models.users import SESSION_COLUMNS, SessionUser
from ..services import count_views
from ..services.users import token_hash
from .auth import throttle
from .errors import wants_json

PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.set_language", "api.openapi", "healthz",
                    "welcome.first_manager"}
# What a user whose password was reset may still reach until they choose a new one.
PASSWORD_CHANGE_ALLOWED = {"auth.change_password", "auth.logout", "auth.set_language"}
# What an auditor may still post: leaving, choosing a language, and their own audit work.
AUDITOR_WRITABLE = {"auth.logout", "auth.set_language", "auth.change_password"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# No inline script or style anywhere: pages load their files from here only. The bundled ZXing reader
# compiles WebAssembly ('wasm-unsafe-eval' allows that and nothing else); a photo is decoded from a blob.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "img-src 'self' data: blob:",
    "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'", "form-action 'self'",
))


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


def log_in(user: User, *, remember: bool = False) -> None:
    """Start a session (and a remember-me cookie) for the user.

    The identifier kept is "id:session_version:nonce" (User.get_id and a random nonce): the remember-me
    cookie differs at every log-in, yet logging in on a tablet leaves the user's other devices logged
    in. What ends sessions everywhere is a new session version: log-out, password change, disabling.
    """
    login_user(user, remember=remember)
    session["_user_id"] = f"{user.get_id()}:{secrets.token_urlsafe(12)}"  # Flask-Login's key, signed


# Built once: the columns a request needs, as one plain row (no ORM object: issue 20), with the codes of the
# campaigns where the user is in a team (count_views.campaign_codes_of_member), which the campaign scope
# checks on every request of a counting team: one query fewer each. Codes hold no white space.
_SESSION_USER = sa.select(
    *(User.__table__.c[name] for name in SESSION_COLUMNS),
    count_views.member_codes_of(User.__table__.c.id, "\n").label("member_codes"),
).where(User.__table__.c.id == sa.bindparam("id"))


class _SessionUserQuery:
    """``_SESSION_USER`` compiled once for the database in use and sent straight to the driver, on a pooled
    connection, outside the ORM session. Every request pays for it: through ``Session.execute`` it cost a
    count's web worker a fifth of its CPU (issue 20: the compiled-statement lookup, the session's
    transaction, its connection and its closing at teardown), most of it for a request that reads nothing
    else (a tablet's count, handed to the count writer). The values are converted by the columns' own
    result processors: the row is what ``Session.execute`` would give."""

    def __init__(self, engine: sa.Engine) -> None:
        dialect = engine.dialect
        # psycopg opens a transaction before a statement unless the connection is in autocommit: BEGIN, the
        # SELECT, then the pool's ROLLBACK when the connection goes back, three round trips for one read.
        # In autocommit the read is one, and the pool's rollback has nothing to do. (Only psycopg: sqlite3
        # begins no transaction for a SELECT, and its ``autocommit`` attribute changes its whole mode.)
        self.autocommit = dialect.name == "postgresql" and dialect.driver == "psycopg"
        # The codes' separator is a literal-execute parameter: rendered into the text (the id is a parameter).
        compiled = _SESSION_USER.params(id=0).compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        self.sql = compiled.string
        self.order = compiled.positiontup   # None for a driver that takes parameters by name
        if (self.order or re.findall(r"%\((\w+)\)s", self.sql)) != ["id"]:
            raise RuntimeError(f"the session user's query takes parameters other than the id: {compiled.string}")
        self.processors = [column.type.result_processor(dialect, None)
                           for column in _SESSION_USER.selected_columns]

    def row(self, engine: sa.Engine, ident: int):
        connection = engine.raw_connection()
        parameters = {"id": ident} if self.order is None else (ident,)
        autocommit = self.autocommit
        try:
            if autocommit:
                connection.dbapi_connection.autocommit = True   # idle, as every connection the pool hands out
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, parameters)
                values = cursor.fetchone()
            except engine.dialect.loaded_dbapi.Error as error:
                # As SQLAlchemy does for its own statements: a connection the server closed is dropped
                # from the pool, and the driver's error is raised as SQLAlchemy's (OperationalError...).
                lost = engine.dialect.is_disconnect(error, connection.dbapi_connection, cursor)
                if lost:
                    connection.invalidate(error)
                raise sa.exc.DBAPIError.instance(self.sql, parameters, error, engine.dialect.loaded_dbapi.Error,
                                                 connection_invalidated=lost, dialect=engine.dialect) from error
            finally:
                cursor.close()
        finally:
            if autocommit and connection.is_valid:
                try:
                    connection.dbapi_connection.autocommit = False   # as the pool's other users expect it
                except engine.dialect.loaded_dbapi.Error as error:   # a connection in no state to be reused
                    connection.invalidate(error)
            connection.close()   # back to the pool (rolled back there, as a session's would be)
        if values is None:
            return None
        return _SessionRow(*(value if process is None else process(value)
                             for process, value in zip(self.processors, values, strict=True)))


_SessionRow = namedtuple("_SessionRow", (*SESSION_COLUMNS, "member_codes"))
# One per engine (an app has one; tests make many, and their engines must not outlive them here).
_queries: weakref.WeakKeyDictionary[sa.Engine, _SessionUserQuery] = weakref.WeakKeyDictionary()


@login.user_loader
def load_user(user_id: str) -> SessionUser | None:
    """The session and remember-me cookie hold "id:session_version[:nonce]" (log_in): a session made
    before the user logged out, was disabled or changed their password carries an old version."""
    parts = user_id.split(":")
    try:
        ident, version = int(parts[0]), int(parts[1])
    except (ValueError, IndexError):
        return None
    engine = db.engine
    query = _queries.get(engine)
    if query is None:
        query = _queries.setdefault(engine, _SessionUserQuery(engine))
    row = query.row(engine, ident)
    if row is None or not row.active or row.session_version != version:
        return None
    return SessionUser(row)


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") and request.path.startswith("/api/") else None


@login.request_loader
def api_token_user(_request=None) -> User | None:
    """The active user whose personal API token (``Authorization: Bearer``) this /api/ call carries,
    looked up once per request; a wrong token counts as a failed log-in from the caller's address."""
    if "api_token_user" not in g:
        token, user = _bearer_token(), None
        if token:
            user = db.session.scalar(db.select(User).filter_by(api_token_hash=token_hash(token)))
            user = user if user and user.active else None
            if user is None:
                throttle.failed()
        g.api_token_user = user
    return g.api_token_user


def needs_csrf() -> bool:
    """Every write needs the form's CSRF token, unless it carries a valid API token: no other site can
    make a browser send one. A made-up ``Authorization`` header next to a session cookie exempts nothing."""
    return (current_app.config.get("WTF_CSRF_ENABLED", True) and request.method not in SAFE_METHODS
            and api_token_user() is None)




def init_security(app: Flask) -> None:
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see this page.")
    login.login_message_category = "warning"

    @login.unauthorized_handler
    def unauthorized():
        if wants_json():
            return jsonify(error={"message": _("Log in first."), "field": None}), 401
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))

    @app.before_request
    def guard():
        endpoint = request.endpoint
        if _bearer_token() is not None and (wait := throttle.retry_after()):
            return throttle.too_many(wait)  # guessing API tokens from one address
        if needs_csrf():
            csrf.protect()
        if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
            return None
        if not current_user.is_authenticated:
            return unauthorized()
        if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ALLOWED:
            if wants_json():
                return jsonify(error={"message": _("Your password was reset: log in with the browser and choose "
                                                   "a new one first."), "field": None}), 403
            return redirect(url_for("auth.change_password"))
        if (current_user.role == Role.AUDITOR and request.method not in SAFE_METHODS
                and endpoint not in AUDITOR_WRITABLE
                and not getattr(app.view_functions.get(endpoint), "_countapp_auditor_may_post", False)):
            if wants_json():
                return jsonify(error={"message": _("Auditors have read-only access."), "field": None}), 403
            abort(403)
        return None

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for older browsers
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("COUNTAPP_PRODUCTION"):  # HTTPS only there: a plain-http demo must stay reachable
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
