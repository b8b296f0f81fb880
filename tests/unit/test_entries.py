"""Closing entries: stock variation and depreciation per category, journal INV, each entry balanced."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from reports.entries import ENTRY_COLUMNS, build_entries
from reports.model import DepreciationRates
from tests.unit.conftest_reports import D, line, run, ticket

CLOSING = dt.date(2025, 12, 31)


def closing(**values) -> pd.DataFrame:
    return pd.DataFrame([{"category": c, "closing_value": D(v[0]), "depreciation": D(v[1])}
                         for c, v in values.items()])


def lines_of(entries: pd.DataFrame) -> list[tuple]:
    return [(r.entry, r.account, r.debit, r.credit) for r in entries.itertuples()]


def test_worked_example_stock_down_and_stock_up():
    # Seed 004: raw materials 15,000 → 2,000; goods for resale 100,000 → 105,000.
    opening = pd.DataFrame({"category": ["raw_materials", "goods_for_resale"],
                            "opening_value": [D(15000), D(100000)], "purchases": [D(30000), D(90000)]})
    entries = build_entries(closing(raw_materials=(2000, 0), goods_for_resale=(105000, 0)), opening, CLOSING)
    assert lines_of(entries) == [
        (1, "6031", D("13000.00"), None), (1, "31", None, D("13000.00")),
        (2, "37", D("5000.00"), None), (2, "6037", None, D("5000.00")),
    ]
    assert list(entries.columns) == list(ENTRY_COLUMNS)
    assert set(entries["journal"]) == {"INV"} and set(entries["date"]) == {CLOSING}
    # net effect on the result: 13,000 more expense, 5,000 less: −8,000
    expense = entries[entries["account"].str.startswith("6")]
    assert expense["debit"].fillna(0).sum() - expense["credit"].fillna(0).sum() == Decimal("8000.00")


def test_depreciation_reverses_last_years_then_books_this_years():
    opening = pd.DataFrame({"category": ["products"], "opening_value": ["500"], "opening_depreciation": ["40"]})
    entries = build_entries(closing(products=(500, "12.5")), opening, CLOSING)
    assert lines_of(entries) == [
        (1, "395", D("40.00"), None), (1, "78173", None, D("40.00")),
        (2, "68173", D("12.50"), None), (2, "395", None, D("12.50")),
    ]


def test_every_entry_balances():
    opening = pd.DataFrame({"category": ["31", "32", "35"], "opening_value": ["10.10", "0", "7"],
                            "opening_depreciation": ["1", None, "0"]})
    entries = build_entries(closing(raw_materials=("3.33", "0.5"), other_supplies=("9.99", 0),
                                    wip_goods=("1", "1")), opening, CLOSING)
    for _, entry in entries.groupby("entry"):
        assert entry["debit"].fillna(0).sum() == entry["credit"].fillna(0).sum()
    assert set(entries["account"]) >= {"31", "6031", "32", "6032", "33", "7133", "35", "7135", "391", "393"}


def test_labels_exist_in_french_and_english():
    opening = pd.DataFrame({"category": ["goods_for_resale"], "opening_value": ["1"]})
    fr = build_entries(closing(goods_for_resale=(2, 0)), opening, CLOSING, language="fr")
    en = build_entries(closing(goods_for_resale=(2, 0)), opening, CLOSING, language="en")
    assert fr.loc[0, "label"] == "Variation des stocks de l’exercice – marchandises"
    assert en.loc[0, "label"] == "Stock variation for the year – goods for resale"


def test_no_change_gives_no_entry_and_rows_without_category_are_not_posted():
    entries = build_entries(closing(raw_materials=(5, 0)), pd.DataFrame({"category": ["31"], "opening_value": [5]}),
                            CLOSING)
    assert entries.empty
    with_blank = pd.concat([closing(raw_materials=(5, 0)),
                            pd.DataFrame({"category": [""], "closing_value": [D(9)], "depreciation": [D(0)]})])
    assert build_entries(with_blank, None, CLOSING)["account"].tolist() == ["31", "6031"]


def test_entries_follow_the_reconciliations_totals():
    rates = DepreciationRates(damaged=50)
    result = run([line(1, book_qty="10", unit_cost="5")], [ticket(1, 1, "10", state="damaged")], rates=rates)
    opening = pd.DataFrame({"category": ["raw_materials"], "opening_value": ["80"], "opening_depreciation": ["10"]})
    entries = build_entries(result.by_category, opening, CLOSING, language="en")
    assert lines_of(entries) == [
        (1, "6031", D("30.00"), None), (1, "31", None, D("30.00")),
        (2, "391", D("10.00"), None), (2, "78173", None, D("10.00")),
        (3, "68173", D("25.00"), None), (3, "391", None, D("25.00")),
    ]


def test_unknown_language_is_refused():
    from tickets.errors import CountappError
    with pytest.raises(CountappError):
        build_entries(closing(raw_materials=(1, 0)), None, CLOSING, language="de")
