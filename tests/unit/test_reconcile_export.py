"""The reconciliation as CSV (plain numbers, '.' decimal) and XLSX (sheets, frozen header, formats)."""
from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd

from reports.entries import build_entries
from reports.export import entries_csv, reconciliation_csv, reconciliation_xlsx
from reports.model import DepreciationRates
from reports.xlsx_texts import headers, sheet_name, value_labels
from tests.unit.conftest_reports import line, move, run, ticket

CODES = ["reconciliation", "by_category", "by_owner", "exceptions", "not_counted", "third_party", "cutoff", "warnings",
         "charts"]
SHEETS = [sheet_name(code, "en") for code in CODES]


def sample():
    lines = [line(1, book_qty="1234.5", unit_cost="1.5", last_movement_date=dt.date(2024, 1, 2)),
             line(2, location="L2", book_qty="3", unit_cost="1.5"),
             line(3, reference="X&<Y>", location="L3", owner="third_party"),
             line(4, reference="B", location="L4", category="goods_for_resale", unit_cost="0.123456")]
    tickets = [ticket(1, 1, "1234.5", state="damaged"), ticket(2, 2, None), ticket(3, 3, "2"), ticket(4, 4, "9"),
               ticket(5, 2, "1", status="voided")]
    return run(lines, tickets, [move("2025-12-29", "0.25", reference="B", location="L4")], method="wac",
               rates=DepreciationRates(damaged=50))


def test_csv_writes_plain_numbers_with_a_point():
    rows = list(csv.DictReader(io.StringIO(reconciliation_csv(sample()).decode("utf-8"))))
    first = rows[0]
    assert first["book_qty"] == "1234.5" and first["book_value"] == "1851.75" and first["unit_cost"] == "1.50"
    assert first["last_movement_date"] == "2024-01-02"
    not_counted = next(r for r in rows if r["status"] == "not_counted")
    assert not_counted["counted_qty"] == "" and not_counted["closing_value"] == ""
    b = next(r for r in rows if r["reference"] == "B")
    assert (b["closing_qty"], b["unit_cost"], b["closing_value"]) == ("9.25", "0.123456", "1.14")
    assert len(rows) == 5


def test_csv_can_write_to_a_stream():
    buffer = io.BytesIO()
    assert reconciliation_csv(sample(), buffer) is None
    assert buffer.getvalue().startswith(b"ticket,reference,location,lot,category,owner,book_qty")


def test_xlsx_has_the_sheets_with_frozen_headers_formats_and_widths():
    result = sample()
    book = openpyxl.load_workbook(io.BytesIO(reconciliation_xlsx(result)))
    assert book.sheetnames == SHEETS == ["Reconciliation", "By category", "By owner", "Exceptions", "Not counted",
                                         "Third-party goods", "Cut-off", "Warnings", "Charts"]
    sheet = book["Reconciliation"]
    header = [c.value for c in sheet[1]]
    assert header == [headers("en").get(c, c) for c in result.lines.columns]
    assert "book_qty" not in header and "Book quantity" in header
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet[1][0].font.b
    cells = {h: c for h, c in zip(result.lines.columns, sheet[2])}
    assert cells["book_qty"].number_format == "#,##0.000"
    assert cells["book_value"].value == 1851.75 and cells["book_value"].number_format == "#,##0.00"
    assert cells["unit_cost"].number_format == "#,##0.00####"
    assert cells["last_movement_date"].value == dt.datetime(2024, 1, 2)
    assert cells["reference"].value == "A"
    assert sheet.column_dimensions["A"].width >= 11
    assert sheet.max_row == len(result.lines) + 1
    assert [c.value for c in book["Third-party goods"]["B"]] == ["Reference", "X&<Y>"]
    assert [c.value for c in book["Not counted"]["A"]] == ["Ticket", "000002/2025"]
    by_category = book["By category"]
    assert [c.value for c in by_category["A"]] == ["Category", "raw materials and supplies", "goods for resale"]
    exceptions = [c.value for c in book["Exceptions"]["V"]]
    words = value_labels("en")["exception"]
    assert exceptions[0] == "Exception" and set(exceptions[1:]) == {
        words["not_counted"], words["voided"], words["difference_without_cause"]}


def test_xlsx_warnings_follow_the_language_and_entries_may_be_added():
    result = sample()
    entries = build_entries(result.by_category, pd.DataFrame({"category": ["31"], "opening_value": ["10"]}),
                            dt.date(2025, 12, 31), language="fr")
    book = openpyxl.load_workbook(io.BytesIO(reconciliation_xlsx(result, language="fr", entries=entries)))
    assert book.sheetnames == [sheet_name(code, "fr") for code in CODES] + ["Écritures"]
    assert book.sheetnames[:2] == ["Rapprochement", "Par catégorie"]
    messages = [c.value for c in book["Avertissements"]["B"]][1:]
    assert any("comptage" in m for m in messages)
    assert book["Écritures"]["E2"].value == float(entries.loc[0, "debit"])
    assert [c.value for c in book["Écritures"][1]] == ["Journal", "Date", "Compte", "Libellé", "Débit", "Crédit",
                                                       "Écriture"]
    header = [c.value for c in book["Rapprochement"][1]]
    assert "Stock théorique" in header and "Catégorie" in header
    assert [c.value for c in book["Par catégorie"]["A"]][1] == "matières premières et fournitures"


def test_entries_csv_has_the_spec_columns():
    entries = build_entries(sample().by_category, None, dt.date(2025, 12, 31))
    text = entries_csv(entries).decode("utf-8")
    assert text.splitlines()[0] == "journal,date,account,label,debit,credit,entry"
    assert text.splitlines()[1].startswith("INV,2025-12-31,31,")
