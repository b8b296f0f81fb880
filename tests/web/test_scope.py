"""Campaign scope (web.scope): counters and leaders reach only the campaigns where they are in a team.

The route-by-route answers are in test_route_matrix.py; here, the ways a campaign is named other than
the address (the API's ``campaign`` in the query and in the body), the lists, and the staff's reach.
"""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import Count
from countapp.services import campaigns, teams, users

from ..conftest import PASSWORD
from ..scenario import build_scenario

CODE = "FY2025"


@pytest.fixture
def world(app, tmp_path):
    s = build_scenario(tmp_path)
    campaigns.create("OTHER", year=2026, count_date=date(2026, 12, 31), closing_date=date(2026, 12, 31))
    s.users["oleg"] = users.add_user("oleg", "leader", PASSWORD, name="Oleg")
    teams.add_team("OTHER", 1, round=1, leader="oleg")
    return s


def _client(app, login_as, user):
    return login_as(app.test_client(), user)


def test_a_count_for_a_campaign_named_in_the_body_needs_a_team_there(app, world, login_as):
    oleg = _client(app, login_as, world.users["oleg"])
    response = oleg.post("/api/v1/counts", json={"campaign": CODE, "ticket": "1", "round": 1, "quantity": "3"})
    assert response.status_code == 404
    assert response.get_json()["error"] == {"message": f"Unknown campaign {CODE}.", "field": "campaign"}
    response = oleg.post("/api/v1/corrections", json={"campaign": CODE, "ticket": "1", "round": 1, "quantity": "3",
                                                      "reason": "x"})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 0
    # The same count by a member of team 1 of FY2025 goes in.
    ann = _client(app, login_as, world.users["ann"])
    response = ann.post("/api/v1/counts", json={"campaign": CODE, "ticket": "1", "round": 1, "quantity": "3"})
    assert response.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 1


def test_a_campaign_named_in_the_query_is_in_scope_too(app, world, login_as):
    oleg = _client(app, login_as, world.users["oleg"])
    assert oleg.get(f"/api/v1/tickets/1?campaign={CODE}").status_code == 404
    ann = _client(app, login_as, world.users["ann"])
    assert ann.get(f"/api/v1/tickets/1?campaign={CODE}").status_code == 200
    assert ann.get("/api/v1/tickets/1?campaign=OTHER").status_code == 404


def test_a_team_member_without_any_campaign_is_not_led_into_one(app, world, login_as):
    """No campaign named: the API falls back to "the only one counting", never one the caller is not in."""
    nobody = _client(app, login_as, users.add_user("nina", "counter", PASSWORD, name="Nina"))
    response = nobody.get("/api/v1/tickets/1")
    assert response.status_code == 404 and CODE not in response.get_data(as_text=True)
    response = nobody.post("/api/v1/counts", json={"ticket": "1", "round": 1, "quantity": "3"})
    assert response.status_code == 404 and CODE not in response.get_data(as_text=True)


def test_lists_show_a_team_member_their_campaigns_only(app, world, login_as):
    oleg = _client(app, login_as, world.users["oleg"])
    assert oleg.get("/api/v1/me").get_json()["team"]["campaign"] == "OTHER"
    assert oleg.get("/count/").headers["Location"].endswith("/count/OTHER")
    assert oleg.get("/", follow_redirects=True).request.path == "/count/OTHER"
    ann = _client(app, login_as, world.users["ann"])
    assert ann.get("/api/v1/me").get_json()["team"]["campaign"] == CODE


@pytest.mark.parametrize("who", ["manager", "centraliser", "auditor"])
def test_staff_reach_every_campaign(app, world, login_as, who):
    client = _client(app, login_as, world.users[who])
    for code in (CODE, "OTHER"):
        assert client.get(f"/campaigns/{code}").status_code == 200
        assert client.get(f"/api/v1/campaigns/{code}/items?q=").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert CODE in home and "OTHER" in home


def test_the_session_user_read_from_the_driver_is_the_row_the_orm_gives(app, world):
    """web.security reads the session user on every request straight from the driver (issue 20): each
    user's row, types and team codes included, is what ``Session.execute`` gives for the same statement."""
    from countapp.models import User
    from countapp.web import security

    teams.add_team("OTHER", 2, round=2, leader="lead1", members=["ann"])   # in two campaigns' teams
    db.session.commit()
    with app.test_request_context():
        for user in db.session.scalars(sa.select(User).order_by(User.id)):
            expected = db.session.execute(security._SESSION_USER, {"id": user.id}).one()
            got = security._SessionUserQuery(db.engine).row(db.engine, user.id)
            assert tuple(got) == tuple(expected), user.login
            assert [type(v) for v in got] == [type(v) for v in expected], user.login
            loaded = security.load_user(f"{user.id}:{user.session_version}")
            assert loaded.role is user.role and loaded.campaign_codes == frozenset(
                (expected.member_codes or "").split("\n")) - {""}
        assert security._SessionUserQuery(db.engine).row(db.engine, 10**9) is None
    assert {"FY2025", "OTHER"} <= security.load_user(f"{world.users['lead1'].id}:0").campaign_codes


def test_the_session_user_read_opens_no_transaction_and_leaves_its_connection_as_found(app, world, monkeypatch):
    """On PostgreSQL the read runs in autocommit: one round trip, not BEGIN, SELECT and the pool's ROLLBACK
    (issue 20). Seen from the driver: no transaction is open once the SELECT has answered, and the connection
    goes back to the pool out of autocommit, as the ORM's sessions expect it."""
    from countapp.web import security

    engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: sqlite3 begins no transaction for a SELECT")
    import psycopg

    seen = []
    taken = []
    original = engine.raw_connection

    def raw_connection():
        connection = original()
        taken.append(connection.dbapi_connection)
        real_cursor = connection.cursor

        class Cursor:   # the driver's cursor, its state looked at once the SELECT has answered
            def __init__(self):
                self.inner = real_cursor()

            def execute(self, *args, **kwargs):
                result = self.inner.execute(*args, **kwargs)
                dbapi = connection.dbapi_connection
                seen.append((dbapi.autocommit, dbapi.info.transaction_status))
                return result

            def __getattr__(self, name):
                return getattr(self.inner, name)

        connection.cursor = Cursor
        return connection

    ident = world.users["ann"].id
    with app.test_request_context():
        query = security._SessionUserQuery(engine)
        monkeypatch.setattr(engine, "raw_connection", raw_connection)
        assert query.row(engine, ident).login == "ann"
    assert seen == [(True, psycopg.pq.TransactionStatus.IDLE)]
    assert taken[0].autocommit is False and taken[0].info.transaction_status == psycopg.pq.TransactionStatus.IDLE
