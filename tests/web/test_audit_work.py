"""The auditor's own work: samples reproducible from a seed, the audit round kept apart from
rounds 1-3, differences and projection, floor records of ticket numbers, confirmations, cut-off."""
from __future__ import annotations

import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from countapp.extensions import db
from countapp.models import BookLine, Count, Ticket, TicketStatus
from countapp.models.audit_work import (AuditConfirmation, AuditCount, AuditFloorRecord, AuditSample,
                                        AuditSampleLine, AuditSeal)
from countapp.services import (audit_confirm, audit_review, audit_sampling, campaigns, counting, imports,
                               tickets)
from tickets.errors import CountappError, Conflict, NotFound

from .. import scenario as scenario_module

# The shared scenario's stock plus lines worth sampling and goods of ours held by two third parties.
AUDIT_STOCK = """reference;designation;unit;category;location;zone;site;lot;book_qty;unit_cost;owner;holder;last_movement_date
A-1;Bolt M6;pc;31;L-01;Z1;S1;;1200;0,25;own;;2025-11-02
A-1;Bolt M6;pc;31;L-02;Z1;S1;;30;0,25;own;;2025-11-02
B-2;Cutting oil;l;raw_materials;L-02;Z1;S1;LOT9;12,5;3,10;own;;2025-10-15
C-3;Customer pallet;pc;37;L-03;Z2;S1;;4;0;third_party;;
D-4;Gear box;pc;35;L-04;Z2;S1;;10;150;own;;2023-01-10
E-5;Motor;pc;35;L-05;Z2;S1;;40;80;own;;
F-6;Spare wheel;pc;37;L-06;Z2;S1;;3;20;own;;
G-7;Steel coil;kg;31;EXT-1;Z2;S1;;500;2;at_third_party;Transports Dupont;
G-7;Steel coil;kg;31;EXT-2;Z2;S1;C1;250;2;at_third_party;Transports Dupont;
H-8;Pallet jack;pc;35;EXT-3;Z2;S1;;2;400;at_third_party;Acme Storage;
"""
MOVEMENTS = """date;reference;location;quantity;unit_cost;kind;document
2025-12-20;A-1;L-01;100;0,25;receipt;BR-0040
2025-12-27;A-1;L-01;50;0,25;receipt;BR-0041
2025-12-27;D-4;L-04;-2;;issue;BL-0100
2025-12-29;A-1;L-01;20;0,25;receipt;BR-0042
2025-12-30;D-4;L-04;-1;;issue;BL-0099
2026-01-05;A-1;L-01;5;0,25;receipt;BR-0043
"""
MOVEMENTS_FY = MOVEMENTS.replace("2026-01-05;A-1;L-01;5;0,25;receipt;BR-0043\n", "")


def build_audit_scenario(tmp_path, monkeypatch, *, language: str = "fr", movements: bool = True):
    """The shared scenario (tests/scenario.py) on the audit stock, with movements for the cut-off."""
    monkeypatch.setattr(scenario_module, "STOCK", AUDIT_STOCK)
    s = scenario_module.build_scenario(tmp_path)
    if language != "fr":
        campaigns.configure(campaigns.get(s.code), {"language": language})
    if movements:
        path = tmp_path / "movements.csv"
        path.write_text(MOVEMENTS_FY, encoding="utf-8")
        imports.import_file("movements", s.code, path)
    return s


@pytest.fixture
def audited(app, tmp_path, monkeypatch):
    return build_audit_scenario(tmp_path, monkeypatch)


def _campaign():
    return campaigns.get("FY2025")


def _count(s, key, round_, qty, who):
    return counting.submit_count("FY2025", counting.CountInput(ticket=s.tickets[key], round=round_, quantity=qty),
                                 user=s.users[who])


def _keys(sample) -> list[tuple[str, str]]:
    result = audit_sampling.result(_campaign(), sample)
    return [(r.line.stratum, r.label) for r in result.rows]


def one_row_in(table: str) -> None:
    """Put one row in an auditor table (for the trigger tests), without any campaign data around it."""
    from countapp.services import users

    campaign = campaigns.create(f"T{table[:10]}", year=2025, count_date=date(2025, 12, 28),
                                closing_date=date(2025, 12, 31))
    user = users.add_user(f"aud-{table}", "auditor", "long-enough-pass")
    now = datetime.now(timezone.utc)
    ticket = Ticket(campaign_id=campaign.id, sequence=1, is_blank=True)
    db.session.add(ticket)
    db.session.flush()
    sample = AuditSample(campaign_id=campaign.id, number=1, direction="floor_to_sheet", seed=1, created_by_id=user.id)
    db.session.add(sample)
    db.session.flush()
    line = AuditSampleLine(sample_id=sample.id, position=1, stratum="random", ticket_id=ticket.id)
    db.session.add(line)
    db.session.flush()
    db.session.add(AuditCount(line_id=line.id, quantity=Decimal(1), counted_by_id=user.id))
    db.session.add(AuditSeal(campaign_id=campaign.id, seq=1, hash="0" * 64, sealed_by_id=user.id))
    if table in ("audit_floor_record", "audit_confirmation"):
        from countapp.models import Item, Location, Site, Team, Zone

        site = Site(campaign_id=campaign.id, code="S")
        db.session.add(site)
        db.session.flush()
        zone = Zone(campaign_id=campaign.id, site_id=site.id, code="Z")
        db.session.add(zone)
        db.session.flush()
        place = Location(campaign_id=campaign.id, zone_id=zone.id, code="L")
        item = Item(campaign_id=campaign.id, reference="R", unit="pc", category="raw_materials")
        team = Team(campaign_id=campaign.id, number=1, round=1, leader_id=user.id)
        db.session.add_all([place, item, team])
        db.session.flush()
        line = BookLine(campaign_id=campaign.id, item_id=item.id, location_id=place.id, lot="", book_qty=1,
                        unit_cost=1, owner="at_third_party", holder="H")
        db.session.add(line)
        db.session.flush()
        db.session.add(AuditFloorRecord(campaign_id=campaign.id, team_id=team.id, first_seen=1, last_seen=2,
                                        seen_at=now))
        db.session.add(AuditConfirmation(campaign_id=campaign.id, book_line_id=line.id, confirmed_qty=1,
                                         answered_on=date(2026, 1, 10)))
    db.session.commit()
    assert db.session.scalar(sa.text(f"SELECT count(*) FROM {table}")) >= 1


# --- samples --------------------------------------------------------------------------------------------

def test_sheet_to_floor_takes_the_largest_values_then_a_random_part(audited):
    sample = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=42, key_count=2, random_count=2,
                                 by=audited.users["auditor"])
    keys = _keys(sample)
    assert keys[:2] == [("key", "E-5|L-05|"), ("key", "D-4|L-04|")]
    assert [k[0] for k in keys[2:]] == ["random", "random"]
    rest = {"A-1|L-01|", "A-1|L-02|", "B-2|L-02|LOT9", "F-6|L-06|"}
    assert {k[1] for k in keys[2:]} <= rest
    # Own goods on site only: third parties' pallets and our goods held elsewhere are not in the population.
    assert (sample.population_count, sample.population_value) == (6, Decimal("5106.25"))
    assert (sample.random_population_count, sample.random_population_value) == (4, Decimal("406.25"))
    line = next(l for l in sample.lines if l.stratum == "key")
    assert (line.book_qty, line.unit_cost, line.value) == (Decimal(40), Decimal(80), Decimal("3200.00"))


def test_a_value_threshold_adds_every_line_above_it(audited):
    sample = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=1, key_count=0,
                                 key_threshold=Decimal("300"), random_count=1, by=audited.users["auditor"])
    assert [k for k in _keys(sample) if k[0] == "key"] == [("key", "E-5|L-05|"), ("key", "D-4|L-04|"),
                                                            ("key", "A-1|L-01|")]


def test_the_same_seed_draws_the_same_sample_again(audited):
    auditor = audited.users["auditor"]
    first = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=2025, key_count=1, random_count=3,
                                by=auditor)
    again = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=2025, key_count=1, random_count=3,
                                by=auditor)
    assert (first.number, again.number) == (1, 2)
    assert _keys(first) == _keys(again)
    draws = {tuple(_keys(audit_sampling.draw("FY2025", direction="floor_to_sheet", seed=seed, random_count=2,
                                             by=auditor))) for seed in (7, 7, 8, 9, 10, 11)}
    assert 1 < len(draws) <= 5  # seed 7 twice gives one sample; other seeds give others


def test_a_sample_without_a_seed_keeps_the_one_chosen(audited):
    sample = audit_sampling.draw("FY2025", direction="sheet_to_floor", key_count=1, random_count=2,
                                 by=audited.users["auditor"])
    again = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=sample.seed, key_count=1, random_count=2,
                                by=audited.users["auditor"])
    assert _keys(sample) == _keys(again)


def test_floor_to_sheet_draws_issued_live_tickets_only(audited):
    tickets.void("FY2025", audited.tickets["B-2@L-02"], reason="wet", by=audited.users["manager"])
    sample = audit_sampling.draw("FY2025", direction="floor_to_sheet", seed=3, random_count=50,
                                 by=audited.users["auditor"])
    labels = {label for _, label in _keys(sample)}
    live = {v for k, v in audited.tickets.items() if k != "B-2@L-02"}
    # blank tickets nobody used carry nothing on the floor; the voided one is out
    assert labels == live


def test_goods_chosen_on_the_floor_join_a_floor_to_sheet_sample(audited):
    auditor = audited.users["auditor"]
    sample = audit_sampling.draw("FY2025", direction="floor_to_sheet", seed=3, random_count=1, by=auditor)
    drawn = _keys(sample)[0][1]
    other = next(v for v in audited.tickets.values() if v != drawn)
    line = audit_sampling.add_chosen_line("FY2025", 1, ticket=other.split("/")[0].lstrip("0"), by=auditor)
    assert (line.position, line.stratum, line.ticket.sequence) == (2, "chosen", int(other.split("/")[0]))
    with pytest.raises(Conflict, match="already in sample 1"):
        audit_sampling.add_chosen_line("FY2025", 1, ticket=other, by=auditor)
    loose = audit_sampling.add_chosen_line("FY2025", 1, reference="F-6", location="L-01", by=auditor)
    assert loose.ticket_id is None and loose.book_line_id is None and loose.stratum == "chosen"
    with pytest.raises(NotFound):
        audit_sampling.add_chosen_line("FY2025", 1, ticket="999", by=auditor)
    with pytest.raises(CountappError, match="Unknown location"):
        audit_sampling.add_chosen_line("FY2025", 1, reference="F-6", location="NOWHERE", by=auditor)
    book = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=3, key_count=1, random_count=1, by=auditor)
    with pytest.raises(CountappError, match="floor to sheet"):
        audit_sampling.add_chosen_line("FY2025", book.number, ticket=other, by=auditor)


def test_samples_wait_for_the_count_and_refuse_nonsense(app, tmp_path, monkeypatch):
    monkeypatch.setattr(scenario_module, "STOCK", AUDIT_STOCK)
    s = scenario_module.build_scenario(tmp_path, start=False)
    with pytest.raises(CountappError, match="still in planning"):
        audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=1, random_count=2, by=s.users["auditor"])
    tickets.start_counting("FY2025")
    for kwargs, message in ((dict(direction="sideways", random_count=1), "direction"),
                            (dict(direction="sheet_to_floor", random_count=0), "empty"),
                            (dict(direction="sheet_to_floor", random_count=1, seed=-1), "seed"),
                            (dict(direction="sheet_to_floor", random_count=10**6), "0 to")):
        with pytest.raises(CountappError, match=message):
            audit_sampling.draw("FY2025", by=s.users["auditor"], **kwargs)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditSample)) == 0


# --- the audit round --------------------------------------------------------------------------------------

def _snapshot_counts_and_tickets():
    counts = db.session.execute(sa.select(Count.id, Count.ticket_id, Count.round, Count.quantity, Count.state,
                                          Count.supersedes_id).order_by(Count.id)).all()
    ticket_rows = db.session.execute(sa.select(Ticket.id, Ticket.status, Ticket.final_qty, Ticket.recount_reasons,
                                               Ticket.item_id).order_by(Ticket.id)).all()
    return counts, ticket_rows


def test_the_audit_round_never_touches_rounds_one_to_three(audited):
    _count(audited, "A-1@L-01", 1, "1200", "ann")
    _count(audited, "A-1@L-01", 2, "1190", "cat")   # differs: third count needed
    before = _snapshot_counts_and_tickets()
    auditor = audited.users["auditor"]
    sample = audit_sampling.draw("FY2025", direction="floor_to_sheet", seed=5, random_count=10, by=auditor)
    for line in sample.lines:
        audit_sampling.record_count("FY2025", 1, line.position, quantity="7", state="damaged", by=auditor)
    assert _snapshot_counts_and_tickets() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditCount)) == len(sample.lines)
    ticket = db.session.scalar(sa.select(Ticket).where(Ticket.sequence == int(audited.tickets["A-1@L-01"][:6])))
    assert ticket.status == TicketStatus.RECOUNT
    # Teams go on counting as if nothing happened, and nobody of round 1 or 2 sees the audit round.
    result = _count(audited, "D-4@L-04", 1, "10", "ann")
    assert result.created and result.count.round == 1


def test_a_second_audit_count_supersedes_the_first_with_a_reason(audited):
    auditor = audited.users["auditor"]
    audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=5, key_count=1, random_count=0, by=auditor)
    first = audit_sampling.record_count("FY2025", 1, 1, quantity="38", by=auditor)
    with pytest.raises(CountappError, match="give a reason"):
        audit_sampling.record_count("FY2025", 1, 1, quantity="40", by=auditor)
    second = audit_sampling.record_count("FY2025", 1, 1, quantity="40", reason="missed a pallet", by=auditor)
    assert second.supersedes_id == first.id
    assert audit_sampling.current_audit_counts([first.line_id])[first.line_id].id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditCount)) == 2
    with pytest.raises(CountappError, match="whole numbers"):
        audit_sampling.record_count("FY2025", 1, 1, quantity="1,5", reason="x", by=auditor)
    with pytest.raises(NotFound):
        audit_sampling.record_count("FY2025", 1, 9, quantity="1", by=auditor)
    with pytest.raises(NotFound):
        audit_sampling.record_count("FY2025", 7, 1, quantity="1", by=auditor)


def test_differences_are_found_and_projected_to_the_population(audited):
    auditor = audited.users["auditor"]
    for key, qty in (("E-5@L-05", "40"), ("D-4@L-04", "10"), ("A-1@L-01", "1200"), ("A-1@L-02", "30"),
                     ("B-2@L-02", "12,5"), ("F-6@L-06", "3")):
        _count(audited, key, 1, qty, "ann")
        _count(audited, key, 2, qty, "cat")
    sample = audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=11, key_count=2, random_count=2,
                                 by=auditor)
    result = audit_sampling.result(_campaign(), sample)
    assert all(r.recorded_final for r in result.rows)
    mine = {"E-5|L-05|": "38", "D-4|L-04|": "10", "A-1|L-01|": "1180", "A-1|L-02|": "30", "B-2|L-02|LOT9": "12,5",
            "F-6|L-06|": "2"}
    for row in result.rows:
        audit_sampling.record_count("FY2025", 1, row.line.position, quantity=mine[row.label], by=auditor)
    result = audit_sampling.result(_campaign(), sample)
    diffs = {r.label: (r.vs_records.diff_qty, r.vs_records.diff_value) for r in result.rows}
    assert diffs["E-5|L-05|"] == (Decimal(-2), Decimal("-160.00"))
    assert diffs["D-4|L-04|"] == (Decimal(0), Decimal("0.00"))
    projection = result.vs_records
    assert projection.known_error == Decimal("-160.00") and projection.method == "ratio"
    drawn = [r for r in result.rows if r.line.stratum == "random"]
    error = sum((r.vs_records.diff_value for r in drawn), Decimal(0))
    base = sum((r.line.value for r in drawn), Decimal(0))
    expected = (error * Decimal("406.25") / base).quantize(Decimal("0.01"))
    assert projection.sample_error == error and projection.projected_error == expected
    assert projection.total_error == Decimal("-160.00") + expected
    assert projection.with_difference == 1 + sum(1 for r in drawn if r.vs_records.diff_qty)
    assert [r.label for r in result.differences] == [r.label for r in result.rows if r.vs_records.diff_qty]


def test_counts_not_in_yet_are_compared_later(audited):
    auditor = audited.users["auditor"]
    audit_sampling.draw("FY2025", direction="sheet_to_floor", seed=1, key_count=1, random_count=0, by=auditor)
    audit_sampling.record_count("FY2025", 1, 1, quantity="39", by=auditor)
    row = audit_sampling.result(_campaign(), audit_sampling.get_sample(_campaign(), 1)).rows[0]
    assert row.recorded_qty is None and row.vs_records.diff_qty is None
    assert row.vs_book.diff_qty == Decimal(-1)
    _count(audited, "E-5@L-05", 1, "40", "ann")
    row = audit_sampling.result(_campaign(), audit_sampling.get_sample(_campaign(), 1)).rows[0]
    assert (row.recorded_qty, row.recorded_final, row.vs_records.diff_qty) == (Decimal(40), False, Decimal(-1))


def test_goods_on_no_ticket_are_a_difference_against_empty_records(audited):
    auditor = audited.users["auditor"]
    audit_sampling.draw("FY2025", direction="floor_to_sheet", seed=1, random_count=1, by=auditor)
    line = audit_sampling.add_chosen_line("FY2025", 1, reference="F-6", location="L-01", by=auditor)
    audit_sampling.record_count("FY2025", 1, line.position, quantity="4", by=auditor)
    row = next(r for r in audit_sampling.result(_campaign(), audit_sampling.get_sample(_campaign(), 1)).rows
               if r.line.id == line.id)
    assert (row.recorded_qty, row.vs_records.diff_qty, row.vs_records.diff_value) == (0, 4, Decimal("80.00"))


# --- floor records ---------------------------------------------------------------------------------------

def test_floor_records_are_compared_with_the_records(audited):
    auditor = audited.users["auditor"]
    for key in ("A-1@L-01", "A-1@L-02", "B-2@L-02"):
        _count(audited, key, 1, "1", "ann")
    _, teams = audit_review.tag_control(_campaign())
    team1 = next(t for t in teams if t.comparison.team.team == 1)
    assert team1.record is None and not team1.comparison.agrees
    audit_review.record_floor("FY2025", team=1, first="1", last="000003/2025", by=auditor)
    _, teams = audit_review.tag_control(_campaign())
    team1 = next(t for t in teams if t.comparison.team.team == 1)
    assert team1.comparison.agrees and team1.comparison.team.first_used == 1
    _count(audited, "D-4@L-04", 1, "10", "ann")   # used after the auditor's visit
    _, teams = audit_review.tag_control(_campaign())
    team1 = next(t for t in teams if t.comparison.team.team == 1)
    assert {n.code for n in team1.comparison.notes} == {"last_differs", "used_after_last_seen"}
    audit_review.record_floor("FY2025", team=1, first="1", last="4", by=auditor)
    _, teams = audit_review.tag_control(_campaign())
    assert next(t for t in teams if t.comparison.team.team == 1).history == 2
    with pytest.raises(CountappError, match="below the first"):
        audit_review.record_floor("FY2025", team=1, first="5", last="4", by=auditor)
    with pytest.raises(NotFound):
        audit_review.record_floor("FY2025", team=9, first="1", last="4", by=auditor)
    with pytest.raises(CountappError, match="fiscal year"):
        audit_review.record_floor("FY2025", team=1, first="1/2024", last="4", by=auditor)


def test_tag_control_lists_voids_with_reasons_returns_and_missing(audited):
    tickets.void("FY2025", audited.blanks[0], reason="coffee stain", by=audited.users["manager"])
    for key in ("A-1@L-01", "A-1@L-02", "B-2@L-02", "D-4@L-04", "E-5@L-05"):
        _count(audited, key, 1, "1", "ann")
    last = int(audited.blanks[1][:6])
    tickets.return_unused("FY2025", team=1, first=last, last=last)
    report, teams = audit_review.tag_control(_campaign())
    team1 = next(t for t in teams if t.comparison.team.team == 1).comparison.team
    assert team1.voided == ((int(audited.blanks[0][:6]), "coffee stain"),)
    assert team1.returned == ((last, last),)
    # the customer's pallet (C-3) and the spare wheels (F-6) are not counted by team 1 yet
    missing = tuple((int(audited.tickets[k][:6]),) * 2 for k in ("C-3@L-03", "F-6@L-06"))
    assert team1.counted_count == 5 and team1.missing == missing and team1.missing_count == 2
    team2 = next(t for t in teams if t.comparison.team.team == 2).comparison.team
    assert team2.counted_count == 0 and team2.missing_count == team2.issued_count - 1


# --- confirmations -----------------------------------------------------------------------------------------

def test_holders_and_their_goods(audited):
    holders = audit_confirm.holders(_campaign())
    assert [h.name for h in holders] == ["Acme Storage", "Transports Dupont"]
    assert [(h.line.item.reference, h.line.location.code, h.line.book_qty) for h in holders[1].lines] == [
        ("G-7", "EXT-1", Decimal(500)), ("G-7", "EXT-2", Decimal(250))]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_confirmation_letter_per_holder_in_the_campaigns_language(audited):
    text = _pdf_text(audit_confirm.letters_pdf(_campaign(), "Transports Dupont", reply_to="Cabinet Vérif"))
    assert "Demande de confirmation" in text and "Transports Dupont" in text and "Cabinet Vérif" in text
    assert "EXT-1" in text and "EXT-2" in text and "500" in text and "250" in text and "C1" in text
    assert "28 décembre 2025" in text and "Acme Storage" not in text
    both = PdfReader(io.BytesIO(audit_confirm.letters_pdf(_campaign())))
    assert "Acme Storage" in both.pages[0].extract_text() and "Transports Dupont" in both.pages[-1].extract_text()
    with pytest.raises(NotFound):
        audit_confirm.letters_pdf(_campaign(), "Nobody")


def test_a_letter_in_english_for_an_english_campaign(app, tmp_path, monkeypatch):
    build_audit_scenario(tmp_path, monkeypatch, language="en", movements=False)
    text = _pdf_text(audit_confirm.letters_pdf(_campaign(), "Acme Storage"))
    assert "Request for confirmation" in text and "Pallet jack" in text and "December 28, 2025" in text


def test_answers_are_recorded_and_compared_newest_first(audited):
    auditor = audited.users["auditor"]
    held = audit_confirm.holders(_campaign())[1].lines[0]
    audit_confirm.record_answer("FY2025", held.line.id, confirmed_qty="480,5", answered_on=date(2026, 1, 10),
                                note="two coils shipped back", by=auditor)
    again = audit_confirm.holders(_campaign())[1].lines[0]
    assert again.answer.confirmed_qty == Decimal("480.5") and again.difference == Decimal("-19.5")
    audit_confirm.record_answer("FY2025", held.line.id, confirmed_qty="500", answered_on=date(2026, 1, 12),
                                by=auditor)
    newest = audit_confirm.holders(_campaign())[1]
    assert newest.lines[0].difference == 0 and newest.lines[0].answers == 2 and newest.with_difference == 0
    own = db.session.scalar(sa.select(BookLine.id).where(BookLine.owner == "own").limit(1))
    with pytest.raises(NotFound):
        audit_confirm.record_answer("FY2025", own, confirmed_qty="1", answered_on=date(2026, 1, 1), by=auditor)
    with pytest.raises(CountappError, match="future"):
        audit_confirm.record_answer("FY2025", held.line.id, confirmed_qty="1", answered_on=date(2999, 1, 1),
                                    by=auditor)


# --- cut-off --------------------------------------------------------------------------------------------

def test_cutoff_evidence_from_the_movements(audited):
    cut = audit_review.cutoff(_campaign())
    assert (cut.last_receipt_document, cut.last_shipment_document) == ("BR-0041", "BL-0100")
    assert [m.document for m in cut.last_receipts] == ["BR-0041", "BR-0040"]
    assert [m.document for m in cut.rolled_forward] == ["BR-0042", "BL-0099"]
    assert [m.document for m in cut.suspicious] == ["BL-0099"]
    assert cut.after_closing == 0 and cut.receipt_agrees is None
