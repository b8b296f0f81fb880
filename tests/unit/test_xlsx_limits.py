"""Hostile files are refused with an error naming the limit, before (or while) they are read, never a crash:
XLSX zip bombs, too many rows, columns or texts, over-long cells, entities; CSV fields past the csv module's
limit, NUL characters; a header with no line. Small files built on the spot (bench/hostile_files.py builds
the big ones and measures them)."""
from __future__ import annotations

from datetime import date

import pytest

from bench.hostile_files import _inline_row, stock_rows, strings_bomb, write_xlsx
from countapp import filecheck
from countapp.tabular import Limits, TableError, read_table

HEADER = "reference;designation;unit;category;location;book_qty;unit_cost\n"


def read_all(path, limits=None):
    with read_table(path, limits=limits) as table:
        return list(table)


def message(path, limits=None, kind="stock") -> str:
    result = filecheck.check_file(kind, path, limits=limits)
    assert result.error_count == 1 and not result.rows
    return result.errors[0].render()


def test_a_plain_xlsx_reads_as_before(tmp_path):
    rows = read_all(write_xlsx(tmp_path / "ok.xlsx", stock_rows(3)))
    assert [line for line, _ in rows] == [2, 3, 4]
    assert rows[0][1]["reference"] == "R2" and rows[0][1]["book_qty"] == "1"


def test_too_many_rows_are_refused_before_reading(tmp_path):
    path = write_xlsx(tmp_path / "rows.xlsx", stock_rows(50))
    with pytest.raises(TableError, match="rows.xlsx: the file has more than 20 rows"):
        read_table(path, limits=Limits(max_rows=20))
    assert "more than 20 rows" in message(path, Limits(max_rows=20))


def test_rows_skipped_by_number_count_too(tmp_path):
    """One row numbered 5000 makes openpyxl give 4998 empty rows before it: counted while reading."""
    path = write_xlsx(tmp_path / "far.xlsx", [_inline_row(1, ["reference", "book_qty"]),
                                                _inline_row(5000, ["A", 1])])
    with pytest.raises(TableError, match=r"more than 100 rows") as refused:
        read_all(path, Limits(max_rows=100))
    assert refused.value.line == 101


def test_a_header_wider_than_the_limit_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "wide.xlsx", [_inline_row(1, [f"c{i}" for i in range(12)])])
    with pytest.raises(TableError, match="the header has more than 10 columns"):
        read_table(path, limits=Limits(max_columns=10))


def test_a_cell_far_to_the_right_does_not_widen_every_row(tmp_path):
    far = '<row r="2"><c r="A2" t="inlineStr"><is><t>A</t></is></c><c r="XFD2"><v>7</v></c></row>'
    path = write_xlsx(tmp_path / "xfd.xlsx", [_inline_row(1, ["reference", "book_qty"]), far])
    assert read_all(path) == [(2, {"reference": "A", "book_qty": ""})]


def test_a_declared_size_smaller_than_the_sheet_cuts_no_row(tmp_path):
    path = write_xlsx(tmp_path / "dim.xlsx", stock_rows(4), dimension="A1:A1")
    assert len(read_all(path)) == 4


def test_too_many_shared_strings_are_refused(tmp_path):
    path = strings_bomb(tmp_path / "strings.xlsx", 200)
    with pytest.raises(TableError, match="holds more than 100 distinct texts"):
        read_table(path, limits=Limits(max_shared_strings=100))


def test_a_part_compressed_like_a_bomb_is_refused(tmp_path):
    path = strings_bomb(tmp_path / "bomb.xlsx", 100_000)   # 1.7 MB of one repeated text
    with pytest.raises(TableError, match=r"compressed \d+ times \(the limit is 100\)"):
        read_table(path)


def test_the_unpacked_size_is_limited(tmp_path):
    path = write_xlsx(tmp_path / "big.xlsx", stock_rows(10))
    assert "MiB once unpacked; the limit is" in message(path, Limits(max_uncompressed=2000))


def test_a_huge_cell_is_refused_before_parsing(tmp_path):
    huge = '<row r="2"><c r="A2" t="inlineStr"><is><t>' + "x" * 500_000 + "</t></is></c></row>"
    path = write_xlsx(tmp_path / "cell.xlsx", [_inline_row(1, ["reference"]), huge])
    with pytest.raises(TableError, match="a cell is longer than 32767 characters"):
        read_table(path)


def test_a_long_cell_is_refused_while_reading_naming_its_line(tmp_path):
    head = ["reference", "designation", "unit", "category", "location", "book_qty", "unit_cost"]
    rows = [_inline_row(1, head), _inline_row(2, ["A", "Bolt", "pc", 31, "L", 1, 1]),
            _inline_row(3, ["B", "Bolt" * 20, "pc", 31, "L", 1, 1])]
    path = write_xlsx(tmp_path / "long.xlsx", rows)
    assert message(path, Limits(max_cell=40)) == "long.xlsx, line 3: a cell is longer than 40 characters."


def test_entities_are_not_expanded(tmp_path):
    laughs = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row>')
    path = tmp_path / "laughs.xlsx"
    write_xlsx(path, [])
    # The DOCTYPE must come before the root element: rebuild the sheet by hand.
    import zipfile
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        '<?xml version="1.0"?>' + laughs.split("<row")[0] +
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row'
        + laughs.split("<row", 1)[1] + "</sheetData></worksheet>").encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    assert "the XLSX file cannot be read" in message(path)


def test_a_csv_field_past_the_csv_limit_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(HEADER + "A;Bolt;pc;31;L;1;1\n" + "B;" + "x" * 140_000 + ";pc;31;L;1;1\n", encoding="utf-8")
    assert message(path) == "big.csv, line 3: a field is longer than 131072 characters."


def test_nul_characters_are_refused_naming_the_line(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + "A;Bolt;pc;31;L;1;1\nB;Bo\x00lt;pc;31;L;1;1\n").encode())
    assert message(path) == ("nul.csv, line 3: the file contains NUL characters: it is not a text export (save it "
                             "as UTF-8 CSV).")


@pytest.mark.parametrize("kind, header", [
    ("stock", HEADER), ("movements", "date;reference;location;quantity;unit_cost\n"),
    ("opening", "category;opening_value\n"), ("counts", "ticket;round;quantity\n")])
def test_a_header_without_lines_says_so(tmp_path, kind, header):
    path = tmp_path / f"{kind}.csv"
    path.write_text(header, encoding="utf-8")
    options = {"known_items": set(), "known_locations": set(), "fiscal_year_start": date(2025, 1, 1),
               "fiscal_year_end": date(2025, 12, 31)} if kind == "movements" else {}
    result = filecheck.check_file(kind, path, **options)
    assert [e.render() for e in result.errors] == [f"{kind}.csv: the file has no lines under its header."]


def test_without_its_relationships_every_sheet_is_scanned(tmp_path):
    """openpyxl finds the workbook from its content types: a file without _rels/.rels is still checked."""
    import zipfile

    path = write_xlsx(tmp_path / "norels.xlsx", stock_rows(50))
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist() if name != "_rels/.rels"}
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    with pytest.raises(TableError, match="more than 20 rows"):
        read_table(path, limits=Limits(max_rows=20))
