"""The role × route matrix, generated from the app's URL map: every route, every role, the answer expected.

The expectation comes from the declarations, never from a list kept by hand: the roles ``@requires``
sets on each view (``_countapp_roles``), ``PUBLIC_ENDPOINTS``, the auditor's read-only rule
(web.security) and the campaign scope (web.scope: counters and leaders reach only the campaigns where
they are in a team, and anything else answers as an unknown campaign, 404). A route added without
declared roles fails ``test_every_route_declares_its_roles``.

One small campaign (tests/scenario.py) and real values in the addresses; a request is sent for every
refusal (all methods) and for every allowed GET. Allowed writes are the business of each area's tests.
"""
from __future__ import annotations

from datetime import date

import pytest

from countapp.models import Role
from countapp.web.scope import RESOLVING_ENDPOINTS
from countapp.web.security import AUDITOR_WRITABLE, PUBLIC_ENDPOINTS, SAFE_METHODS

from ..scenario import build_scenario
from .test_counting_blind import TOKEN  # the page's CSRF token differs from one answer to the next

CODE = "FY2025"
NO_ROLES_NEEDED = {"auth.logout"}  # any logged-in user may leave
# Who asks: the scenario's users, and a counter and a leader who count another campaign only.
WHO = {"anonymous": None, "manager": "manager", "centraliser": "centraliser", "auditor": "auditor",
       "leader": "lead1", "counter": "ann", "leader_elsewhere": "oleg", "counter_elsewhere": "olga"}
VALUES = {"code": CODE, "int": "1", "kind": "stock", "fmt": "csv", "location": "L-01", "job": "0" * 32,
          "id": "0" * 32, "filename": "app.css"}
API_PAYLOAD = {"campaign": CODE, "ticket": "000001/2025", "round": 1, "quantity": "1", "reason": "x"}


def url_for_rule(rule, users: dict) -> str:
    """The rule's address with real values of the scenario."""
    values = {}
    for name in rule.arguments:
        if name == "number":
            values[name] = "000001/2025" if rule.endpoint == "api.ticket" else "1"
        elif name == "user_id":
            values[name] = str(users["ann"].id)
        else:
            converter = type(rule._converters[name]).__name__
            values[name] = VALUES.get(name) or ("1" if converter == "IntegerConverter" else "x")
    url = rule.build(values, append_unknown=False)[1]
    if rule.endpoint == "api.ticket":
        url += f"?campaign={CODE}"
    return url


def names_campaign(rule) -> bool:
    return "code" in rule.arguments or rule.endpoint in RESOLVING_ENDPOINTS


def expected(app, rule, method: str, who: str, user) -> str:
    """public | login | forbidden | not_found (out of the campaign scope) | allowed."""
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "public"
    if user is None:
        return "login"
    if user.role in (Role.COUNTER, Role.LEADER) and who.endswith("_elsewhere") and names_campaign(rule):
        return "not_found"  # before the role: a foreign campaign answers as an unknown one, whatever the page
    view = app.view_functions[rule.endpoint]
    roles = getattr(view, "_countapp_roles", None)
    if roles is not None and user.role not in roles:
        return "forbidden"
    if (user.role == Role.AUDITOR and method not in SAFE_METHODS and rule.endpoint not in AUDITOR_WRITABLE
            and not getattr(view, "_countapp_auditor_may_post", False)):
        return "forbidden"
    return "allowed"


def check(response, expectation: str, api: bool, where) -> None:
    status = response.status_code
    assert status < 500, where
    if expectation == "login":
        if api:
            assert status == 401, where
        else:
            assert status in (302, 303) and "/login" in response.headers["Location"], where
    elif expectation == "forbidden":
        assert status == 403, where
    elif expectation == "public":  # open to all (the first-run form sends to log-in once someone exists)
        assert status not in (401, 403), where
    elif expectation == "not_found":
        assert status == 404, where
        if api:  # word for word what an unknown campaign answers
            assert response.get_json()["error"] == {"message": f"Unknown campaign {CODE}.", "field": "campaign"}, where
    else:
        assert status not in (401, 403), where
        assert "/login" not in response.headers.get("Location", ""), where


@pytest.fixture
def world(app, tmp_path):
    from countapp.services import campaigns, teams, users

    from ..conftest import PASSWORD

    s = build_scenario(tmp_path)
    campaigns.create("OTHER", year=2026, count_date=date(2026, 12, 31), closing_date=date(2026, 12, 31))
    s.users["oleg"] = users.add_user("oleg", "leader", PASSWORD, name="Oleg")
    s.users["olga"] = users.add_user("olga", "counter", PASSWORD, name="Olga")
    teams.add_team("OTHER", 1, round=1, leader="oleg", members=["olga"])
    return s


def test_every_route_declares_its_roles(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint not in PUBLIC_ENDPOINTS | NO_ROLES_NEEDED
               and not getattr(app.view_functions[rule.endpoint], "_countapp_roles", None)]
    assert not missing, f"routes with no declared roles (add @requires, or PUBLIC_ENDPOINTS): {sorted(missing)}"


@pytest.mark.parametrize("who", list(WHO))
def test_role_route_matrix(app, world, login_as, who):
    user = world.users[WHO[who]] if WHO[who] else None
    client = app.test_client()
    if user is not None:
        login_as(client, user)
    seen = {"public": 0, "login": 0, "forbidden": 0, "not_found": 0, "allowed": 0}
    # Log-out last: it ends the client's session.
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in NO_ROLES_NEEDED, r.rule)):
        if rule.endpoint == "static":
            continue
        url = url_for_rule(rule, world.users)
        api = url.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            expectation = expected(app, rule, method, who, user)
            if method != "GET" and expectation in ("allowed", "public"):
                continue  # writes that get through are each area's tests' business
            if method == "GET":
                response = client.get(url)
            elif api:
                response = client.open(url, method=method, json=API_PAYLOAD)
            else:
                response = client.open(url, method=method, data={})
            check(response, expectation, api, (who, method, url, expectation, response.status_code))
            seen[expectation] += 1
    if user is None:
        assert seen["login"] > 100
    elif who.endswith("_elsewhere"):
        assert seen["not_found"] >= 10 and seen["allowed"] >= 2, seen
    else:
        assert seen["allowed"] >= 8, seen
    if who == "auditor":
        assert seen["forbidden"] > 20, seen


@pytest.mark.parametrize("who", ["counter", "leader"])
def test_the_scope_answers_as_an_unknown_campaign(app, world, login_as, who):
    """A campaign the caller is not in and a campaign that does not exist give the same answer."""
    client = login_as(app.test_client(), world.users[WHO[f"{who}_elsewhere"]])
    for path in ("/campaigns/{}", "/campaigns/{}/instructions", "/count/{}", "/api/v1/campaigns/{}/items?q=A",
                 "/api/v1/campaigns/{}/progress", "/api/v1/tickets/1?campaign={}"):
        real, unknown = client.get(path.format(CODE)), client.get(path.format("NOPE"))
        assert real.status_code == unknown.status_code == 404, path
        same = [TOKEN.sub("<token>", r.get_data(as_text=True)).replace(CODE, "NOPE") for r in (real, unknown)]
        assert same[0] == same[1], path
    # Their own campaign still answers.
    assert client.get("/campaigns/OTHER").status_code == 200
    assert client.get("/api/v1/campaigns/OTHER/items?q=").status_code == 200


@pytest.mark.parametrize("url, api", [("/campaigns/FY2025/start", False), ("/api/v1/counts", True),
                                      ("/logout", False)])
def test_method_not_allowed_says_which_are(app, world, login_as, url, api):
    client = login_as(app.test_client(), world.users["manager"])
    response = client.get(url)
    assert response.status_code == 405
    assert "POST" in {m.strip() for m in response.headers["Allow"].split(",")}
    if api:
        assert response.mimetype == "application/json" and response.get_json()["error"]["message"]
    else:
        assert response.mimetype == "text/html"
    anonymous = app.test_client().delete("/api/v1/me")
    assert anonymous.status_code == 405 and "GET" in anonymous.headers["Allow"]
