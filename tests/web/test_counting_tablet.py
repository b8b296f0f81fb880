"""The tablet page around the counting: the campaign's time zone and count date, the service worker that
keeps the page for reloads without the network, leaders' recount sheets, storekeepers kept out of
counting, and "Correct this count" offered exactly when the server takes a correction."""
from __future__ import annotations

import json
import re
from datetime import date


from countapp.extensions import db
from countapp.models import CampaignStatus
from countapp.services import campaigns, recounts, teams
from countapp.web.counting import tablet_info


CODE = "FY2025"


def page_data(html: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="count-data">(.*?)</script>', html, re.S).group(1))


def set_settings(**values) -> None:
    campaign = campaigns.get(CODE)
    campaign.settings = {**(campaign.settings or {}), **values}
    db.session.commit()


def test_time_zone_and_count_dates_come_from_the_settings():
    assert tablet_info.time_zone({"company": {"time_zone": "America/Montreal"}}) == "America/Montreal"
    for settings in (None, {}, {"company": {"time_zone": "Mars/Olympus"}}, {"company": {"time_zone": 3}},
                     {"company": "x"}):
        assert tablet_info.time_zone(settings) == "Europe/Paris"
    day = date(2025, 12, 28)
    zones = [("Z1", "S1"), ("Z2", "S1"), ("Z3", "S2")]
    assert tablet_info.count_dates(day, {}, zones) == [(day, ["Z1", "Z2", "Z3"])]
    assert tablet_info.count_dates(day, {"count_dates": {"Z2": "2025-12-29", "S2": "2025-12-27", "Z1": "junk"}},
                                   zones) == [(date(2025, 12, 27), ["Z3"]), (day, ["Z1"]), (date(2025, 12, 29), ["Z2"])]
    assert tablet_info.count_dates(day, None, []) == [(day, [])]


def test_tablet_page_tells_the_time_zone_and_the_count_date(s, as_user):
    set_settings(company={"time_zone": "America/Montreal"})
    html = as_user("ann").get(f"/count/{CODE}").get_data(as_text=True)
    data = page_data(html)
    assert data["time_zone"] == "America/Montreal" and len(data["rendered"]) == 32
    assert re.search(r'Count date: <strong>Dec 28, 2025</strong>', html)
    set_settings(count_dates={"Z2": "2025-12-29"})
    html = as_user("ann").get(f"/count/{CODE}").get_data(as_text=True)
    assert "Count dates: <strong>Dec 28, 2025</strong> (Z1), <strong>Dec 29, 2025</strong> (Z2)" in html
    assert page_data(html)["rendered"] == data["rendered"]      # the same lists, the same name
    as_user("ann").post("/api/v1/counts", json={"ticket": "2", "round": 1, "quantity": "30"})
    html = as_user("ann").get(f"/count/{CODE}").get_data(as_text=True)
    assert page_data(html)["rendered"] != data["rendered"]      # a fresh page is told from a kept copy


def test_service_worker_is_served_under_count_for_the_tablet_pages(s, as_user, client):
    response = as_user("ann").get("/count/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/count/" and "no-cache" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    for path in ("/static/counting.js", "/static/counting.css", "/static/countapp.css",
                 "/static/vendor/zxing-wasm/zxing_reader.wasm"):
        assert f'"{path}"' in body
    assert 'var API = "/api/v1/"' in body and 'request.method !== "GET"' in body    # counts never go through a cache
    assert re.search(r'var VERSION = "[0-9a-f]{16}"', body)
    assert "{{" not in body
    assert client.get("/count/sw.js").status_code in (302, 401)     # no session, no worker


def test_leaders_reach_their_recount_sheets_from_the_tablet(s, as_user):
    for key, q1, q2 in (("A-1@L-02", "30", "26"), ("D-4@L-04", "10", "3")):
        as_user("ann").post("/api/v1/counts", json={"ticket": s.tickets[key], "round": 1, "quantity": q1})
        as_user("cat").post("/api/v1/counts", json={"ticket": s.tickets[key], "round": 2, "quantity": q2})
    html = as_user("lead1").get(f"/count/{CODE}").get_data(as_text=True)
    assert 'id="sheets-note"' not in html and f'href="/campaigns/{CODE}/recounts"' in html   # none yet
    recounts.create_sheet(CODE, tickets=[s.tickets["A-1@L-02"], s.tickets["D-4@L-04"]], leader1="lead1",
                          leader2="lead2", supervisor="centraliser")
    html = as_user("lead1").get(f"/count/{CODE}").get_data(as_text=True)
    assert "1 recount sheet awaits your third counts" in html and 'id="sheets-note"' in html
    assert as_user("lead1").get(f"/campaigns/{CODE}/recounts").status_code == 200
    html = as_user("ann").get(f"/count/{CODE}").get_data(as_text=True)
    assert "recounts" not in html and "recount sheet" not in html            # counters have none


def test_a_storekeeper_is_told_they_take_no_part_in_counting(s, app, make_user, login_as):
    keeper = make_user("keeper", "counter")
    teams.set_storekeeper(CODE, "Z2", "keeper")
    client = login_as(app.test_client(), keeper)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get("/count/", follow_redirects=True).get_data(as_text=True)
    assert "You take no part in counting the stock you keep" in html
    assert "zone Z2</strong> (FY2025)" in html and "segregation of duties" in html
    # In no team of the campaign, its tablet page is out of reach like any other campaign (web.scope).
    assert client.get(f"/count/{CODE}").status_code == 404
    # in a team that counts other zones, the tablet still says which zones are never theirs to count
    make_user("lead3", "leader")
    teams.add_team(CODE, 3, round=1, leader="lead3", members=["keeper"], zones=[])
    html = client.get(f"/count/{CODE}").get_data(as_text=True)
    assert 'id="ticket-input"' in html and 'id="storekeeper-note"' in html
    assert "You keep the stock of zone Z2: you never count it (segregation of duties)." in html
    # one who keeps nothing gets the usual answer
    other = login_as(app.test_client(), make_user("temp", "counter"))
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = other.get("/count/", follow_redirects=True).get_data(as_text=True)
    assert "You are not in a counting team yet." in html and "take no part" not in html
    assert other.get(f"/count/{CODE}").status_code == 404


def test_correct_this_count_is_offered_exactly_when_the_server_takes_it(s, as_user):
    number = s.tickets["A-1@L-02"]

    def offered_and_taken(login, round_, quantity):
        view = as_user(login).get(f"/api/v1/tickets/{number}?campaign={CODE}").get_json()
        answer = as_user(login).post("/api/v1/corrections", json={"ticket": number, "round": round_,
                                                                  "quantity": quantity, "reason": "recounted"})
        return view["can_correct"], answer.status_code in (200, 201)

    as_user("ann").post("/api/v1/counts", json={"ticket": number, "round": 1, "quantity": "31"})
    assert offered_and_taken("ben", 1, "30") == (True, True)          # the same team, before round 2
    assert offered_and_taken("cat", 1, "29") == (False, False)        # round 2 never corrects round 1
    as_user("cat").post("/api/v1/counts", json={"ticket": number, "round": 2, "quantity": "30"})
    assert offered_and_taken("ann", 1, "28") == (False, False)        # round 1 has moved on
    assert offered_and_taken("dan", 2, "29") == (True, True)          # round 2 still open
    campaign = campaigns.get(CODE)
    campaign.status = CampaignStatus.RECONCILING
    db.session.commit()
    assert offered_and_taken("cat", 2, "28") == (False, False)        # counting is over


def test_the_word_after_the_tickets_left_follows_the_number_in_french(s, as_user):
    """French keeps the singular for 0 and 1 ("0 restant", "1 restant"), the plural from 2 ("2 restants")."""
    from countapp.models import User

    db.session.execute(db.update(User).where(User.login == "ann").values(language="fr"))
    db.session.commit()
    html = as_user("ann").get(f"/count/{CODE}").get_data(as_text=True)
    left = int(re.search(r'<strong id="left-count">(\d+)</strong>', html).group(1))
    word = re.search(r'<span id="left-word">([^<]*)</span>', html).group(1)
    assert left > 1 and word == "restants"
    texts = json.loads(re.search(r'<script type="application/json" id="count-texts">(.*?)</script>', html, re.S).group(1))
    assert texts["plural_rule"] == "fr" and texts["left_word"] == ["restant", "restants"]
