"""The shared scenario builds, and a ticket goes through two agreeing counts to final."""
from __future__ import annotations

from decimal import Decimal

from countapp.extensions import db
from countapp.models import Ticket, TicketStatus
from countapp.services import counting

from ..scenario import build_scenario


def test_scenario_counts_to_final(app, tmp_path):
    scenario = build_scenario(tmp_path)
    assert len(scenario.tickets) == 5 and len(scenario.blanks) == 2
    number = scenario.tickets["A-1@L-01"]
    counting.submit_count("FY2025", counting.CountInput(ticket=number, round=1, quantity="1200"),
                          user=scenario.users["ann"])
    counting.submit_count("FY2025", counting.CountInput(ticket=number, round=2, quantity="1200"),
                          user=scenario.users["cat"])
    ticket = db.session.scalar(db.select(Ticket).where(Ticket.sequence == int(number.split("/")[0])))
    assert ticket.status == TicketStatus.FINAL and ticket.final_qty == Decimal("1200")


def _count(number, round_, quantity, user, **blank):
    counting.submit_count("FY2025", counting.CountInput(ticket=number, round=round_, quantity=quantity, **blank),
                          user=user)


def _ticket(number):
    return db.session.scalar(db.select(Ticket).where(Ticket.sequence == int(number.split("/")[0])))


def test_a_blank_ticket_compares_with_a_book_quantity_of_zero(app, tmp_path):
    from countapp.services import campaigns

    scenario = build_scenario(tmp_path)
    campaigns.configure(campaigns.get("FY2025"), {"tolerance": {"vs_book": {"qty": 10}}})
    blank = scenario.blanks[0]
    # A-1 at L-01 has a book line of 1200: the blank ticket still compares with 0, so 5 is agreed.
    _count(blank, 1, "5", scenario.users["ann"], reference="A-1", location="L-01")
    _count(blank, 2, "5", scenario.users["cat"], reference="A-1", location="L-01")
    assert _ticket(blank).status == TicketStatus.FINAL and _ticket(blank).final_qty == Decimal("5")
    other = scenario.blanks[1]
    _count(other, 1, "50", scenario.users["ann"], reference="A-1", location="L-01")
    _count(other, 2, "50", scenario.users["cat"], reference="A-1", location="L-01")
    assert _ticket(other).status == TicketStatus.RECOUNT  # 50 is more than 10 away from 0


def test_a_leader_on_a_recount_sheet_sees_the_third_count_blind_even_for_his_teams_ticket(app, tmp_path, login_as):
    from countapp.services import recounts

    scenario = build_scenario(tmp_path)
    number = scenario.tickets["D-4@L-04"]
    _count(number, 1, "7654321", scenario.users["lead1"])
    _count(number, 2, "10", scenario.users["cat"])
    assert _ticket(number).status == TicketStatus.RECOUNT
    recounts.create_sheet("FY2025", tickets=[number], leader1="lead1", leader2="lead2", supervisor="centraliser")
    client = login_as(app.test_client(), scenario.users["lead1"])
    answer = client.get(f"/api/v1/tickets/{number.replace('/', '%2F')}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert "7654321" not in answer.get_data(as_text=True)
