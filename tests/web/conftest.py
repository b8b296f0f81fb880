"""Fixtures shared by the web tests built on tests/scenario.py's campaign."""
from __future__ import annotations

import pytest

from ..scenario import build_scenario


@pytest.fixture
def s(app, tmp_path):
    """The scenario campaign (tests/scenario.py): users, teams, tickets printed and issued, counting."""
    return build_scenario(tmp_path)


@pytest.fixture
def as_user(app, login_as, s):
    """``as_user(login)``: a test client logged in as one of the scenario's users, in English, one per login."""
    clients = {}

    def make(login):
        if login not in clients:
            client = app.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            login_as(client, s.users[login])
            clients[login] = client
        return clients[login]

    return make
