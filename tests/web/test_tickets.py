"""Three-part tickets through the services and the command line: numbering, ranges, returns, voids, life cycle.

The campaign is the shared scenario (tests/scenario.py): five book lines in route order
(L-01 A-1, L-02 A-1, L-02 B-2, L-03 C-3 third party, L-04 D-4) and two blank tickets.
"""
from __future__ import annotations

import csv
import io
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, BookLine, Count, Ticket, TicketRange, TicketReturn, TicketStatus, TicketVoid
from countapp.services import campaigns, counting, imports, teams, ticket_control, tickets, users
from tickets.errors import Conflict, CountappError

from ..conftest import PASSWORD
from ..scenario import STOCK, build_scenario

CODE = "FY2025"


def _tickets() -> list[Ticket]:
    return list(db.session.scalars(sa.select(Ticket).order_by(Ticket.sequence)))


def _book_line(reference: str, location: str) -> int:
    return next(t.book_line_id for t in _tickets()
                if t.book_line and t.book_line.item.reference == reference and t.book_line.location.code == location)


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)))


def _count(number: str, round_: int, user, quantity="1") -> None:
    counting.submit_count(CODE, counting.CountInput(ticket=number, round=round_, quantity=quantity), user=user)


def _reimport(tmp_path, text: str) -> None:
    path = tmp_path / "stock-again.csv"
    path.write_text(text, encoding="utf-8")
    imports.import_file("stock", CODE, path)


# --- numbering ----------------------------------------------------------------------------------

def test_numbers_follow_the_counting_route_then_blanks_printed_with_the_fiscal_year(app, tmp_path):
    s = build_scenario(tmp_path, issue=False, start=False)
    assert s.tickets == {"A-1@L-01": "000001/2025", "A-1@L-02": "000002/2025", "B-2@L-02": "000003/2025",
                         "C-3@L-03": "000004/2025", "D-4@L-04": "000005/2025"}
    assert s.blanks == ["000006/2025", "000007/2025"]
    assert all(t.status == TicketStatus.CREATED for t in _tickets())
    event = _events("tickets.generate")[0]
    assert event.after == {"pre_referenced": 5, "blank": 2, "first": 1, "last": 7}


def test_goods_held_by_a_third_party_get_no_ticket(app, tmp_path):
    campaigns.create(CODE, year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))
    _reimport(tmp_path, STOCK + "E-5;Held at the subcontractor;pc;35;L-05;Z2;S1;;7;12;at_third_party;\n")
    made = tickets.generate(CODE)
    assert made["pre_referenced"] == 5
    references = {t.book_line.item.reference for t in _tickets()}
    assert "E-5" not in references and "C-3" in references  # held *for* a third party is counted
    assert tickets.generate(CODE)["first"] is None            # and running again adds nothing


def _generate_at_once(app, *, blank: int) -> list[Exception]:
    """Two managers generate at the same moment, each in their own app context and transaction."""
    barrier, errors = threading.Barrier(2), []

    def generate_blanks():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                tickets.generate(CODE, blank=blank)
            except Exception as error:  # noqa: BLE001 — reported by the test
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=generate_blanks) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_generation_never_gives_a_number_twice(app, tmp_path):
    build_scenario(tmp_path, blank=0, issue=False, start=False)
    errors = _generate_at_once(app, blank=300)
    assert not errors, errors
    sequences = [t.sequence for t in _tickets()]
    assert sequences == list(range(1, 5 + 600 + 1))
    assert len(_events("tickets.generate")) == 3
    # each book line still has exactly one ticket: the second run waited and saw the first one's tickets
    lines = [t.book_line_id for t in _tickets() if t.book_line_id is not None]
    assert len(lines) == len(set(lines)) == 5


def test_without_the_lock_the_unique_key_still_keeps_numbers_unique(app, tmp_path, monkeypatch):
    """The lock makes writers wait; the database's unique key is what guarantees it, lock or no lock."""
    build_scenario(tmp_path, blank=0, issue=False, start=False)
    monkeypatch.setattr(tickets, "_lock_campaign", lambda campaign: None)
    errors = _generate_at_once(app, blank=300)
    assert all(isinstance(error, Conflict) for error in errors), errors
    sequences = [t.sequence for t in _tickets()]
    assert sequences == list(range(1, 5 + 300 * (2 - len(errors)) + 1))
    assert len(_events("tickets.generate")) == 3 - len(errors)


def test_the_database_refuses_a_number_twice(app, tmp_path):
    build_scenario(tmp_path, issue=False, start=False)
    campaign = campaigns.get(CODE)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.insert(Ticket).values(campaign_id=campaign.id, sequence=3, is_blank=True, lot="",
                                                    status="created"))
        db.session.flush()
    db.session.rollback()


def test_regenerating_after_a_void_adds_one_ticket_for_that_line_and_renumbers_nothing(app, tmp_path):
    s = build_scenario(tmp_path, issue=False, start=False)
    before = [(t.sequence, t.book_line_id) for t in _tickets()]
    line = _book_line("A-1", "L-02")
    tickets.void(CODE, s.tickets["A-1@L-02"], reason="Label printed on the wrong stack", by=s.users["manager"])
    made = tickets.generate(CODE)
    assert made == {"pre_referenced": 1, "blank": 0, "first": 8, "last": 8}
    after = [(t.sequence, t.book_line_id) for t in _tickets()]
    assert after[:7] == before and after[7] == (8, line)
    assert _tickets()[1].status == TicketStatus.VOIDED and _tickets()[7].status == TicketStatus.CREATED
    assert tickets.generate(CODE)["first"] is None


def test_regenerating_after_a_book_change_adds_only_the_new_lines(app, tmp_path):
    build_scenario(tmp_path, issue=False, start=False)
    before = [(t.sequence, t.book_line_id) for t in _tickets()]
    # D-4 leaves the books (its ticket stays, the line is kept at zero), F-6 arrives in zone Z1.
    changed = "\n".join(line for line in STOCK.splitlines() if not line.startswith("D-4")) + "\n"
    _reimport(tmp_path, changed + "F-6;Hinge;pc;35;L-01;Z1;S1;;3;2;own;\n")
    made = tickets.generate(CODE, blank=1)
    assert made == {"pre_referenced": 1, "blank": 1, "first": 8, "last": 9}
    after = [(t.sequence, t.book_line_id) for t in _tickets()]
    assert after[:7] == before
    assert db.session.get(BookLine, after[7][1]).item.reference == "F-6" and after[8][1] is None
    assert db.session.get(BookLine, before[4][1]).book_qty == 0


def test_generation_refuses_a_silly_number_of_blanks(app, tmp_path):
    build_scenario(tmp_path, issue=False, start=False)
    with pytest.raises(CountappError) as refused:
        tickets.generate(CODE, blank=100_001)
    assert refused.value.field == "blank"
    assert len(_tickets()) == 7


# --- ranges -------------------------------------------------------------------------------------

@pytest.fixture
def planned(app, tmp_path):
    """The scenario before issue, with a third team for round 1."""
    s = build_scenario(tmp_path, issue=False, start=False)
    users.add_user("lead3", "leader", PASSWORD)
    teams.add_team(CODE, 3, round=1, leader="lead3", zones=["Z2"])
    return s


def test_ranges_never_overlap_within_a_round(planned):
    tickets.issue(CODE, team=1, first="000001/2025", last="4", by=planned.users["manager"])
    with pytest.raises(Conflict) as refused:
        tickets.issue(CODE, team=3, first=3, last=5)
    assert "000001/2025" in str(refused.value) and "team 1" in str(refused.value)
    with pytest.raises(Conflict):
        tickets.issue(CODE, team=1, first=2, last=2)      # not even to the same team twice
    tickets.issue(CODE, team=3, first=5, last=7)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketRange)) == 2


def test_ranges_may_overlap_across_rounds(planned):
    tickets.issue(CODE, team=1, first=1, last=7)
    tickets.issue(CODE, team=2, first=1, last=7)
    assert {(t.team1.number, t.team2.number) for t in _tickets()} == {(1, 2)}
    assert {t.status for t in _tickets()} == {TicketStatus.ISSUED}
    issued = _events("tickets.issue")
    assert [e.after for e in issued] == [{"round": 1, "first": "000001/2025", "last": "000007/2025", "tickets": 7},
                                         {"round": 2, "first": "000001/2025", "last": "000007/2025", "tickets": 7}]


def test_a_range_must_be_generated_and_in_order(planned):
    with pytest.raises(CountappError, match="have not been generated"):
        tickets.issue(CODE, team=1, first=5, last=9)
    with pytest.raises(CountappError, match="not below it"):
        tickets.issue(CODE, team=1, first=5, last=4)
    with pytest.raises(CountappError, match="fiscal year 2024"):
        tickets.issue(CODE, team=1, first="000001/2024", last=3)
    with pytest.raises(CountappError, match="Unknown team 9"):
        tickets.issue(CODE, team=9, first=1, last=3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketRange)) == 0
    assert not _events("tickets.issue")
    assert {t.status for t in _tickets()} == {TicketStatus.CREATED}


def test_numbers_returned_unused_can_be_issued_again_in_the_same_round(planned):
    tickets.issue(CODE, team=1, first=1, last=7)
    tickets.return_unused(CODE, team=1, first=6, last=7)
    with pytest.raises(Conflict):
        tickets.issue(CODE, team=3, first=5, last=7)      # 5 is still team 1's
    tickets.issue(CODE, team=3, first=6, last=7)
    assert [t.team1.number for t in _tickets()] == [1, 1, 1, 1, 1, 3, 3]


# --- returns ------------------------------------------------------------------------------------

def test_returning_unused_numbers_is_refused_once_one_is_counted(app, tmp_path):
    s = build_scenario(tmp_path)
    _count(s.tickets["A-1@L-01"], 1, s.users["ann"], "1200")
    with pytest.raises(CountappError, match="000001/2025 has been counted"):
        tickets.return_unused(CODE, team=1, first=1, last=3)
    returned = tickets.return_unused(CODE, team=1, first=s.blanks[0], last=s.blanks[1], by=s.users["manager"])
    assert (returned.first, returned.last) == (6, 7)
    # the team no longer holds them: it cannot count them, and cannot return them twice
    with pytest.raises(CountappError, match="not issued to your team"):
        _count(s.blanks[0], 1, s.users["ann"])
    with pytest.raises(Conflict, match="already returned"):
        tickets.return_unused(CODE, team=1, first=7, last=7)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketReturn)) == 1
    # round 2 still holds them
    assert [t.team2.number for t in _tickets()[5:]] == [2, 2]
    assert _events("tickets.return")[0].after == {"round": 1, "first": "000006/2025", "last": "000007/2025",
                                                  "tickets": 2}
    with pytest.raises(CountappError, match="not within a range issued to team 1"):
        tickets.return_unused(CODE, team=1, first=7, last=8)


# --- voids --------------------------------------------------------------------------------------

def test_voiding_needs_a_reason(app, tmp_path):
    s = build_scenario(tmp_path)
    for reason in ("", "   "):
        with pytest.raises(CountappError) as refused:
            tickets.void(CODE, s.blanks[0], reason=reason, by=s.users["manager"])
        assert refused.value.field == "reason"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketVoid)) == 0
    record = tickets.void(CODE, "6", reason="  Torn   while\nfilling in ", by=s.users["centraliser"])
    assert record.reason == "Torn while filling in" and record.voided_by.login == "centraliser"
    assert record.voided_at is not None and record.ticket.status == TicketStatus.VOIDED
    event = _events("ticket.void")[0]
    assert (event.entity_id, event.user_login, event.before, event.after) == (
        "000006/2025", "centraliser", {"status": "issued"}, {"status": "voided", "reason": "Torn while filling in"})


def test_a_voided_ticket_cannot_be_voided_again_nor_counted(app, tmp_path):
    s = build_scenario(tmp_path)
    tickets.void(CODE, s.blanks[0], reason="coffee", by=s.users["manager"])
    with pytest.raises(Conflict, match="already voided"):
        tickets.void(CODE, s.blanks[0], reason="again")
    with pytest.raises(CountappError, match="voided"):
        _count(s.blanks[0], 1, s.users["ann"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketVoid)) == 1


def test_a_final_ticket_cannot_be_voided(app, tmp_path):
    s = build_scenario(tmp_path)
    number = s.tickets["D-4@L-04"]
    _count(number, 1, s.users["ann"], "10")
    tickets.void(CODE, s.tickets["A-1@L-01"], reason="counted twice by mistake")  # counted_1 or earlier: allowed
    _count(number, 2, s.users["cat"], "10")
    assert _tickets()[4].status == TicketStatus.FINAL
    with pytest.raises(CountappError, match="is final"):
        tickets.void(CODE, number, reason="too late")
    assert _tickets()[4].status == TicketStatus.FINAL


def test_life_cycle_steps_out_of_order_are_refused(app, tmp_path):
    s = build_scenario(tmp_path)
    number = s.tickets["B-2@L-02"]
    with pytest.raises(CountappError, match="1st count before the 2nd"):
        _count(number, 2, s.users["cat"])
    with pytest.raises(CountappError, match="does not need a third count"):
        counting.submit_count(CODE, counting.CountInput(ticket=number, round=3, quantity="1"),
                              user=s.users["centraliser"])
    _count(number, 1, s.users["ann"], "12.5")
    with pytest.raises(Conflict, match="already has its count for round 1"):
        _count(number, 1, s.users["ben"], "12")
    assert _tickets()[2].status == TicketStatus.COUNTED_1
    # a ticket generated but never issued cannot be counted
    tickets.generate(CODE, blank=1)
    with pytest.raises(CountappError, match="not been issued"):
        _count("8", 1, s.users["ann"])


def test_the_database_refuses_to_delete_a_ticket_a_void_or_a_count(app, tmp_path):
    s = build_scenario(tmp_path)
    _count(s.tickets["A-1@L-01"], 1, s.users["ann"], "1200")
    tickets.void(CODE, s.blanks[0], reason="torn", by=s.users["manager"])
    for table in ("ticket", "ticket_void", "count", "ticket_range"):
        with pytest.raises(sa.exc.DBAPIError, match="countapp"):
            db.session.execute(sa.text(f'DELETE FROM "{table}"'))
        db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError, match="countapp"):
        db.session.execute(sa.text("UPDATE ticket SET sequence = sequence + 100"))
    db.session.rollback()
    assert len(_tickets()) == 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Count)) == 1


# --- ticket control -----------------------------------------------------------------------------

def build_control_scenario(tmp_path):
    """Issued 1-7 to teams 1 and 2; counted, voided, returned and missing numbers in each round.

    Round 1 (team 1): 1, 2, 3 counted; 4 voided; 6-7 returned; 5 missing.
    Round 2 (team 2): 1, 2 counted; 4 voided; 7 returned; 3, 5, 6 missing.
    """
    s = build_scenario(tmp_path)
    for key in ("A-1@L-01", "A-1@L-02", "B-2@L-02"):
        _count(s.tickets[key], 1, s.users["ann"], "5")
    for key in ("A-1@L-01", "A-1@L-02"):
        _count(s.tickets[key], 2, s.users["cat"], "5")
    tickets.void(CODE, s.tickets["C-3@L-03"], reason="Pallet left before the count", by=s.users["manager"])
    tickets.return_unused(CODE, team=1, first=6, last=7, by=s.users["manager"])
    tickets.return_unused(CODE, team=2, first=7, last=7, by=s.users["manager"])
    return s


def test_control_accounts_for_every_issued_number(app, tmp_path):
    build_control_scenario(tmp_path)
    report = ticket_control.control_report(campaigns.get(CODE))
    one, two = report.ranges
    assert (one.team, one.round, one.issued, one.counted, one.voided, one.returned, one.missing) == (
        1, 1, 7, 3, ((4, "Pallet left before the count"),), ((6, 7),), ((5, 5),))
    assert (two.team, two.round, two.issued, two.counted, two.voided, two.returned, two.missing) == (
        2, 2, 7, 2, ((4, "Pallet left before the count"),), ((7, 7),), ((3, 3), (5, 6)))
    assert report.missing_count == 4 and not report.gaps and not report.not_issued and not report.ok


# --- command line -------------------------------------------------------------------------------

def test_cli_generates_issues_returns_and_voids(app, runner, tmp_path):
    build_scenario(tmp_path, blank=0, issue=False, start=False)
    result = runner.invoke(args=["tickets", "generate", CODE, "--blank", "3"])
    assert result.exit_code == 0, result.output
    assert "3 tickets generated in FY2025: 0 pre-referenced, 3 blank, numbers 000006/2025 to 000008/2025" in result.output
    result = runner.invoke(args=["tickets", "issue", CODE, "--team", "1", "--first", "000001/2025", "--last", "8"])
    assert result.exit_code == 0 and "000001/2025 to 000008/2025 (8) issued to team 1 for round 1" in result.output
    result = runner.invoke(args=["tickets", "issue", CODE, "--team", "1", "--first", "8", "--last", "8"])
    assert result.exit_code == 1 and "overlap" in result.output
    result = runner.invoke(args=["tickets", "return", CODE, "--team", "1", "--first", "7", "--last", "000008/2025"])
    assert result.exit_code == 0 and "returned unused by team 1" in result.output
    result = runner.invoke(args=["tickets", "void", CODE, "6", "--reason", "Rained on"])
    assert result.exit_code == 0 and "Ticket 000006/2025 voided: Rained on" in result.output
    result = runner.invoke(args=["tickets", "void", CODE, "5", "--reason", " "])
    assert result.exit_code == 1 and "needs a reason" in result.output
    result = runner.invoke(args=["tickets", "void", CODE, "99", "--reason", "x"])
    assert result.exit_code == 1 and "does not exist" in result.output
    result = runner.invoke(args=["tickets", "generate", "NOPE"])
    assert result.exit_code == 1 and "Unknown campaign NOPE" in result.output
    assert [e.user_login for e in _events("ticket.void")] == ["system"]


def test_cli_lists_every_ticket_as_csv(app, runner, tmp_path):
    s = build_scenario(tmp_path)
    tickets.void(CODE, s.blanks[1], reason="torn")
    result = runner.invoke(args=["tickets", "list", CODE])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert list(rows[0]) == ["ticket", "reference", "designation", "location", "lot", "unit", "owner", "status",
                             "team_round1", "team_round2"]
    assert [r["ticket"] for r in rows] == [f"{n:06d}/2025" for n in range(1, 8)]
    assert rows[2] == {"ticket": "000003/2025", "reference": "B-2", "designation": "Cutting oil", "location": "L-02",
                       "lot": "LOT9", "unit": "l", "owner": "own", "status": "issued", "team_round1": "1",
                       "team_round2": "2"}
    assert rows[3]["owner"] == "third_party" and rows[5]["reference"] == "" and rows[6]["status"] == "voided"
    out = tmp_path / "tickets.csv"
    result = runner.invoke(args=["tickets", "list", CODE, "--out", str(out)])
    assert result.exit_code == 0
    assert list(csv.DictReader(out.open(encoding="utf-8"))) == rows


def test_cli_control_prints_a_summary_and_writes_the_csv(app, runner, tmp_path):
    build_control_scenario(tmp_path)
    out = tmp_path / "control.csv"
    result = runner.invoke(args=["tickets", "control", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert ("Team 1, round 1, 000001/2025 to 000007/2025: 7 issued, 3 counted, 1 voided, 2 returned unused, "
            "1 missing.") in result.output
    assert "voided 000004/2025: Pallet left before the count" in result.output
    assert "MISSING: 3, 5-6" in result.output and "4 issued numbers are missing." in result.output
    rows = {(r["kind"], r["team"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert rows[("range", "1")] == {
        "kind": "range", "team": "1", "round": "1", "first": "000001/2025", "last": "000007/2025", "issued": "7",
        "counted": "3", "voided": "1", "returned": "2", "missing": "1", "missing_numbers": "5",
        "voided_numbers": "4 (Pallet left before the count)", "returned_numbers": "6-7"}
    assert (rows[("range", "2")]["counted"], rows[("range", "2")]["missing_numbers"]) == ("2", "3, 5-6")
    total = rows[("total", "")]
    assert (total["issued"], total["counted"], total["voided"], total["returned"], total["missing"]) == (
        "14", "5", "2", "3", "4")


def test_cli_control_of_a_complete_count_says_so(app, runner, tmp_path):
    s = build_scenario(tmp_path, blank=0)
    for number in s.tickets.values():
        _count(number, 1, s.users["ann"], "3")
    tickets.void(CODE, s.tickets["D-4@L-04"], reason="duplicate label")
    for key in ("A-1@L-01", "A-1@L-02", "B-2@L-02", "C-3@L-03"):
        _count(s.tickets[key], 2, s.users["cat"], "3")
    result = runner.invoke(args=["tickets", "control", CODE])
    assert result.exit_code == 0
    assert "Every issued number is accounted for." in result.output and "MISSING" not in result.output


def test_nothing_is_written_when_the_out_folder_does_not_exist(app, runner, tmp_path):
    build_scenario(tmp_path)
    result = runner.invoke(args=["tickets", "list", CODE, "--out", str(tmp_path / "nope" / "t.csv")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_a_hole_in_the_numbers_shows_as_a_gap(app, tmp_path):
    s = build_scenario(tmp_path)
    campaign = campaigns.get(CODE)
    # Never made by the services (numbers run from 1 without a hole); a row written by hand shows the gap.
    db.session.execute(sa.insert(Ticket).values(campaign_id=campaign.id, sequence=12, is_blank=True, lot="",
                                                status="created"))
    db.session.commit()
    tickets.void(CODE, "12", reason="found in a drawer", by=s.users["manager"])
    report = ticket_control.control_report(campaign)
    assert report.gaps == ((8, 11),) and report.not_issued == ((12, 12),) and report.highest == 12
    assert report.voided == ((12, "found in a drawer"),)


def test_control_from_runs_of_numbers_equals_control_from_every_ticket():
    """The loader passes only counted or voided tickets plus runs of numbers: the same report as every ticket."""
    import random

    from tickets.control import IssuedRange, ReturnedRange, TicketFact, compact, control

    rng = random.Random(4)
    for _ in range(200):
        top = rng.randint(0, 60)
        existing = sorted(n for n in range(1, top + 1) if rng.random() < 0.9)
        facts = [TicketFact(n, frozenset(r for r in (1, 2) if rng.random() < 0.4),
                            "torn" if rng.random() < 0.1 else None) for n in existing]
        issued = []
        for round_ in (1, 2):
            n = 1
            while n <= top + 3:
                last = n + rng.randint(0, 9)
                if rng.random() < 0.7:
                    issued.append(IssuedRange(team=round_ * 10 + len(issued), round=round_, first=n, last=last))
                n = last + 1
        returned = [ReturnedRange(r.team, r.first, r.first + rng.randint(0, r.last - r.first))
                    for r in issued if rng.random() < 0.3]
        full = control(issued, returned, facts, top)
        interesting = [f for f in facts if f.counted_rounds or f.voided_reason is not None]
        assert control(issued, returned, interesting, top, compact(existing)) == full
