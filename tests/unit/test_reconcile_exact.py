"""The integer engine is exact to the cent: scaled int64 (Python integers past int64) against a plain
Decimal reading, on large quantities, many decimals, negative movements and halves (issue 20)."""
from __future__ import annotations

import pickle
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports import exact
from reports.model import DepreciationRates
from tests.unit.conftest_reports import CLOSING_DATE, COUNT_DATE, frames, line, move, run, ticket
from tests.unit.test_reconcile_property import check
from reports.model import ReconcileSettings
from reports.reconcile import reconcile
from tickets.errors import CountappError

CENT = Decimal("0.01")


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# exact.mul_div_round ------------------------------------------------------------------------------

big_ints = st.integers(min_value=-(2**62), max_value=2**62)
halves = st.sampled_from([5, 15, 25, -5, -15, 50, 150, -150, 10**8 // 2, -(10**8 // 2), 3 * 10**8 // 2])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(big_ints | halves, st.integers(min_value=-(10**12), max_value=10**12) | halves),
                min_size=1, max_size=30),
       st.sampled_from([1, 10, 100, 10**4, 10**6, 10**8]))
def test_products_round_half_up_like_decimal_at_any_magnitude(pairs, divisor):
    a = np.array([p for p, _ in pairs], dtype=object)
    b = np.array([q for _, q in pairs], dtype=object)
    with localcontext(prec=80):   # products reach 10**31: the default 28 digits would round the reference
        want = [_round(Decimal(p) * Decimal(q) / Decimal(divisor)) for p, q in pairs]
    if any(abs(w) > 2**63 - 1 for w in want):
        with pytest.raises(CountappError):
            exact.mul_div_round(a.astype(np.int64), b.astype(np.int64), divisor)
        return
    got = exact.mul_div_round(a.astype(np.int64), b.astype(np.int64), divisor)
    assert got.tolist() == want


def test_a_half_cent_rounds_away_from_zero():
    got = exact.mul_div_round(np.array([5, -5, 15, -15, 4, -4]), np.array([10**7] * 6), 10**8)
    assert got.tolist() == [1, -1, 2, -2, 0, 0]


# exact.from_scaled: the loader's scaled integers --------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(st.lists(st.none() | st.decimals(min_value=-10**9, max_value=10**9, places=4), min_size=1, max_size=20),
       st.integers(min_value=0, max_value=8))
def test_scaled_integers_read_as_the_same_numbers_as_decimals(values, given_digits):
    want, want_missing = exact.to_scaled(pd.Series(values, dtype=object), exact.QTY, "q", nullable=True)
    scaled = [None if v is None else int(v.scaleb(given_digits).to_integral_value()) for v in values]
    exact_at_scale = all(v is None or v.scaleb(given_digits) == v.scaleb(given_digits).to_integral_value()
                         for v in values)
    column = pd.array(scaled, dtype="Int64")
    if not exact_at_scale:
        return   # the loader's scale always holds the column's decimals
    # (Values have at most 4 decimals, QTY's: a finer scale only adds zeros. Extra decimals are refused:
    # test_a_scaled_column_with_more_decimals_than_the_engine_holds_is_refused.)
    got, missing = exact.from_scaled(column, given_digits, exact.QTY, "q", nullable=True)
    assert missing.tolist() == want_missing.tolist()
    assert got.tolist() == want.tolist()


def test_a_scaled_column_with_more_decimals_than_the_engine_holds_is_refused():
    with pytest.raises(CountappError, match="more than 4 decimals"):
        exact.from_scaled(pd.array([12345], dtype="Int64"), 5, exact.QTY, "book_qty")


def test_a_missing_scaled_value_is_refused_where_required():
    with pytest.raises(CountappError, match="missing on row 2"):
        exact.from_scaled(pd.array([1, None], dtype="Int64"), 4, exact.QTY, "book_qty")


# The whole engine: large, fine-grained, negative, halves ------------------------------------------

quantities = (st.decimals(min_value=0, max_value=10**9, places=4)
              | st.sampled_from(["0.0005", "0.5", "2.5", "0.0001", "1000000000"]).map(Decimal))
unit_costs = (st.decimals(min_value=0, max_value=10**5, places=6)
              | st.sampled_from(["0.01", "0.005", "0.000001", "0.125", "99999.999999"]).map(Decimal))
movement_qty = st.decimals(min_value=-(10**6), max_value=10**6, places=4)
dates = st.sampled_from([COUNT_DATE.replace(day=20), COUNT_DATE, COUNT_DATE.replace(day=29), CLOSING_DATE,
                         CLOSING_DATE.replace(year=2026, month=1, day=2)])
refs, locs, lots = st.sampled_from(["A", "B"]), st.sampled_from(["L1", "L2"]), st.sampled_from(["", "X"])


@st.composite
def large_campaigns(draw):
    places = draw(st.lists(st.tuples(refs, locs, lots), min_size=1, max_size=5, unique=True))
    lines = [line(i, r, loc, str(draw(quantities)), str(draw(unit_costs)), lot=lot,
                  owner=draw(st.sampled_from(["own", "own", "third_party", "at_third_party"])),
                  market_price=draw(st.none() | unit_costs.map(str)))
             for i, (r, loc, lot) in enumerate(places, start=1)]
    tickets = []
    for number, b in enumerate(lines, start=1):
        kind = draw(st.sampled_from(["counted", "counted", "none", "voided"]))
        tickets.append(ticket(number, b["book_line_id"], str(draw(quantities)) if kind == "counted" else None,
                              state=draw(st.sampled_from(["good", "damaged", "expired"])),
                              status="voided" if kind == "voided" else "final"))
    if draw(st.booleans()):
        r, loc, lot = draw(st.tuples(refs, st.sampled_from(["L1", "NEW"]), lots))
        tickets.append(ticket(99, None, str(draw(quantities)), reference=r, location=loc, lot=lot))
    moves = [move(draw(dates), str(draw(movement_qty)), reference=r, location=loc, lot=lot,
                  kind=draw(st.sampled_from(["opening", "receipt", "issue", "adjustment"])),
                  unit_cost=draw(st.none() | unit_costs.map(str)))
             for r, loc, lot in draw(st.lists(st.tuples(refs, st.sampled_from(["L1", "L2", "DOCK"]), lots),
                                              max_size=6))]
    rates = DepreciationRates(damaged=draw(st.sampled_from([0, 50, Decimal("33.3333")])), obsolete=100,
                              expired=draw(st.sampled_from([0, Decimal("12.5")])), slow_moving=0,
                              slow_moving_days=365, market_price=draw(st.booleans()))
    return lines, tickets, moves, draw(st.sampled_from(["book", "wac", "fifo", "lifo"])), rates


def _scaled_frames(lines, tickets, moves):
    """The same campaign as the loader hands it over: whole units of 10**-digits, ``attrs["scaled"]``."""
    book, counts, movements = frames(lines, tickets, moves)
    for frame, columns in ((book, {"book_qty": exact.QTY, "unit_cost": exact.COST, "market_price": exact.COST}),
                           (counts, {"counted_qty": exact.QTY}),
                           (movements, {"quantity": exact.QTY, "unit_cost": exact.COST})):
        for name, digits in columns.items():
            frame[name] = pd.array([None if v is None or v != v else int(Decimal(v).scaleb(digits))
                                    for v in frame[name]], dtype="Int64")
        frame.attrs["scaled"] = columns
    return book, counts, movements


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(large_campaigns())
def test_large_and_fine_grained_campaigns_reconcile_to_the_cent(campaign):
    lines, tickets, moves, method, rates = campaign
    try:
        result = check(campaign)
    except CountappError as error:   # a value past int64 cents (9.2e16) is refused, never wrapped
        assert "too large" in str(error)
        return

    # The loader's scaled integers give the very same rows and totals as Decimals.
    scaled = reconcile(*_scaled_frames(lines, tickets, moves),
                       ReconcileSettings(method, COUNT_DATE, CLOSING_DATE, rates))
    pd.testing.assert_frame_equal(scaled.lines, result.lines)
    assert scaled.own_totals == result.own_totals
    pd.testing.assert_frame_equal(scaled.by_category, result.by_category)


def test_decimals_are_built_at_the_edge_and_never_pickled():
    result = run([line(1, book_qty="2.5", unit_cost="0.01"), line(2, "B", book_qty="1", unit_cost="3")],
                 [ticket(1, 1, "2.5"), ticket(2, 2, "2")])
    assert result._lines is None                      # reconcile built no Decimal row
    page = result.rows(np.array([1]))
    assert page.iloc[0]["diff_value"] == Decimal("3.00")
    assert result.lines.iloc[0]["book_value"] == Decimal("0.03")   # 0.025 rounds half up
    kept = pickle.loads(pickle.dumps(result))
    assert kept._lines is None
    pd.testing.assert_frame_equal(kept.lines, result.lines)
