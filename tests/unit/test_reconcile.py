"""Counted vs book: cut-off, ownership, not-counted lines, unknown places, voided tickets, totals."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from reports.model import ReconcileSettings
from reports.reconcile import reconcile
from reports.model import STATUSES
from reports.reconcile import COLUMNS
from tickets.errors import CountappError
from tests.unit.conftest_reports import D, frames, line, move, row, run, ticket

SPEC_COLUMNS = ["ticket", "reference", "location", "lot", "category", "owner", "book_qty", "counted_qty", "diff_qty",
                "rollforward_qty", "closing_qty", "unit_cost", "book_value", "counted_value", "diff_value",
                "closing_value", "depreciation", "net_value", "status", "cause"]


def test_rows_carry_the_spec_columns_first():
    assert list(run([line(1)]).lines.columns[:len(SPEC_COLUMNS)]) == SPEC_COLUMNS
    assert list(run([line(1)]).lines.columns) == list(COLUMNS)


def test_matching_count_is_agreed_and_a_difference_is_valued():
    result = run([line(1, book_qty="10"), line(2, location="L2", book_qty="4")],
                 [ticket(1, 1, "10"), ticket(2, 2, "3.5")])
    agreed, short = row(result, location="L1"), row(result, location="L2")
    assert (agreed["status"], agreed["diff_qty"], agreed["diff_value"]) == ("agreed", 0, D("0.00"))
    assert (short["status"], short["diff_qty"], short["diff_value"]) == ("difference", D("-0.5"), D("-2.50"))
    assert (short["book_value"], short["counted_value"], short["closing_value"]) == (D("20.00"), D("17.50"),
                                                                                      D("17.50"))
    assert short["ticket"] == "000002/2025"
    assert short["exception"] == "difference_without_cause"


def test_causes_are_taken_by_book_line_or_by_ticket():
    result = run([line(1), line(2, location="L2")], [ticket(1, 1, "9"), ticket(2, 2, "8")],
                 causes={1: "breakage", "000002/2025": "theft"})
    assert row(result, location="L1")["cause"] == "breakage"
    assert row(result, location="L2")["cause"] == "theft"
    assert (result.lines["exception"] == "").all()


# Cut-off ------------------------------------------------------------------------------------

def test_the_count_date_is_in_the_snapshot_and_the_closing_date_rolls_forward():
    moves = [move("2025-12-27", 100),    # count date: already in the book snapshot
             move("2025-12-28", 3),      # after the count: rolls forward
             move("2025-12-31", -2, kind="issue"),  # closing date itself: rolls forward
             move("2026-01-01", 50)]     # after closing: next year
    found = row(run([line(1, book_qty="10")], moves=moves), reference="A")
    assert (found["counted_qty"], found["rollforward_qty"], found["closing_qty"]) == (10, 1, 11)
    assert found["diff_qty"] == 0  # the difference stays at the count date
    assert found["closing_value"] == D("55.00")


def test_rollforward_follows_the_location_and_lot():
    lines = [line(1, location="L1"), line(2, location="L2", lot="B1")]
    moves = [move("2025-12-29", -4, location="L1", kind="transfer"),
             move("2025-12-29", 4, location="L2", lot="B1", kind="transfer")]
    result = run(lines, moves=moves)
    assert row(result, location="L1")["closing_qty"] == 6
    assert row(result, location="L2")["closing_qty"] == 14
    assert result.own_totals["closing_value"] == D("100.00")


def test_movements_to_a_place_without_book_line_or_ticket_get_their_own_row():
    result = run([line(1)], moves=[move("2025-12-30", 6, location="DOCK", unit_cost="5")])
    found = row(result, location="DOCK")
    assert found["status"] == "rollforward_only"
    assert (found["book_qty"], found["counted_qty"], found["closing_qty"]) == (0, None, 6)
    assert found["closing_value"] == D("30.00")
    assert found["category"] == "raw_materials"  # from the item's book lines


def test_a_count_date_after_the_closing_date_is_accepted():
    # Issue 18: counted in January, the count rolls back to the closing date (tests/unit/test_count_dates.py).
    settings = ReconcileSettings("wac", dt.date(2026, 1, 3), dt.date(2025, 12, 31))
    assert settings.count_date > settings.closing_date


# Ownership ----------------------------------------------------------------------------------

def test_third_party_goods_are_counted_and_listed_but_never_valued():
    lines = [line(1), line(2, reference="X", location="L2", owner="third_party", category="goods_for_resale")]
    result = run(lines, [ticket(1, 1, "10"), ticket(2, 2, "7")])
    found = row(result, reference="X")
    assert (found["status"], found["counted_qty"], found["diff_qty"], found["closing_qty"]) == ("third_party", 7,
                                                                                              -3, 7)
    assert all(found[c] is None for c in ("unit_cost", "book_value", "closing_value", "depreciation", "net_value"))
    assert list(result.third_party["reference"]) == ["X"]
    assert list(result.by_category["category"]) == ["raw_materials"]
    assert result.own_totals["closing_value"] == D("50.00")
    owners = result.by_owner.set_index("owner")
    assert owners.loc["third_party", "closing_value"] == D("0.00")
    assert owners.loc["third_party", "lines"] == 1


def test_own_goods_at_third_parties_enter_closing_stock_at_book_quantity_rolled_forward():
    lines = [line(1, book_qty="10"), line(2, location="CARRIER", book_qty="4", owner="at_third_party")]
    moves = [move("2025-01-01", 20, unit_cost="2", kind="opening"), move("2025-12-30", 1, location="CARRIER", kind="transfer")]
    result = run(lines, moves=moves, method="wac")
    found = row(result, location="CARRIER")
    assert (found["status"], found["counted_qty"], found["closing_qty"]) == ("at_third_party", None, 5)
    assert found["closing_value"] == D("10.00")
    assert found["exception"] == ""
    # the item's quantity to value includes it: 15 units, all within the 20 layer units
    assert row(result, location="L1")["unit_cost"] == D("2.00")


# Not counted, unknown, voided ---------------------------------------------------------------

def test_a_book_line_without_final_count_is_not_counted_never_zero():
    result = run([line(1), line(2, location="L2")], [ticket(1, 1, "10"), ticket(2, 2, None, status="recount")])
    found = row(result, location="L2")
    assert found["status"] == "not_counted" and found["exception"] == "not_counted"
    assert all(found[c] is None for c in ("counted_qty", "diff_qty", "closing_qty", "counted_value", "closing_value",
                                          "depreciation", "net_value"))
    assert found["book_value"] == D("50.00")
    assert list(result.not_counted["location"]) == ["L2"]
    assert result.own_totals["closing_value"] == D("50.00")
    assert result.by_category.loc[0, "not_counted"] == 1
    assert "not_counted" in [w.key for w in result.warnings]


def test_a_book_line_without_any_ticket_is_not_counted():
    assert row(run([line(1)], []), reference="A")["status"] == "not_counted"


def test_a_counted_place_unknown_to_book_gets_its_own_row_at_the_items_cost():
    tickets = [ticket(1, 1, "10"), ticket(2, None, "3", reference="A", location="FOUND"),
               ticket(3, None, "2", reference="NEW", location="FOUND")]
    result = run([line(1, unit_cost="5")], tickets)
    known = row(result, reference="A", location="FOUND")
    assert (known["status"], known["book_qty"], known["counted_qty"], known["diff_qty"]) == ("unknown_to_book", 0, 3,
                                                                                            3)
    assert known["unit_cost"] == D("5.00") and known["closing_value"] == D("15.00")
    assert known["category"] == "raw_materials" and pd.isna(known["book_line_id"])
    unknown = row(result, reference="NEW")
    assert unknown["unit_cost"] == D("0.00") and unknown["category"] == ""
    assert unknown["exception"] == "unknown_to_book"


def test_a_blank_ticket_naming_a_book_lines_place_counts_for_that_line():
    tickets = [ticket(1, 1, "6"), ticket(9, None, "4", reference="A", location="L1")]
    found = row(run([line(1)], tickets), reference="A")
    assert (found["counted_qty"], found["status"], found["ticket"]) == (10, "agreed", "000001/2025, 000009/2025")


def test_voided_tickets_are_listed_and_never_counted():
    tickets = [ticket(1, 1, "10", status="voided"), ticket(2, 1, "10")]
    result = run([line(1)], tickets)
    voided = row(result, status="voided")
    assert voided["ticket"] == "000001/2025" and voided["reference"] == "A" and voided["exception"] == "voided"
    assert voided["counted_qty"] is None and voided["closing_value"] is None
    assert row(result, status="agreed")["counted_qty"] == 10
    assert result.own_totals["lines"] == 1


def test_negative_closing_stock_is_an_exception_and_not_written_down():
    from reports.model import DepreciationRates
    result = run([line(1, book_qty="1")], moves=[move("2025-12-30", -3, kind="issue")],
                 rates=DepreciationRates(damaged=50))
    found = row(result, reference="A")
    assert found["closing_qty"] == -2 and found["exception"] == "negative_closing"
    assert found["closing_value"] == D("-10.00") and found["depreciation"] == D("0.00")


def test_statuses_are_the_documented_ones():
    tickets = [ticket(1, 1, "9"), ticket(2, 2, None), ticket(3, 3, "1"), ticket(4, None, "1", reference="A",
                                                                                 location="NEW"),
               ticket(5, 1, "1", status="voided")]
    lines = [line(1), line(2, location="L2"), line(3, location="L3", owner="third_party"),
             line(4, location="L4", owner="at_third_party"), line(5, location="L5")]
    result = run(lines, tickets + [ticket(6, 5, "10")], moves=[move("2025-12-30", 1, location="L6")])
    assert set(result.lines["status"]) <= set(STATUSES)
    assert set(result.lines["status"]) == set(STATUSES)


def test_totals_by_category_sum_the_rounded_lines():
    lines = [line(1, book_qty="1", unit_cost="0.005"), line(2, location="L2", book_qty="1", unit_cost="0.005"),
             line(3, reference="B", category="goods_for_resale", book_qty="3", unit_cost="1.115")]
    result = run(lines)
    cats = result.by_category.set_index("category")
    assert cats.loc["raw_materials", "closing_value"] == D("0.02")  # 0.01 + 0.01, not 0.01 for 0.010
    assert cats.loc["goods_for_resale", "closing_value"] == D("3.35")  # 3.345 → 3.35
    assert cats.loc["goods_for_resale", "stock_account"] == "37"
    assert result.own_totals["closing_value"] == D("3.37")


# Input checks -------------------------------------------------------------------------------

def test_a_missing_column_names_the_column():
    book, counts, moves = frames([line(1)])
    with pytest.raises(CountappError) as error:
        reconcile(book.drop(columns=["unit_cost"]), counts, moves,
                  ReconcileSettings("book", dt.date(2025, 12, 27), dt.date(2025, 12, 31)))
    assert error.value.field == "unit_cost"


def test_two_book_lines_on_the_same_place_are_refused():
    with pytest.raises(CountappError) as error:
        run([line(1), line(2)])
    assert "share reference" in error.value.message


def test_a_ticket_naming_an_unknown_book_line_is_refused():
    with pytest.raises(CountappError) as error:
        run([line(1)], [ticket(1, 99, "1")])
    assert error.value.field == "book_line_id"


def test_unknown_owner_or_state_is_refused():
    with pytest.raises(CountappError):
        run([line(1, owner="ours")])
    with pytest.raises(CountappError):
        run([line(1)], [ticket(1, 1, "1", state="wet")])


def test_numbers_may_come_as_text_ints_or_floats():
    lines = [dict(line(1), book_qty="2.5", unit_cost=3), dict(line(2, location="L2"), book_qty=1.1, unit_cost="0.1")]
    result = run(lines, [ticket(1, 1, "2.5"), ticket(2, 2, "1.1")])
    assert result.own_totals["book_value"] == D("7.61")


def test_category_may_be_given_as_its_account():
    assert row(run([line(1, category="37")]), reference="A")["category"] == "goods_for_resale"


def test_a_place_unknown_to_book_takes_its_zone_and_site_from_its_ticket():
    found = {**ticket(2, None, "3", reference="A", location="NEW"), "zone": "Z9", "site": "S2"}
    spoiled = {**ticket(3, None, None, status="voided", reference="A", location="NEW2"), "zone": "Z8", "site": "S2"}
    result = run([line(1, "A", "L1")], [ticket(1, 1, "10"), found, spoiled])
    unknown = row(result, location="NEW")
    assert (unknown["status"], unknown["zone"], unknown["site"]) == ("unknown_to_book", "Z9", "S2")
    assert row(result, status="voided")["zone"] == "Z8"
    assert row(result, location="L1")["zone"] == "Z1"  # book lines keep the book's zone


def test_movements_only_place_beside_a_voided_ticket_and_no_other_ticket():
    # Found by the property test: no ticket with a place, yet a row the book lacks.
    result = run([line(1, "A", "L1")], [ticket(1, 1, None, status="voided")],
                 [move("2025-12-28", "0.01", reference="A", location="L1", lot="X", kind="opening")])
    assert row(result, lot="X")["status"] == "rollforward_only"
    assert row(result, ticket="", lot="")["status"] == "not_counted"  # its only ticket is voided


def test_a_blank_ticket_on_the_place_of_a_voided_ticket_counts_for_the_line():
    tickets = [ticket(1, 1, "10", status="voided"), ticket(9, None, "7", reference="A", location="L1")]
    result = run([line(1, book_qty="10")], tickets)
    counted = row(result, ticket="000009/2025")
    assert (counted["reference"], counted["book_qty"], counted["counted_qty"]) == ("A", 10, 7)
    assert counted["status"] == "difference"
    assert row(result, status="voided")["counted_qty"] is None
    assert result.own_totals["lines"] == 1
