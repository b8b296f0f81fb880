"""Fixtures in the style of Flask's tutorial: app, client, runner, and helpers that read like
the instructions: ``make_user``, ``client_as("counter", team=2)``, ``make_campaign(...)``.

The database is SQLite by default; ``COUNTAPP_TEST_DB=postgresql`` runs the same tests on a
throw-away PostgreSQL database (created for the run on ``COUNTAPP_TEST_PG_URL``'s server and
dropped after). Unreachable PostgreSQL fails the run under CI=true and skips it elsewhere.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from flask.testing import FlaskClient

from countapp import create_app
from countapp.extensions import db

TEST_DB = os.environ.get("COUNTAPP_TEST_DB", "sqlite")
PG_SERVER = os.environ.get("COUNTAPP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-battery"


def _migrate(url: str, instance: str) -> None:
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from countapp.services.schema import upgrade

        upgrade()
        db.engine.dispose()


def _postgres_database(tmp_root) -> tuple[str, callable]:
    server = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    name = f"countapp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with server.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {PG_SERVER}: {exc.orig}"
        if os.environ.get("CI") == "true":
            pytest.exit("CI needs PostgreSQL for COUNTAPP_TEST_DB=postgresql. " + message, returncode=1)
        pytest.skip(message)
    url = sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)

    def drop():
        with server.connect() as connection:
            connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        server.dispose()

    return url, drop


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """A migrated database for the run: ("sqlite", template file) or ("postgresql", url)."""
    root = tmp_path_factory.mktemp("db")
    os.environ["COUNTAPP_INSTANCE_PATH"] = str(root / "instance")
    if TEST_DB == "postgresql":
        url, drop = _postgres_database(root)
        _migrate(url, str(root / "instance"))
        yield ("postgresql", url)
        drop()
    else:
        template = root / "template.sqlite"
        _migrate(f"sqlite:///{template}", str(root / "instance"))
        yield ("sqlite", template)


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [t for t in db.metadata.sorted_tables]
        names = ", ".join(f'"{t.name}"' for t in tables)
        # The append-only tables refuse TRUNCATE (migration sec0001) except to a replica session (superuser).
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(database, tmp_path):
    kind, where = database
    if kind == "postgresql":
        _truncate_all(where)
        return where
    path = tmp_path / "test.sqlite"
    shutil.copyfile(where, path)
    return f"sqlite:///{path}"


class FreshContextClient(FlaskClient):
    """Each request gets its own application context, as in production.

    The ``app`` fixture keeps an application context pushed so that tests can use
    ``db.session``; without this, every request of the test would share that context's ``g``
    (logged-in user, locale) and one client's identity would leak into another's requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()  # the test's own session sees what the request committed
        return response


@pytest.fixture
def app(database_url, tmp_path):
    # English unless a test asks for French (Accept-Language, the user's choice): assertions read
    # the English texts; French is tested where it is asked for.
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                      "BABEL_DEFAULT_LOCALE": "en"})
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    from countapp.services import users

    def make(login: str, role: str = "counter", **kwargs):
        return users.add_user(login, role, PASSWORD, name=kwargs.pop("name", login.title()), **kwargs)

    return make


@pytest.fixture
def login_as(app):
    def login(client, user):
        response = client.post("/login", data={"login": user.login, "password": PASSWORD})
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return client

    return login


@pytest.fixture
def client_as(app, make_user, login_as):
    """A test client logged in as a new user of that role (``team=N`` puts a counter or leader in team N)."""
    made = {"n": 0}

    def make(role: str, team: int | None = None, campaign: str | None = None, **kwargs):
        made["n"] += 1
        user = make_user(kwargs.pop("login", f"{role}{made['n']}"), role, **kwargs)
        if team is not None:
            from countapp.services import teams

            teams.add_member(team, user, campaign_code=campaign)
        client = app.test_client()
        login_as(client, user)
        client.user = user
        return client

    return make


@pytest.fixture
def make_campaign(app):
    from countapp.services import campaigns

    def make(code: str = "FY2025", year: int = 2025, count_date: date = date(2025, 12, 31),
             closing_date: date = date(2025, 12, 31), **kwargs):
        return campaigns.create(code, year=year, count_date=count_date, closing_date=closing_date, **kwargs)

    return make
