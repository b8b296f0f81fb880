"""Third counts through the web: states on the centralisation page, recount sheets, the leaders' entry,
decisions without recount (with a written reason, logged), and the recount sheet PDF read back.

Counts 1 and 2 come in as the tablets send them (the JSON API, logged in as the counters); the
centraliser then works on the pages, and the leaders enter the third count on theirs.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pypdf
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import (AuditEvent, Count, RecountSheet, Ticket, TicketDecision, TicketStatus,
                             recount_sheet_ticket)
from countapp.services import campaigns, centralisation, recounts, teams, tickets


CODE = "FY2025"
BASE = f"/campaigns/{CODE}"


def seq(s, key: str) -> int:
    text = s.tickets.get(key, key)
    return int(text.split("/")[0])


def ticket(s, key: str) -> Ticket:
    db.session.expire_all()
    return db.session.scalar(sa.select(Ticket).where(Ticket.sequence == seq(s, key)))


def count(as_user, who: str, number: str, round_: int, quantity: str, **extra):
    response = as_user(who).post("/api/v1/counts", json={"ticket": number, "round": round_, "quantity": quantity,
                                                         **extra})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return response


def states_on_page(html: str) -> dict[str, int]:
    return {state: int(n.replace(",", "").replace("\u202f", "").replace("\xa0", ""))
            for state, n in re.findall(r'data-state="(\w+)">([\d,\u202f\xa0]+)<', html)}


@pytest.fixture
def counted(s, as_user):
    """A-1@L-01 agreed; A-1@L-02 counts disagree; D-4@L-04 agreed count far from book; B-2@L-02 count 1 only;
    C-3@L-03 not counted; blank 1 voided."""
    for key, q1, q2 in (("A-1@L-01", "1200", "1200"), ("A-1@L-02", "30", "26"), ("D-4@L-04", "8", "8")):
        count(as_user, "ann", s.tickets[key], 1, q1)
        count(as_user, "cat", s.tickets[key], 2, q2)
    count(as_user, "ann", s.tickets["B-2@L-02"], 1, "12.5")
    tickets.void(CODE, s.blanks[0], reason="Torn in two")
    return s


def test_every_state_appears_on_the_centralisation_page(counted, as_user):
    s = counted
    page = as_user("centraliser").get(f"{BASE}/centralisation")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert states_on_page(html) == {"not_counted": 2, "count_1": 1, "agreed": 1, "recount": 2, "recounted": 0,
                                    "decided": 0, "voided": 1}
    # counts side by side, with the book, for the centraliser
    row = re.search(r'<tr class="cz-row-recount">.*?' + re.escape(s.tickets["A-1@L-02"]) + r".*?</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells[:3] == ["30", "30", "26"]           # book, count 1, count 2
    assert "Counts 1 and 2 disagree" in row.group(0)
    assert "Far from book stock" in html              # D-4: agreed on 8, book 10


def test_filters_by_state_zone_team_category_and_reason(counted, as_user):
    s = counted
    client = as_user("centraliser")

    def tickets_of(**args):
        html = client.get(f"{BASE}/centralisation", query_string=args).get_data(as_text=True)
        table = html.split('id="tickets"')[1]
        return sorted(set(re.findall(r"(\d{6}/2025)</a>", table)))

    assert tickets_of(state="recount") == sorted([s.tickets["A-1@L-02"], s.tickets["D-4@L-04"]])
    assert tickets_of(state="recount", reason="far_from_book") == [s.tickets["D-4@L-04"]]
    assert tickets_of(reason="counts_disagree") == [s.tickets["A-1@L-02"]]
    assert tickets_of(zone="Z2") == sorted([s.tickets["C-3@L-03"], s.tickets["D-4@L-04"]])
    assert tickets_of(category="products") == [s.tickets["D-4@L-04"]]
    assert tickets_of(category="raw_materials", state="agreed") == [s.tickets["A-1@L-01"]]
    assert tickets_of(state="voided") == [s.blanks[0]]
    assert tickets_of(state="not_counted") == sorted([s.tickets["C-3@L-03"], s.blanks[1]])
    assert tickets_of(state="count_1") == [s.tickets["B-2@L-02"]]
    assert len(tickets_of(team=1)) == 7 and tickets_of(team=9) == []
    assert tickets_of(q="gear") == [s.tickets["D-4@L-04"]]
    # the summary follows the other filters
    html = client.get(f"{BASE}/centralisation", query_string={"zone": "Z2"}).get_data(as_text=True)
    assert states_on_page(html)["recount"] == 1 and states_on_page(html)["not_counted"] == 1
    # nonsense filters are ignored, never a 500
    assert client.get(f"{BASE}/centralisation?state=nope&team=x&category=zz&after=abc").status_code == 200


def test_pages_walk_the_campaign_by_number(counted):
    campaign = campaigns.get(CODE)
    filters = centralisation.Filters()
    first = centralisation.page(campaign, filters, size=3)
    assert [r["sequence"] for r in first.rows] == [1, 2, 3] and first.previous is None and first.next == 3
    second = centralisation.page(campaign, filters, after=first.next, size=3)
    assert [r["sequence"] for r in second.rows] == [4, 5, 6] and second.previous == 4
    last = centralisation.page(campaign, filters, after=second.next, size=3)
    assert [r["sequence"] for r in last.rows] == [7] and last.next is None
    back = centralisation.page(campaign, filters, before=last.previous, size=3)
    assert [r["sequence"] for r in back.rows] == [4, 5, 6]
    assert first.total == 7


def _make_sheet(as_user, s, *keys, leader1="lead1", leader2="lead2", supervisor="centraliser", who="centraliser"):
    response = as_user(who).post(f"{BASE}/recounts", data={
        "tickets": [str(seq(s, k)) for k in keys], "leader_round1": leader1, "leader_round2": leader2,
        "supervisor": supervisor})
    return response


def test_recount_sheet_then_blind_third_count_makes_the_ticket_final(counted, as_user):
    s = counted
    new = as_user("centraliser").get(f"{BASE}/recounts/new")
    html = new.get_data(as_text=True)
    assert s.tickets["A-1@L-02"] in html and s.tickets["D-4@L-04"] in html
    # the leaders of the teams that counted these tickets are suggested
    assert re.search(r'<option selected value="lead1">', html) and re.search(r'<option selected value="lead2">', html)
    made = _make_sheet(as_user, s, "A-1@L-02", "D-4@L-04")
    assert made.status_code == 302 and made.headers["Location"].endswith(f"{BASE}/recounts/1")
    sheet = db.session.scalar(sa.select(RecountSheet))
    assert (sheet.number, sheet.leader1.login, sheet.leader2.login, sheet.supervisor.login) == (
        1, "lead1", "lead2", "centraliser")
    assert db.session.scalar(sa.select(AuditEvent.after).where(AuditEvent.action == "recount.sheet"))["tickets"] == \
        sorted([s.tickets["A-1@L-02"], s.tickets["D-4@L-04"]])

    leader = as_user("lead2")
    page = leader.get(f"{BASE}/recounts/1/enter")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('name="quantity"') == 2
    done = leader.post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "A-1@L-02")), "quantity": "27",
                                                         "state": "damaged"})
    assert done.status_code == 303 and f"#t{seq(s, 'D-4@L-04')}" in done.headers["Location"]
    recounted = ticket(s, "A-1@L-02")
    assert recounted.status == TicketStatus.FINAL and recounted.final_qty == Decimal(27)
    third = db.session.scalar(sa.select(Count).where(Count.ticket_id == recounted.id, Count.round == 3))
    assert third.state.value == "damaged" and third.counted_by_id == s.users["lead2"].id
    after = leader.get(f"{BASE}/recounts/1/enter").get_data(as_text=True)
    assert after.count('name="quantity"') == 1 and "Recounted: 27 pc, Damaged" in after
    # the third count is final: no second one, from the page or the tablets' API
    again = leader.post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "A-1@L-02")), "quantity": "28"})
    assert again.status_code == 400 and "does not need a third count" in again.get_data(as_text=True)
    assert as_user("lead1").post("/api/v1/counts", json={"ticket": s.tickets["A-1@L-02"], "round": 3,
                                                        "quantity": "29"}).status_code in (400, 409)
    assert ticket(s, "A-1@L-02").final_qty == Decimal(27)
    html = as_user("centraliser").get(f"{BASE}/centralisation").get_data(as_text=True)
    assert states_on_page(html)["recounted"] == 1 and states_on_page(html)["recount"] == 1


def test_a_double_tap_records_one_third_count(counted, as_user):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02")
    leader = as_user("lead1")
    html = leader.get(f"{BASE}/recounts/1/enter").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([^"]+)"', html).group(1)
    form = {"ticket": str(seq(s, "A-1@L-02")), "quantity": "27", "client_id": client_id}
    assert leader.post(f"{BASE}/recounts/1/enter", data=form).status_code == 303
    assert leader.post(f"{BASE}/recounts/1/enter", data=form).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count).where(Count.round == 3)) == 1


def test_bad_quantity_is_refused_on_the_card_and_kept_for_correction(counted, as_user):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02")
    response = as_user("lead1").post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "A-1@L-02")),
                                                                       "quantity": "2.5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "counted in whole numbers" in html and 'value="2.5"' in html
    assert ticket(s, "A-1@L-02").status == TicketStatus.RECOUNT


def test_only_the_sheets_leaders_enter_its_third_counts(counted, as_user, app, make_user, login_as):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02")
    other = make_user("lead9", "leader")
    teams.add_team(CODE, 9, round=1, leader="lead9", zones=[])
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(client, other)
    page = client.get(f"{BASE}/recounts/1/enter")
    assert page.status_code == 303          # refused, with the reason flashed
    assert client.get(f"{BASE}/recounts").get_data(as_text=True).count(f"{BASE}/recounts/1/enter") == 0
    posted = client.post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "A-1@L-02")), "quantity": "27"})
    assert posted.status_code in (303, 403)
    assert client.get(f"{BASE}/recounts/1.pdf").status_code != 200
    assert as_user("ann").get(f"{BASE}/recounts/1/enter").status_code == 403
    assert as_user("ann").get(f"{BASE}/recounts").status_code == 403
    assert ticket(s, "A-1@L-02").status == TicketStatus.RECOUNT
    # a ticket that is not on the sheet cannot be entered through it
    wrong = as_user("lead1").post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "D-4@L-04")),
                                                                    "quantity": "8"})
    assert wrong.status_code == 400 and "is not on recount sheet 1" in wrong.get_data(as_text=True)


def test_sheet_rules(counted, as_user, make_user):
    s = counted
    before = db.session.scalar(sa.select(sa.func.count()).select_from(RecountSheet))
    client = as_user("centraliser")
    for data, message in (({"leader1": "lead2"}, "Not a valid choice"), ({"leader2": "lead1"}, "Not a valid choice"),
                          ({"supervisor": "ann"}, "Not a valid choice")):
        response = _make_sheet(as_user, s, "A-1@L-02", **data)
        assert response.status_code in (302, 303)
        assert message in client.get(f"{BASE}/recounts/new").get_data(as_text=True), message
    for keys, message in ((("A-1@L-01",), "does not need a third count"), ((), "Choose at least one ticket"),
                          (("A-1@L-02", "000099/2025"), "Ticket 000099/2025 does not exist")):
        _make_sheet(as_user, s, *keys)
        assert message in client.get(f"{BASE}/recounts/new").get_data(as_text=True), message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecountSheet)) == before
    assert _make_sheet(as_user, s, "A-1@L-02").status_code == 302
    _make_sheet(as_user, s, "A-1@L-02", "D-4@L-04")
    assert "is already on recount sheet 1" in client.get(f"{BASE}/recounts/new").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(recount_sheet_ticket)) == 1
    # the service holds the same rules for any caller
    for kwargs, message in (({"leader1": "lead2"}, "lead2 does not lead a team of the 1st count"),
                            ({"leader2": "lead1"}, "lead1 does not lead a team of the 2nd count"),
                            ({"supervisor": "lead1"}, "The supervisor must be a centraliser or the inventory manager"),
                            ({"supervisor": "nobody"}, "Choose the supervisor of the recount")):
        with pytest.raises(Exception, match=message):
            recounts.create_sheet(CODE, tickets=[s.tickets["D-4@L-04"]], **{
                "leader1": "lead1", "leader2": "lead2", "supervisor": "centraliser", **kwargs})
    # a storekeeper of the zone may not recount it
    make_user("keeper", "leader")
    teams.add_team(CODE, 9, round=1, leader="keeper", zones=["Z1"])
    teams.set_storekeeper(CODE, "Z2", "keeper")
    with pytest.raises(Exception) as refused:
        recounts.create_sheet(CODE, tickets=[s.tickets["D-4@L-04"]], leader1="keeper", leader2="lead2",
                              supervisor="centraliser")
    assert "keeper keeps the stock of zone Z2" in str(refused.value)
    # auditors and leaders make no sheet
    assert _make_sheet(as_user, s, "D-4@L-04", who="auditor").status_code == 403
    assert _make_sheet(as_user, s, "D-4@L-04", who="lead1").status_code == 403


def test_a_decision_needs_a_written_reason_and_is_logged(counted, as_user):
    s = counted
    client = as_user("centraliser")
    number = seq(s, "D-4@L-04")
    url = f"{BASE}/centralisation/tickets/{number}"
    page = client.get(url).get_data(as_text=True)
    assert "Accept the book quantity: 10 pc" in page and "Accept count 2: 8 pc" in page
    refused = client.post(f"{url}/decide", data={"kind": "accept_count_2", "reason": "   "})
    assert refused.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketDecision)) == 0
    assert "reason" in client.get(url).get_data(as_text=True).lower()
    assert ticket(s, "D-4@L-04").status == TicketStatus.RECOUNT
    done = client.post(f"{url}/decide", data={"kind": "accept_count_2",
                                              "reason": "Two gear boxes shipped on 27/12, delivery note DN-118."})
    assert done.status_code == 302
    settled = ticket(s, "D-4@L-04")
    assert settled.status == TicketStatus.FINAL and settled.final_qty == Decimal(8)
    decision = db.session.scalar(sa.select(TicketDecision))
    assert decision.kind == "accept_count_2" and decision.decided_by.login == "centraliser"
    assert decision.reason == "Two gear boxes shipped on 27/12, delivery note DN-118."
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "ticket.decide"))
    assert event.user_login == "centraliser" and event.entity_id == s.tickets["D-4@L-04"]
    assert event.before == {"status": "recount", "reasons": ["far_from_book"], "count_1": "8", "count_2": "8",
                            "book_qty": "10"}
    assert event.after == {"status": "final", "kind": "accept_count_2", "final_qty": "8",
                           "reason": "Two gear boxes shipped on 27/12, delivery note DN-118."}
    page = client.get(url).get_data(as_text=True)
    assert "Settled without recount" in page and "DN-118" in page and "ticket.decide" in page
    states = states_on_page(client.get(f"{BASE}/centralisation").get_data(as_text=True))
    assert states["decided"] == 1 and states["recount"] == 1
    # settled once: no second decision, no third count, no correction of count 2
    again = client.post(f"{url}/decide", data={"kind": "accept_book", "reason": "changed my mind"})
    assert again.status_code in (302, 303)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketDecision)) == 1
    assert ticket(s, "D-4@L-04").final_qty == Decimal(8)
    assert as_user("cat").post("/api/v1/corrections", json={"ticket": s.tickets["D-4@L-04"], "round": 2,
                                                           "quantity": "9", "reason": "x"}).status_code >= 400


def test_accepting_the_book_or_count_one(counted, as_user):
    s = counted
    recounts.decide(CODE, s.tickets["A-1@L-02"], kind="accept_book", reason="Book checked against the bin card",
                    by=s.users["manager"])
    assert ticket(s, "A-1@L-02").final_qty == Decimal(30)
    with pytest.raises(Exception, match="does not need a third count"):
        recounts.decide(CODE, s.tickets["A-1@L-01"], kind="accept_count_1", reason="x", by=s.users["manager"])
    with pytest.raises(Exception, match="Only a centraliser or the inventory manager"):
        recounts.decide(CODE, s.tickets["D-4@L-04"], kind="accept_count_1", reason="x", by=s.users["lead1"])
    recounts.decide(CODE, s.tickets["D-4@L-04"], kind="accept_count_1", reason="Count 1 is right",
                    by=s.users["centraliser"])
    assert ticket(s, "D-4@L-04").final_qty == Decimal(8)


def test_no_decision_once_the_third_count_is_in_or_on_a_ticket_not_in_recount(counted, as_user):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02")
    as_user("lead1").post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "A-1@L-02")), "quantity": "27"})
    page = as_user("centraliser").get(f"{BASE}/centralisation/tickets/{seq(s, 'A-1@L-02')}").get_data(as_text=True)
    assert 'id="decide"' not in page
    with pytest.raises(Exception, match="does not need a third count"):
        recounts.decide(CODE, s.tickets["A-1@L-02"], kind="accept_count_1", reason="x", by=s.users["centraliser"])


def test_auditors_read_everything_and_change_nothing(counted, as_user):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02")
    auditor = as_user("auditor")
    for url in (f"{BASE}/centralisation", f"{BASE}/centralisation/tickets/{seq(s, 'A-1@L-02')}", f"{BASE}/recounts",
                f"{BASE}/recounts/1", f"{BASE}/recounts/1.pdf"):
        assert auditor.get(url).status_code == 200, url
    page = auditor.get(f"{BASE}/centralisation/tickets/{seq(s, 'D-4@L-04')}").get_data(as_text=True)
    assert 'id="decide"' not in page and "Make a recount sheet" not in auditor.get(f"{BASE}/recounts").get_data(
        as_text=True)
    assert auditor.post(f"{BASE}/centralisation/tickets/{seq(s, 'D-4@L-04')}/decide",
                        data={"kind": "accept_book", "reason": "x"}).status_code == 403
    assert auditor.get(f"{BASE}/recounts/1/enter").status_code == 403
    assert ticket(s, "D-4@L-04").status == TicketStatus.RECOUNT


def test_counting_teams_never_reach_the_centralisation_page(counted, as_user):
    for who in ("ann", "cat", "lead1", "lead2"):
        assert as_user(who).get(f"{BASE}/centralisation").status_code == 403
        assert as_user(who).get(f"{BASE}/centralisation/tickets/1").status_code == 403
        assert as_user(who).get(f"{BASE}/recounts/new").status_code == 403


def test_the_ticket_page_shows_every_entry_and_the_tolerances(counted, as_user):
    s = counted
    campaigns.configure(campaigns.get(CODE), {"tolerance": {"category": {"products": {"vs_book": {"pct": 5}}}}})
    page = as_user("manager").get(f"{BASE}/centralisation/tickets/{seq(s, 'D-4@L-04')}").get_data(as_text=True)
    assert "Counts side by side" in page and "more than 5 %" in page and "any difference" in page
    assert 'data-round="1">8<' in page and 'data-round="2">8<' in page and "count.add" in page


# --- the printed sheet ---------------------------------------------------------------------------

def test_the_recount_sheet_pdf_names_the_people_and_the_goods_and_no_quantity(counted, as_user):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02", "D-4@L-04")
    for who in ("centraliser", "lead1", "lead2"):
        response = as_user(who).get(f"{BASE}/recounts/1.pdf?language=en")
        assert response.status_code == 200 and response.mimetype == "application/pdf", who
    reader = pypdf.PdfReader(io.BytesIO(response.data), strict=True)
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    for expected in ("Third count sheet no. 1", "Lead1", "Lead2", "Centraliser", s.tickets["A-1@L-02"],
                     s.tickets["D-4@L-04"], "Gear box", "L-04", "Tickets to recount: 2"):
        assert expected in text, expected
    assert s.tickets["A-1@L-01"] not in text
    # blind: neither round's quantity nor the book (A-1@L-02: 30, 26, book 30; D-4: 8, 8, book 10)
    numbers = set(re.findall(r"(?<![\d/.,])\d+(?:[.,]\d+)?(?![\d/])", text))
    assert not numbers & {"30", "26", "10", "8"}, numbers
    french = as_user("centraliser").get(f"{BASE}/recounts/1.pdf?language=fr")
    assert "Fiche de troisième comptage n° 1" in pypdf.PdfReader(io.BytesIO(french.data)).pages[0].extract_text()


def test_each_state_filter_holds_exactly_the_tickets_in_that_state(counted, as_user):
    s = counted
    _make_sheet(as_user, s, "A-1@L-02")
    as_user("lead1").post(f"{BASE}/recounts/1/enter", data={"ticket": str(seq(s, "A-1@L-02")), "quantity": "27"})
    recounts.decide(CODE, s.tickets["D-4@L-04"], kind="accept_book", reason="Book is right", by=s.users["manager"])
    campaign = campaigns.get(CODE)
    every = {r["ticket"]: r["state"] for r in centralisation.page(campaign, centralisation.Filters()).rows}
    assert every == {s.tickets["A-1@L-01"]: "agreed", s.tickets["A-1@L-02"]: "recounted",
                     s.tickets["D-4@L-04"]: "decided", s.tickets["B-2@L-02"]: "count_1",
                     s.tickets["C-3@L-03"]: "not_counted", s.blanks[0]: "voided", s.blanks[1]: "not_counted"}
    summary = centralisation.summary(campaign)
    for state in centralisation.STATES:
        rows = centralisation.page(campaign, centralisation.Filters(state=state)).rows
        assert {r["ticket"] for r in rows} == {t for t, st in every.items() if st == state}, state
        assert summary[state] == len(rows), state
