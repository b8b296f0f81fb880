"""The plan of a year's cycle counts (issue 21): working days, even spacing, aisles together, re-plan."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from cycles import planning
from cycles.adjustments import AdjustmentLine, entries, merged
from cycles.coverage import LineFacts, coverage
from decimal import Decimal as D


def test_working_days_skip_weekends_and_holidays():
    days = planning.working_days(dt.date(2026, 5, 1), dt.date(2026, 5, 10), holidays=[dt.date(2026, 5, 8)])
    assert days == [dt.date(2026, 5, d) for d in (1, 4, 5, 6, 7)]


def _lines(n, frequency, per_place=5, start=0):
    return [planning.PlanLine(start + i, ("S", "Z", f"L{(start + i) // per_place:04d}"), start + i, frequency)
            for i in range(n)]


def test_every_line_gets_its_frequency_of_counts_evenly_spaced():
    plan = planning.plan(_lines(40, 4), 240)
    by_line = {}
    for line_id, _, day in plan.entries:
        by_line.setdefault(line_id, []).append(day)
    assert all(len(days) == 4 for days in by_line.values())
    for days in by_line.values():
        gaps = {b - a for a, b in zip(days, days[1:])}
        assert gaps <= {59, 60, 61}


def test_the_load_is_even_over_the_days():
    lines = _lines(600, 4) + _lines(1200, 2, start=600) + _lines(2400, 1, start=1800)
    plan = planning.plan(lines, 240)
    assert plan.needed_per_day == 30
    assert max(plan.loads) - min(plan.loads) <= 6


def test_a_location_is_counted_the_same_day():
    plan = planning.plan(_lines(100, 1, per_place=5), 250)
    places = {}
    for line_id, _, day in plan.entries:
        places.setdefault(line_id // 5, set()).add(day)
    assert all(len(days) == 1 for days in places.values())


def test_the_day_lists_its_lines_in_walking_order():
    plan = planning.plan(_lines(50, 1, per_place=50), 10)
    assert [line_id for line_id, _, _ in plan.entries] == list(range(50))


def test_capacity_passes_the_rest_of_a_day_to_the_next():
    plan = planning.plan(_lines(100, 1, per_place=50), 10, capacity=20)
    assert max(plan.loads) == 20 and plan.overloaded(20) == 0
    assert sum(plan.loads) == 100


def test_replan_fills_the_days_from_today_within_capacity():
    moved = planning.replan([(1, 3), (2, 1), (3, 2)], 3, [1, 0, 0], capacity=2)
    assert moved == {2: 0, 3: 1, 1: 1}


def test_replan_without_room_puts_the_rest_on_the_last_day():
    moved = planning.replan([(1, 1), (2, 2)], 2, [5, 5], capacity=2)
    assert moved == {1: 1, 2: 1}


def test_coverage_per_class_and_place_and_items_counted():
    facts = [LineFacts("a", "A", "S", "Z1", counted=2, within=1, difference_cents=500, net_cents=-500),
             LineFacts("a", "A", "S", "Z2", counted=0, overdue=1),
             LineFacts("c", "C", "S", "Z1", counted=1, within=1)]
    figures = coverage(facts)
    assert figures.total.lines == 3 and figures.total.counted_once == 2
    assert figures.items_counted == 1 and figures.items_total == 2
    assert (figures.total.items, figures.by_class[0].items, figures.rows[0].items) == (2, 1, 1)
    assert figures.by_class[0].accuracy_pct == D("50.0")
    assert figures.total.coverage_pct == D("66.7")
    assert [(r.abc_class, r.zone) for r in figures.rows] == [("A", "Z1"), ("A", "Z2"), ("C", "Z1")]


def _adj(ref, day, diff, value, cause="breakage"):
    return AdjustmentLine(ref, "", "S", "Z", "L1", "", "pc", "raw_materials", day, D(10), D(10) + diff, diff, D(1),
                          value, cause)


def test_adjustments_merge_per_item_place_and_lot():
    lines = merged([_adj("X", dt.date(2026, 1, 5), D(-1), -100), _adj("X", dt.date(2026, 6, 5), D(-2), -200,
                                                                       "shrinkage")])
    assert len(lines) == 1 and lines[0].difference == D(-3) and lines[0].value_cents == -300
    assert lines[0].cause == "breakage+shrinkage"


def test_entries_balance_and_book_a_loss_on_the_variation_account():
    rows = entries({"raw_materials": -1050, "goods_for_resale": 200}, dt.date(2026, 6, 30))
    assert sum(r["debit"] or 0 for r in rows) == sum(r["credit"] or 0 for r in rows) == D("12.50")
    loss = [r for r in rows if r["entry"] == 1]
    assert (loss[0]["account"], loss[0]["debit"]) == ("6031", D("10.50")) and loss[1]["account"] == "31"
    gain = [r for r in rows if r["entry"] == 2]
    assert gain[0]["account"] == "37" and gain[1]["account"] == "6037"


def test_entry_labels_name_the_category_in_the_language():
    [debit, _] = entries({"raw_materials": -100}, dt.date(2026, 6, 30), "fr")
    assert debit["label"] == "Ajustements d’inventaire tournant – matières premières et fournitures"
