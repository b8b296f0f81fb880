"""Cycle counting rules (issue 21): classes, book at the moment of counting, rounds, money, settings."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from cycles import abc, book, rounds
from cycles.money import cents, text
from cycles.settings import ProgrammeSettings
from tickets.errors import CountappError
from tickets.tolerance import Tolerance


def test_classes_follow_the_cumulative_share_of_consumption_value():
    values = {"big": 8000, "mid1": 1000, "mid2": 500, "small1": 300, "small2": 200}
    assert abc.classify(values, D(80), D(15)) == {"big": "A", "mid1": "B", "mid2": "B", "small1": "C", "small2": "C"}


def test_an_item_alone_above_the_a_share_is_a_and_items_of_no_value_are_c():
    assert abc.classify({"one": 100, "none": 0}, D(80), D(15)) == {"one": "A", "none": "C"}
    assert abc.classify({}, D(80), D(15)) == {}
    assert abc.classify({"x": 0, "y": 0}, D(80), D(15)) == {"x": "C", "y": "C"}


def test_year_end_takes_the_chosen_classes_and_the_items_worth_the_threshold():
    classes = {"a": "A", "b": "B", "c": "C"}
    assert abc.year_end_items(classes, {"a": 10, "b": 50, "c": 500}, ["A"], 0) == {"a"}
    assert abc.year_end_items(classes, {"a": 10, "b": 50, "c": 500}, ["A"], 400) == {"a", "c"}


def test_book_at_counting_adds_movements_to_the_cut_off_of_the_day():
    moves = [(dt.date(2026, 3, 1), D(5)), (dt.date(2026, 3, 10), D(-2)), (dt.date(2026, 4, 1), D(7))]
    stock_date = dt.date(2026, 2, 1)
    assert book.book_at(D(10), stock_date, moves, dt.date(2026, 2, 15)) == D(10)
    assert book.book_at(D(10), stock_date, moves, dt.date(2026, 3, 10)) == D(13)   # that day's movement is in
    assert book.book_at(D(10), stock_date, moves, dt.date(2026, 12, 31)) == D(20)


def test_book_before_the_stock_date_takes_back_the_movements_between():
    moves = [(dt.date(2026, 3, 1), D(5)), (dt.date(2026, 3, 10), D(-2))]
    assert book.book_at(D(10), dt.date(2026, 3, 31), moves, dt.date(2026, 3, 5)) == D(12)


def test_round_one_within_tolerance_is_final():
    step = rounds.after_round(1, {1: D(99)}, D(100), D(1), Tolerance(), Tolerance(pct=D(2)))
    assert step.done and step.final_qty == D(99)


def test_round_one_out_of_tolerance_asks_another_person_for_round_two():
    step = rounds.after_round(1, {1: D(90)}, D(100), D(1), Tolerance(), Tolerance(pct=D(2)))
    assert step.next_round == 2 and step.final_qty is None


def test_round_two_agreeing_with_round_one_confirms_a_difference_without_a_third_count():
    step = rounds.after_round(2, {1: D(90), 2: D(90)}, D(100), D(1), Tolerance(), Tolerance(pct=D(2)))
    assert step.done and step.final_qty == D(90)


def test_round_two_disagreeing_needs_a_third_count_which_is_final():
    assert rounds.after_round(2, {1: D(90), 2: D(95)}, D(100), D(1), Tolerance(), Tolerance()).next_round == 3
    assert rounds.after_round(3, {1: D(90), 2: D(95), 3: D(94)}, D(100), D(1), Tolerance(), Tolerance()).final_qty == D(94)


def test_no_tolerance_set_means_any_difference_is_significant():
    assert not rounds.within(D(99), D(100), D(1), Tolerance())
    assert rounds.within(D(100), D(100), D(1), Tolerance())


def test_money_is_cents_rounded_half_up_once_per_line():
    assert cents(D("3"), D("0.125")) == 38
    assert cents(D("-3"), D("0.125")) == -38
    assert text(-1234) == "-12.34" and text(5) == "0.05"


def test_settings_default_to_80_15_5_and_4_2_1():
    s = ProgrammeSettings()
    assert (s.class_a, s.class_b) == (D(80), D(15))
    assert dict(s.frequency) == {"A": 4, "B": 2, "C": 1}
    assert ProgrammeSettings.from_dict(s.to_dict()) == s


def test_settings_refuse_unknown_keys_and_bad_values():
    with pytest.raises(CountappError, match="Unknown setting"):
        ProgrammeSettings.from_dict({"colour": 1})
    with pytest.raises(CountappError, match="frequency.A"):
        ProgrammeSettings.from_dict({"frequency": {"A": 0}})
    with pytest.raises(CountappError, match="100 percent"):
        ProgrammeSettings.from_dict({"abc": {"a": 90, "b": 20}})
    with pytest.raises(CountappError, match="holidays"):
        ProgrammeSettings.from_dict({"holidays": ["31/12"]})


def test_settings_take_the_campaign_tolerance_table():
    s = ProgrammeSettings.from_dict({"tolerance": {"vs_book": {"pct": 5}}})
    assert s.tolerance.vs_book.pct == D(5)
