"""Progress for managers and leaders: by zone, team and round; tickets still to count; alerts for a place
with no ticket and for the same item and location counted on two tickets."""
from __future__ import annotations

import sqlalchemy as sa


from countapp.extensions import db
from countapp.models import Location, Zone
from countapp.services import campaigns, counting, progress, tickets


CODE = "FY2025"


def count(s, who, number, round_, quantity, **kwargs):
    counting.submit_count(CODE, counting.CountInput(ticket=number, round=round_, quantity=quantity, **kwargs),
                          user=s.users[who])


def test_figures_by_round_zone_and_team(s):
    count(s, "ann", s.tickets["A-1@L-01"], 1, "1200")
    count(s, "ann", s.tickets["D-4@L-04"], 1, "10")
    count(s, "cat", s.tickets["A-1@L-01"], 2, "1200")
    tickets.void(CODE, s.tickets["C-3@L-03"], reason="label torn")
    result = progress.compute(campaigns.get(CODE))
    assert result.rounds[1].as_dict() == {"issued": 7, "counted": 2, "voided": 1, "remaining": 4, "percent": 33}
    assert result.rounds[2].as_dict() == {"issued": 7, "counted": 1, "voided": 1, "remaining": 5, "percent": 16}
    z1, z2, blank = result.zones["Z1"], result.zones["Z2"], result.zones[progress.NO_ZONE]
    assert (z1[1].issued, z1[1].counted, z1[1].remaining) == (3, 1, 2)
    assert (z2[1].issued, z2[1].counted, z2[1].voided, z2[1].remaining) == (2, 1, 1, 0)
    assert (blank[1].issued, blank[1].remaining) == (2, 2)
    teams = {t["team"]: t for t in result.teams}
    assert (teams[1]["counted"], teams[1]["remaining"]) == (2, 4)
    assert (teams[2]["counted"], teams[2]["remaining"]) == (1, 5)
    assert result.statuses == {"final": 1, "counted_1": 1, "voided": 1, "issued": 4}


def test_tickets_still_to_count_per_zone(s):
    count(s, "ann", s.tickets["A-1@L-01"], 1, "1200")
    count(s, "cat", s.tickets["A-1@L-01"], 2, "1200")
    count(s, "ann", s.tickets["A-1@L-02"], 1, "30")
    result = progress.compute(campaigns.get(CODE))
    z1 = {row["ticket"]: row["rounds"] for row in result.remaining["Z1"]}
    assert z1 == {s.tickets["A-1@L-02"]: [2], s.tickets["B-2@L-02"]: [1, 2]}
    assert result.remaining_total == 6
    assert [r["ticket"] for r in result.remaining[progress.NO_ZONE]] == s.blanks


def test_alert_for_a_location_without_any_ticket(s):
    zone = db.session.scalar(sa.select(Zone).where(Zone.code == "Z2"))
    db.session.add(Location(campaign_id=zone.campaign_id, zone_id=zone.id, code="L-99", added_by_hand=True))
    db.session.commit()
    assert [l["location"] for l in progress.locations_without_ticket(campaigns.get(CODE))] == ["L-99"]
    # a blank ticket counted there covers the place
    count(s, "ann", s.blanks[0], 1, "3", reference="D-4", location="L-99")
    assert progress.locations_without_ticket(campaigns.get(CODE)) == []


def test_alert_when_a_voided_ticket_leaves_a_place_uncovered(s):
    tickets.void(CODE, s.tickets["D-4@L-04"], reason="lost")
    assert [l["location"] for l in progress.locations_without_ticket(campaigns.get(CODE))] == ["L-04"]


def test_alert_for_the_same_item_and_location_on_two_tickets(s):
    count(s, "ann", s.tickets["D-4@L-04"], 1, "10")
    count(s, "ann", s.blanks[0], 1, "10", reference="D-4", location="L-04")
    count(s, "ann", s.blanks[1], 1, "2", reference="B-2", location="L-02", lot="LOT7")   # another lot: fine
    found = progress.counted_twice(campaigns.get(CODE))
    assert found == [{"reference": "D-4", "designation": "Gear box", "location": "L-04", "lot": "",
                      "tickets": [s.tickets["D-4@L-04"], s.blanks[0]]}]


def test_progress_page_for_manager_and_leader(s, client_as, login_as, app):
    count(s, "ann", s.tickets["A-1@L-01"], 1, "1200")
    manager = app.test_client()
    login_as(manager, s.users["manager"])
    page = manager.get("/count/FY2025/progress", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "By zone" in page and "By team" in page and 'data-url="/count/FY2025/progress/live"' in page
    assert "1 / 7" in page and "1st count in" in page
    leader = app.test_client()
    login_as(leader, s.users["lead2"])
    page = leader.get("/count/FY2025/progress/live", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "1 / 7" in page and "1st count in" not in page and "<html" not in page
    counter = app.test_client()
    login_as(counter, s.users["ann"])
    assert counter.get("/count/FY2025/progress").status_code == 403


def test_progress_tab_on_campaign_pages(s, app, login_as):
    manager = app.test_client()
    login_as(manager, s.users["manager"])
    page = manager.get("/campaigns/FY2025", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/count/FY2025/progress"' in page
