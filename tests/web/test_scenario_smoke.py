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
