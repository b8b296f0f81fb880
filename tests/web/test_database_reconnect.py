"""PostgreSQL going away under the app: pooled connections the server closed are replaced before a
request uses them, without a round trip per request (countapp.database's checkout check)."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from countapp import create_app, database
from countapp.extensions import db
from countapp.services import users

from ..conftest import PASSWORD, TEST_DB

pytestmark = pytest.mark.postgresql


@pytest.fixture
def pg_url(database_url):
    if TEST_DB != "postgresql":
        pytest.skip("pooled PostgreSQL connections (COUNTAPP_TEST_DB=postgresql)")
    return database_url


def _app(url: str, **config):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
                      "BABEL_DEFAULT_LOCALE": "en", **config})
    with app.app_context():
        users.add_user("tab1", "counter", PASSWORD, name="Tablet one")
        db.session.remove()
    return app


def _logged_in(app):
    client = app.test_client()
    response = client.post("/login", data={"login": "tab1", "password": PASSWORD})
    assert response.status_code in (302, 303)
    assert client.get("/api/v1/me").status_code == 200   # the pool now holds a used connection
    return client


def _terminate_app_connections(url: str) -> None:
    """What a server restart or an administrator's pg_terminate_backend does to the app's connections."""
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        deadline = time.monotonic() + 10
        while connection.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = :n "
                                         "AND pid <> pg_backend_pid()"), {"n": name}).scalar() and \
                time.monotonic() < deadline:
            time.sleep(0.05)
    admin.dispose()
    time.sleep(0.05)


def _request_after_termination(url: str, **config):
    """Log a tablet in, end the app's connections as a restart would, then ask again."""
    app = _app(url, **config)
    client = _logged_in(app)
    _terminate_app_connections(url)
    try:
        return client.get("/api/v1/me")
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_connection_the_server_closed_is_replaced_before_use(pg_url):
    response = _request_after_termination(pg_url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["login"] == "tab1"


def test_a_long_idle_connection_is_pinged_before_use(pg_url, monkeypatch):
    # The socket looks quiet (as after a firewall silently dropped it): the ping finds it dead.
    monkeypatch.setattr(database, "_peer_hung_up", lambda _connection: False)
    assert _request_after_termination(pg_url, COUNTAPP_DB_PING_AFTER=0).status_code == 200


def test_without_either_check_the_dead_connection_reaches_the_request(pg_url, monkeypatch):
    """The control: what the two checks above prevent."""
    monkeypatch.setattr(database, "_peer_hung_up", lambda _connection: False)
    with pytest.raises(sa.exc.OperationalError):
        _request_after_termination(pg_url, COUNTAPP_DB_PING_AFTER=3600)
