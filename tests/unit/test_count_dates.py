"""Count dates as they really are (issue 18; DOMAIN.md, Rules, Count dates): a count after the
closing date rolls back, zones have their own dates, the stock file is at its own date, and
movements outside the window are kept but move no figure."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

from reports.model import ReconcileSettings
from reports.reconcile import reconcile
from reports.cutoff import EVIDENCE_COLUMNS
from tests.unit.conftest_reports import NO_DEPRECIATION, D, frames, line, move, row, ticket

CLOSING = dt.date(2025, 12, 31)
YEAR_START = dt.date(2025, 1, 1)


def zone_line(book_line_id, zone, location, book_qty="10", **kw):
    found = line(book_line_id, location=location, book_qty=book_qty, **kw)
    found["zone"] = zone
    return found


def doc(m: dict, document: str) -> dict:
    return {**m, "document": document}


def run(lines, tickets, moves, *, count_date, closing_date=CLOSING, method="book", **extra):
    settings = ReconcileSettings(method, count_date, closing_date, NO_DEPRECIATION, **extra)
    return reconcile(*frames(lines, tickets, moves), settings)


# Count after closing -----------------------------------------------------------------------------

def test_a_count_after_closing_rolls_back_the_movements_after_closing():
    moves = [doc(move("2026-01-02", "5", unit_cost="2"), "REC-9"), doc(move("2026-01-03", "-2", kind="issue"), "ISS-4"),
             doc(move("2026-01-04", "7", unit_cost="2"), "REC-10")]   # after the count: not rolled back
    result = run([line(1, book_qty="13")], [ticket(1, 1, "13")], moves, count_date=dt.date(2026, 1, 3))
    found = row(result, location="L1")
    assert (found["rollforward_qty"], found["closing_qty"]) == (-3, 10)
    assert found["closing_value"] == D("50.00")
    assert (found["count_date"], found["cutoff"]) == (dt.date(2026, 1, 3), "back")
    assert found["cutoff_documents"] == "REC-9 2026-01-02 -5; ISS-4 2026-01-03 +2"


def test_a_count_before_closing_still_rolls_forward_and_lists_its_documents():
    moves = [doc(move("2025-12-29", "4", unit_cost="5"), "REC-1"), doc(move("2025-12-30", "-1", kind="issue"), "ISS-1")]
    found = row(run([line(1)], [ticket(1, 1, "10")], moves, count_date=dt.date(2025, 12, 27)), location="L1")
    assert (found["rollforward_qty"], found["closing_qty"], found["cutoff"]) == (3, 13, "forward")
    assert found["cutoff_documents"] == "REC-1 2025-12-29 +4; ISS-1 2025-12-30 -1"


def test_counted_on_3_january_or_27_december_the_closing_values_are_the_same():
    """The same stock and the same movements, counted either side of the closing date."""
    opening = move("2024-12-31", "100", unit_cost="4", kind="opening")
    movements = [opening, doc(move("2025-06-01", "50", unit_cost="6"), "R1"),
                 doc(move("2025-12-28", "20", unit_cost="7.123457"), "R2"),
                 doc(move("2025-12-30", "-35", kind="issue"), "I1"),
                 doc(move("2026-01-02", "40", unit_cost="9"), "R3"),
                 doc(move("2026-01-03", "-3", kind="issue"), "I2"),
                 doc(move("2025-12-29", "2", reference="B", location="L2", unit_cost="1.5"), "R4"),
                 doc(move("2026-01-02", "-1", reference="B", location="L2", kind="issue"), "I3")]
    start_b = {"A": Decimal(0), "B": Decimal(8)}

    def stock(reference, on):
        return start_b[reference] + sum(m["quantity"] for m in movements
                                        if m["reference"] == reference and m["date"] <= on)
    for method in ("book", "wac", "fifo", "lifo"):
        results = []
        for count_date in (dt.date(2025, 12, 27), dt.date(2026, 1, 3)):
            physical = {ref: stock(ref, count_date) for ref in ("A", "B")}
            lines = [line(1, "A", book_qty=physical["A"], unit_cost="5"),
                     line(2, "B", location="L2", book_qty=physical["B"], unit_cost="1.2")]
            tickets = [ticket(1, 1, physical["A"]), ticket(2, 2, physical["B"])]
            results.append(run(lines, tickets, movements, count_date=count_date, method=method,
                               year_start=YEAR_START))
        december, january = results
        for name in ("closing_qty", "unit_cost", "closing_value", "net_value"):
            assert list(december.lines[name]) == list(january.lines[name]), (method, name)
        assert list(december.lines["closing_qty"]) == [stock("A", CLOSING), stock("B", CLOSING)]
        assert december.own_totals["closing_value"] == january.own_totals["closing_value"]


def test_valuation_layers_stop_at_the_closing_date_whatever_the_count_date():
    moves = [move("2025-06-01", "10", unit_cost="3"), move("2026-01-02", "10", unit_cost="100")]
    found = row(run([line(1, book_qty="20")], [ticket(1, 1, "20")], moves, count_date=dt.date(2026, 1, 3),
                    method="wac"), location="L1")
    assert (found["closing_qty"], found["unit_cost"], found["closing_value"]) == (10, D("3.00"), D("30.00"))


# Count dates by zone, stock at its own date --------------------------------------------------------

def test_each_zone_is_cut_off_at_its_own_date():
    lines = [zone_line(1, "A", "A1"), zone_line(2, "B", "B1"), zone_line(3, "C", "C1")]
    moves = [move("2025-12-29", "2", location=loc, unit_cost="5") for loc in ("A1", "B1", "C1")]
    moves += [move("2026-01-02", "-1", location=loc, kind="issue") for loc in ("A1", "B1", "C1")]
    tickets = [ticket(1, 1, "10"), ticket(2, 2, "12"), ticket(3, 3, "11")]
    result = run(lines, tickets, moves, count_date=dt.date(2025, 12, 27),
                 count_dates={"B": dt.date(2025, 12, 30), "C": "2026-01-02"})
    a, b, c = (row(result, zone=z) for z in "ABC")
    # The stock file is at the campaign's count date (27 Dec): B's book adds 29 Dec, C's adds both.
    assert [r["book_qty"] for r in (a, b, c)] == [10, 12, 11]
    assert [r["rollforward_qty"] for r in (a, b, c)] == [2, 0, 1]
    assert [r["closing_qty"] for r in (a, b, c)] == [12, 12, 12]
    assert [r["cutoff"] for r in (a, b, c)] == ["forward", "forward", "back"]
    assert [r["count_date"] for r in (a, b, c)] == [dt.date(2025, 12, 27), dt.date(2025, 12, 30),
                                                    dt.date(2026, 1, 2)]
    assert all(r["status"] == "agreed" for r in (a, b, c))


def test_a_site_date_applies_to_its_zones_unless_the_zone_has_its_own():
    settings = ReconcileSettings("book", dt.date(2025, 12, 27), CLOSING, count_dates={"LYON": "2025-12-29",
                                                                                     "Z9": "2025-12-30"})
    assert settings.date_of("Z1", "LYON") == dt.date(2025, 12, 29)
    assert settings.date_of("Z9", "LYON") == dt.date(2025, 12, 30)
    assert settings.date_of("Z1", "PARIS") == dt.date(2025, 12, 27)


def test_the_stock_file_may_be_at_a_later_date_than_the_count():
    moves = [move("2025-12-28", "3", unit_cost="5"), move("2025-12-30", "-2", kind="issue")]
    # The file says 11 on 30 Dec; counted on 27 Dec, the book then was 11 − 3 + 2 = 10.
    found = row(run([line(1, book_qty="11")], [ticket(1, 1, "10")], moves, count_date=dt.date(2025, 12, 27),
                    stock_date=dt.date(2025, 12, 30)), location="L1")
    assert (found["book_qty"], found["diff_qty"], found["status"]) == (10, 0, "agreed")
    assert found["closing_qty"] == 11


# Movements outside the window ------------------------------------------------------------------------

def test_movements_outside_the_window_move_no_figure_and_are_counted():
    inside = [move("2025-12-29", "4", unit_cost="5")]
    outside = [move("2024-06-01", "50", unit_cost="1"), move("2026-02-01", "-9", kind="issue"),
               move("2026-01-05", "7", unit_cost="99")]
    opening = [move("2024-12-31", "10", unit_cost="5", kind="opening")]
    base = run([line(1)], [ticket(1, 1, "10")], inside + opening, count_date=dt.date(2025, 12, 27),
               method="fifo", year_start=YEAR_START)
    more = run([line(1)], [ticket(1, 1, "10")], inside + opening + outside, count_date=dt.date(2025, 12, 27),
               method="fifo", year_start=YEAR_START)
    for name in ("book_qty", "rollforward_qty", "closing_qty", "unit_cost", "closing_value", "last_movement_date"):
        assert list(base.lines[name]) == list(more.lines[name]), name
    assert (base.outside_window, more.outside_window) == (0, 3)
    assert "outside_window" in [w.key for w in more.warnings]


def test_a_movement_up_to_the_latest_zone_date_is_inside_the_window():
    moves = [move("2026-01-05", "-2", location="C1", kind="issue")]
    result = run([zone_line(1, "C", "C1")], [ticket(1, 1, "8")], moves, count_date=dt.date(2025, 12, 27),
                 count_dates={"C": "2026-01-05"}, year_start=YEAR_START)
    assert result.outside_window == 0
    assert row(result, zone="C")["closing_qty"] == 10


# Cut-off evidence ------------------------------------------------------------------------------------

def test_cutoff_evidence_names_the_documents_around_each_zone_date():
    lines = [zone_line(1, "A", "A1"), zone_line(2, "B", "B1")]
    moves = [doc(move("2025-12-20", "1", location="A1", unit_cost="1"), "RA0"),
             doc(move("2025-12-26", "1", location="A1", unit_cost="1"), "RA1"),
             doc(move("2025-12-27", "-1", location="A1", kind="issue"), "IA1"),
             doc(move("2025-12-28", "1", location="A1", unit_cost="1"), "RA2"),
             doc(move("2025-12-29", "-1", location="A1", kind="issue"), "IA2"),
             doc(move("2025-12-30", "-1", location="A1", kind="issue"), "IA3"),
             doc(move("2026-01-02", "1", location="B1", unit_cost="1"), "RB1"),
             doc(move("2026-01-03", "1", location="B1", unit_cost="1"), "RB2")]
    result = run(lines, [ticket(1, 1, "10"), ticket(2, 2, "10")], moves, count_date=dt.date(2025, 12, 27),
                 count_dates={"B": "2026-01-02"})
    evidence = result.cutoff.set_index("zone")
    assert list(result.cutoff.columns) == list(EVIDENCE_COLUMNS)
    a, b = evidence.loc["A"], evidence.loc["B"]
    assert (a["last_receipt_before"], a["last_issue_before"], a["first_receipt_after"], a["first_issue_after"]) == (
        "RA1", "IA1", "RA2", "IA2")
    assert a["direction"] == "forward" and b["direction"] == "back"
    assert (b["last_receipt_before"], b["first_receipt_after"], b["last_issue_before"]) == ("RB1", "RB2", "")
    assert b["count_date"] == dt.date(2026, 1, 2)


# Properties --------------------------------------------------------------------------------------------

DAYS = st.integers(min_value=-20, max_value=20)
QTYS = st.decimals(min_value=-50, max_value=50, places=2, allow_nan=False, allow_infinity=False)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves=st.lists(st.tuples(DAYS, QTYS), max_size=12), count=DAYS, closing=DAYS,
       counted=st.decimals(min_value=0, max_value=500, places=3))
def test_rolling_forward_then_back_returns_the_count(moves, count, closing, counted):
    base = dt.date(2025, 12, 31)
    count_date, closing_date = base + dt.timedelta(count), base + dt.timedelta(closing)
    movements = [move(base + dt.timedelta(d), q, kind="adjustment") for d, q in moves if q]
    there = row(run([line(1, book_qty=counted)], [ticket(1, 1, counted)], movements, count_date=count_date,
                    closing_date=closing_date), location="L1")["closing_qty"]
    # The closing quantity, counted on the closing date and carried to the count date, is the count.
    back = row(run([line(1, book_qty=max(there, 0))], [ticket(1, 1, max(there, 0))], movements,
                   count_date=closing_date, closing_date=count_date), location="L1")["closing_qty"]
    if there >= 0:
        assert back == counted
    expected = counted + sum((q for d, q in moves if count < d <= closing), Decimal(0)) \
        - sum((q for d, q in moves if closing < d <= count), Decimal(0))
    assert there == expected


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves=st.lists(st.tuples(DAYS, QTYS), max_size=12), first=DAYS, second=DAYS, closing=DAYS,
       start=st.decimals(min_value=0, max_value=500, places=2))
def test_any_two_count_dates_reach_the_same_closing_quantity(moves, first, second, closing, start):
    """The physical stock at a date is start + the movements up to it; counting it on either
    date, with the stock file at either date, gives the same closing quantity."""
    base = dt.date(2025, 12, 31)

    def stock(offset):
        return start + sum((q for d, q in moves if d <= offset), Decimal(0))
    movements = [move(base + dt.timedelta(d), q, kind="adjustment") for d, q in moves if q]
    closings = set()
    for count, stock_at in ((first, second), (second, first)):
        book, counted = stock(stock_at), stock(count)
        if book < 0 or counted < 0:
            return
        found = row(run([line(1, book_qty=book)], [ticket(1, 1, counted)], movements,
                        count_date=base + dt.timedelta(count), closing_date=base + dt.timedelta(closing),
                        stock_date=base + dt.timedelta(stock_at)), location="L1")
        assert found["diff_qty"] == 0
        closings.add(found["closing_qty"])
    assert closings == {stock(closing)}


# Settings: [count_dates] -----------------------------------------------------------------------------------

def test_count_dates_settings_merge_print_and_read_back():
    from countapp import campaign_settings as cs

    columns, settings = cs.merge({}, cs.defaults(), {"count_dates": {"C": dt.date(2025, 12, 29), "LYON": "2026-01-03"}})
    assert settings["count_dates"] == {"C": "2025-12-29", "LYON": "2026-01-03"}
    text = cs.to_toml({"valuation": "wac", "language": "fr"}, settings)
    assert "[count_dates]" in text and "C = 2025-12-29" in text
    _, again = cs.merge({}, cs.defaults(), cs.parse_toml(text))
    assert cs.count_dates(again) == {"C": dt.date(2025, 12, 29), "LYON": dt.date(2026, 1, 3)}
    _, fewer = cs.merge({}, settings, {"count_dates": {"LYON": ""}})       # an empty value removes the place
    assert fewer["count_dates"] == {"C": "2025-12-29"}
    _, replaced = cs.merge({}, settings, {"count_dates": {"D": "2025-12-30"}}, replace_count_dates=True)
    assert replaced["count_dates"] == {"D": "2025-12-30"}


def test_a_count_date_that_is_not_a_date_is_refused_with_its_key():
    import pytest

    from countapp import campaign_settings as cs
    from tickets.errors import CountappError

    with pytest.raises(CountappError) as error:
        cs.merge({}, cs.defaults(), {"count_dates": {"C": "29/12/2025"}})
    assert error.value.field == "count_dates" and "count_dates.C" in error.value.render()
