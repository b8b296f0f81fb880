"""Checking import files into typed rows, every error at once (countapp/filecheck.py)."""
from __future__ import annotations

import datetime as dt
import re
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from countapp.filecheck import (CATEGORY_ACCOUNTS, FileError, ImportRefused, StockRow, category_of, check_counts,
                                check_file, check_movements, check_opening, check_stock)
from countapp.tabular import read_table

ROOT = Path(__file__).parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ERRORS = FIXTURES / "errors"
YEAR = {"fiscal_year_start": dt.date(2025, 1, 1), "fiscal_year_end": dt.date(2025, 12, 31)}
STOCK_HEADER = "reference;designation;unit;category;location;book_qty;unit_cost"


def stock(text: str, **options):
    return check_stock(read_table(text.encode(), "stock.csv"), filename="stock.csv", **options)


def where(result) -> list[tuple[int | None, str | None]]:
    return [(e.line, e.column) for e in result.errors]


def errors_of(kind: str, name: str, **options):
    return check_file(kind, ERRORS / name, **options)


# --------------------------------------------------------------------------- the category table

def test_category_accounts_follow_the_french_chart():
    assert CATEGORY_ACCOUNTS == {
        "raw_materials": ("31", "6031", "391"), "other_supplies": ("32", "6032", "392"),
        "wip_goods": ("33", "7133", "393"), "wip_services": ("34", "7134", "394"),
        "products": ("35", "7135", "395"), "goods_for_resale": ("37", "6037", "397"),
    }


@pytest.mark.parametrize("text, category", [
    ("raw_materials", "raw_materials"), ("Raw Materials", "raw_materials"), ("31", "raw_materials"),
    ("3110000", "raw_materials"), ("37", "goods_for_resale"), ("wip-services", "wip_services"),
    ("36", None), ("39", None), ("3", None), ("supplies", None), ("", None),
])
def test_category_is_read_by_name_or_stock_account(text, category):
    assert category_of(text) == category


# --------------------------------------------------------------------------- stock: good files

def test_french_erp_stock_export_gives_typed_book_lines():
    result = check_file("stock", FIXTURES / "stock_fr.csv")
    assert result.ok and result.errors == []
    assert (result.lines, result.items, result.locations) == (6, 4, 4)
    first = result.rows[0]
    assert first == StockRow("MP-001", "Pièce détachée", "pc", "raw_materials", "A-01-02-03", Decimal("1234"),
                             Decimal("12.50"), "", "LYO-A", "LYON", "own", dt.date(2025, 11, 15), None, "", 2)
    by_line = {row.line: row for row in result.rows}
    assert by_line[3].last_movement_date == dt.date(2025, 12, 31)
    assert (by_line[4].book_qty, by_line[4].unit_cost, by_line[4].market_price) == (
        Decimal("1250.750"), Decimal("3.125"), Decimal("2.9"))
    assert by_line[4].lot == "L2025-01" and by_line[4].category == "goods_for_resale"
    assert by_line[6].unit_cost == Decimal("1234.56") and by_line[6].owner == "at_third_party"
    assert by_line[7].book_qty == Decimal("10000") and by_line[7].owner == "third_party"


def test_english_stock_export_reads_comma_thousands():
    result = check_file("stock", FIXTURES / "stock_en.csv")
    assert result.ok
    assert [row.book_qty for row in result.rows] == [Decimal("1234.5"), Decimal("1234"), Decimal(40), Decimal(3)]
    assert result.rows[3].category == "products"
    assert result.rows[2].designation == "Café 1 kg"


def test_xlsx_stock_export_is_checked_like_a_csv(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Reference", "Designation", "Unit", "Category", "Location", "Book Qty", "Unit Cost",
                  "Last Movement Date"])
    sheet.append(["A-1", "Pièce", "kg", 31, "A-01-01-01", 12.5, 0.1 + 0.2, dt.datetime(2025, 6, 30)])
    sheet.append([1001, "Écrou", "pc", "goods_for_resale", "A-01-01-02", 3, 2, None])
    path = tmp_path / "stock.xlsx"
    workbook.save(path)
    result = check_file("stock", path)
    assert result.ok, [e.render() for e in result.errors]
    assert [(r.reference, r.category, r.book_qty, r.unit_cost) for r in result.rows] == [
        ("A-1", "raw_materials", Decimal("12.5"), Decimal("0.3")), ("1001", "goods_for_resale", Decimal(3), Decimal(2))]
    assert result.rows[0].last_movement_date == dt.date(2025, 6, 30)


def test_plain_dicts_are_checked_too():
    rows = [{"Reference": "A", "designation": "Alpha", "unit": "pc", "category": "31", "location": "L1",
             "book_qty": Decimal("1.5"), "unit_cost": 2}]
    result = check_stock(rows, filename="api")
    assert result.ok and result.rows[0].book_qty == Decimal("1.5") and result.rows[0].line == 2
    assert where(check_stock([{"reference": "A"}], filename="api"))[0] == (1, "designation")


# --------------------------------------------------------------------------- stock: one file per error

@pytest.mark.parametrize("name, expected", [
    ("stock_missing_column.csv", [(1, "unit_cost")]),
    ("stock_empty_field.csv", [(2, "designation")]),
    ("stock_bad_number.csv", [(2, "book_qty"), (3, "unit_cost")]),
    ("stock_negative.csv", [(2, "book_qty"), (3, "unit_cost")]),
    ("stock_too_many_decimals.csv", [(2, "book_qty"), (3, "unit_cost")]),
    ("stock_unknown_category.csv", [(2, "category"), (3, "category")]),
    ("stock_unknown_owner.csv", [(2, "owner")]),
    ("stock_duplicate_line.csv", [(4, "reference")]),
    ("stock_item_disagrees.csv", [(3, "designation"), (3, "unit"), (3, "category")]),
    ("stock_bad_date.csv", [(2, "last_movement_date"), (3, "last_movement_date")]),
])
def test_each_stock_error_is_found_with_its_line_and_column(name, expected):
    result = errors_of("stock", name)
    assert where(result) == expected
    assert not result.ok and result.rows == []
    assert all(e.file == name for e in result.errors)


def test_a_duplicate_book_line_names_the_first_line():
    error = errors_of("stock", "stock_duplicate_line.csv").errors[0]
    assert error.params["first_line"] == 2
    assert error.render() == ("stock_duplicate_line.csv, line 4, reference: Item A at L1 already has a book line "
                              "on line 2: add the two lines up, or tell them apart by lot.")


def test_a_duplicate_is_per_reference_location_and_lot():
    text = STOCK_HEADER + ";lot\nA;Alpha;pc;31;L1;1;2;L01\nA;Alpha;pc;31;L1;1;2;L02\nA;Alpha;pc;31;L1;1;2;L01\n"
    result = stock(text)
    assert where(result) == [(4, "reference")]
    assert "lot L01" in result.errors[0].render()


def test_an_item_disagreeing_across_lines_names_both_lines():
    error = errors_of("stock", "stock_item_disagrees.csv").errors[0]
    assert error.line == 3 and error.params["first_line"] == 2
    assert error.text() == "Item A has designation 'Alpha bis' here but 'Alpha' on line 2."


def test_a_location_in_two_zones_is_an_error():
    text = STOCK_HEADER + ";zone\nA;Alpha;pc;31;L1;1;2;Z1\nB;Beta;pc;31;L1;1;2;Z2\n"
    assert where(stock(text)) == [(3, "zone")]


def test_every_error_is_collected_not_just_the_first():
    text = STOCK_HEADER + ";owner\n" + "".join(f"A{i};;pc;99;L1;x;-1;who\n" for i in range(50))
    result = stock(text)
    assert result.error_count == 250  # designation, category, book_qty, unit_cost, owner on each line
    assert {e.column for e in result.errors} == {"designation", "category", "book_qty", "unit_cost", "owner"}


def test_max_errors_keeps_a_few_but_counts_all():
    text = STOCK_HEADER + "\n" + "".join(f"A{i};Alpha;pc;31;L1;x;1\n" for i in range(30))
    result = stock(text, max_errors=5)
    assert (len(result.errors), result.error_count) == (5, 30)


def test_rows_are_dropped_once_an_error_is_found():
    text = STOCK_HEADER + "\nA;Alpha;pc;31;L1;1;2\nB;Beta;pc;31;L1;1;2\nC;Gamma;pc;31;L1;bad;2\nD;Delta;pc;31;L1;1;2\n"
    result = stock(text)
    assert result.rows == [] and result.lines == 4 and result.error_count == 1


def test_checking_without_keeping_rows_still_finds_every_error():
    text = STOCK_HEADER + "\nA;Alpha;pc;31;L1;1;2\nA;Alpha;pc;31;L1;1;2\n"
    kept, checked = stock(text), stock(text, keep_rows=False)
    assert where(kept) == where(checked) == [(3, "reference")]
    assert stock(STOCK_HEADER + "\nA;Alpha;pc;31;L1;1;2\n", keep_rows=False).rows == []


def test_too_long_texts_and_huge_numbers_are_refused():
    text = STOCK_HEADER + f"\n{'R' * 121};Alpha;pc;31;L1;1;2\nB;Beta;pc;31;L1;1000000000000;2\n"
    assert where(stock(text)) == [(2, "reference"), (3, "book_qty")]


def test_trailing_zeros_beyond_the_precision_are_accepted():
    result = stock(STOCK_HEADER + "\nA;Alpha;pc;31;L1;12,000000;1,50000000\n")
    assert result.ok and result.rows[0].book_qty == Decimal("12") and result.rows[0].unit_cost == Decimal("1.5")


def test_errors_render_in_the_callers_language():
    error = FileError("stock.csv", 7, "book_qty", "'%(value)s' is not a number.", {"value": "x"})
    french = {"'%(value)s' is not a number.": "« %(value)s » n'est pas un nombre.",
              "%(file)s, line %(line)s, %(column)s: %(message)s": "%(file)s, ligne %(line)s, %(column)s : %(message)s"}
    assert error.render() == "stock.csv, line 7, book_qty: 'x' is not a number."
    assert error.render(lambda s: french.get(s, s)) == "stock.csv, ligne 7, book_qty : « x » n'est pas un nombre."


def test_a_file_with_errors_is_refused_whole():
    result = errors_of("stock", "stock_bad_number.csv")
    with pytest.raises(ImportRefused) as caught:
        result.raise_for_errors()
    assert caught.value.errors == result.errors
    assert "stock_bad_number.csv" in str(caught.value) and "line 2" in str(caught.value)
    check_file("stock", FIXTURES / "stock_fr.csv").raise_for_errors()  # a good file raises nothing


def test_an_unreadable_file_gives_one_error_naming_it():
    result = check_file("stock", b"", filename="empty.csv")
    assert (result.error_count, result.errors[0].line) == (1, None)
    assert result.errors[0].render() == "empty.csv: the file is empty."


# --------------------------------------------------------------------------- movements

KNOWN = {"MP-001", "MA-100"}


def test_movements_get_their_kind_from_the_sign_by_default():
    result = check_file("movements", FIXTURES / "movements_fr.csv", known_items=KNOWN, **YEAR)
    assert result.ok, [e.render() for e in result.errors]
    assert [(r.kind, r.quantity, r.unit_cost) for r in result.rows] == [
        ("opening", Decimal(1000), Decimal("11.80")), ("receipt", Decimal(500), Decimal("12.90")),
        ("issue", Decimal(-250), None), ("issue", Decimal("-10.5"), None), ("receipt", Decimal(4), Decimal("3.2"))]
    assert result.rows[0].date == dt.date(2024, 12, 31)  # an opening line may sit on last year's closing date
    assert result.rows[4].lot == "L2025-02" and result.rows[4].document == "BR-0051"


@pytest.mark.parametrize("name, expected", [
    ("movements_unknown_item.csv", [(2, "reference")]),
    ("movements_receipt_without_cost.csv", [(2, "unit_cost"), (3, "unit_cost")]),
    ("movements_unknown_kind.csv", [(2, "kind")]),
    ("movements_bad_number.csv", [(2, "quantity"), (3, "unit_cost")]),
])
def test_each_movement_error_is_found(name, expected):
    assert where(errors_of("movements", name, known_items={"MP-001"}, **YEAR)) == expected


def test_movement_dates_are_inclusive_of_the_fiscal_year_bounds():
    text = "date;reference;location;quantity\n2025-01-01;A;L;-1\n2025-12-31;A;L;-1\n2026-01-01;A;L;-1\n"
    result = check_movements(read_table(text.encode(), "m.csv"), filename="m.csv", known_items={"A"}, **YEAR)
    assert result.ok and result.outside_window == 1


def test_movements_outside_the_window_are_kept_and_counted_not_refused():
    # Issue 18: an ERP export runs to the day it was made; only a malformed date is an error.
    result = check_file("movements", FIXTURES / "errors" / "movements_outside_year.csv", known_items={"MP-001"},
                        **YEAR)
    assert result.ok, [e.render() for e in result.errors]
    assert (len(result.rows), result.outside_window) == (2, 2)
    text = "date;reference;location;quantity\n2024-12-31;A;L;-5\n2025-13-45;A;L;-1\n"
    bad = check_movements(read_table(text.encode(), "m.csv"), filename="m.csv", known_items={"A"}, **YEAR)
    assert where(bad) == [(3, "date")]


def test_movement_sign_must_match_its_kind():
    text = ("date;reference;location;quantity;unit_cost;kind\n2025-02-01;A;L;-5;1;receipt\n"
            "2025-02-01;A;L;5;;issue\n2025-02-01;A;L;5;;transfer\n2025-02-01;A;L;-5;;adjustment\n")
    result = check_movements(read_table(text.encode(), "m.csv"), filename="m.csv", known_items=None, **YEAR)
    assert where(result) == [(2, "quantity"), (3, "quantity")]


def test_unknown_locations_are_errors_only_when_the_app_gives_them():
    text = "date;reference;location;quantity\n2025-02-01;A;Z-99;-1\n2025-02-01;A;;-1\n"
    table = read_table(text.encode(), "m.csv")
    assert check_movements(table, filename="m.csv", known_items={"A"}, **YEAR).ok
    result = check_movements(table, filename="m.csv", known_items={"A"}, known_locations={"L1"}, **YEAR)
    assert where(result) == [(2, "location")]


# --------------------------------------------------------------------------- opening

def test_opening_values_by_category():
    result = check_file("opening", FIXTURES / "opening.csv")
    assert result.ok
    assert [(r.category, r.opening_value, r.opening_depreciation, r.purchases) for r in result.rows] == [
        ("raw_materials", Decimal(15000), Decimal(500), Decimal(30000)),
        ("goods_for_resale", Decimal("100000.00"), Decimal(0), Decimal(90000))]


def test_opening_duplicate_category_is_an_error():
    result = errors_of("opening", "opening_duplicate_category.csv")
    assert where(result) == [(3, "category")] and result.errors[0].params["first_line"] == 2


def test_opening_amounts_are_to_the_cent_and_depreciation_within_value():
    text = "category;opening_value;opening_depreciation\n31;100,005;0\n32;100;150\n"
    result = check_opening(read_table(text.encode(), "o.csv"), filename="o.csv")
    assert where(result) == [(2, "opening_value"), (3, "opening_depreciation")]


# --------------------------------------------------------------------------- counts

def test_counts_are_read_with_their_defaults():
    result = check_file("counts", FIXTURES / "counts.csv")
    assert result.ok
    first, _, third, blank = result.rows
    assert (first.ticket, first.round, first.quantity, first.state, first.team) == (
        "000001/2025", 1, Decimal(1234), "good", 1)
    assert first.counted_at == dt.datetime(2025, 12, 31, 9, 15) and first.method == "counted"
    assert (third.ticket, third.quantity, third.state) == ("2", Decimal("0.5"), "damaged")
    assert (blank.reference, blank.location, blank.counted_by, blank.counted_at) == ("MP-001", "Z-99", "Chloé", None)


def test_count_shape_errors():
    result = errors_of("counts", "counts_bad_shape.csv")
    assert where(result) == [(2, "ticket"), (3, "round"), (4, "quantity"), (5, "quantity"), (6, "quantity"),
                             (7, "state")]


def test_the_same_ticket_and_round_twice_in_one_file_is_an_error():
    result = errors_of("counts", "counts_duplicate.csv")
    assert where(result) == [(3, "ticket")] and result.errors[0].params["first_line"] == 2


def test_round_is_required_and_team_a_number():
    text = "ticket;round;quantity;team\n1;;2;\n2;1;2;B\n"
    assert where(check_counts(read_table(text.encode(), "c.csv"), filename="c.csv")) == [(2, "round"), (3, "team")]


# --------------------------------------------------------------------------- the benchmark's generator

def test_generated_stock_file_is_valid_and_realistic(tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_stock import generate_stock_csv
    finally:
        sys.path.remove(str(ROOT / "bench"))
    for style in ("en", "fr"):
        path = generate_stock_csv(tmp_path / f"stock_{style}.csv", 4000, seed=3, style=style)
        result = check_file("stock", path)
        assert result.ok, [e.render() for e in result.errors[:3]]
        assert result.lines == 4000
        owners = [row.owner for row in result.rows]
        assert 0 < owners.count("third_party") + owners.count("at_third_party") < 200
        assert len({row.site for row in result.rows}) == 3
        assert all(re.fullmatch(r"[A-Z]-\d\d-\d\d-\d\d", row.location) for row in result.rows)
        assert any(row.lot for row in result.rows)
        assert any(row.unit_cost != row.unit_cost.to_integral() for row in result.rows)
