"""The JSON API: tickets, counts, corrections, progress; session (with CSRF) and personal tokens; JSON
errors with the field at fault and never a 500 for bad input; the OpenAPI document."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from countapp import create_app
from countapp.extensions import db
from countapp.models import Count, CountSource, Ticket, TicketStatus
from countapp.services import tickets, users

from ..conftest import PASSWORD, FreshContextClient
from ..scenario import build_scenario


@pytest.fixture
def as_user(app, s, login_as):
    def make(login):
        client = app.test_client()
        login_as(client, s.users[login])
        return client
    return make


def n_counts() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Count))


def test_ticket_for_the_team_shows_what_to_count(s, as_user):
    data = as_user("ann").get("/api/v1/tickets/" + s.tickets["B-2@L-02"]).get_json()
    assert data["ticket"] == "000003/2025" and data["reference"] == "B-2" and data["unit"] == "l"
    assert data["decimals"] is True and data["lot"] == "LOT9" and data["location"] == "L-02"
    assert data["status"] == "to_count" and data["round"] == 1 and data["team"] == 1
    assert "book_qty" not in data and "counts" not in data


def test_ticket_accepts_bare_sequence_and_campaign(s, as_user):
    client = as_user("ann")
    assert client.get("/api/v1/tickets/3").get_json()["ticket"] == "000003/2025"
    assert client.get("/api/v1/tickets/3?campaign=FY2025").get_json()["ticket"] == "000003/2025"
    missing = client.get("/api/v1/tickets/3?campaign=NOPE")
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "campaign"


def test_staff_see_everything(s, as_user):
    as_user("ann").post("/api/v1/counts", json={"ticket": s.tickets["A-1@L-01"], "round": 1, "quantity": "1199"})
    for who in ("manager", "centraliser", "auditor"):
        data = as_user(who).get("/api/v1/tickets/" + s.tickets["A-1@L-01"] + "?campaign=FY2025").get_json()
        assert data["book_qty"] == "1200" and data["counts"]["1"]["count"]["quantity"] == "1199"
        assert data["status"] == "counted_1"


def test_post_count_then_replay(s, as_user):
    client = as_user("ann")
    body = {"ticket": s.tickets["A-1@L-02"], "round": 1, "quantity": "30", "state": "damaged", "method": "counted",
            "counted_at": "2025-12-28T09:30:00+01:00", "client_id": "tablet-7:42"}
    first = client.post("/api/v1/counts", json=body)
    again = client.post("/api/v1/counts", json=body)
    assert first.status_code == 201 and first.get_json()["replayed"] is False
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert again.get_json()["count"]["id"] == first.get_json()["count"]["id"]
    count = first.get_json()["count"]
    assert count["quantity"] == "30" and count["state"] == "damaged" and count["source"] == "tablet"
    assert count["counted_at"].startswith("2025-12-28T08:30:00")
    assert n_counts() == 1


def test_round_defaults_to_the_team_round(s, as_user):
    response = as_user("ann").post("/api/v1/counts", json={"ticket": s.tickets["A-1@L-02"], "quantity": 30})
    assert response.status_code == 201 and response.get_json()["count"]["round"] == 1


def test_conflict_names_who_and_when(s, as_user):
    as_user("ann").post("/api/v1/counts", json={"ticket": s.tickets["A-1@L-02"], "round": 1, "quantity": "30",
                                                "counted_at": "2025-12-28T10:15:00+00:00"})
    response = as_user("ben").post("/api/v1/counts", json={"ticket": s.tickets["A-1@L-02"], "round": 1,
                                                           "quantity": "31"})
    error = response.get_json()["error"]
    assert response.status_code == 409 and error["field"] == "ticket"
    # 10:15 UTC, told in the campaign's time zone (Europe/Paris)
    assert "Ann" in error["message"] and "2025-12-28 11:15" in error["message"]


BAD_BODIES = [
    ({"ticket": "000002/2025", "round": 1, "quantity": "-1"}, 400, "quantity"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "abc"}, 400, "quantity"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "3.14159"}, 400, "quantity"),
    ({"ticket": "000003/2025", "round": 1, "quantity": "3.14159"}, 400, "quantity"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1e30"}, 400, "quantity"),
    ({"ticket": "000002/2025", "round": 1, "quantity": 1e308 * 10}, 400, "quantity"),
    ({"ticket": "000002/2025", "round": 1, "quantity": None}, 400, "quantity"),
    ({"ticket": "000002/2025", "round": 1, "quantity": {"a": 1}}, 400, "quantity"),
    ({"ticket": "999999/2025", "round": 1, "quantity": "1"}, 404, "ticket"),
    ({"ticket": "abc", "round": 1, "quantity": "1"}, 400, "ticket"),
    ({"ticket": "99999999999999999999", "round": 1, "quantity": "1"}, 400, "ticket"),
    ({"ticket": None, "round": 1, "quantity": "1"}, 400, "ticket"),
    ({"ticket": ["000002"], "round": 1, "quantity": "1"}, 400, "ticket"),
    ({"ticket": "000002/2025", "round": 2, "quantity": "1"}, 403, "round"),
    ({"ticket": "000002/2025", "round": 7, "quantity": "1"}, 400, "round"),
    ({"ticket": "000002/2025", "round": [1], "quantity": "1"}, 400, "round"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "state": "gone"}, 400, "state"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "state": ["good"]}, 400, "state"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "method": 5}, 400, "method"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "counted_at": "soon"}, 400, "counted_at"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "counted_at": 12}, 400, "counted_at"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "client_id": "é" * 10}, 400, "client_id"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "packaging": "lots"}, 400, "packaging"),
    ({"ticket": "000002/2025", "round": 1, "packaging": {"pallets": "x"}}, 400, "packaging.pallets"),
    ({"ticket": "000006/2025", "round": 1, "quantity": "1"}, 400, "reference"),
    ({"ticket": "000006/2025", "round": 1, "quantity": "1", "reference": "A-1", "location": 5}, 400, "location"),
    ({"ticket": "000006/2025", "round": 1, "quantity": "1", "reference": "A-1", "location": "L-01",
      "lot": "x" * 200}, 400, "lot"),
    ({"ticket": "000002/2025", "round": 1, "quantity": "1", "campaign": 12}, 400, "campaign"),
]


@pytest.mark.parametrize("body, status, field", BAD_BODIES)
def test_bad_input_is_a_json_error_with_the_field(s, as_user, body, status, field):
    response = as_user("ann").post("/api/v1/counts", json=body)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["field"] == field and error["message"]
    assert n_counts() == 0


@pytest.mark.parametrize("raw, content_type", [
    ("not json", "application/json"), ("[1, 2]", "application/json"), ('"text"', "application/json"),
    ("ticket=1&quantity=2", "application/x-www-form-urlencoded"), ("", "application/json"),
])
def test_a_body_that_is_not_a_json_object_is_refused(s, as_user, raw, content_type):
    response = as_user("ann").post("/api/v1/counts", data=raw, content_type=content_type)
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]["message"]


def test_voided_ticket_is_refused(s, as_user):
    tickets.void("FY2025", s.tickets["D-4@L-04"], reason="torn")
    client = as_user("ann")
    assert client.get("/api/v1/tickets/" + s.tickets["D-4@L-04"]).get_json()["status"] == "voided"
    response = client.post("/api/v1/counts", json={"ticket": s.tickets["D-4@L-04"], "round": 1, "quantity": "10"})
    assert response.status_code == 400 and "voided" in response.get_json()["error"]["message"]


def test_wrong_team_is_refused_and_scoped(app, tmp_path, login_as, make_user):
    build_scenario(tmp_path, issue=False)
    from countapp.services import teams
    make_user("lead3", "leader")
    outsider = make_user("eve", "counter")
    teams.add_team("FY2025", 3, round=1, leader="lead3", members=["eve"], zones=["Z2"])
    tickets.issue("FY2025", team=1, first=1, last=3)
    tickets.issue("FY2025", team=3, first=4, last=7)
    client = app.test_client()
    login_as(client, outsider)
    seen = client.get("/api/v1/tickets/2")
    assert seen.status_code == 403 and seen.get_json()["error"]["field"] == "ticket"
    posted = client.post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "30"})
    assert posted.status_code == 403 and "not issued to your team" in posted.get_json()["error"]["message"]
    listed = client.get("/api/v1/campaigns/FY2025/tickets").get_json()
    assert [t["ticket"] for t in listed["tickets"]] == ["000004/2025", "000005/2025", "000006/2025", "000007/2025"]


def test_corrections_through_the_api(s, as_user):
    ann = as_user("ann")
    ann.post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "31"})
    missing_reason = as_user("ben").post("/api/v1/corrections", json={"ticket": "2", "round": 1, "quantity": "30"})
    assert missing_reason.status_code == 400 and missing_reason.get_json()["error"]["field"] == "reason"
    other_team = as_user("cat").post("/api/v1/corrections", json={"ticket": "2", "round": 1, "quantity": "30",
                                                                  "reason": "x"})
    assert other_team.status_code == 403
    done = as_user("ben").post("/api/v1/corrections", json={"ticket": "2", "round": 1, "quantity": "30",
                                                            "reason": "one box counted twice"})
    assert done.status_code == 201 and done.get_json()["count"]["supersedes"] is not None
    view = ann.get("/api/v1/tickets/2").get_json()
    assert view["count"]["quantity"] == "30" and view["count"]["correction_reason"] == "one box counted twice"
    assert [h["quantity"] for h in view["history"]] == ["31"] and view["can_correct"] is True
    assert n_counts() == 2


def test_team_lists_its_counts(s, as_user):
    ann = as_user("ann")
    ann.post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "31"})
    ann.post("/api/v1/corrections", json={"ticket": "2", "round": 1, "quantity": "30", "reason": "x"})
    listed = as_user("lead1").get("/api/v1/campaigns/FY2025/counts").get_json()["counts"]
    assert [c["quantity"] for c in listed] == ["30"]
    assert as_user("cat").get("/api/v1/campaigns/FY2025/counts").get_json()["counts"] == []
    everything = as_user("auditor").get("/api/v1/campaigns/FY2025/counts").get_json()["counts"]
    assert [c["quantity"] for c in everything] == ["31", "30"]


def test_search_for_blank_tickets(s, as_user):
    client = as_user("ann")
    items = client.get("/api/v1/campaigns/FY2025/items?q=oil").get_json()["items"]
    assert [i["reference"] for i in items] == ["B-2"] and items[0]["decimals"] is True
    locations = client.get("/api/v1/campaigns/FY2025/locations?q=l-0").get_json()["locations"]
    assert [l["location"] for l in locations] == ["L-01", "L-02", "L-03", "L-04"]
    assert client.get("/api/v1/campaigns/FY2025/lots?reference=B-2").get_json()["lots"] == ["LOT9"]
    assert client.get("/api/v1/campaigns/FY2025/items?q=%25").get_json()["items"] == []
    assert client.get("/api/v1/campaigns/FY2025/items?limit=x").status_code == 400


def test_progress_for_managers_and_leaders_not_counters(s, as_user):
    as_user("ann").post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "30"})
    manager = as_user("manager").get("/api/v1/campaigns/FY2025/progress").get_json()
    assert manager["rounds"]["1"] == {"issued": 7, "counted": 1, "voided": 0, "remaining": 6, "percent": 14}
    assert manager["statuses"]["counted_1"] == 1
    leader = as_user("lead2").get("/api/v1/campaigns/FY2025/progress").get_json()
    assert leader["rounds"] == manager["rounds"] and "statuses" not in leader
    assert as_user("ann").get("/api/v1/campaigns/FY2025/progress").status_code == 403


def test_progress_gives_the_count_date_of_the_campaign_and_of_each_zone(s, as_user):
    from countapp.services import campaigns

    campaign = campaigns.get("FY2025")
    progress = as_user("manager").get("/api/v1/campaigns/FY2025/progress").get_json()
    day = campaign.count_date.isoformat()
    assert progress["count_date"] == day and progress["zones"]
    assert {z["count_date"] for z in progress["zones"]} == {day}
    zone = next(z["zone"] for z in progress["zones"] if z["zone"])
    campaign.settings = {**(campaign.settings or {}), "count_dates": {zone: "2025-12-29"}}
    db.session.commit()
    progress = as_user("lead2").get("/api/v1/campaigns/FY2025/progress").get_json()
    assert {z["zone"]: z["count_date"] for z in progress["zones"]}[zone] == "2025-12-29"
    assert progress["count_date"] == day


def test_personal_token_works_without_session_or_csrf(database_url, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})   # CSRF on
    app.test_client_class = FreshContextClient
    with app.app_context():
        s = build_scenario(tmp_path)
        token = users.new_api_token(s.users["ann"])
        client = app.test_client()
        headers = {"Authorization": "Bearer " + token}
        assert client.get("/api/v1/me", headers=headers).get_json()["login"] == "ann"
        response = client.post("/api/v1/counts", headers=headers,
                               json={"ticket": "2", "round": 1, "quantity": "30", "client_id": "erp-1"})
        assert response.status_code == 201 and response.get_json()["count"]["source"] == CountSource.API.value
        wrong = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.get_json()["error"]["message"]
        db.session.remove()
        db.engine.dispose()


def test_session_writes_need_the_csrf_header(database_url, tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})   # CSRF on
    app.test_client_class = FreshContextClient
    with app.app_context():
        s = build_scenario(tmp_path)
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
        client.post("/login", data={"login": "ann", "password": PASSWORD, "csrf_token": form_token})
        page = client.get("/count/FY2025").get_data(as_text=True)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
        body = {"ticket": s.tickets["A-1@L-02"], "round": 1, "quantity": "30"}
        refused = client.post("/api/v1/counts", json=body)
        assert refused.status_code == 400 and refused.get_json()["error"]["message"]
        accepted = client.post("/api/v1/counts", json=body, headers={"X-CSRFToken": token})
        assert accepted.status_code == 201
        db.session.remove()
        db.engine.dispose()


def test_new_token_for_the_caller(s, as_user):
    response = as_user("auditor").post("/api/v1/tokens")
    assert response.status_code == 201 and len(response.get_json()["token"]) > 30


def test_unknown_api_address_is_json(s, as_user):
    response = as_user("ann").get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["message"]
    response = as_user("ann").delete("/api/v1/counts")
    assert response.status_code == 405 and "error" in response.get_json()


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/v1/tickets/{number}", "/v1/counts", "/v1/campaigns/{code}/progress", "/v1/corrections"):
        assert path in doc["paths"]
    for ref in set(_refs(doc)):
        section, kind, name = ref.split("/")[1:]
        assert name in doc[section][kind], ref
    # every documented path exists in the app, and every /api/v1 route is documented
    documented = {("/api" + p).replace("{", "<").replace("}", ">") for p in doc["paths"]}
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", r.rule) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/")}
    assert documented == routes
    json.dumps(doc)


def test_status_after_round_two_stays_blind_in_the_api(s, as_user):
    as_user("ann").post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "30"})
    as_user("cat").post("/api/v1/counts", json={"ticket": "2", "round": 2, "quantity": "30"})
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.sequence == 2))
    assert ticket.status == TicketStatus.FINAL
    view = as_user("dan").get("/api/v1/tickets/2").get_json()
    assert view["status"] == "counted" and view["count"]["quantity"] == "30"
    assert "final" not in json.dumps(view).lower()


@pytest.mark.parametrize("url", [
    "/api/v1/tickets/%00", "/api/v1/tickets/" + "9" * 300, "/api/v1/tickets/12/2024", "/api/v1/tickets/1/2/3",
    "/api/v1/tickets/-5", "/api/v1/tickets/1?campaign=%00", "/api/v1/tickets/1?campaign=" + "x" * 500,
    "/api/v1/campaigns/FY2025/counts?limit=-1", "/api/v1/campaigns/FY2025/counts?limit=99999999999999999999",
    "/api/v1/campaigns/FY2025/tickets?after=abc", "/api/v1/campaigns/FY2025/progress?remaining=1e9",
    "/api/v1/campaigns/%00/items?q=%00", "/api/v1/campaigns/FY2025/lots?reference=" + "r" * 400,
])
def test_odd_addresses_never_fail_with_a_500(s, as_user, url):
    for who in ("ann", "manager"):
        response = as_user(who).get(url)
        assert response.status_code < 500, (who, url, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert response.get_json()["error"]["message"]


def test_nul_characters_are_bad_input(s, as_user):
    client = as_user("ann")
    response = client.post("/api/v1/counts", json={"ticket": "6", "round": 1, "quantity": "1", "reference": "A\u0000",
                                                   "location": "L-01"})
    assert response.status_code == 400 and response.get_json()["error"]["field"] == "reference"
    assert client.get("/count/%00").status_code == 400
