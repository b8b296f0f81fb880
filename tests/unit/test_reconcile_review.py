"""Causes laid over a kept reconciliation, and the review page's choosing, ordering and paging."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.reconcile import with_causes
from reports.review import LARGEST, NO_CAUSE, Query, Selector, parse_amount
from tests.unit.conftest_reports import line, run, ticket
from tests.unit.test_reconcile_property import campaigns


def small():
    """Five lines: agreed, short by 2, over by 1, not counted, third party; and one voided ticket."""
    lines = [line(1, "A", "L1", "10", "5"), line(2, "B", "L1", "20", "2", category="products"),
             line(3, "C", "L2", "4", "100"), line(4, "D", "L2", "1", "7"),
             line(5, "E", "L3", "3", "9", owner="third_party", category="goods_for_resale")]
    tickets = [ticket(1, 1, "10"), ticket(2, 2, "18"), ticket(3, 3, "5"), ticket(4, 4, None), ticket(5, 5, "3"),
               ticket(6, 1, "10", status="voided")]
    for b, zone in zip(lines, ("Z1", "Z1", "Z2", "Z2", "Z3")):
        b["zone"] = zone
    return run(lines, tickets)


def tickets_of(page) -> list[str]:
    return page.rows["ticket"].tolist()


# --- causes over a kept result ---------------------------------------------------------------------

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns(), st.data())
def test_laying_causes_over_a_result_equals_reconciling_with_them(campaign, data):
    lines, tickets, moves, method, rates = campaign
    plain = run(lines, tickets, moves, method=method, rates=rates)
    keys = [b["book_line_id"] for b in lines] + [t["ticket"] for t in tickets]
    causes = data.draw(st.dictionaries(st.sampled_from(keys), st.sampled_from(["breakage", "other", "book_error"]),
                                       max_size=len(keys)))
    direct = run(lines, tickets, moves, method=method, rates=rates, causes=causes)
    laid = with_causes(plain, causes)
    pd.testing.assert_frame_equal(laid.lines, direct.lines)
    # And back: no causes at all gives the plain result again.
    pd.testing.assert_frame_equal(with_causes(direct, {}).lines, plain.lines)


def test_a_cause_clears_only_the_difference_exception():
    result = small()
    laid = with_causes(result, {2: "breakage", 4: "counting_error", "000006/2025": "other"})
    by_ref = laid.lines.set_index("ticket")
    assert by_ref.loc["000002/2025", "exception"] == "" and by_ref.loc["000002/2025", "cause"] == "breakage"
    assert by_ref.loc["000003/2025", "exception"] == "difference_without_cause"
    assert by_ref.loc["000004/2025", "exception"] == "not_counted"  # a cause explains, the line stays an exception
    voided = laid.lines[laid.lines["status"] == "voided"].iloc[0]
    assert voided["cause"] == "" and voided["exception"] == "voided"
    assert result.lines["cause"].eq("").all()  # the kept result is left untouched


# --- the selector ----------------------------------------------------------------------------------

def test_largest_differences_first_then_rows_without_one():
    page = Selector(small()).select(Query())
    # |diff value|: C over by 1 × 100, B short by 2 × 2, then no difference (A, and the third party's
    # E in line order), then rows without a difference at all: D not counted, the voided ticket.
    assert tickets_of(page) == ["000003/2025", "000002/2025", "000001/2025", "000005/2025", "000004/2025",
                                "000006/2025"]


def test_largest_puts_an_unvalued_difference_before_the_agreed_lines():
    result = run([line(1, "A", "L1", "10", "5"), line(2, "E", "L3", "3", "9", owner="third_party")],
                 [ticket(1, 1, "10"), ticket(2, 2, "1")])
    assert tickets_of(Selector(result).select(Query())) == ["000002/2025", "000001/2025"]


def test_numbers_sort_exactly_and_empty_cells_go_last_both_ways():
    selector = Selector(small())
    up = selector.select(Query(sort="diff_qty", descending=False))
    down = selector.select(Query(sort="diff_qty", descending=True))
    assert up.rows["diff_qty"].tolist()[:4] == [-2, 0, 0, 1] and up.rows["diff_qty"].tolist()[4:] == [None, None]
    assert down.rows["diff_qty"].tolist()[:4] == [1, 0, 0, -2] and down.rows["diff_qty"].tolist()[4:] == [None, None]


def test_text_sorts_ignore_case_and_keep_empty_cells_last():
    result = small()
    lines = result.lines.copy()
    lines.loc[lines["ticket"] == "000002/2025", "reference"] = "b"
    result.lines = lines
    selector = Selector(result)
    # The voided ticket of A's line reads A too.
    assert selector.select(Query(sort="reference", descending=False)).rows["reference"].tolist() == \
        ["A", "A", "b", "C", "D", "E"]
    assert selector.select(Query(sort="cause", descending=False), with_causes(result, {3: "other"}).lines) \
        .rows["ticket"].tolist()[0] == "000003/2025"


@pytest.mark.parametrize("query, expected", [
    (Query(category="products"), ["000002/2025"]),
    (Query(zone="Z2", sort="ticket", descending=False), ["000003/2025", "000004/2025"]),
    (Query(status="not_counted"), ["000004/2025"]),
    (Query(min_diff=Decimal("4"), diff_on="value"), ["000003/2025"]),        # |−4.00| is not above 4
    (Query(min_diff=Decimal("3.999"), diff_on="value"), ["000003/2025", "000002/2025"]),
    (Query(min_diff=Decimal("1"), diff_on="qty"), ["000002/2025"]),
    (Query(exceptions_only=True, sort="ticket", descending=False),
     ["000002/2025", "000003/2025", "000004/2025", "000006/2025"]),
    (Query(text="l2", sort="ticket", descending=False), ["000003/2025", "000004/2025"]),
    (Query(cause=NO_CAUSE, status="difference", sort="ticket", descending=False), ["000002/2025", "000003/2025"]),
    (Query(category="nothing"), []),
])
def test_filters(query, expected):
    assert tickets_of(Selector(small()).select(query)) == expected


def test_filter_by_cause_uses_the_causes_laid_over():
    result = small()
    laid = with_causes(result, {2: "breakage"})
    selector = Selector(result)
    assert tickets_of(selector.select(Query(cause="breakage"), laid.lines)) == ["000002/2025"]
    assert tickets_of(selector.select(Query(cause=NO_CAUSE, status="difference"), laid.lines)) == ["000003/2025"]


def test_sums_are_exact_sums_of_the_matched_rows():
    page = Selector(small()).select(Query(zone="Z1"))
    # A (50.00 book, 0 diff) and B (40.00 book, −4.00 diff); the voided ticket carries no value.
    assert page.sums["book_value"] == Decimal("90.00") and page.sums["diff_value"] == Decimal("-4.00")
    assert page.matched == 3 and page.exceptions == 2


def test_pages_cut_the_order_and_a_page_past_the_end_is_the_last():
    n = 130
    result = run([line(i, f"R{i:03d}", "L1", "1", "1") for i in range(1, n + 1)])
    selector = Selector(result)
    seen = []
    for number in (1, 2, 3):
        page = selector.select(Query(sort="reference", descending=False, page=number, per_page=50))
        assert page.pages == 3 and page.page == number
        seen += page.rows["reference"].tolist()
    assert seen == [f"R{i:03d}" for i in range(1, n + 1)]
    assert selector.select(Query(sort="reference", descending=False, page=9)).rows["reference"].tolist() == \
        seen[100:]
    # Orders are built once and reused.
    assert selector.order("reference", False) is selector.order("reference", False)


def test_query_from_args_reads_the_page_and_falls_back_on_nonsense():
    query = Query.from_args({"category": "products", "min_diff": "1 234,5", "diff_on": "qty", "sort": "net_value",
                             "page": "3", "per_page": "100", "exceptions": "1", "q": " bolt "})
    assert (query.category, query.min_diff, query.diff_on, query.sort, query.descending) == \
        ("products", Decimal("1234.5"), "qty", "net_value", True)
    assert (query.page, query.per_page, query.exceptions_only, query.text) == (3, 100, True, "bolt")
    nonsense = Query.from_args({"sort": "drop table", "page": "-4", "per_page": "7", "min_diff": "abc",
                                "diff_on": "x", "dir": "sideways"})
    assert nonsense == Query(page=1)
    assert Query.from_args({"sort": "reference"}).descending is False
    assert Query.from_args({"sort": "reference", "dir": "desc"}).descending is True
    assert Query(zone="Z1").args(page=2) == {"zone": "Z1", "dir": "desc", "page": 2}
    assert Query.from_args(Query(zone="Z1", sort=LARGEST, page=2).args()) == Query(zone="Z1", page=2)


@pytest.mark.parametrize("text, expected", [("12", Decimal("12")), ("12,50", Decimal("12.50")),
                                            ("1\u202f000", Decimal("1000")), ("", None), ("-1", None),
                                            ("NaN", None), ("x", None)])
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


def test_numbers_hold_every_numeric_column_exactly():
    result = small()
    for name, (values, missing) in result.numbers.items():
        column = result.lines[name].to_numpy(dtype=object)
        assert np.array_equal(missing, pd.isna(column)), name
        assert len(values) == len(result.lines)
