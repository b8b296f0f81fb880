"""Users from the web and the command line: a manager creates, edits, disables and resets; a disabled
user's session and token stop at once; a reset user chooses a new password before anything else."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, Role, User
from countapp.services import users
from tests.conftest import PASSWORD
from tests.scenario import build_scenario


def user(login: str) -> User:
    return db.session.scalar(sa.select(User).where(User.login == login))


def user_events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action,
                                                               AuditEvent.campaign_id.is_(None))))


def shown_password(page: str) -> str:
    return re.search(r'<code id="new-password">([^<]+)</code>', page).group(1)


@pytest.fixture
def manager(client_as):
    return client_as("manager", login="boss")


def test_only_managers_reach_the_users_pages(client_as):
    assert client_as("manager").get("/users/").status_code == 200
    for role in ("centraliser", "leader", "counter", "auditor"):
        assert client_as(role).get("/users/").status_code == 403, role
        assert client_as(role).post("/users/new", data={"login": "x", "role": "manager"}).status_code == 403, role


def test_the_list_shows_login_name_role_and_status(manager, make_user):
    make_user("zoe", "counter", name="Zoé Martin", storekeeper=True)
    users.disable(user("zoe"))
    page = manager.get("/users/").get_data(as_text=True)
    assert "zoe" in page and "Zoé Martin" in page and "Counter" in page and "Disabled" in page
    assert 'href="/users/"' in manager.get("/").get_data(as_text=True)  # the link in the top bar


def test_create_with_a_given_password(manager, client, login_as):
    response = manager.post("/users/new", data={"login": "carl", "name": "Carl", "role": "centraliser",
                                                "language": "fr", "password": "cellar-ladder-7"})
    assert response.status_code == 302
    carl = user("carl")
    assert carl.role == Role.CENTRALISER and carl.language == "fr" and carl.must_change_password is False
    assert carl.check_password("cellar-ladder-7")
    event = user_events("user.add")[-1]
    assert event.user_login == "boss" and event.after["login"] == "carl"
    assert client.post("/login", data={"login": "carl", "password": "cellar-ladder-7"}).status_code == 302


def test_create_with_a_generated_password_shows_it_once_and_forces_a_change(manager, app):
    response = manager.post("/users/new", data={"login": "dora", "role": "counter"})
    assert response.status_code == 200
    password = shown_password(response.get_data(as_text=True))
    assert user("dora").check_password(password) and user("dora").must_change_password
    dora = app.test_client()
    after_login = dora.post("/login", data={"login": "dora", "password": password})
    assert after_login.headers["Location"].startswith("/password")


def test_create_refusals_are_shown_next_to_the_field(manager, make_user):
    make_user("eve", "counter")
    taken = manager.post("/users/new", data={"login": "eve", "role": "counter", "password": "cellar-ladder-7"})
    assert taken.status_code == 200 and "already taken" in taken.get_data(as_text=True)
    weak = manager.post("/users/new", data={"login": "fred", "role": "counter", "password": "short"})
    assert "at least 8 characters" in weak.get_data(as_text=True)
    assert user("fred") is None


def test_create_in_a_team_is_one_transaction(manager, tmp_path):
    build_scenario(tmp_path, issue=False, start=False)
    response = manager.post("/users/new", data={"login": "gus", "role": "counter", "password": "cellar-ladder-7",
                                                "campaign": "FY2025", "team": "1"})
    assert response.status_code == 302
    assert [row.teams for row in users.list_users() if row.user.login == "gus"] == [[("FY2025", 1, False)]]
    # an auditor cannot join a team: nothing is written, not even the user
    refused = manager.post("/users/new", data={"login": "hal", "role": "auditor", "password": "cellar-ladder-7",
                                               "campaign": "FY2025", "team": "1"})
    assert "only team leaders and counters" in refused.get_data(as_text=True)
    assert user("hal") is None


def test_edit_role_name_language_and_storekeeper(manager, make_user):
    ivy = make_user("ivy", "counter")
    response = manager.post(f"/users/{ivy.id}", data={"name": "Ivy Roy", "role": "centraliser", "language": "en",
                                                      "storekeeper": "y"})
    assert response.status_code == 302
    ivy = user("ivy")
    assert (ivy.name, ivy.role, ivy.language, ivy.is_storekeeper) == ("Ivy Roy", Role.CENTRALISER, "en", True)
    event = user_events("user.update")[-1]
    assert event.before["role"] == "counter" and event.after["role"] == "centraliser"


def test_a_team_member_keeps_a_team_role(manager, tmp_path):
    s = build_scenario(tmp_path, issue=False, start=False)
    ann = s.users["ann"]
    page = manager.post(f"/users/{ann.id}", data={"name": "Ann", "role": "auditor"}).get_data(as_text=True)
    assert "is in team 1 of campaign FY2025" in page
    assert user("ann").role == Role.COUNTER


def test_move_between_teams_and_out(manager, tmp_path):
    s = build_scenario(tmp_path, issue=False, start=False)
    ann = s.users["ann"]
    assert manager.post(f"/users/{ann.id}/team", data={"team-campaign": "FY2025", "team-team": "2"}).status_code == 302
    assert [row.teams for row in users.list_users() if row.user.login == "ann"] == [[("FY2025", 2, False)]]
    assert manager.post(f"/users/{ann.id}/team", data={"team-campaign": "FY2025", "team-team": ""}).status_code == 302
    assert [row.teams for row in users.list_users() if row.user.login == "ann"] == [[]]
    lead = manager.post(f"/users/{s.users['lead1'].id}/team", data={"team-campaign": "FY2025", "team-team": "2"})
    assert "leads team 1" in lead.get_data(as_text=True)


def test_a_refused_move_puts_the_user_back(tmp_path, app):
    from countapp.services import teams

    build_scenario(tmp_path, issue=False, start=False)
    users.add_user("eve", "counter", PASSWORD)
    teams.add_team("FY2025", 3, round=1, leader="eve", members=[], zones=[])
    users.add_user("fay", "counter", PASSWORD)
    teams.add_member(3, user("fay"), campaign_code="FY2025")
    teams.set_storekeeper("FY2025", "Z1", "fay")
    with pytest.raises(Exception, match="keeps the stock of zone Z1"):
        users.set_team(user("fay"), "FY2025", 1)
    db.session.expire_all()
    assert [row.teams for row in users.list_users() if row.user.login == "fay"] == [[("FY2025", 3, False)]]


def test_disable_ends_the_session_and_the_token_at_once(manager, client_as, app):
    jo = client_as("centraliser", login="jo")
    token = users.new_api_token(user("jo"))
    assert jo.get("/").status_code == 200
    assert app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 200
    assert manager.post(f"/users/{user('jo').id}/disable").status_code == 302
    assert user("jo").active is False
    assert "/login" in jo.get("/").headers["Location"]
    assert app.test_client().get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 401
    assert app.test_client().post("/login", data={"login": "jo", "password": PASSWORD}).status_code == 200
    assert user_events("user.disable")[-1].user_login == "boss"
    # enabled again: a new log-in works, the old session stays ended
    assert manager.post(f"/users/{user('jo').id}/enable").status_code == 302
    assert "/login" in jo.get("/").headers["Location"]
    assert app.test_client().post("/login", data={"login": "jo", "password": PASSWORD}).status_code == 302


def test_disable_ends_the_remember_me_cookie_too(manager, make_user, app):
    make_user("kim", "centraliser")
    kim = app.test_client()
    kim.post("/login", data={"login": "kim", "password": PASSWORD, "remember": "y"})
    cookie = kim.get_cookie("remember_token")
    assert cookie is not None
    fresh = app.test_client()  # a new browser session holding only the remember-me cookie
    fresh.set_cookie("remember_token", cookie.value)
    assert fresh.get("/").status_code == 200
    users.disable(user("kim"))
    users.enable(user("kim"))
    stale = app.test_client()
    stale.set_cookie("remember_token", cookie.value)
    assert "/login" in stale.get("/").headers["Location"]


def test_a_session_without_its_version_is_refused(make_user, app):
    lee = make_user("lee", "centraliser")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(lee.id)  # the identifier before session versions
        session["_fresh"] = True
    assert "/login" in client.get("/").headers["Location"]


def test_no_manager_disables_themselves_or_the_last_manager(manager, client_as):
    me = user("boss")
    refused = manager.post(f"/users/{me.id}/disable", headers={"Referer": f"/users/{me.id}"}, follow_redirects=True)
    assert "cannot disable your own account" in refused.get_data(as_text=True) and user("boss").active
    other = client_as("manager", login="mo")
    mo = user("mo")
    assert manager.post(f"/users/{mo.id}/disable").status_code == 302
    # boss is now the last active manager: neither disabling nor demoting him is allowed
    with pytest.raises(Exception, match="last active manager"):
        users.disable(user("boss"))
    with pytest.raises(Exception, match="last active manager"):
        users.update(user("boss"), name="", role="centraliser", language=None, storekeeper=False)
    assert "/login" in other.get("/").headers["Location"]


def test_reset_forces_a_new_password_before_any_page(manager, client_as, app):
    nat = client_as("leader", login="nat")
    response = manager.post(f"/users/{user('nat').id}/password")
    temporary = shown_password(response.get_data(as_text=True))
    assert "/login" in nat.get("/").headers["Location"]  # the old session ended
    nat = app.test_client()
    assert nat.post("/login", data={"login": "nat", "password": temporary}).headers["Location"].startswith("/password")
    for url in ("/", "/users/", "/count/"):
        assert nat.get(url).headers["Location"].endswith("/password"), url
    assert nat.get("/api/v1/me").status_code == 403
    assert "Choose your password" in nat.get("/password").get_data(as_text=True)
    differ = nat.post("/password", data={"password": "cellar-ladder-7", "confirmation": "cellar-ladder-8"})
    assert "The two passwords differ" in differ.get_data(as_text=True)
    done = nat.post("/password", data={"password": "cellar-ladder-7", "confirmation": "cellar-ladder-7"})
    assert done.status_code == 302
    assert nat.get("/count/").status_code in (200, 302) and not nat.get("/").headers.get("Location", "").endswith(
        "/password")
    assert not user("nat").must_change_password and user("nat").check_password("cellar-ladder-7")
    assert [e.action for e in user_events("user.password_reset")] == ["user.password_reset"]


def test_the_forced_change_speaks_the_users_language(manager, make_user, app):
    make_user("oda", "centraliser", language="fr")
    temporary = users.reset_password(user("oda"))
    oda = app.test_client()
    oda.post("/login", data={"login": "oda", "password": temporary})
    page = oda.post("/password", data={"password": "court", "confirmation": "court"}).get_data(as_text=True)
    assert "au moins 8 caractères" in page or "at least 8 characters" in page  # French once the catalogue is merged
    assert 'lang="fr"' in page


def test_changing_ones_own_password_asks_the_current_one(client_as):
    pia = client_as("centraliser", login="pia")
    wrong = pia.post("/password", data={"current": "nope", "password": "cellar-ladder-7",
                                        "confirmation": "cellar-ladder-7"})
    assert "current password is wrong" in wrong.get_data(as_text=True)
    ok = pia.post("/password", data={"current": PASSWORD, "password": "cellar-ladder-7",
                                     "confirmation": "cellar-ladder-7"})
    assert ok.status_code == 302 and pia.get("/").status_code == 200  # this session goes on


def test_cli_list_disable_enable_and_password(runner, make_user, tmp_path):
    build_scenario(tmp_path, issue=False, start=False)
    listed = runner.invoke(args=["user", "list"])
    assert listed.exit_code == 0
    line = next(row for row in listed.output.splitlines() if row.startswith("ann "))
    assert "counter" in line and "yes" in line and "FY2025/1" in line
    assert "FY2025/1*" in next(row for row in listed.output.splitlines() if row.startswith("lead1 "))

    assert runner.invoke(args=["user", "disable", "ann"]).exit_code == 0 and not user("ann").active
    again = runner.invoke(args=["user", "disable", "ann"])
    assert again.exit_code == 1 and "already disabled" in again.output
    assert runner.invoke(args=["user", "enable", "ann"]).exit_code == 0 and user("ann").active

    given = runner.invoke(args=["user", "password", "ann", "--password", "cellar-ladder-7"])
    assert given.exit_code == 0 and user("ann").check_password("cellar-ladder-7")
    assert not user("ann").must_change_password
    generated = runner.invoke(args=["user", "password", "ben"])
    password = re.search(r"New password of ben: (\S+)", generated.output).group(1)
    assert user("ben").check_password(password) and user("ben").must_change_password

    for args in (["user", "disable", "nobody"], ["user", "password", "nobody"], ["user", "enable", "nobody"]):
        unknown = runner.invoke(args=args)
        assert unknown.exit_code == 1 and "Unknown user nobody" in unknown.output, args
    weak = runner.invoke(args=["user", "password", "ann", "--password", "short"])
    assert weak.exit_code == 1 and "at least 8" in weak.output


def test_cli_refuses_to_disable_the_last_manager(runner):
    users.add_user("solo", "manager", PASSWORD)
    result = runner.invoke(args=["user", "disable", "solo"])
    assert result.exit_code == 1 and "last active manager" in result.output and user("solo").active


def test_the_edit_page_shows_the_users_team_and_an_unknown_user_is_no_error(manager, tmp_path):
    s = build_scenario(tmp_path, issue=False, start=False)
    page = manager.get(f"/users/{s.users['ann'].id}").get_data(as_text=True)
    assert re.search(r'name="team-team"[^>]*value="1"', page)
    assert manager.get("/users/999999").status_code in (303, 404)
