"""Reading ERP exports: delimiters, encodings, XLSX, numbers and dates (countapp/tabular.py)."""
from __future__ import annotations

import datetime as dt
import io
import tracemalloc
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from countapp.tabular import (TableError, cell_text, normalize_header, parse_date, parse_datetime, parse_decimal,
                              read_table)

FIXTURES = Path(__file__).parent.parent / "fixtures"


# --------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("text, expected", [
    ("1234.5", "1234.5"),
    ("1234,5", "1234.5"),
    ("-12", "-12"),
    ("+12", "12"),
    ("12-", "-12"),                   # SAP's trailing minus
    ("0", "0"),
    ("-0", "0"),
    (".5", "0.5"),
    ("007", "7"),
    ("1 234,56", "1234.56"),
    ("1\u00a0234,56", "1234.56"),     # no-break space
    ("1\u202f234,56", "1234.56"),     # narrow no-break space (French typography)
    ("1 234 567", "1234567"),
    ("1'234.50", "1234.50"),          # Swiss
    ("1.234,56", "1234.56"),
    ("1,234.56", "1234.56"),
    ("1.234.567", "1234567"),
    ("1,234,567", "1234567"),
    ("1.234.567,5", "1234567.5"),
    ("  42  ", "42"),
    ("12.000000", "12.000000"),
])
def test_parse_decimal_accepts_the_usual_export_shapes(text, expected):
    assert parse_decimal(text) == Decimal(expected)


@pytest.mark.parametrize("text", [
    "12abc", "1,2,3", "(12)", "1e5", "NaN", "Infinity", "12 €", "€12", "1 23", "12 34,5", "1.234.5", "--1",
    "-", ".", "1.2.3", "1,23.45", "1 234.567,89", "1..2", "1,,2", "١٢", "1_000", "0x10", "12,5,",
])
def test_parse_decimal_refuses_anything_else(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_parse_decimal_gives_none_for_an_empty_cell():
    assert parse_decimal("") is None
    assert parse_decimal("   ") is None
    assert parse_decimal(None) is None


@pytest.mark.parametrize("decimal_comma", [True, None])
def test_single_comma_is_the_decimal_mark_in_semicolon_files_and_by_default(decimal_comma):
    assert parse_decimal("1,234", decimal_comma=decimal_comma) == Decimal("1.234")
    assert parse_decimal("12,5", decimal_comma=decimal_comma) == Decimal("12.5")


def test_single_comma_before_three_digits_groups_thousands_in_comma_files():
    assert parse_decimal("1,234", decimal_comma=False) == Decimal("1234")
    assert parse_decimal("-999,000", decimal_comma=False) == Decimal("-999000")
    # Not three digits after it, or more than three before it: it can only be a decimal mark.
    assert parse_decimal("12,5", decimal_comma=False) == Decimal("12.5")
    assert parse_decimal("1234,567", decimal_comma=False) == Decimal("1234.567")


def test_single_dot_is_always_the_decimal_mark():
    assert parse_decimal("1.234", decimal_comma=True) == Decimal("1.234")
    assert parse_decimal("1.234", decimal_comma=False) == Decimal("1.234")


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize("text", ["2025-12-31", "31/12/2025", "31.12.2025", "31-12-2025", "2025-12-31 00:00:00",
                                  "2025-12-31T00:00:00", "46022", " 2025-12-31 "])
def test_parse_date_accepts_iso_day_first_and_excel_dates(text):
    assert parse_date(text) == dt.date(2025, 12, 31)


def test_parse_date_reads_short_day_and_month():
    assert parse_date("1/2/2025") == dt.date(2025, 2, 1)


@pytest.mark.parametrize("text", ["31/02/2025", "2025-13-01", "12/31/25", "yesterday", "2025/12/31",
                                  "2025-12-31 14:30", "31122025"])
def test_parse_date_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_parse_date_gives_none_for_an_empty_cell():
    assert parse_date("") is None and parse_date(None) is None


def test_parse_datetime_accepts_iso_and_day_first_with_time():
    assert parse_datetime("2025-12-31T14:30:00") == dt.datetime(2025, 12, 31, 14, 30)
    assert parse_datetime("2025-12-31 14:30") == dt.datetime(2025, 12, 31, 14, 30)
    assert parse_datetime("31/12/2025 14:30") == dt.datetime(2025, 12, 31, 14, 30)
    assert parse_datetime("31/12/2025") == dt.datetime(2025, 12, 31)
    assert parse_datetime("2025-12-31T14:30:00+01:00").utcoffset() == dt.timedelta(hours=1)
    assert parse_datetime("") is None
    with pytest.raises(ValueError):
        parse_datetime("31/12/2025 25:00")


# --------------------------------------------------------------------------- CSV

def test_header_names_are_case_insensitive_and_trimmed():
    assert normalize_header("  Book Qty ") == "book_qty"
    assert normalize_header("UNIT-COST") == "unit_cost"
    assert normalize_header("last  movement date") == "last_movement_date"


def test_french_export_is_read_as_semicolon_windows_1252():
    table = read_table(FIXTURES / "stock_fr.csv")
    assert (table.kind, table.delimiter, table.encoding, table.decimal_comma) == ("csv", ";", "cp1252", True)
    assert table.filename == "stock_fr.csv"
    assert table.headers[:6] == ["reference", "designation", "unit", "category", "location", "zone"]
    rows = list(table)
    assert [line for line, _ in rows] == [2, 3, 4, 5, 6, 7]  # the blank last row is skipped
    line, first = rows[0]
    assert first["designation"] == "Pièce détachée"
    assert first["book_qty"] == "1\u00a0234"
    assert first["famille"] == "Mécanique"
    assert rows[5][1]["designation"] == "Carton d’emballage"


def test_english_export_with_bom_reads_its_first_column_name():
    table = read_table(FIXTURES / "stock_en.csv")
    assert (table.delimiter, table.encoding, table.decimal_comma) == (",", "utf-8-sig", False)
    assert table.headers[0] == "reference"
    rows = dict(table)
    assert rows[2]["book_qty"] == "1,234.5"
    assert rows[3]["comment"] == "note, with a comma"
    assert rows[4]["designation"] == "Café 1 kg"


def test_unknown_columns_are_left_out_when_columns_are_named():
    table = read_table(FIXTURES / "stock_fr.csv", columns=["Reference", "book qty"])
    assert list(table)[0] == (2, {"reference": "MP-001", "book_qty": "1\u00a0234"})


def test_a_missing_required_column_is_an_error_naming_it():
    with pytest.raises(TableError) as caught:
        read_table(b"reference;designation\nA;B\n", "x.csv", required=["reference", "unit_cost"])
    assert caught.value.field == "unit_cost"
    assert "x.csv" in str(caught.value) and "unit_cost" in str(caught.value)


def test_records_give_tuples_in_the_order_asked_with_blanks_for_absent_columns():
    table = read_table(b"b,a\n2,1\n4,3\n", "x.csv")
    assert list(table.records(["a", "zz", "b"])) == [(2, ("1", "", "2")), (3, ("3", "", "4"))]


def test_bytes_streams_and_tabs_are_read():
    data = "ref\tqty\nA\t1,5\n".encode()
    assert list(read_table(data, "x.tsv")) == [(2, {"ref": "A", "qty": "1,5"})]
    stream = io.BytesIO(b"ref,qty\nA,1\n")
    assert list(read_table(stream, "x.csv")) == [(2, {"ref": "A", "qty": "1"})]
    assert not stream.closed  # the caller's stream is the caller's to close


def test_cells_are_trimmed_and_short_rows_padded():
    rows = list(read_table(b"a;b;c\n x ;y\n", "x.csv"))
    assert rows == [(2, {"a": "x", "b": "y", "c": ""})]


def test_excel_separator_hint_line_is_honoured():
    table = read_table(b"sep=,\r\nref,qty;note\r\nA,1;x\r\n", "x.csv")
    assert table.delimiter == ","
    assert list(table) == [(3, {"ref": "A", "qty;note": "1;x"})]


def test_line_numbers_follow_the_file_through_quoted_line_breaks_and_blank_lines():
    data = b'\nref,note\nA,"two\nlines"\n\nB,x\n'
    assert [line for line, _ in read_table(data, "x.csv")] == [3, 6]


def test_a_late_windows_1252_byte_makes_the_whole_file_windows_1252():
    lines = ["ref;designation"] + [f"R{i};plain" for i in range(5000)] + ["Z;Pièce"]
    data = "\n".join(lines).encode("cp1252")
    table = read_table(data, "x.csv")
    assert table.encoding == "cp1252"
    assert list(table)[-1][1]["designation"] == "Pièce"


def test_utf8_without_bom_is_read_as_utf8():
    table = read_table("ref;designation\nA;Écrou\n".encode(), "x.csv")
    assert table.encoding == "utf-8-sig"
    assert list(table)[0][1]["designation"] == "Écrou"


def test_unreadable_files_raise_table_error():
    for data in (b"", b"\n\n", b"a,b\x81\xff\n"):  # empty; blank; neither UTF-8 nor Windows-1252
        with pytest.raises(TableError):
            read_table(data, "x.csv")
    with pytest.raises(TableError):
        read_table(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    with pytest.raises(TableError):
        read_table(b"ref;Ref\nA;B\n", "x.csv")  # the same column twice
    with pytest.raises(TableError):
        read_table(Path("/nonexistent/stock.csv"))


def test_reading_a_big_file_keeps_memory_bounded(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w") as out:
        out.write("reference;designation;book_qty\n")
        for i in range(20_000):
            out.write(f"R{i:06d};Designation {i};{i},5\n")
    tracemalloc.start()
    count = sum(1 for _ in read_table(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 20_000
    assert peak < 2_000_000  # the rows as dicts would take about ten times that


# --------------------------------------------------------------------------- XLSX

def _xlsx(rows: list[list], path: Path | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if path:
        path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_xlsx_values_read_as_an_export_would_write_them(tmp_path):
    path = tmp_path / "stock.xlsx"
    _xlsx([
        [" Reference", "Book Qty", "Unit Cost", "Last Movement Date", "Counted At", "Note"],
        ["A-1", 1234.0, 0.1 + 0.2, dt.datetime(2025, 12, 31), dt.datetime(2025, 12, 31, 14, 30), None],
        [None, None, None, None, None, None],
        [12345, 7, 1.23456789, dt.date(2025, 1, 2), None, True],
    ], path)
    table = read_table(path)
    assert (table.kind, table.decimal_comma) == ("xlsx", None)
    assert table.headers[:3] == ["reference", "book_qty", "unit_cost"]
    rows = list(table)
    assert [line for line, _ in rows] == [2, 4]  # sheet row numbers; the empty row is skipped
    assert rows[0][1] == {"reference": "A-1", "book_qty": "1234", "unit_cost": "0.3",
                          "last_movement_date": "2025-12-31", "counted_at": "2025-12-31T14:30:00", "note": ""}
    assert rows[1][1]["reference"] == "12345"
    assert rows[1][1]["unit_cost"] == "1.23456789"
    assert rows[1][1]["last_movement_date"] == "2025-01-02"
    assert parse_date(rows[0][1]["last_movement_date"]) == dt.date(2025, 12, 31)


def test_xlsx_from_bytes_and_a_damaged_one():
    data = _xlsx([["ref", "qty"], ["A", 2]])
    assert list(read_table(data, "up.xlsx")) == [(2, {"ref": "A", "qty": "2"})]
    with pytest.raises(TableError):
        read_table(data[:200], "broken.xlsx")
    with read_table(data, "up.xlsx") as table:  # read the header only, then let go of the file
        assert table.headers == ["ref", "qty"]
    with pytest.raises(TableError):
        read_table(data, "up.xlsx", required=["unit_cost"])


@pytest.mark.parametrize("value, text", [
    (None, ""), ("  x ", "x"), (3, "3"), (2.0, "2"), (2.5, "2.5"), (1e-7, "0.0000001"), (0.1 + 0.7, "0.8"),
    (-3.75, "-3.75"), (Decimal("1.500"), "1.5"), (True, "true"), (dt.date(2025, 3, 1), "2025-03-01"),
    (dt.datetime(2025, 3, 1), "2025-03-01"), (dt.datetime(2025, 3, 1, 8, 5), "2025-03-01T08:05:00"),
])
def test_cell_text_writes_numbers_without_float_noise_and_dates_as_iso(value, text):
    assert cell_text(value) == text
