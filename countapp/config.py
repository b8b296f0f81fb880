"""Settings read from ``COUNTAPP_*`` environment variables."""
from __future__ import annotations

import os
from pathlib import Path

from tickets.errors import CountappError


class ConfigError(CountappError):
    """The app cannot start with these settings."""


def _sqlite_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "countapp.sqlite")


def _number(raw: str | None, default: float, name: str) -> float:
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds, not {raw!r}.")
    return value


def load_config(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then ``overrides`` (tests)."""
    env = os.environ
    production = env.get("COUNTAPP_ENV", "development") == "production"
    config = {
        "SQLALCHEMY_DATABASE_URI": env.get("COUNTAPP_DATABASE_URL") or _sqlite_url(instance_path),
        "SECRET_KEY": env.get("COUNTAPP_SECRET_KEY"),
        "COUNTAPP_PRODUCTION": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure cookies need HTTPS; a laptop demo on http://127.0.0.1 would otherwise not log in.
        "SESSION_COOKIE_SECURE": production or env.get("COUNTAPP_SECURE_COOKIES") == "1",
        "REMEMBER_COOKIE_SECURE": production or env.get("COUNTAPP_SECURE_COOKIES") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in web.security.guard, which knows about API tokens
        "BABEL_DEFAULT_LOCALE": "fr",
        "LANGUAGES": ("fr", "en"),
        "MAX_CONTENT_LENGTH": 512 * 1024 * 1024,
        # Pooled PostgreSQL connections are checked cheaply at checkout (countapp.database), not pinged.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # The job queue: Redis when set (several servers), else a SQLite file in the instance folder.
        "COUNTAPP_REDIS_URL": env.get("COUNTAPP_REDIS_URL") or None,
        "COUNTAPP_QUEUE_FILE": env.get("COUNTAPP_QUEUE_FILE") or None,   # default: instance/queue.sqlite
        # Seconds a running job may go without a heartbeat before it counts as dead (worker killed).
        "COUNTAPP_JOB_LEASE": _number(env.get("COUNTAPP_JOB_LEASE"), 30.0, "COUNTAPP_JOB_LEASE"),
        # "queue" (a worker runs jobs) or "inline" (in a thread of the request's process, joined: tests);
        # unset: inline under TESTING, else queue.
        "COUNTAPP_JOBS": env.get("COUNTAPP_JOBS") or None,
        "COUNTAPP_LOG_FORMAT": env.get("COUNTAPP_LOG_FORMAT", "text"),
    }
    if overrides:
        config.update(overrides)
    if not config.get("SECRET_KEY"):
        if config["COUNTAPP_PRODUCTION"]:
            raise ConfigError(
                "COUNTAPP_SECRET_KEY is not set: production mode refuses to start without a secret key "
                "(set it to a long random string, e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        config["SECRET_KEY"] = "dev-only-not-secret"
    return config
