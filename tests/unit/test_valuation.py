"""Valuation layers, unit cost by method, depreciation and exact rounding (DOMAIN.md, Rules)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from reports import exact
from reports.model import DepreciationRates
from tests.unit.conftest_reports import D, line, move, row, run, ticket

# Item A: opening 4 @ 2.00, receipts 6 @ 3.00 then 5 @ 4.00 (15 units, 46.00); book cost 5.00.
LAYERS = [move("2025-01-01", 4, unit_cost="2", kind="opening"), move("2025-03-01", 6, unit_cost="3"),
          move("2025-06-01", 5, unit_cost="4")]


def cost_and_value(method: str, counted: str = "10", moves=LAYERS) -> tuple[Decimal, Decimal]:
    result = run([line(1, book_qty=counted)], moves=moves, method=method)
    found = row(result, reference="A")
    return found["unit_cost"], found["closing_value"]


@pytest.mark.parametrize("method, cost, value", [
    ("book", "5.00", "50.00"),
    ("wac", "3.066667", "30.67"),   # 46 / 15, to the millionth, then × 10 to the cent
    ("fifo", "3.50", "35.00"),      # 5 @ 4 + 5 @ 3: the most recent layers stay in stock
    ("lifo", "2.60", "26.00"),      # 4 @ 2 + 6 @ 3: the oldest layers stay in stock
])
def test_layers_covering_the_quantity_give_the_methods_cost(method, cost, value):
    assert cost_and_value(method) == (D(cost), D(value))


@pytest.mark.parametrize("method", ["wac", "fifo", "lifo"])
def test_layers_short_of_the_quantity_value_the_rest_at_book_cost(method):
    # 20 counted, 15 in layers: 46.00 + 5 × 5.00 = 71.00, i.e. 3.55 a unit, whatever the method
    assert cost_and_value(method, counted="20") == (D("3.55"), D("71.00"))


def test_layers_short_are_reported_as_a_warning():
    result = run([line(1, book_qty="20")], moves=LAYERS, method="fifo")
    assert [w.key for w in result.warnings] == ["layers_short"]


@pytest.mark.parametrize("method", ["wac", "fifo", "lifo"])
def test_no_layers_means_book_unit_cost(method):
    assert cost_and_value(method, moves=[]) == (D("5.00"), D("50.00"))


def test_receipts_after_the_closing_date_are_not_layers_but_the_closing_date_is():
    late = LAYERS + [move("2026-01-02", 100, unit_cost="9")]
    assert cost_and_value("fifo", moves=late) == (D("3.50"), D("35.00"))
    # on the closing date itself: a layer, and a roll-forward of 2 units (12 in stock):
    # 2 @ 10 + 5 @ 4 + 5 @ 3 = 55.00 for 12, i.e. 4.583333 a unit
    on_closing = LAYERS + [move("2025-12-31", 2, unit_cost="10")]
    found = row(run([line(1, book_qty="10")], moves=on_closing, method="fifo"), reference="A")
    assert (found["closing_qty"], found["unit_cost"], found["closing_value"]) == (12, D("4.583333"), D("55.00"))


def test_issues_and_transfers_are_not_layers():
    moves = LAYERS + [move("2025-07-01", -3, kind="issue"), move("2025-07-02", 8, unit_cost="99", kind="transfer")]
    assert cost_and_value("wac", moves=moves) == (D("3.066667"), D("30.67"))


def test_layers_span_all_locations_and_lots_of_the_item():
    lines = [line(1, location="L1", book_qty="6"), line(2, location="L2", lot="B7", book_qty="4")]
    moves = [move("2025-01-01", 5, unit_cost="1", location="L9", kind="opening"),
             move("2025-02-01", 5, unit_cost="2", location="L2", lot="B7")]
    result = run(lines, moves=moves, method="wac")
    assert {r["unit_cost"] for r in result.lines.to_dict("records")} == {D("1.50")}
    assert result.own_totals["closing_value"] == D("15.00")


def test_lifo_is_allowed_with_a_warning_in_both_languages():
    result = run([line(1)], moves=LAYERS, method="lifo")
    notice = result.warnings[0]
    assert notice.key == "lifo"
    assert "IFRS" in notice.message("en") and "IFRS" in notice.message("fr")
    assert "fiscale" in notice.message("fr")


def test_a_missing_layer_cost_is_read_as_book_cost():
    moves = [move("2025-01-01", 10, unit_cost=None, kind="opening"), move("2025-02-01", 10, unit_cost="7")]
    assert cost_and_value("wac", counted="20", moves=moves) == (D("6.00"), D("120.00"))


def test_book_cost_of_an_item_whose_lines_disagree_is_weighted_by_book_quantity():
    lines = [line(1, location="L1", book_qty="3", unit_cost="1"), line(2, location="L2", book_qty="1", unit_cost="2")]
    result = run(lines, method="book")
    assert row(result, location="L1")["unit_cost"] == D("1.25")


def test_line_values_are_rounded_half_up_and_totals_are_sums_of_rounded_lines():
    # wac of 1 @ 1.00 and 2 @ 0.00 is 0.333333: three lines of 1 are 0.33 each, 0.99 in all
    lines = [line(i, location=f"L{i}", book_qty="1") for i in (1, 2, 3)]
    moves = [move("2025-01-01", 1, unit_cost="1", kind="opening"), move("2025-02-01", 2, unit_cost="0")]
    result = run(lines, moves=moves, method="wac")
    assert set(result.lines["closing_value"]) == {D("0.33")}
    assert result.own_totals["closing_value"] == D("0.99")
    assert result.by_category.loc[0, "closing_value"] == D("0.99")


def test_half_a_cent_rounds_away_from_zero_both_ways():
    result = run([line(1, book_qty="2", unit_cost="0.125")], [ticket(1, 1, "1")])
    found = row(result, reference="A")
    assert found["book_value"] == D("0.25")
    assert found["counted_value"] == D("0.13")
    assert found["diff_value"] == D("-0.13")  # diff_qty × cost, like Decimal's ROUND_HALF_UP


def test_the_int64_fast_path_and_the_python_integer_path_agree(monkeypatch):
    lines = [line(i, location=f"L{i}", book_qty=str(q), unit_cost=c, market_price="0.5")
             for i, (q, c) in enumerate([("3.5", "1.234567"), ("7", "0.1"), ("0.0001", "999.999999")], 1)]
    moves = LAYERS + [move("2025-12-29", "1.5", location="L2")]
    rates = DepreciationRates(damaged=Decimal("33.3333"), slow_moving=10)
    tickets = [ticket(1, 1, "3", state="damaged"), ticket(2, 2, "8"), ticket(3, 3, "2")]
    fast = run(lines, tickets, moves, method="fifo", rates=rates).lines
    monkeypatch.setattr(exact, "SAFE", 0.0)
    slow = run(lines, tickets, moves, method="fifo", rates=rates).lines
    assert fast.equals(slow)


def test_huge_values_stay_exact():
    result = run([line(1, book_qty="900000000", unit_cost="123456.789012")])
    assert row(result, reference="A")["closing_value"] == D("111111110110800.00")


def test_mul_div_round_matches_decimal_on_signs_and_halves():
    a = np.array([5, -5, 15, -15, 14, -14, 0], dtype=np.int64)
    assert exact.mul_div_round(a, np.ones(7, np.int64), 10).tolist() == [1, -1, 2, -2, 1, -1, 0]


def test_too_many_decimals_are_refused_not_rounded():
    from tickets.errors import CountappError
    with pytest.raises(CountappError) as error:
        run([line(1, book_qty="1.00001")])
    assert error.value.field == "book_qty"


# Depreciation ------------------------------------------------------------------------------

RATES = DepreciationRates(damaged=50, obsolete=100, expired=100, slow_moving=20, slow_moving_days=365,
                          market_price=True)


def depreciation(state="good", *, market_price=None, last=None, rates=RATES, counted="10"):
    lines = [line(1, book_qty="10", unit_cost="5", market_price=market_price, last_movement_date=last)]
    found = row(run(lines, [ticket(1, 1, counted, state=state)], rates=rates), reference="A")
    return found["depreciation"], found["depreciation_reason"], found["net_value"]


@pytest.mark.parametrize("state, amount", [("damaged", "25.00"), ("obsolete", "50.00"), ("expired", "50.00"),
                                           ("good", "0.00")])
def test_the_final_counts_state_sets_the_rate(state, amount):
    assert depreciation(state)[0] == D(amount)


def test_slow_moving_starts_at_exactly_the_number_of_days():
    closing = dt.date(2025, 12, 31)
    assert depreciation(last=closing - dt.timedelta(days=365)) == (D("10.00"), "slow_moving", D("40.00"))
    assert depreciation(last=closing - dt.timedelta(days=364)) == (D("0.00"), "", D("50.00"))


def test_a_movement_after_the_book_date_makes_the_line_move_again():
    lines = [line(1, last_movement_date=dt.date(2020, 1, 1))]
    result = run(lines, moves=[move("2025-12-29", 0.5)], rates=RATES)
    assert row(result, reference="A")["depreciation_reason"] == ""


def test_market_price_below_cost_writes_down_to_market():
    assert depreciation(market_price="3") == (D("20.00"), "market_price", D("30.00"))
    off = DepreciationRates(damaged=50, market_price=False)
    assert depreciation(market_price="3", rates=off) == (D("0.00"), "", D("50.00"))
    assert depreciation(market_price="6")[0] == D("0.00")


def test_the_largest_cause_wins():
    assert depreciation("damaged", market_price="3") == (D("25.00"), "damaged", D("25.00"))
    assert depreciation("damaged", market_price="1") == (D("40.00"), "market_price", D("10.00"))


def test_equal_amounts_name_the_first_cause():
    rates = DepreciationRates(damaged=40, market_price=True)
    assert depreciation("damaged", market_price="3", rates=rates)[:2] == (D("20.00"), "damaged")


def test_depreciation_rounds_to_the_cent_half_up():
    rates = DepreciationRates(damaged=Decimal("33.33"))
    lines = [line(1, book_qty="1", unit_cost="10.01")]
    found = row(run(lines, [ticket(1, 1, "1", state="damaged")], rates=rates), reference="A")
    assert found["depreciation"] == D("3.34")  # 3.336333 → 3.34
    lines = [line(1, book_qty="1", unit_cost="0.05")]
    found = row(run(lines, [ticket(1, 1, "1", state="damaged")], rates=RATES), reference="A")
    assert found["depreciation"] == D("0.03")  # 0.025 → 0.03


def test_a_ticket_damaged_among_several_applies_to_the_whole_line():
    tickets = [ticket(1, 1, "6"), ticket(2, None, "4", state="damaged", reference="A", location="L1")]
    found = row(run([line(1)], tickets, rates=RATES), reference="A")
    assert found["counted_qty"] == 10 and found["state"] == "damaged"
    assert found["depreciation"] == D("25.00")
