"""The ticket pages: list with filters and paging, generate, ranges, void, ticket control; who may do what."""
from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import Ticket, TicketRange, TicketReturn, TicketStatus, TicketVoid
from countapp.services import tickets

from ..scenario import build_scenario
from .test_tickets import CODE, build_control_scenario

BASE = f"/campaigns/{CODE}/tickets"


@pytest.fixture
def as_role(app, login_as):
    """A client logged in as one of the scenario's people, reading English (the texts the tests compare)."""
    def make(scenario, login):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login_as(client, scenario.users[login])
        return client
    return make


def _numbers(html: str) -> list[str]:
    table = html.split('id="tickets"', 1)[1].split("</table>", 1)[0]
    return re.findall(r">(\d{6}/2025)</a>", table)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


# --- the list -----------------------------------------------------------------------------------

def test_the_list_filters_by_status_team_zone_and_search(app, tmp_path, as_role):
    s = build_scenario(tmp_path)
    tickets.void(CODE, s.blanks[0], reason="torn")
    client = as_role(s, "manager")
    assert _numbers(_text(client.get(BASE))) == [f"{n:06d}/2025" for n in range(1, 8)]
    assert _numbers(_text(client.get(BASE, query_string={"status": "voided"}))) == ["000006/2025"]
    assert _numbers(_text(client.get(BASE, query_string={"zone": "Z2"}))) == ["000004/2025", "000005/2025"]
    assert _numbers(_text(client.get(BASE, query_string={"q": "cutting"}))) == ["000003/2025"]
    assert _numbers(_text(client.get(BASE, query_string={"q": "L-02"}))) == ["000002/2025", "000003/2025"]
    assert _numbers(_text(client.get(BASE, query_string={"q": "000005/2025"}))) == ["000005/2025"]
    assert _numbers(_text(client.get(BASE, query_string={"q": "100%"}))) == []
    assert len(_numbers(_text(client.get(BASE, query_string={"team": "2"})))) == 7
    tickets.return_unused(CODE, team=1, first=6, last=7)
    assert len(_numbers(_text(client.get(BASE, query_string={"team": "1"})))) == 5
    page = _text(client.get(BASE, query_string={"zone": "Z2", "status": "issued"}))
    assert "2 tickets match." in page


def test_the_list_pages_forward_and_back_by_number(app, tmp_path, as_role):
    s = build_scenario(tmp_path, blank=245, issue=False, start=False)   # 250 tickets
    client = as_role(s, "auditor")
    first = _text(client.get(BASE))
    assert _numbers(first) == [f"{n:06d}/2025" for n in range(1, 101)] and "250 tickets match." in first
    assert 'rel="prev"' not in first
    second = _text(client.get(re.search(r'href="([^"]+)" rel|rel="next" href="([^"]+)"', first).group(2)
                              .replace("&amp;", "&")))
    assert _numbers(second) == [f"{n:06d}/2025" for n in range(101, 201)]
    third = _text(client.get(BASE, query_string={"after": 200}))
    assert _numbers(third) == [f"{n:06d}/2025" for n in range(201, 251)] and 'rel="next"' not in third
    back = _text(client.get(BASE, query_string={"before": 201}))
    assert _numbers(back) == [f"{n:06d}/2025" for n in range(101, 201)]
    assert 'rel="prev"' in back and 'rel="next"' in back
    # a filter is kept while paging
    blanks = _text(client.get(BASE, query_string={"q": "ticket", "status": "created"}))
    assert "0 tickets match." in blanks


def test_the_whole_list_downloads_as_csv(app, tmp_path, as_role):
    s = build_scenario(tmp_path)
    response = as_role(s, "centraliser").get(f"/campaigns/{CODE}/tickets.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["ticket"] for r in rows] == [f"{n:06d}/2025" for n in range(1, 8)]
    assert rows[0]["reference"] == "A-1" and rows[0]["team_round1"] == "1"


# --- generate, ranges ---------------------------------------------------------------------------

def test_a_manager_generates_tickets_from_the_page_in_a_background_job(app, tmp_path, as_role):
    s = build_scenario(tmp_path, blank=0, issue=False, start=False)
    client = as_role(s, "manager")
    response = client.post(f"{BASE}/generate", data={"generate-blank": "4"})
    assert response.status_code == 302 and "/tickets/generate/" in response.headers["Location"]
    job = response.headers["Location"]
    assert "4 tickets generated (0 pre-referenced, 4 blank), numbers 000006/2025 to 000009/2025." in _text(
        client.get(job))
    status = client.get(job, query_string={"format": "json"}).get_json()
    assert (status["state"], status["done"], status["total"]) == ("done", 4, 4)
    response = client.post(f"{BASE}/generate", data={"generate-blank": "0"}, follow_redirects=True)
    assert "Nothing to generate" in _text(response)
    response = client.post(f"{BASE}/generate", data={"generate-blank": "-2"}, follow_redirects=True)
    assert "flash-error" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 9
    assert as_role(s, "centraliser").post(f"{BASE}/generate", data={"generate-blank": "1"}).status_code == 403
    assert as_role(s, "auditor").post(f"{BASE}/generate", data={"generate-blank": "1"}).status_code == 403
    assert as_role(s, "centraliser").get(job).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 9


def test_a_manager_issues_and_takes_back_ranges_per_team(app, tmp_path, as_role):
    s = build_scenario(tmp_path, issue=False, start=False)
    client = as_role(s, "manager")
    response = client.post(f"{BASE}/ranges/issue", data={"issue-team": "1", "issue-first": "1",
                                                         "issue-last": "000007/2025"}, follow_redirects=True)
    assert "7 tickets (000001/2025 to 000007/2025) issued to team 1 for round 1." in _text(response)
    response = client.post(f"{BASE}/ranges/issue", data={"issue-team": "1", "issue-first": "5", "issue-last": "6"},
                           follow_redirects=True)
    assert "overlap the range 000001/2025 to 000007/2025 already issued to team 1" in _text(response)
    response = client.post(f"{BASE}/ranges/return", data={"return-team": "1", "return-first": "6",
                                                          "return-last": "7"}, follow_redirects=True)
    page = _text(response)
    assert "2 tickets (000006/2025 to 000007/2025) returned unused by team 1." in page
    ranges = page.split('id="ranges"', 1)[1].split("</table>", 1)[0]
    assert "000001/2025" in ranges and "000006/2025 – 000007/2025 (2" in ranges
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketRange)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketReturn)) == 1
    assert as_role(s, "centraliser").post(f"{BASE}/ranges/issue", data={
        "issue-team": "2", "issue-first": "1", "issue-last": "7"}).status_code == 403
    assert "Issue a range" not in _text(as_role(s, "auditor").get(f"{BASE}/ranges"))


# --- void ---------------------------------------------------------------------------------------

def test_voiding_from_the_page_needs_a_reason_and_is_kept(app, tmp_path, as_role):
    s = build_scenario(tmp_path)
    client = as_role(s, "centraliser")
    response = client.post(f"{BASE}/void", data={"void-number": "000006/2025", "void-reason": ""},
                           follow_redirects=True)
    assert "flash-error" in _text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketVoid)) == 0
    response = client.post(f"{BASE}/void", data={"void-number": "6", "void-reason": "Stained with oil"},
                           follow_redirects=True)
    page = _text(response)
    assert "Ticket 000006/2025 voided." in page and "Stained with oil" in page and "Centraliser" in page
    assert "Void this ticket" not in page
    again = client.post(f"{BASE}/void", data={"void-number": "6", "void-reason": "twice"}, follow_redirects=True)
    assert "already voided" in _text(again)
    assert as_role(s, "auditor").post(f"{BASE}/void", data={"void-number": "7", "void-reason": "x"}).status_code == 403
    assert db.session.scalar(sa.select(Ticket.status).where(Ticket.sequence == 7)) == TicketStatus.ISSUED


def test_a_ticket_page_shows_its_ranges_counts_and_void(app, tmp_path, as_role):
    from countapp.services import counting

    s = build_scenario(tmp_path)
    counting.submit_count(CODE, counting.CountInput(ticket="1", round=1, quantity="1190"), user=s.users["ann"])
    page = _text(as_role(s, "auditor").get(f"{BASE}/1"))
    assert "000001/2025" in page and "Bolt M6" in page and "1,190" in page
    assert page.count("000001/2025 – 000007/2025") == 2
    assert "Void this ticket" not in page                       # auditors read only
    assert "Void this ticket" in _text(as_role(s, "manager").get(f"{BASE}/1"))
    assert as_role(s, "manager").get(f"{BASE}/99", follow_redirects=True).status_code == 200  # flashed, not a 500


# --- control ------------------------------------------------------------------------------------

def _control_row(page: str, team: int) -> dict[str, str]:
    row = re.search(rf'<tr class="row-\w+" data-team="{team}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    return dict(re.findall(r'data-col="(\w+)">([^<]*)<', row))


def test_the_control_page_and_its_csv_account_for_every_number(app, tmp_path, as_role):
    s = build_control_scenario(tmp_path)
    page = _text(as_role(s, "auditor").get(f"{BASE}/control"))
    assert _control_row(page, 1) == {"issued": "7", "counted": "3", "voided": "1", "returned": "2", "missing": "1",
                                     "missing_numbers": "5"}
    assert _control_row(page, 2) == {"issued": "7", "counted": "2", "voided": "1", "returned": "1", "missing": "3",
                                     "missing_numbers": "3, 5-6"}
    # Counting goes on: the numbers not counted yet are said so, not a red "missing".
    assert "Counting goes on: 4 issued numbers are not counted yet." in page and "verdict-pending" in page
    assert "are missing" not in page and 'class="row-bad"' not in page
    voids = page.split('id="voids"', 1)[1].split("</table>", 1)[0]
    assert "000004/2025" in voids and "Pallet left before the count" in voids and "manager" in voids
    response = as_role(s, "centraliser").get(f"{BASE}/control.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {(r["kind"], r["team"]): r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert (rows[("range", "2")]["missing"], rows[("range", "2")]["returned_numbers"]) == ("3", "7")
    assert rows[("total", "")]["missing"] == "4"


def test_once_counting_is_over_the_uncounted_numbers_are_missing(app, tmp_path, as_role):
    from countapp.models import CampaignStatus
    from countapp.services import campaigns

    s = build_control_scenario(tmp_path)
    campaigns.set_status(campaigns.get(CODE), CampaignStatus.RECONCILING, by=s.users["manager"])
    page = _text(as_role(s, "auditor").get(f"{BASE}/control"))
    assert "4 issued numbers are missing." in page and "verdict-bad" in page and "not counted yet" not in page
    assert _control_row(page, 2)["missing_numbers"] == "3, 5-6" and 'class="row-bad" data-team="2"' in page


def test_the_control_page_says_when_everything_is_accounted_for(app, tmp_path, as_role):
    s = build_scenario(tmp_path, issue=False, start=False)
    tickets.issue(CODE, team=1, first=1, last=7)
    tickets.return_unused(CODE, team=1, first=1, last=7)
    page = _text(as_role(s, "manager").get(f"{BASE}/control"))
    assert "Every issued number is accounted for." in page and 'id="not-issued"' in page


# --- who may see what ---------------------------------------------------------------------------

@pytest.mark.parametrize("login, allowed", [("manager", True), ("centraliser", True), ("auditor", True),
                                            ("lead1", False), ("ann", False)])
def test_staff_read_the_ticket_pages_and_teams_do_not(app, tmp_path, as_role, login, allowed):
    s = build_scenario(tmp_path)
    client = as_role(s, login)
    for url in (BASE, f"{BASE}/ranges", f"{BASE}/control", f"{BASE}/1", f"{BASE}/control.csv", f"{BASE}.csv"):
        assert client.get(url).status_code == (200 if allowed else 403), url
    printing = client.get(f"{BASE}/print").status_code
    assert printing == (200 if login in ("manager", "centraliser") else 403)
