"""countapp: physical stock count campaigns, from the plan to the auditor's file."""
from __future__ import annotations

import os

from flask import Flask

__version__ = "0.1.0"


def create_app(config: dict | None = None, *, pages: bool = True) -> Flask:
    """Build the app: settings from COUNTAPP_* variables, then ``config`` (tests).

    Without ``pages`` (the command line: a command calls services and answers no request) the blueprints and
    the request guards are left out, and with them the modules they import (pandas among them); the commands
    that serve add them (``add_pages``)."""
    from .config import load_config
    from .extensions import babel, csrf, db, limiter, login, migrate

    instance_path = os.environ.get("COUNTAPP_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, config))

    from . import database, i18n, logs, models  # noqa: F401  (models registered for migrations)

    logs.configure(app.config.get("COUNTAPP_LOG_FORMAT", "text"))

    db.init_app(app)
    database.configure_engine_events(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    from .web.signed import CookieSessions

    app.session_interface = CookieSessions()   # Flask's signed cookies, each verified once per process
    csrf.init_app(app)
    login.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app, babel)

    if pages:
        add_pages(app)

    from .cli import register_commands

    register_commands(app)
    return app


def add_pages(app: Flask) -> None:
    """What answers requests: the guards, the blueprints, the health check and the error pages (once: an app
    that has them is left as it is)."""
    if app.extensions.get(_PAGES):
        return
    from .web import health, register_blueprints
    from .web.errors import register_error_handlers
    from .web.security import init_security

    init_security(app)
    register_blueprints(app)
    health.init_app(app)
    register_error_handlers(app)
    _limiter_off_requests(app)
    app.extensions[_PAGES] = True


def _limiter_off_requests(app: Flask) -> None:
    """No route has a rate limit: log-in throttling (web.auth.throttle) keeps its counts in the limiter's
    storage itself. Flask-Limiter still hooks every request (a check of limits there are none of, headers,
    a context reset): 6 % of a tablet count's web CPU for nothing (issue 20). Its hooks are taken off, unless
    a limit was declared after all (on the app, by default, on a blueprint or a route): then they stay and
    enforce it."""
    from .extensions import limiter

    manager = limiter.limit_manager
    if (manager.application_limits or manager.default_limits or getattr(manager, "_decorated_limits", True)
            or getattr(manager, "_blueprint_limits", True)):
        return

    def limiters(function) -> bool:
        return getattr(function, "__self__", None) is limiter or getattr(function, "args", ())[:1] == (limiter,)

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        for functions in hooks.values():
            functions[:] = [f for f in functions if not limiters(f)]


_PAGES = "countapp_pages"
