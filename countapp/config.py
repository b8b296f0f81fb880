"""Settings read from ``COUNTAPP_*`` environment variables."""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tickets.errors import CountappError

from .secret_key import MIN_BYTES, instance_secret_key, is_too_short

log = logging.getLogger(__name__)


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


def _whole(raw: str | None, default: int, name: str) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, not {raw!r}.")
    return value


# Connections each process keeps open to the database: one for each thread of `countapp serve` (8 by default,
# cli_serve.DEFAULT_THREADS) and two to spare. With SQLAlchemy's 5, a request that found none idle opened one
# and closed it after, and PostgreSQL started a server process for it: at 8 threads that churn took a third of
# the machine and the counts' rate fell from 0.81 to 0.64 of the bare insert's (issue 20).
DB_POOL_SIZE = 10


def _rate_limits(raw: str | None, default: str, name: str) -> str:
    from limits import parse_many

    value = raw or default
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name} must read like \"5 per minute; 30 per hour\", not {value!r}.") from None
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
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_CHECK_DEFAULT": False,  # checked in web.security.guard, which knows about API tokens
        "BABEL_DEFAULT_LOCALE": "fr",
        "LANGUAGES": ("fr", "en"),
        "MAX_CONTENT_LENGTH": 512 * 1024 * 1024,
        # Pooled PostgreSQL connections are checked cheaply at checkout (countapp.database), not pinged.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "COUNTAPP_DB_POOL_SIZE": _whole(env.get("COUNTAPP_DB_POOL_SIZE"), DB_POOL_SIZE, "COUNTAPP_DB_POOL_SIZE"),
        # The job queue: Redis when set (several servers), else a SQLite file in the instance folder.
        "COUNTAPP_REDIS_URL": env.get("COUNTAPP_REDIS_URL") or None,
        "COUNTAPP_QUEUE_FILE": env.get("COUNTAPP_QUEUE_FILE") or None,   # default: instance/queue.sqlite
        # Seconds a running job may go without a heartbeat before it counts as dead (worker killed).
        "COUNTAPP_JOB_LEASE": _number(env.get("COUNTAPP_JOB_LEASE"), 30.0, "COUNTAPP_JOB_LEASE"),
        # "queue" (a worker runs jobs) or "inline" (in a thread of the request's process, joined: tests);
        # unset: inline under TESTING, else queue.
        "COUNTAPP_JOBS": env.get("COUNTAPP_JOBS") or None,
        "COUNTAPP_LOG_FORMAT": env.get("COUNTAPP_LOG_FORMAT", "text"),
        # Log-in throttling (web.auth.throttle): only failed attempts count, per login and per address;
        # at most 50 failures an hour on one login (OWASP ASVS 2.2.1 asks for no more than 100).
        # In memory each process counts apart; with Redis every server and worker shares the counts.
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_KEY_PREFIX": "countapp",
        "COUNTAPP_LOGIN_LIMIT": _rate_limits(env.get("COUNTAPP_LOGIN_LIMIT"), "5 per minute; 50 per hour",
                                             "COUNTAPP_LOGIN_LIMIT"),
        # The load balancers whose X-Forwarded-For names the caller (the per-address limit).
        "COUNTAPP_FORWARDED_ALLOW_IPS": tuple(ip.strip() for ip in env.get(
            "COUNTAPP_FORWARDED_ALLOW_IPS", "127.0.0.1").split(",") if ip.strip()),
        "COUNTAPP_LOGIN_ADDRESS_LIMIT": _rate_limits(env.get("COUNTAPP_LOGIN_ADDRESS_LIMIT"),
                                                     "20 per minute; 200 per hour", "COUNTAPP_LOGIN_ADDRESS_LIMIT"),
    }
    if overrides:
        config.update(overrides)
    config.setdefault("RATELIMIT_STORAGE_URI", config["COUNTAPP_REDIS_URL"] or "memory://")
    url = sa.engine.make_url(config["SQLALCHEMY_DATABASE_URI"])
    if not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")):   # StaticPool: no size
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": config["COUNTAPP_DB_POOL_SIZE"],
                                               **config["SQLALCHEMY_ENGINE_OPTIONS"]}
    _secret_key(config, instance_path)
    _audit_key(config)
    return config


def _audit_key(config: dict) -> None:
    """Production serves from several machines: a key file made by each would seal the one audit chain
    with several keys, and the log would no longer verify. So there it must come from the environment
    (checked for length by countapp.audit_key when first used)."""
    if config["COUNTAPP_PRODUCTION"] and not (config.get("COUNTAPP_AUDIT_KEY") or os.environ.get("COUNTAPP_AUDIT_KEY")):
        raise ConfigError("COUNTAPP_AUDIT_KEY is not set: production mode refuses to start without the audit log's "
                          "key (the same long random value on every machine, kept for as long as the logs must "
                          "verify; e.g. python -c 'import secrets; print(secrets.token_hex(32))').")


def _secret_key(config: dict, instance_path: str) -> None:
    """Never a shared default: production needs its own long key (the same on every server), anything
    else uses the instance folder's random one (countapp.secret_key)."""
    key = config.get("SECRET_KEY")
    hint = "e.g. python -c 'import secrets; print(secrets.token_hex(32))'"
    if config["COUNTAPP_PRODUCTION"]:
        if not key:
            raise ConfigError("COUNTAPP_SECRET_KEY is not set: production mode refuses to start without a secret key "
                              f"(set it to the same long random string on every server, {hint}).")
        if is_too_short(key):
            raise ConfigError(f"COUNTAPP_SECRET_KEY is too short: production mode needs at least {MIN_BYTES} "
                              f"characters of random ({hint}).")
    elif not key:
        try:
            config["SECRET_KEY"] = instance_secret_key(instance_path)
        except OSError as error:
            raise ConfigError(f"COUNTAPP_SECRET_KEY is not set and the instance folder cannot keep a key ({error}): "
                              f"set COUNTAPP_SECRET_KEY ({hint}).") from None
    elif is_too_short(key):
        log.warning("COUNTAPP_SECRET_KEY has fewer than %s characters: production mode would refuse it.", MIN_BYTES)
