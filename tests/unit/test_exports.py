"""reports.csv_out: the plain and Excel dialects, and no formula from user data (issue 17.5)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from reports import csv_out
from reports.export import entries_csv, reconciliation_csv

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\tindent", "\rcr"]


def read(data: bytes, excel: bool = False) -> list[list[str]]:
    text = data.decode("utf-8")
    if excel:
        assert text.startswith("\ufeff")
        text = text[1:]
    else:
        assert not text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ","))


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_gets_an_apostrophe(text):
    assert csv_out.neutralise(text) == "'" + text
    for excel in (False, True):
        rows = read(csv_out.to_bytes(["designation"], [[text]], csv_out.dialect(excel)), excel)
        assert rows[1] == ["'" + text]


def test_numbers_are_never_touched():
    rows = read(csv_out.to_bytes(["a", "b", "c", "d", "e"], [[-5, Decimal("-12.50"), -0.25, "-3", "-1.5"]]))
    assert rows[1] == ["-5", "-12.50", "-0.25", "-3", "-1.5"]
    rows = read(csv_out.to_bytes(["a", "b", "c"], [[-5, Decimal("-12.50"), np.float64(-0.25)]], csv_out.EXCEL), True)
    assert rows[1] == ["-5", "-12,50", "-0,25"]


def test_plain_text_is_kept_as_it_is():
    assert csv_out.neutralise("matières premières") == "matières premières"
    assert csv_out.neutralise("") == ""
    assert csv_out.neutralise("a=b") == "a=b"


def test_excel_dialect_bom_semicolon_decimal_comma_and_french_headers():
    data = csv_out.to_bytes(["reference", "book_qty", "unit_cost", "date"],
                            [["A-1", Decimal("1234.5"), 0.25, dt.date(2025, 12, 31)]], csv_out.EXCEL, "fr")
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = read(data, excel=True)
    assert rows[0] == ["Référence", "Stock théorique", "Coût unitaire", "Date"]
    assert rows[1] == ["A-1", "1234,5", "0,25", "2025-12-31"]


def test_plain_dialect_keeps_the_codes_comma_and_point():
    data = csv_out.to_bytes(["reference", "book_qty"], [["A-1", Decimal("1234.5")]], csv_out.PLAIN, "fr")
    assert data == b"reference,book_qty\nA-1,1234.5\n"


def test_reconciliation_csv_neutralises_user_text_and_keeps_numbers():
    lines = pd.DataFrame({"reference": HOSTILE, "designation": ["x"] * len(HOSTILE),
                          "diff_qty": [-1.5] * len(HOSTILE), "diff_value": [Decimal("-3.75")] * len(HOSTILE),
                          "category": ["raw_materials"] * len(HOSTILE), "missing": [None] * len(HOSTILE)})
    rows = read(reconciliation_csv(lines))
    assert rows[0] == list(lines.columns)
    assert [r[0] for r in rows[1:]] == ["'" + t for t in HOSTILE]
    assert {r[2] for r in rows[1:]} == {"-1.5"} and {r[3] for r in rows[1:]} == {"-3.75"}
    assert {r[5] for r in rows[1:]} == {""}
    excel = read(reconciliation_csv(lines, excel=True, language="fr"), excel=True)
    assert excel[0][:3] == ["Référence", "Désignation", "Écart (quantité)"]
    assert {r[2] for r in excel[1:]} == {"-1,5"} and {r[3] for r in excel[1:]} == {"-3,75"}


def test_entries_csv_plain_is_unchanged_and_excel_is_french():
    entries = pd.DataFrame([{"journal": "INV", "date": dt.date(2025, 12, 31), "account": "6031", "label": "Variation",
                             "debit": Decimal("13000.00"), "credit": None, "entry": 1}])
    assert entries_csv(entries) == (b"journal,date,account,label,debit,credit,entry\n"
                                    b"INV,2025-12-31,6031,Variation,13000.00,,1\n")
    rows = read(entries_csv(entries, excel=True, language="fr"), excel=True)
    assert rows == [["Journal", "Date", "Compte", "Libellé", "Débit", "Crédit", "Écriture"],
                    ["INV", "2025-12-31", "6031", "Variation", "13000,00", "", "1"]]


# --- print: the blank-ticket instruction whole, the document's title in Unicode (issue 19.5) ----------

def _ticket_pdf(language: str, per_page: int, campaign: str = "FY2025 · Ateliers — Lapomme") -> bytes:
    from tickets.pdf import TicketView, write_tickets

    out = io.BytesIO()
    write_tickets([TicketView("000001/2025", reference="A-1", designation="Bolt", unit="pc", location="L-01"),
                   TicketView("000002/2025", blank=True)], out, language=language, per_page=per_page,
                  campaign=campaign, barcodes=False)
    return out.getvalue()


def _words(text: str) -> str:
    return " ".join(text.replace("\ufffe", "").replace("\x02", "").split())


@pytest.mark.parametrize("per_page", [1, 2, 3])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_whole_blank_ticket_instruction_is_printed(language, per_page):
    import pypdfium2

    from tickets.ticket_texts import TICKET_TEXTS

    document = pypdfium2.PdfDocument(_ticket_pdf(language, per_page))
    text = _words(" ".join(document[i].get_textpage().get_text_range() for i in range(len(document))))
    instruction = _words(TICKET_TEXTS[language]["blank"])
    assert instruction in text, text
    assert "…" not in text.split(instruction.split()[0])[-1][:len(instruction)]


def test_the_pdf_title_keeps_its_dash_and_accents():
    import pypdfium2

    metadata = pypdfium2.PdfDocument(_ticket_pdf("fr", 3)).get_metadata_dict()
    assert metadata["Title"] == "Tickets d’inventaire — FY2025 · Ateliers — Lapomme"
    metadata = pypdfium2.PdfDocument(_ticket_pdf("en", 3, campaign="FY2025")).get_metadata_dict()
    assert metadata["Title"] == "Count tickets — FY2025"


# --- workbooks in the campaign's words (issue 19.2) ------------------------------------------------

def test_the_annual_workbook_reads_in_french_with_local_times():
    import openpyxl

    from reports.annual_xlsx import write_annual_xlsx
    from tests.unit.test_annual_report import _report

    book = openpyxl.load_workbook(io.BytesIO(write_annual_xlsx(_report("fr"))))
    assert {"Synthèse", "Rapprochement", "Par catégorie", "Écritures", "Tickets annulés", "Graphiques",
            "Activité des équipes", "Clôture"} <= set(book.sheetnames)
    codes = {"book_qty", "raw_materials", "by_category", "closing_value", "reconciliation_signed_by", "narrative",
             "agreed", "difference", "own", "good"}
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref, sheet.title
        words = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
        assert not words & codes, (sheet.title, words & codes)
    voided = book["Tickets annulés"]
    assert [c.value for c in voided[1]] == ["Ticket", "Motif", "Par", "Date et heure"]
    at = voided["D2"]
    assert at.value == dt.datetime(2025, 12, 28, 9, 0) and at.number_format == "dd/mm/yyyy hh:mm"  # Paris time
    reconciliation = book["Rapprochement"]
    header = [c.value for c in reconciliation[1]]
    qty = reconciliation.cell(row=2, column=header.index("Stock théorique") + 1)
    value = reconciliation.cell(row=2, column=header.index("Valeur théorique") + 1)
    assert qty.number_format == "#,##0.000" and value.number_format == "#,##0.00"
    charts = book["Graphiques"]
    assert len(charts._charts) == 2
    assert [c.value for c in charts[1]] == ["Catégorie", "Écart (valeur)", "Valeur brute à la clôture"]


def test_excel_csv_shows_coded_values_in_words_and_plain_keeps_the_codes():
    lines = pd.DataFrame({"reference": ["A"], "status": ["difference"], "category": ["raw_materials"],
                          "owner": ["own"]})
    assert read(reconciliation_csv(lines))[1] == ["A", "difference", "raw_materials", "own"]
    assert read(reconciliation_csv(lines, excel=True, language="fr"), True)[1] == [
        "A", "écart", "matières premières et fournitures", "propre"]
    out = io.StringIO()
    writer = csv_out.Writer(out, csv_out.EXCEL, "fr", {"status": {"issued": "remis"}})
    writer.header(["ticket", "status"])
    writer.row(["000001/2025", "issued"])
    assert read(out.getvalue().encode("utf-8"), True) == [["Ticket", "Statut"], ["000001/2025", "remis"]]
