"""``countapp import counts``: paper parts transcribed, under the tablets' rules, checked whole first.

Every error is listed with file, line and column, and nothing is written unless the whole file is
good. Round 3 is accepted for tickets that need a third count only, even when counts 1 and 2 come
in the same file. ``countapp recounts`` lists what still needs a third count, and why.
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, Count, CountSource, Ticket, TicketStatus
from countapp.services import campaigns, counting, tickets


CODE = "FY2025"
HEADER = "ticket;round;quantity;state;team;counted_by;counted_at;reference;location;lot"


def number(s, key: str) -> str:
    return s.tickets[key]


def ticket(s, key: str) -> Ticket:
    text = s.tickets[key] if "@" in key else key
    db.session.expire_all()
    return db.session.scalar(sa.select(Ticket).where(Ticket.sequence == int(text.split("/")[0])))


def write(tmp_path, lines: list[str], name: str = "counts.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def snapshot() -> tuple[int, int, list]:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(Count)),
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)),
            sorted((t.sequence, t.status.value, t.final_qty) for t in db.session.scalars(sa.select(Ticket))))


def run(runner, *args):
    return runner.invoke(args=["import", "counts", CODE, *args])


def test_counts_of_both_rounds_decide_each_ticket(s, runner, tmp_path):
    a1, a2 = number(s, "A-1@L-01"), number(s, "A-1@L-02")
    path = write(tmp_path, [f"{a1};1;1200;good;1;Ann;;;;", f"{a1};2;1200;good;2;Cat;;;;",
                            f"{a2};1;30;;1;Ann;;;;", f"{a2};2;28;damaged;2;Cat;2025-12-28 10:15;;;"])
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert "4 counts imported (round 1: 2, round 2: 2, round 3: 0)" in result.output
    assert "tickets now final: 1, needing a third count: 1" in result.output
    agreed, recount = ticket(s, "A-1@L-01"), ticket(s, "A-1@L-02")
    assert agreed.status == TicketStatus.FINAL and agreed.final_qty == Decimal(1200)
    assert recount.status == TicketStatus.RECOUNT and recount.recount_reasons == "counts_disagree"
    assert recount.final_qty is None
    entries = db.session.scalars(sa.select(Count).where(Count.ticket_id == recount.id).order_by(Count.round)).all()
    assert [(c.round, c.quantity, c.state.value, c.source, c.counted_by_name) for c in entries] == [
        (1, Decimal(30), "good", CountSource.IMPORT, "Ann"), (2, Decimal(28), "damaged", CountSource.IMPORT, "Cat")]
    from countapp.models import Team
    assert [db.session.get(Team, c.team_id).number for c in entries] == [1, 2]   # the teams of the ranges
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import.counts"))
    assert event.after["rounds"] == {"1": 2, "2": 2, "3": 0} and event.user_login == "system"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "count.add")) == 4


def test_lines_apply_in_round_order_whatever_the_file_order(s, runner, tmp_path):
    a1 = number(s, "A-1@L-01")
    path = write(tmp_path, [f"{a1};2;1200;;;;;;;", f"{int(a1.split('/')[0])};1;1200;;;;;;;"])
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert ticket(s, "A-1@L-01").status == TicketStatus.FINAL


def test_every_error_is_listed_with_line_and_column_and_nothing_is_written(s, runner, tmp_path):
    a1, a2, b2, c3, d4 = (number(s, k) for k in ("A-1@L-01", "A-1@L-02", "B-2@L-02", "C-3@L-03", "D-4@L-04"))
    tickets.void(CODE, c3, reason="Torn")
    before = snapshot()
    path = write(tmp_path, [
        f"{a1};1;1200;;1;;;;;",              # 2: good
        f"{a2};2;30;;2;;;;;",                # 3: 2nd count without a 1st
        f"{c3};1;4;;1;;;;;",                 # 4: voided ticket
        f"{d4};1;10;;2;;;;;",                # 5: team 2 does not count round 1 of this ticket
        f"{a1};3;1200;;;;;;;",               # 6: third count for a ticket that will not need one
        "000999/2025;1;5;;;;;;;",            # 7: unknown ticket
        f"{s.blanks[0]};1;3;;1;;;;L-01;",    # 8: blank ticket without its reference
        f"{b2};1;12.55;;1;;;;;",             # 9: litres: up to 2 decimals? (unit allows decimals: fine)
        f"{a1};2;1200;;2;;;;;",              # 10: good
    ])
    result = run(runner, path)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("counts.csv, line")]
    where = {(int(line.split("line ")[1].split(",")[0]), line.split(", ")[2].split(":")[0]) for line in lines}
    assert {(3, "round"), (4, "ticket"), (5, "team"), (6, "round"), (7, "ticket"), (8, "reference")} <= where
    assert not any(w[0] in (2, 9, 10) for w in where), result.output
    assert "000999/2025 does not exist" in result.output and "voided" in result.output
    assert "issued to team 1 for round 1, not to team 2" in result.output
    assert "does not need a third count" in result.output
    assert "nothing was imported" in result.output
    assert snapshot() == before


def test_shape_errors_are_all_listed_before_any_rule(s, runner, tmp_path):
    before = snapshot()
    path = write(tmp_path, ["12x;1;5;;;;;;;", f"{number(s, 'A-1@L-01')};4;5;;;;;;;",
                            f"{number(s, 'A-1@L-02')};1;-3;;;;;;;", f"{number(s, 'D-4@L-04')};1;2;broken;;;;;;"])
    result = run(runner, path)
    assert result.exit_code == 1
    for expected in ("line 2, ticket", "line 3, round", "line 4, quantity", "line 5, state"):
        assert f"counts.csv, {expected}" in result.output, result.output
    assert snapshot() == before


def test_a_missing_column_is_refused(s, runner, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("ticket;quantity\n1;5\n", encoding="utf-8")
    result = run(runner, str(path))
    assert result.exit_code == 1 and "round" in result.output


def test_round_three_only_for_tickets_that_need_it(s, runner, tmp_path):
    a1, a2 = number(s, "A-1@L-01"), number(s, "A-1@L-02")
    first = write(tmp_path, [f"{a1};1;1200;;;;;;;", f"{a1};2;1200;;;;;;;", f"{a2};1;30;;;;;;;",
                             f"{a2};2;31;;;;;;;"], "rounds12.csv")
    assert run(runner, first).exit_code == 0
    refused = write(tmp_path, [f"{a1};3;1199;;;;;;;", f"{a2};3;29;;;;;;;"], "third.csv")
    result = run(runner, refused)
    assert result.exit_code == 1
    assert f"third.csv, line 2, round: Ticket {a1} does not need a third count." in result.output
    assert "line 3" not in result.output
    assert ticket(s, "A-1@L-02").status == TicketStatus.RECOUNT
    accepted = write(tmp_path, [f"{a2};3;29;damaged;;Lead1 and Lead2;;;;"], "third-ok.csv")
    result = run(runner, accepted)
    assert result.exit_code == 0, result.output
    recounted = ticket(s, "A-1@L-02")
    assert recounted.status == TicketStatus.FINAL and recounted.final_qty == Decimal(29)
    assert recounted.recount_reasons == "counts_disagree"   # why it was recounted stays known
    # the third count is final: a second one is refused
    again = write(tmp_path, [f"{a2};3;30;;;;;;;"], "again.csv")
    assert run(runner, again).exit_code == 1


def test_a_file_may_carry_the_third_count_of_counts_it_brings(s, runner, tmp_path):
    a2 = number(s, "A-1@L-02")
    path = write(tmp_path, [f"{a2};3;29;;;;;;;", f"{a2};1;30;;;;;;;", f"{a2};2;31;;;;;;;"])
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    assert ticket(s, "A-1@L-02").final_qty == Decimal(29)


def test_blank_ticket_names_reference_location_and_lot(s, runner, tmp_path):
    blank = s.blanks[0]
    path = write(tmp_path, [f"{blank};1;7;;1;;;B-2;L-01;LOT7", f"{blank};2;7;;2;;;;;"])
    result = run(runner, path)
    assert result.exit_code == 0, result.output
    found = ticket(s, blank)
    assert found.item.reference == "B-2" and found.location.code == "L-01" and found.lot == "LOT7"
    # no book line for B-2 at L-01: held against a book of 0, so 7 is far from book without tolerance
    assert found.status == TicketStatus.RECOUNT and found.recount_reasons == "far_from_book"
    bad = write(tmp_path, [f"{s.blanks[1]};1;7;;1;;;NOPE;L-01;"], "bad.csv")
    result = run(runner, bad)
    assert result.exit_code == 1 and "bad.csv, line 2, reference: Unknown reference NOPE." in result.output


def test_both_reasons_when_the_counts_disagree_and_both_are_far_from_book(s, runner, tmp_path):
    campaigns.configure(campaigns.get(CODE), {"tolerance": {"vs_book": {"pct": 10}}})
    a1, a2 = number(s, "A-1@L-01"), number(s, "A-1@L-02")
    path = write(tmp_path, [f"{a1};1;900;;;;;;;", f"{a1};2;950;;;;;;;",    # book 1200: both far
                            f"{a2};1;10;;;;;;;", f"{a2};2;30;;;;;;;"])     # book 30: count 2 on book
    assert run(runner, path).exit_code == 0
    assert ticket(s, "A-1@L-01").recount_reasons == "counts_disagree,far_from_book"
    assert ticket(s, "A-1@L-02").recount_reasons == "counts_disagree"


def test_importing_the_same_file_twice_is_refused_naming_the_first_entry(s, runner, tmp_path):
    a1 = number(s, "A-1@L-01")
    path = write(tmp_path, [f"{a1};1;1200;;;Ann;;;;"])
    assert run(runner, path).exit_code == 0
    before = snapshot()
    result = run(runner, path)
    assert result.exit_code == 1 and "already has its count for round 1, entered by Ann" in result.output
    assert snapshot() == before


def test_the_importer_is_named_with_by(s, runner, tmp_path, make_user):
    path = write(tmp_path, [f"{number(s, 'A-1@L-01')};1;1200;;;;;;;"])
    refused = run(runner, path, "--by", "ann")
    assert refused.exit_code == 1 and "Only a centraliser or the inventory manager" in refused.output
    result = run(runner, path, "--by", "centraliser")
    assert result.exit_code == 0, result.output
    count = db.session.scalar(sa.select(Count))
    assert count.counted_by_id == s.users["centraliser"].id
    assert db.session.scalar(sa.select(AuditEvent.user_login).where(AuditEvent.action == "import.counts")) == \
        "centraliser"


def test_a_closed_campaign_takes_no_counts(s, runner, tmp_path):
    from countapp.models import CampaignStatus

    campaign = campaigns.get(CODE)
    campaign.status = CampaignStatus.CLOSED
    db.session.commit()
    path = write(tmp_path, [f"{number(s, 'A-1@L-01')};1;1200;;;;;;;"])
    result = run(runner, path)
    assert result.exit_code == 1 and "closed" in result.output


def test_xlsx_and_windows_files_are_read(s, runner, tmp_path):
    a1 = number(s, "A-1@L-01")
    path = tmp_path / "counts-1252.csv"
    path.write_bytes(f"Ticket,Round,Quantity,Counted_by\n{a1},1,1200,Zoé\n".encode("cp1252"))
    result = run(runner, str(path))
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Count.counted_by_name)) == "Zoé"


# --- countapp recounts ----------------------------------------------------------------------------

def _recount_world(s, runner, tmp_path):
    a1, a2, d4 = number(s, "A-1@L-01"), number(s, "A-1@L-02"), number(s, "D-4@L-04")
    path = write(tmp_path, [f"{a1};1;1200;;;;;;;", f"{a1};2;1200;;;;;;;", f"{a2};1;30;;;;;;;",
                            f"{a2};2;26;;;;;;;", f"{d4};1;8;;;;;;;", f"{d4};2;8;;;;;;;"])
    assert run(runner, path).exit_code == 0
    return a2, d4


def test_recounts_lists_tickets_needing_a_third_count_with_reasons(s, runner, tmp_path):
    a2, d4 = _recount_world(s, runner, tmp_path)
    result = runner.invoke(args=["recounts", CODE])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["ticket"] for r in rows] == sorted([a2, d4])
    by_ticket = {r["ticket"]: r for r in rows}
    assert by_ticket[a2]["reasons"] == "counts_disagree"
    assert (by_ticket[a2]["count_1"], by_ticket[a2]["count_2"], by_ticket[a2]["book_qty"]) == ("30", "26", "30")
    assert by_ticket[d4]["reasons"] == "far_from_book" and by_ticket[d4]["reference"] == "D-4"
    assert by_ticket[d4]["team_round1"] == "1" and by_ticket[d4]["team_round2"] == "2"
    assert by_ticket[d4]["sheet"] == ""


def test_recounts_out_writes_a_csv_file_and_follows_third_counts(s, runner, tmp_path):
    a2, d4 = _recount_world(s, runner, tmp_path)
    counting.submit_count(CODE, counting.CountInput(ticket=d4, round=3, quantity="8"), user=s.users["centraliser"])
    out = tmp_path / "recounts.csv"
    result = runner.invoke(args=["recounts", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["ticket"] for r in rows] == [a2]
    assert list(rows[0]) == ["ticket", "reference", "designation", "location", "zone", "lot", "unit", "category",
                             "owner", "team_round1", "team_round2", "count_1", "count_2", "book_qty", "reasons",
                             "sheet"]


def test_recounts_of_an_unknown_campaign_fails(app, runner):
    result = runner.invoke(args=["recounts", "NOPE"])
    assert result.exit_code == 1 and "Unknown campaign NOPE" in result.output


# --- the same import from the centralisation page ---------------------------------------------------

def _upload(client, text: str, name: str = "parts.csv"):
    return client.post(f"/campaigns/{CODE}/centralisation/import",
                       data={"counts-file": (io.BytesIO(text.encode("utf-8")), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def centraliser(s, app, login_as):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login_as(client, s.users["centraliser"])
    return client


def test_the_centraliser_imports_counts_from_the_page(s, centraliser):
    a1, a2 = number(s, "A-1@L-01"), number(s, "A-1@L-02")
    text = "\n".join([HEADER, f"{a1};1;1200;;;;;;;", f"{a1};2;1200;;;;;;;", f"{a2};1;30;;;;;;;",
                      f"{a2};2;29;;;;;;;"]) + "\n"
    response = _upload(centraliser, text)
    assert response.status_code == 302
    page = centraliser.get(response.headers["Location"]).get_data(as_text=True)
    assert "parts.csv: 4 counts imported (round 1: 2, round 2: 2, round 3: 0). 1 ticket now needs a third count." \
        in page
    assert ticket(s, "A-1@L-02").status == TicketStatus.RECOUNT
    count = db.session.scalar(sa.select(Count).where(Count.round == 2, Count.ticket_id == ticket(s, "A-1@L-02").id))
    assert count.source == CountSource.IMPORT and count.counted_by_id == s.users["centraliser"].id


def test_a_refused_upload_lists_every_error_and_writes_nothing(s, centraliser):
    before = snapshot()
    text = "\n".join([HEADER, f"{number(s, 'A-1@L-01')};2;1200;;;;;;;", "000999/2025;1;5;;;;;;;",
                      f"{number(s, 'D-4@L-04')};1;abc;;;;;;;"]) + "\n"
    response = _upload(centraliser, text)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing was imported from parts.csv" in html
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(\w+)</td>', html)
    assert rows == [("4", "quantity")]      # the shape is checked first: one bad quantity
    fixed = text.replace(";abc;", ";10;")
    html = _upload(centraliser, fixed).get_data(as_text=True)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>(\w+)</td>', html)
    assert rows == [("2", "round"), ("3", "ticket")]
    assert snapshot() == before


def test_only_those_who_settle_import_counts(s, app, login_as):
    for who in ("auditor", "ann", "lead1"):
        client = app.test_client()
        login_as(client, s.users[who])
        assert _upload(client, HEADER + "\n").status_code == 403


def test_counts_arriving_from_elsewhere_during_the_import_abort_it_whole(s, runner, tmp_path, monkeypatch):
    import sqlalchemy as sa

    from countapp.models import Count

    real = counting.check_count
    calls = {"n": 0}

    def racing(campaign, ticket, unit, data, **kwargs):
        checked = real(campaign, ticket, unit, data, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            # a tablet's count of the same ticket and round gets in between the check and the file's write
            db.session.connection().execute(sa.insert(Count.__table__), dict(checked.values))
        return checked

    monkeypatch.setattr(counting, "check_count", racing)
    before = snapshot()
    path = write(tmp_path, [f"{number(s, 'A-1@L-01')};1;1200;;;;;;;", f"{number(s, 'A-1@L-02')};1;30;;;;;;;",
                            f"{number(s, 'D-4@L-04')};1;10;;;;;;;"])
    result = run(runner, path)
    assert result.exit_code == 1 and "arrived from elsewhere" in result.output
    assert snapshot() == before
    monkeypatch.setattr(counting, "check_count", real)
    assert run(runner, path).exit_code == 0     # the session works normally afterwards
    assert snapshot()[0] == before[0] + 3


def _twin(tmp_path, code: str) -> None:
    """A second campaign like the scenario's (same stock, teams, tickets), sharing its users."""
    from countapp.services import imports, teams
    from tests.scenario import STOCK

    campaigns.create(code, year=2025, count_date=s_date(28), closing_date=s_date(31))
    stock = tmp_path / f"{code}-stock.csv"
    stock.write_text(STOCK, encoding="utf-8")
    imports.import_file("stock", code, stock)
    teams.add_team(code, 1, round=1, leader="lead1", zones=["Z1", "Z2"])
    teams.add_team(code, 2, round=2, leader="lead2", zones=["Z1", "Z2"])
    made = tickets.generate(code, blank=2)
    tickets.issue(code, team=1, first=made["first"], last=made["last"])
    tickets.issue(code, team=2, first=made["first"], last=made["last"])
    tickets.start_counting(code)


def s_date(day: int):
    from datetime import date

    return date(2025, 12, day)


def _state(code: str) -> tuple[list, list, list]:
    """A campaign's tickets, counts and count events, without ids, times or the campaign itself."""
    from countapp.models import Campaign, Item, Team

    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.code == code))
    ticket_rows = sorted((t.sequence, t.status.value, t.final_qty, t.recount_reasons, t.lot,
                          t.item.reference if t.item else None)
                         for t in db.session.scalars(sa.select(Ticket).where(Ticket.campaign_id == campaign.id)))
    count_rows = sorted((c.ticket.sequence, c.round, c.quantity, c.state.value, c.method.value, c.source,
                         c.counted_by_name, db.session.get(Team, c.team_id).number if c.team_id else None,
                         db.session.get(Item, c.item_id).reference if c.item_id else None, c.lot)
                        for c in db.session.scalars(sa.select(Count).join(Ticket, Ticket.id == Count.ticket_id)
                                                    .where(Ticket.campaign_id == campaign.id)))
    events = [(e.action, e.entity_id, e.before, e.after, e.user_login) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.campaign_id == campaign.id, AuditEvent.action.like("count.%"))
        .order_by(AuditEvent.seq))]
    return ticket_rows, count_rows, events


def test_a_file_imported_in_bulk_ends_as_the_same_counts_entered_one_by_one(s, runner, tmp_path):
    """The bulk path and the tablets' path (``submit_count``, one count at a time) give the same
    tickets, counts and audit events for the same lines, round 3 and a blank ticket included."""
    from countapp import filecheck
    from countapp.services import count_import

    _twin(tmp_path, "TWIN")
    a1, a2, c3 = number(s, "A-1@L-01"), number(s, "A-1@L-02"), number(s, "C-3@L-03")
    lines = [f"{a1};1;1200;good;1;Ann;2025-12-28 09:00;;;", f"{a1};2;1200;good;2;Cat;2025-12-28 10:00;;;",
             f"{a2};1;30;;1;Ann;2025-12-28 09:05;;;", f"{a2};2;28;damaged;2;Cat;2025-12-28 10:05;;;",
             f"{a2};3;29;;;Lea;2025-12-28 11:00;;;", f"{c3};1;4;;;;2025-12-28 09:10;;;",
             f"{s.blanks[0]};1;7;;1;;2025-12-28 09:15;B-2;L-01;LOT7",
             f"{s.blanks[0]};2;7;;2;;2025-12-28 10:15;;;"]
    path = write(tmp_path, lines)
    result = run(runner, path, "--by", "centraliser")
    assert result.exit_code == 0, result.output
    rows = sorted(filecheck.check_file("counts", path).rows, key=lambda r: (r.round, r.line))
    operator = count_import._operator(s.users["centraliser"])
    for row in rows:
        counting.submit_count("TWIN", count_import._input(row), user=operator, source=CountSource.IMPORT)
    bulk, one_by_one = _state(CODE), _state("TWIN")
    assert bulk == one_by_one
    statuses = {sequence: status for sequence, status, *_ in bulk[0]}
    assert statuses[int(a1.split("/")[0])] == "final" and statuses[int(a2.split("/")[0])] == "final"
    assert statuses[int(c3.split("/")[0])] == "counted_1"
    assert [event[0] for event in bulk[2]] == ["count.add"] * 8


def _stored(table: str, where: str) -> list[tuple]:
    """A row as the database holds it (JSON as its text), without its id."""
    columns = {"count": ["round", "quantity", "state", "method", "packaging", "team_id", "counted_by_id",
                         "counted_by_name", "counted_at", "item_id", "location_id", "lot", "source", "client_id",
                         "supersedes_id", "correction_reason", "recorded_at"],
               "audit_event": ["campaign_id", "seq", "at", "user_id", "user_login", "action", "entity", "entity_id",
                               "before", "after", "prev_hash", "key_id"]}[table]
    text = [f'CAST("{c}" AS TEXT)' if c in ("packaging", "before", "after") else f'"{c}"' for c in columns]
    return db.session.execute(sa.text(f"SELECT {', '.join(text)} FROM {table} WHERE {where}")).all()


def test_the_bulk_writer_stores_exactly_what_sqlalchemy_stores(s):
    """``bulk.insert_rows`` (COPY, the driver's executemany) converts values by the columns' own types."""
    from datetime import datetime, timezone

    from countapp import bulk
    from countapp.models import CountMethod, PhysicalState

    first, second = ticket(s, "A-1@L-01"), ticket(s, "A-1@L-02")
    at = datetime(2025, 12, 28, 9, 30, 15, 123456, tzinfo=timezone.utc)
    for packaging in (None, {"pallets": "1", "units_per_carton": "12"}):
        values = {"round": 1, "quantity": Decimal("12.5"), "state": PhysicalState("damaged"),
                  "method": CountMethod("weighed"), "packaging": packaging, "team_id": None, "counted_by_id": None,
                  "counted_by_name": "Zoé « ici »", "counted_at": at, "item_id": None, "location_id": None,
                  "lot": None, "source": CountSource.IMPORT, "client_id": None, "supersedes_id": None,
                  "correction_reason": "", "recorded_at": at}
        db.session.execute(sa.insert(Count.__table__), {"ticket_id": first.id, **values})
        columns = ("ticket_id", *values)
        bulk.insert_rows(Count.__table__, columns, [(second.id, *values.values())])
        assert (_stored("count", f"ticket_id = {first.id}") == _stored("count", f"ticket_id = {second.id}")
                != [])
        db.session.rollback()
    event = {"campaign_id": None, "chain": "", "at": at, "user_id": None, "user_login": "système",
             "action": "count.add", "entity": "ticket", "entity_id": "000001/2025", "before": {"status": "issued"},
             "after": {"quantity": "12.5", "note": "é\n\"", "client_id": None}, "prev_hash": "0" * 64,
             "key_id": "k"}
    db.session.execute(sa.insert(AuditEvent.__table__), {**event, "seq": 900001, "hash": "a" * 64})
    bulk.insert_rows(AuditEvent.__table__, ("seq", "hash", *event), [(900002, "b" * 64, *event.values())])
    one, two = _stored("audit_event", "seq = 900001"), _stored("audit_event", "seq = 900002")
    assert len(one) == 1 and one[0][2:] == two[0][2:] and two[0][1] == 900002
    db.session.rollback()


def test_the_import_locks_its_tickets_in_ticket_id_order(s, app, tmp_path):
    """PostgreSQL: the file's tickets are locked in id order, as a batch of tablets' counts and a recount
    sheet lock theirs, so that neither can hold a ticket the other waits for while waiting for one the other
    holds (a deadlock). Seen from outside: while the import waits for the file's lowest ticket, held by
    another transaction, it holds none of the file's other tickets."""
    import threading

    from countapp.services import count_import
    from tests.conftest import TEST_DB

    if TEST_DB != "postgresql":
        pytest.skip("SQLite locks the whole database, not tickets")
    keys = ("A-1@L-01", "A-1@L-02", "B-2@L-02", "C-3@L-03", "D-4@L-04")
    ids = sorted(ticket(s, key).id for key in keys)
    path = write(tmp_path, [f"{number(s, key)};1;5;;;;;;;" for key in reversed(keys)])
    # The order rows come in need not be id order (a bitmap scan gives them in the table's physical order,
    # which updates reshuffle). Here the lowest id gets the highest of the five numbers, so that number
    # order, the order an index on numbers gives, differs from id order. Numbers never change in the app
    # (a trigger refuses it): the test sets it aside for its own transaction.
    first, last = (db.session.scalar(sa.select(Ticket.sequence).where(Ticket.id == i)) for i in (ids[0], ids[-1]))
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    for ident, sequence in ((ids[0], 999_999), (ids[-1], first), (ids[0], last)):
        db.session.execute(sa.update(Ticket).where(Ticket.id == ident).values(sequence=sequence))
    db.session.commit()
    holder = db.engine.connect()
    holder.begin()
    holder.execute(sa.text("SELECT id FROM ticket WHERE id = :id FOR UPDATE"), {"id": ids[0]})
    done = []

    def run_import():
        with app.app_context():
            try:
                done.append(count_import.import_counts(CODE, path)["rounds"])
            except Exception as error:   # noqa: BLE001 - reported by the assertion below
                done.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run_import)
    thread.start()
    try:
        thread.join(1.5)
        assert thread.is_alive(), f"the import did not wait for the held ticket: {done}"
        with db.engine.connect() as other:
            free = other.execute(sa.text("SELECT id FROM ticket WHERE id = ANY(:ids) ORDER BY id "
                                         "FOR UPDATE SKIP LOCKED"), {"ids": ids[1:]}).scalars().all()
            other.rollback()
        assert free == ids[1:]
    finally:
        holder.rollback()
        holder.close()
        thread.join(30)
    assert done == [{1: 5, 2: 0, 3: 0}]
