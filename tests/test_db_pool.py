"""The database connections each process keeps open (COUNTAPP_DB_POOL_SIZE): one for each of `countapp
serve`'s threads and two to spare, so that no request opens and closes a connection of its own (issue 20)."""
from __future__ import annotations

import pytest

from countapp.cli_serve import DEFAULT_THREADS
from countapp.config import DB_POOL_SIZE, ConfigError, load_config

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _options(tmp_path, monkeypatch, url: str, size: str | None = None, **overrides) -> dict:
    monkeypatch.delenv("COUNTAPP_DB_POOL_SIZE", raising=False)
    if size is not None:
        monkeypatch.setenv("COUNTAPP_DB_POOL_SIZE", size)
    config = load_config(str(tmp_path), {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "k" * 40, **overrides})
    return config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_default_pool_holds_a_connection_for_each_default_thread_and_two_more(tmp_path, monkeypatch):
    assert DB_POOL_SIZE == DEFAULT_THREADS + 2
    assert _options(tmp_path, monkeypatch, PG) == {"pool_size": DB_POOL_SIZE}
    assert _options(tmp_path, monkeypatch, f"sqlite:///{tmp_path}/c.sqlite") == {"pool_size": DB_POOL_SIZE}


def test_the_pool_size_is_set_by_the_environment_and_checked(tmp_path, monkeypatch):
    assert _options(tmp_path, monkeypatch, PG, "18") == {"pool_size": 18}
    for wrong in ("abc", "0", "-2", "2.5"):
        with pytest.raises(ConfigError, match="COUNTAPP_DB_POOL_SIZE"):
            _options(tmp_path, monkeypatch, PG, wrong)


def test_an_in_memory_database_and_given_engine_options_are_left_as_they_are(tmp_path, monkeypatch):
    # SQLite in memory has one connection (SQLAlchemy's StaticPool, which takes no size).
    assert _options(tmp_path, monkeypatch, "sqlite://") == {}
    assert _options(tmp_path, monkeypatch, "sqlite:///:memory:") == {}
    given = {"pool_size": 3, "pool_timeout": 5}
    assert _options(tmp_path, monkeypatch, PG, SQLALCHEMY_ENGINE_OPTIONS=given) == given


def test_the_apps_engine_keeps_that_many_connections(app):
    from countapp.extensions import db

    pool = db.engine.pool
    if not hasattr(pool, "size"):
        pytest.skip("this test database has a single connection (SQLite in memory)")
    assert pool.size() == app.config["COUNTAPP_DB_POOL_SIZE"]
