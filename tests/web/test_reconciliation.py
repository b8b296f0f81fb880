"""Reconciliation with book stock in the app: the loader on a counted campaign, causes, sign-off.

The campaign is the shared scenario (tests/scenario.py) counted through the real services:

    A-1 @ L-01        1200 pc, counts 1200/1200: agreed; +100 received on 30 Dec rolls forward
    A-1 @ L-02          30 pc, counts 28/28, third count 28: a difference of −2
    B-2 @ L-02 LOT9   12.5 l, counts 12.5/12.5, 2nd count says damaged; −3 issued on 31 Dec
    C-3 @ L-03           4 pc held for a customer (third party), counts 4/4: listed, never valued
    D-4 @ L-04          10 pc, never counted: not_counted, an exception
    E-5 @ EXT-1          7 pc of ours at a subcontractor (at_third_party): book quantity, valued
    blank 1             A-1 found at L-03 (no book line): 5 pc, unknown to book
    blank 2             voided (spoiled): listed, never counted
    movements           +50 A-1 @ L-02 on the count date (in the snapshot: not rolled forward),
                        +7 D-4 @ L-04 after the closing date (not rolled forward either)
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, BookLine, Item, LineCause, Location, Movement, SignOff, Ticket, Zone
from countapp.services import campaigns, counting, imports, reconciliation, tickets
from reports.xlsx_texts import headers, sheet_name
from tickets.errors import Conflict, CountappError, Forbidden

from ..scenario import build_scenario
from ..workbook import records
from ..workbook import sheet as workbook_sheet

CODE = "FY2025"
MOVEMENTS = """date;reference;location;lot;quantity;unit_cost;kind
2025-12-28;A-1;L-02;;50;0,25;receipt
2025-12-30;A-1;L-01;;100;0,25;receipt
2025-12-31;B-2;L-02;LOT9;-3;;issue
"""


def count(scenario, ticket, round_, quantity, *, by=None, state="good", **blank):
    who = by or {1: "ann", 2: "cat", 3: "centraliser"}[round_]
    counting.submit_count(CODE, counting.CountInput(ticket=ticket, round=round_, quantity=quantity, state=state,
                                                    **blank), user=scenario.users[who])


def counted_campaign(tmp_path, *, valuation="book"):
    """The scenario above, counted, with its movements; returns the scenario."""
    scenario = build_scenario(tmp_path)
    campaign = campaigns.get(CODE)
    campaigns.configure(campaign, {"valuation": valuation})
    # Own goods held by a subcontractor: no ticket, closing stock at book quantity.
    zone = db.session.scalar(sa.select(Zone).where(Zone.campaign_id == campaign.id, Zone.code == "Z2"))
    place = Location(campaign_id=campaign.id, zone_id=zone.id, code="EXT-1")
    item = Item(campaign_id=campaign.id, reference="E-5", designation="Mould", unit="pc", category="products")
    db.session.add_all([place, item])
    db.session.flush()
    db.session.add(BookLine(campaign_id=campaign.id, item_id=item.id, location_id=place.id, lot="",
                            book_qty=Decimal("7"), unit_cost=Decimal("20"), owner="at_third_party",
                            holder="Subcontractor"))
    db.session.commit()

    path = tmp_path / "movements.csv"
    path.write_text(MOVEMENTS, encoding="utf-8")
    imports.import_file("movements", CODE, path)
    # After the closing date: the import refuses it (outside the fiscal year), the ERP may still have it.
    d4 = db.session.scalar(sa.select(Item).where(Item.campaign_id == campaign.id, Item.reference == "D-4"))
    l04 = db.session.scalar(sa.select(Location).where(Location.campaign_id == campaign.id, Location.code == "L-04"))
    db.session.add(Movement(campaign_id=campaign.id, item_id=d4.id, location_id=l04.id, lot="",
                            date=dt.date(2026, 1, 5), quantity=Decimal("7"), unit_cost=Decimal("150"),
                            kind="receipt"))
    db.session.commit()

    t = scenario.tickets
    for round_ in (1, 2):
        count(scenario, t["A-1@L-01"], round_, "1200")
        count(scenario, t["A-1@L-02"], round_, "28")
        count(scenario, t["B-2@L-02"], round_, "12.5", state="damaged" if round_ == 2 else "good")
        count(scenario, t["C-3@L-03"], round_, "4")
    count(scenario, t["A-1@L-02"], 3, "28")
    blank, spoiled = scenario.blanks
    count(scenario, blank, 1, "5", reference="A-1", location="L-03")
    count(scenario, blank, 2, "5")
    count(scenario, blank, 3, "5")
    tickets.void(CODE, spoiled, reason="Torn while filling in", by=scenario.users["manager"])
    return scenario


@pytest.fixture
def scenario(app, tmp_path):
    return counted_campaign(tmp_path)


def rows_by_place(result):
    out = {}
    for row in result.lines.to_dict("records"):
        key = f"{row['reference']}@{row['location']}" if row["status"] != "voided" else f"voided {row['ticket']}"
        out[key] = row
    return out


def test_loader_reconciles_the_counted_scenario(scenario):
    result = reconciliation.result(CODE, use_cache=False)
    rows = rows_by_place(result)
    assert set(rows) == {"A-1@L-01", "A-1@L-02", "B-2@L-02", "C-3@L-03", "D-4@L-04", "E-5@EXT-1", "A-1@L-03",
                         f"voided {scenario.blanks[1]}"}

    agreed = rows["A-1@L-01"]
    assert agreed["ticket"] == scenario.tickets["A-1@L-01"] and agreed["status"] == "agreed"
    assert (agreed["book_qty"], agreed["counted_qty"], agreed["diff_qty"]) == (1200, 1200, 0)
    # Received after the count date, on or before closing: rolled forward.
    assert agreed["rollforward_qty"] == 100 and agreed["closing_qty"] == 1300
    assert agreed["unit_cost"] == Decimal("0.25") and agreed["closing_value"] == Decimal("325.00")

    short = rows["A-1@L-02"]
    # Received on the count date itself: already in the book snapshot, not rolled forward.
    assert short["status"] == "difference" and short["diff_qty"] == -2 and short["rollforward_qty"] == 0
    assert short["diff_value"] == Decimal("-0.50") and short["exception"] == "difference_without_cause"

    damaged = rows["B-2@L-02"]
    assert damaged["lot"] == "LOT9" and damaged["state"] == "damaged"
    assert damaged["rollforward_qty"] == -3 and damaged["closing_qty"] == Decimal("9.5")
    # 9.5 × 3.10 = 29.45; damaged at 50 %: 14.725 rounds half up to 14.73.
    assert damaged["closing_value"] == Decimal("29.45") and damaged["depreciation"] == Decimal("14.73")
    assert damaged["net_value"] == Decimal("14.72") and damaged["depreciation_reason"] == "damaged"

    third = rows["C-3@L-03"]
    assert third["status"] == "third_party" and third["counted_qty"] == 4 and third["closing_value"] is None

    missing = rows["D-4@L-04"]
    assert missing["status"] == "not_counted" and missing["exception"] == "not_counted"
    assert missing["counted_qty"] is None and missing["closing_qty"] is None
    assert missing["rollforward_qty"] == 0  # the receipt after closing stays out

    held = rows["E-5@EXT-1"]
    assert held["status"] == "at_third_party" and held["closing_qty"] == 7
    assert held["closing_value"] == Decimal("140.00")

    unknown = rows["A-1@L-03"]
    assert unknown["status"] == "unknown_to_book" and unknown["ticket"] == scenario.blanks[0]
    assert unknown["book_qty"] == 0 and unknown["counted_qty"] == 5 and unknown["unit_cost"] == Decimal("0.25")
    assert unknown["category"] == "raw_materials" and unknown["zone"] == "Z2"

    voided = rows[f"voided {scenario.blanks[1]}"]
    assert voided["exception"] == "voided" and voided["counted_qty"] is None

    # Third-party goods stay out of own stock; at_third_party goods are in it.
    by_category = {r["category"]: r for r in result.by_category.to_dict("records")}
    assert by_category["raw_materials"]["closing_value"] == Decimal("325.00") + Decimal("7.00") + \
        Decimal("29.45") + Decimal("1.25")
    assert by_category["products"]["closing_value"] == Decimal("140.00")
    assert "goods_for_resale" not in by_category
    assert result.own_totals["closing_value"] == Decimal("502.70")


def test_loader_reads_valuation_method_and_depreciation_rates(app, tmp_path):
    counted_campaign(tmp_path, valuation="wac")
    campaign = campaigns.get(CODE)
    # Two receipts of A-1 at other costs; the rest of the quantity is valued at book cost.
    for day, cost in ((28, "0.2"), (30, "0.3")):
        db.session.execute(sa.update(Movement).where(Movement.campaign_id == campaign.id,
                                                     Movement.date == dt.date(2025, 12, day))
                           .values(unit_cost=Decimal(cost)))
    db.session.commit()
    campaigns.configure(campaign, {"depreciation": {"damaged": 20}})
    rows = rows_by_place(reconciliation.result(CODE, use_cache=False))
    # A-1 closes at 1300 + 28 + 5 = 1333: layers 50 × 0.20 + 100 × 0.30 = 40.00, the other 1183 at 0.25
    # (295.75): 335.75 / 1333 = 0.2518754… → 0.251875.
    assert rows["A-1@L-01"]["unit_cost"] == Decimal("0.251875")
    assert rows["A-1@L-01"]["closing_value"] == Decimal("327.44")  # 1300 × 0.251875 = 327.4375
    # B-2: damaged at the rate now set, 20 % of 29.45 = 5.89.
    assert rows["B-2@L-02"]["depreciation"] == Decimal("5.89")


def test_a_recount_without_result_leaves_the_line_not_counted(app, tmp_path):
    scenario = build_scenario(tmp_path)
    number = scenario.tickets["D-4@L-04"]
    count(scenario, number, 1, "9")
    count(scenario, number, 2, "9")  # differs from book 10 with no tolerance: a third count is needed
    row = rows_by_place(reconciliation.result(CODE, use_cache=False))["D-4@L-04"]
    assert row["status"] == "not_counted" and row["counted_qty"] is None
    count(scenario, number, 3, "9")
    row = rows_by_place(reconciliation.result(CODE, use_cache=False))["D-4@L-04"]
    assert row["status"] == "difference" and row["counted_qty"] == 9


# --- causes and sign-off --------------------------------------------------------------------------

def book_key(reference, location):
    line_id = db.session.scalar(
        sa.select(BookLine.id).join(Item, Item.id == BookLine.item_id)
        .join(Location, Location.id == BookLine.location_id)
        .where(Item.reference == reference, Location.code == location))
    return f"b{line_id}"


def test_centraliser_sets_causes_by_book_line_and_by_blank_ticket(scenario):
    centraliser = scenario.users["centraliser"]
    reconciliation.set_cause(CODE, book_key("A-1", "L-02"), "breakage", note="Box crushed", by=centraliser)
    kept, _ = reconciliation.current(campaigns.get(CODE))
    unknown_row = kept.result.lines[kept.result.lines["status"] == "unknown_to_book"].iloc[0]
    reconciliation.set_cause(CODE, kept.line_key(unknown_row), "mislocation", by=centraliser)
    rows = rows_by_place(reconciliation.result(CODE))
    assert rows["A-1@L-02"]["cause"] == "breakage" and rows["A-1@L-02"]["exception"] == ""
    assert rows["A-1@L-03"]["cause"] == "mislocation"
    assert rows["A-1@L-03"]["exception"] == "unknown_to_book"  # an exception whatever its cause
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reconciliation.cause")
                              .order_by(AuditEvent.seq))
    assert event.user_login == "centraliser" and event.after["reference"] == "A-1"
    assert event.after["location"] == "L-02" and event.after["cause"] == "breakage"

    # A newer choice wins; clearing brings the exception back; nothing is ever overwritten.
    reconciliation.set_cause(CODE, book_key("A-1", "L-02"), "counting_error", by=centraliser)
    assert rows_by_place(reconciliation.result(CODE))["A-1@L-02"]["cause"] == "counting_error"
    reconciliation.set_cause(CODE, book_key("A-1", "L-02"), "", by=centraliser)
    cleared = rows_by_place(reconciliation.result(CODE))["A-1@L-02"]
    assert cleared["cause"] == "" and cleared["exception"] == "difference_without_cause"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineCause)) == 4


@pytest.mark.parametrize("key, cause, message", [
    ("b999999", "breakage", "no reconciliation line"),
    ("x1", "breakage", "no reconciliation line"),
    (None, "theft", "Unknown cause"),
])
def test_bad_causes_are_refused(scenario, key, cause, message):
    key = key or book_key("A-1", "L-02")
    with pytest.raises(CountappError, match=message):
        reconciliation.set_cause(CODE, key, cause, by=scenario.users["centraliser"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LineCause)) == 0


def test_a_voided_blank_ticket_takes_no_cause(scenario):
    voided = db.session.scalar(sa.select(Ticket.id).where(
        Ticket.sequence == int(scenario.blanks[1].split("/")[0])))
    with pytest.raises(CountappError, match="no reconciliation line"):
        reconciliation.set_cause(CODE, f"t{voided}", "other", by=scenario.users["centraliser"])


def test_only_the_centraliser_sets_causes_and_only_the_manager_signs(scenario):
    with pytest.raises(Forbidden):
        reconciliation.set_cause(CODE, book_key("A-1", "L-02"), "breakage", by=scenario.users["manager"])
    with pytest.raises(Forbidden):
        reconciliation.sign_off(CODE, by=scenario.users["centraliser"])
    with pytest.raises(Forbidden):
        reconciliation.reopen(CODE, reason="x", by=scenario.users["auditor"])


def test_sign_off_freezes_causes_until_reopened_with_a_logged_reason(scenario):
    manager, centraliser = scenario.users["manager"], scenario.users["centraliser"]
    key = book_key("A-1", "L-02")
    reconciliation.set_cause(CODE, key, "breakage", by=centraliser)
    signed = reconciliation.sign_off(CODE, name="Marie Curie", by=manager)
    assert signed.name == "Marie Curie" and signed.at is not None
    state = reconciliation.sign_state(campaigns.get(CODE))
    assert state.signed and state.last.name == "Marie Curie"

    # The sign-off's event holds what was signed: the CSV's digest and the totals.
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reconciliation.sign"))
    csv = io.BytesIO()
    reconciliation.write(campaigns.get(CODE), "csv", csv)
    assert event.after["csv_sha256"] == hashlib.sha256(csv.getvalue()).hexdigest()
    assert event.after["totals"]["closing_value"] == "502.70" and event.after["totals"]["not_counted"] == 1

    with pytest.raises(Conflict, match="signed off"):
        reconciliation.set_cause(CODE, key, "other", by=centraliser)
    with pytest.raises(Conflict, match="already signed off"):
        reconciliation.sign_off(CODE, by=manager)
    with pytest.raises(CountappError, match="reason"):
        reconciliation.reopen(CODE, reason="  ", by=manager)
    assert rows_by_place(reconciliation.result(CODE))["A-1@L-02"]["cause"] == "breakage"

    reconciliation.reopen(CODE, reason="Supplier credit note received for L-02", by=manager)
    reopened = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reconciliation.reopen"))
    assert reopened.after == {"reason": "Supplier credit note received for L-02"}
    assert reopened.before["signed_by"] == "Marie Curie" and reopened.user_login == "manager"
    kinds = db.session.scalars(sa.select(SignOff.kind).order_by(SignOff.id)).all()
    assert kinds == ["reconciliation_signed", "reconciliation_reopened"]
    assert db.session.scalar(sa.select(SignOff.reason).where(SignOff.kind == "reconciliation_reopened")) == \
        "Supplier credit note received for L-02"
    reconciliation.set_cause(CODE, key, "supplier_error", by=centraliser)
    assert rows_by_place(reconciliation.result(CODE))["A-1@L-02"]["cause"] == "supplier_error"
    with pytest.raises(Conflict, match="not signed off"):
        reconciliation.reopen(CODE, reason="again", by=manager)


def test_the_kept_result_follows_every_change(scenario):
    campaign = campaigns.get(CODE)
    first = reconciliation.kept(campaign)
    assert reconciliation.kept(campaign) is first  # nothing changed: computed once
    count(scenario, scenario.tickets["D-4@L-04"], 1, "10")
    count(scenario, scenario.tickets["D-4@L-04"], 2, "10")
    after = reconciliation.kept(campaign)
    assert after.version > first.version
    assert rows_by_place(after.result)["D-4@L-04"]["status"] == "agreed"
    # Another process reads the kept file instead of computing again.
    reconciliation._memory.clear()
    again = reconciliation.kept(campaign)
    assert again is not after and again.version == after.version
    assert rows_by_place(again.result)["D-4@L-04"]["counted_qty"] == 10
    # A cause is no new data version: the figures are kept, the cause laid over them.
    reconciliation.set_cause(CODE, book_key("A-1", "L-02"), "breakage", by=scenario.users["centraliser"])
    assert reconciliation.kept(campaign) is again
    assert rows_by_place(reconciliation.result(CODE))["A-1@L-02"]["cause"] == "breakage"


# --- countapp reconcile -----------------------------------------------------------------------------

SPEC_COLUMNS = ["ticket", "reference", "location", "lot", "category", "owner", "book_qty", "counted_qty", "diff_qty",
                "rollforward_qty", "closing_qty", "unit_cost", "book_value", "counted_value", "diff_value",
                "closing_value", "depreciation", "net_value", "status", "cause"]


def test_cli_writes_the_csv_of_spec(scenario, runner, tmp_path):
    import csv

    reconciliation.set_cause(CODE, book_key("A-1", "L-02"), "breakage", by=scenario.users["centraliser"])
    out = tmp_path / "reconciliation.csv"
    result = runner.invoke(args=["reconcile", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "8 rows" in result.output and "502.70 gross" in result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:len(SPEC_COLUMNS)] == SPEC_COLUMNS
    by_place = {f"{r['reference']}@{r['location']}": r for r in rows if r["status"] != "voided"}
    short = by_place["A-1@L-02"]
    assert (short["book_qty"], short["counted_qty"], short["diff_qty"], short["diff_value"]) == ("30", "28", "-2",
                                                                                                 "-0.50")
    assert short["cause"] == "breakage" and short["ticket"] == scenario.tickets["A-1@L-02"]
    damaged = by_place["B-2@L-02"]
    assert (damaged["lot"], damaged["rollforward_qty"], damaged["closing_qty"]) == ("LOT9", "-3", "9.5")
    assert (damaged["closing_value"], damaged["depreciation"], damaged["net_value"]) == ("29.45", "14.73", "14.72")
    assert by_place["C-3@L-03"]["owner"] == "third_party" and by_place["C-3@L-03"]["closing_value"] == ""
    assert by_place["D-4@L-04"]["status"] == "not_counted" and by_place["D-4@L-04"]["counted_qty"] == ""
    assert sum(1 for r in rows if r["status"] == "voided") == 1


def test_cli_writes_the_formatted_workbook(scenario, runner, tmp_path):
    import openpyxl

    out = tmp_path / "reconciliation.xlsx"
    result = runner.invoke(args=["reconcile", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    language = campaigns.get(CODE).language
    for name in ("reconciliation", "by_category", "exceptions", "not_counted", "third_party", "charts"):
        assert sheet_name(name, language) in book.sheetnames
    sheet = book[sheet_name("reconciliation", language)]
    words = headers(language)
    header = [next((code for code, word in words.items() if word == c.value), c.value) for c in sheet[1]]
    assert header[:len(SPEC_COLUMNS)] == SPEC_COLUMNS
    assert not set(c.value for c in sheet[1]) & {"book_qty", "counted_qty", "closing_value"}
    assert sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[letter].width >= 8 for letter in ("A", "B", "L", "P"))
    column = {name: i for i, name in enumerate(header)}
    rows = {(r[column["reference"]].value, r[column["location"]].value): r for r in sheet.iter_rows(min_row=2)}
    damaged = rows[("B-2", "L-02")]
    assert damaged[column["closing_value"]].value == pytest.approx(29.45)
    assert damaged[column["closing_value"]].number_format == "#,##0.00"
    assert damaged[column["unit_cost"]].number_format == "#,##0.00####"
    assert sheet.max_row - 1 == 8 and len(rows) == 8

    def refs(name):
        return sorted((r["reference"] or "", r["status"]) for r in records(book, name))
    assert refs("not_counted") == [("D-4", "not_counted")]
    assert refs("third_party") == [("C-3", "third_party")]
    assert refs("exceptions") == [("", "voided"), ("A-1", "difference"), ("A-1", "unknown_to_book"),
                                  ("D-4", "not_counted")]
    categories = {r["category"]: r for r in records(book, "by_category")}
    assert set(categories) == {"raw_materials", "products"}
    assert workbook_sheet(book, "sign_off").max_row == 1  # nothing signed yet: the header alone


@pytest.mark.parametrize("name", ["out.pdf", "missing-folder/out.csv"])
def test_cli_refuses_bad_output_and_writes_nothing(scenario, runner, tmp_path, name):
    out = tmp_path / name
    result = runner.invoke(args=["reconcile", CODE, "--out", str(out)])
    assert result.exit_code == 1 and str(out) in result.output
    assert not out.exists()


def test_cli_refuses_an_unknown_campaign(app, runner, tmp_path):
    out = tmp_path / "r.csv"
    result = runner.invoke(args=["reconcile", "NOPE", "--out", str(out)])
    assert result.exit_code == 1 and "NOPE" in result.output and not out.exists()


def test_a_damaged_kept_file_is_computed_again(scenario):
    campaign = campaigns.get(CODE)
    first = reconciliation.kept(campaign)
    files = list(reconciliation._cache_folder().glob(reconciliation._cache_key(campaign, first.version) + ".pickle"))
    assert len(files) == 1
    files[0].write_bytes(b"half a file")
    reconciliation._memory.clear()
    again = reconciliation.kept(campaign)
    assert again.version == first.version
    assert again.result.lines.equals(first.result.lines)
