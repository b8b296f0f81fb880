"""Counting rules through the service and the tablet pages: order of rounds, team scoping, bad input,
idempotent replay, corrections, blank tickets, packaging."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, Count, CountSource, Ticket, TicketStatus
from countapp.services import counting, tickets
from tickets.errors import Conflict, CountappError, Forbidden, NotFound

from ..scenario import build_scenario

CODE = "FY2025"


def submit(s, who, ticket, round_, quantity, **kwargs):
    number = s.tickets.get(ticket, ticket)
    return counting.submit_count(CODE, counting.CountInput(ticket=number, round=round_, quantity=quantity, **kwargs),
                                 user=s.users[who])


def counts_of(number: str) -> list[Count]:
    sequence = int(number.split("/")[0])
    return list(db.session.scalars(sa.select(Count).join(Ticket).where(Ticket.sequence == sequence)
                                   .order_by(Count.id)))


def test_first_then_second_count_agree_to_final(s):
    submit(s, "ann", "A-1@L-02", 1, "30")
    result = submit(s, "cat", "A-1@L-02", 2, "30")
    assert result.created and result.ticket.status == TicketStatus.FINAL and result.ticket.final_qty == 30


def test_round_two_waits_for_round_one(s):
    with pytest.raises(CountappError, match="needs its 1st count before the 2nd") as refused:
        submit(s, "cat", "A-1@L-02", 2, "30")
    assert refused.value.field == "round"
    assert counts_of(s.tickets["A-1@L-02"]) == []


def test_a_team_counts_only_its_round(s):
    with pytest.raises(Forbidden, match="Your team counts round 1, not round 2"):
        submit(s, "ann", "A-1@L-02", 2, "30")
    submit(s, "ann", "A-1@L-02", 1, "30")
    with pytest.raises(Forbidden, match="Your team counts round 2, not round 1"):
        submit(s, "cat", "A-1@L-02", 1, "31")


def test_a_team_counts_only_tickets_issued_to_it(app, tmp_path, make_user):
    s = build_scenario(tmp_path, issue=False, start=False)
    tickets.issue(CODE, team=1, first=1, last=3)
    tickets.issue(CODE, team=2, first=1, last=3)
    tickets.start_counting(CODE)
    with pytest.raises(CountappError, match="has not been issued"):
        submit(s, "ann", "000004/2025", 1, "4")
    from countapp.services import teams
    s.users["lead3"] = make_user("lead3", "leader")
    teams.add_team(CODE, 3, round=1, leader="lead3", zones=["Z2"])
    tickets.issue(CODE, team=3, first=4, last=5)
    with pytest.raises(Forbidden, match="was not issued to your team for round 1"):
        submit(s, "ann", "000004/2025", 1, "4")
    assert submit(s, "lead3", "000004/2025", 1, "4").created


def test_only_counting_teams_enter_rounds_one_and_two(s):
    for who in ("manager", "centraliser"):
        with pytest.raises(Forbidden, match="Only counting teams"):
            submit(s, who, "A-1@L-02", 1, "30")


def test_voided_ticket_cannot_be_counted(s):
    tickets.void(CODE, s.tickets["D-4@L-04"], reason="torn")
    with pytest.raises(CountappError, match="is voided"):
        submit(s, "ann", "D-4@L-04", 1, "10")


def test_unknown_ticket_is_not_found(s):
    with pytest.raises(NotFound, match="does not exist"):
        submit(s, "ann", "999999/2025", 1, "1")
    with pytest.raises(CountappError, match="belongs to fiscal year 2024"):
        submit(s, "ann", "000001/2024", 1, "1")


@pytest.mark.parametrize("quantity, message, field", [
    ("-3", "cannot be negative", "quantity"),
    ("twelve", "is not a number", "quantity"),
    ("", "A quantity is required", "quantity"),
    ("1.5", "whole numbers", "quantity"),                 # pieces take no decimals
    ("1e15", "too large", "quantity"),
    ("99999999999999999999", "too large", "quantity"),
    ("NaN", "is not a number", "quantity"),
    ([1, 2], "is not a number", "quantity"),
    (True, "A quantity is required", "quantity"),
])
def test_bad_quantities_are_refused_with_the_field(s, quantity, message, field):
    with pytest.raises(CountappError, match=message) as refused:
        submit(s, "ann", "A-1@L-02", 1, quantity)
    assert refused.value.field == field
    assert counts_of(s.tickets["A-1@L-02"]) == []


def test_decimals_only_where_the_unit_allows(s):
    with pytest.raises(CountappError, match="At most 4 decimals"):
        submit(s, "ann", "B-2@L-02", 1, "12.12345")
    assert submit(s, "ann", "B-2@L-02", 1, "12,5").count.quantity == Decimal("12.5")


@pytest.mark.parametrize("kwargs, field", [
    ({"state": "broken"}, "state"), ({"state": 3}, "state"), ({"method": "guessed"}, "method"),
    ({"round": 4}, "round"), ({"round": "two"}, "round"), ({"round": 1.5}, "round"),
    ({"client_id": "x" * 65}, "client_id"), ({"client_id": "has space"}, "client_id"), ({"client_id": 12}, "client_id"),
    ({"counted_at": "yesterday"}, "counted_at"),
    ({"counted_at": (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()}, "counted_at"),
    ({"packaging": [1, 2]}, "packaging"), ({"packaging": {"boxes": 2}}, "packaging.boxes"),
    ({"packaging": {"pallets": 2, "units_per_carton": 5}}, "packaging.cartons_per_pallet"),
])
def test_bad_fields_are_refused_with_the_field(s, kwargs, field):
    kwargs = {"round": 1, **kwargs}
    number = s.tickets["A-1@L-02"]
    with pytest.raises(CountappError) as refused:
        counting.submit_count(CODE, counting.CountInput(ticket=number, quantity="3", **kwargs), user=s.users["ann"])
    assert refused.value.field == field


def test_replayed_client_id_returns_the_stored_count(s):
    first = submit(s, "ann", "A-1@L-02", 1, "30", client_id="tab-1:0001")
    again = submit(s, "ann", "A-1@L-02", 1, "30", client_id="tab-1:0001")
    assert first.created and not again.created and again.count.id == first.count.id
    assert len(counts_of(s.tickets["A-1@L-02"])) == 1


def test_client_id_reused_for_another_count_is_a_conflict(s):
    submit(s, "ann", "A-1@L-02", 1, "30", client_id="tab-1:0002")
    with pytest.raises(Conflict, match="client_id was already used"):
        submit(s, "ben", "D-4@L-04", 1, "10", client_id="tab-1:0002")


def test_second_device_gets_a_conflict_naming_who_and_when(s):
    submit(s, "ann", "A-1@L-02", 1, "30", counted_at=datetime(2025, 12, 28, 9, 30, tzinfo=timezone.utc))
    with pytest.raises(Conflict) as conflict:
        submit(s, "ben", "A-1@L-02", 1, "31")
    assert "Ann" in str(conflict.value) and "2025-12-28 10:30 CET" in str(conflict.value)
    assert len(counts_of(s.tickets["A-1@L-02"])) == 1


def test_blank_ticket_first_count_names_item_and_location(s):
    number = s.blanks[0]
    with pytest.raises(CountappError, match="is blank") as refused:
        submit(s, "ann", number, 1, "7")
    assert refused.value.field == "reference"
    with pytest.raises(CountappError, match="Unknown location"):
        submit(s, "ann", number, 1, "7", reference="D-4", location="NOWHERE")
    result = submit(s, "ann", number, 1, "7", reference="D-4", location="L-03", lot="")
    assert result.ticket.item.reference == "D-4" and result.ticket.location.code == "L-03"
    second = submit(s, "cat", number, 2, "7")
    # Nothing of D-4 is on the books at L-03: the counts agree but are far from book, so a third count.
    assert second.ticket.status == TicketStatus.RECOUNT and second.ticket.recount_reasons == "far_from_book"


def test_packaging_is_converted_and_kept(s):
    packaging = {"pallets": "2", "cartons_per_pallet": "10", "units_per_carton": "12", "loose_units": "5"}
    result = submit(s, "ann", "A-1@L-01", 1, None, packaging=packaging, method="counted")
    assert result.count.quantity == 245 and result.count.packaging["pallets"] == "2"
    with pytest.raises(CountappError, match="does not match the packaging, which makes 245"):
        submit(s, "ann", "A-1@L-02", 1, "240", packaging=packaging)


def test_method_is_recorded(s):
    assert submit(s, "ann", "B-2@L-02", 1, "12.4", method="weighed").count.method.value == "weighed"


def test_every_count_leaves_an_audit_event(s):
    submit(s, "ann", "A-1@L-02", 1, "30")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "count.add"))
    assert event.user_login == "ann" and event.after["quantity"] == "30"


def test_correction_keeps_the_earlier_value_with_who_when_why(s):
    first = submit(s, "ann", "A-1@L-02", 1, "31").count
    correction = counting.correct_count(CODE, s.tickets["A-1@L-02"], 1, quantity="30", reason="miscounted a box",
                                        user=s.users["ben"])
    rows = counts_of(s.tickets["A-1@L-02"])
    assert [r.quantity for r in rows] == [31, 30]
    assert correction.supersedes_id == first.id and correction.counted_by_name == "Ben"
    assert correction.correction_reason == "miscounted a box" and correction.counted_at is not None
    assert counting.current_count(correction.ticket_id, 1).id == correction.id
    db.session.refresh(first)
    assert first.quantity == 31          # never overwritten


def test_correction_needs_a_reason_and_the_same_team(s):
    submit(s, "ann", "A-1@L-02", 1, "31")
    with pytest.raises(CountappError, match="needs a reason"):
        counting.correct_count(CODE, s.tickets["A-1@L-02"], 1, quantity="30", reason=" ", user=s.users["ann"])
    with pytest.raises(Forbidden, match="Only the team that entered a count"):
        counting.correct_count(CODE, s.tickets["A-1@L-02"], 1, quantity="30", reason="x", user=s.users["cat"])


def test_no_correction_once_the_ticket_moved_on(s):
    submit(s, "ann", "A-1@L-02", 1, "31")
    submit(s, "cat", "A-1@L-02", 2, "30")
    with pytest.raises(CountappError, match="has moved on"):
        counting.correct_count(CODE, s.tickets["A-1@L-02"], 1, quantity="30", reason="x", user=s.users["ann"])


def test_second_round_correction_decides_again(s):
    submit(s, "ann", "A-1@L-02", 1, "30")
    result = submit(s, "cat", "A-1@L-02", 2, "31")
    assert result.ticket.status == TicketStatus.RECOUNT
    counting.correct_count(CODE, s.tickets["A-1@L-02"], 2, quantity="30", reason="recounted", user=s.users["dan"])
    ticket = db.session.get(Ticket, result.ticket.id)
    assert ticket.status == TicketStatus.FINAL and ticket.final_qty == 30


def test_counting_needs_the_campaign_counting(app, tmp_path):
    s = build_scenario(tmp_path, start=False)
    with pytest.raises(CountappError, match="is not counting yet"):
        submit(s, "ann", "A-1@L-02", 1, "30")


def test_import_source_keeps_the_signature(s):
    result = counting.submit_count(CODE, counting.CountInput(ticket=s.tickets["A-1@L-02"], round=1, quantity="30",
                                                             team=1, counted_by="Paper Name"),
                                   user=s.users["centraliser"], source=CountSource.IMPORT)
    assert result.count.counted_by_name == "Paper Name" and result.count.team_id is not None


# ---- pages ----

def test_counter_lands_on_the_team_page(s, client, login_as):
    login_as(client, s.users["cat"])
    response = client.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/count/FY2025"
    assert "Team 2" in page or "Équipe 2" in page
    assert 'id="ticket-input"' in page and "000001/2025" in page


def test_counter_without_team_is_told(app, client_as, make_campaign):
    make_campaign()
    counter = client_as("counter")
    page = counter.get("/count/", follow_redirects=True).get_data(as_text=True)
    assert "counting team" in page or "équipe de comptage" in page


def test_staff_are_not_sent_to_the_tablet(s, client, login_as):
    login_as(client, s.users["manager"])
    assert client.get("/").status_code == 200
    assert client.get("/count/FY2025").status_code == 403


def test_tablet_page_shows_round_zones_and_what_is_left(s, client, login_as):
    login_as(client, s.users["ann"])
    page = client.get("/count/FY2025", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Save the count" in page and "Ticket number" in page and "1st count" in page
    assert "Z1, Z2" in page and '<strong id="left-count">7</strong>' in page
    submit(s, "ann", "A-1@L-02", 1, "30")
    page = client.get("/count/FY2025", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<strong id="left-count">6</strong>' in page
