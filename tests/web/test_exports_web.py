"""Every exported file, read back: the FEC of a French campaign, the Excel CSVs (CLI and downloads),
and no spreadsheet formula from user data (issues 19.1, 19.2, 17.5)."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import Item
from countapp.services import campaigns, reconciliation
from reports.fec import FEC_COLUMNS

from .test_report_fixtures import CODE, counted

HOSTILE = '=HYPERLINK("http://evil.example","clic")'


@pytest.fixture
def french(app, tmp_path):
    """The shared counted scenario, in French, with a SIREN; D-4's third count entered."""
    scenario = counted(tmp_path, language="fr", settle=True)
    campaigns.configure(campaigns.get(CODE), {"company": {"siren": "123456789", "time_zone": "Europe/Paris"}})
    return scenario


def read_fec(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0].split("\t") == list(FEC_COLUMNS) and lines[-1] == ""
    return [dict(zip(FEC_COLUMNS, line.split("\t"), strict=True)) for line in lines[1:-1]]


def fec_amount(text: str) -> Decimal:
    assert "." not in text and " " not in text and "," in text, text
    return Decimal(text.replace(",", "."))


def read_excel_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=";"))


# --- FEC ------------------------------------------------------------------------------------------

def test_fec_of_a_french_campaign_balances_and_matches_the_entries_csv(french, runner, tmp_path):
    manager = french.users["manager"]
    reconciliation.sign_off(CODE, name="Jeanne Martin", by=manager)
    entries_csv = tmp_path / "entries.csv"
    assert runner.invoke(args=["entries", CODE, "--out", str(entries_csv)]).exit_code == 0
    result = runner.invoke(args=["entries", CODE, "--format", "fec", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    fec_file = tmp_path / "123456789FEC20251231.txt"
    assert fec_file.exists(), result.output
    rows = read_fec(fec_file.read_bytes())

    by_number: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_number[row["EcritureNum"]].append(row)
        assert row["EcritureDate"] == "20251231" and row["JournalCode"] == "INV"
        assert len(row["ValidDate"]) == 8 and row["ValidDate"].startswith("20")
        assert row["CompteLib"] and row["CompteLib"] != row["CompteNum"]
    for number, lines in by_number.items():
        assert sum(fec_amount(r["Debit"]) for r in lines) == sum(fec_amount(r["Credit"]) for r in lines), number

    plain = list(csv.DictReader(io.StringIO(entries_csv.read_text(encoding="utf-8"))))
    assert len(by_number) == len({r["entry"] for r in plain}) and len(rows) == len(plain)
    fec_totals, csv_totals = defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        fec_totals[row["CompteNum"]] += fec_amount(row["Debit"]) - fec_amount(row["Credit"])
    for row in plain:
        csv_totals[row["account"]] += Decimal(row["debit"] or 0) - Decimal(row["credit"] or 0)
    assert dict(fec_totals) == dict(csv_totals)
    assert {r["CompteLib"] for r in rows if r["CompteNum"] == "31"} == {"Matières premières et fournitures"}


def test_fec_without_siren_or_sign_off_still_writes_and_says_what_is_missing(app, runner, tmp_path):
    counted(tmp_path, language="en")
    out = tmp_path / "fec.txt"
    result = runner.invoke(args=["entries", CODE, "--format", "fec", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = read_fec(out.read_bytes())
    assert rows and {r["ValidDate"] for r in rows} == {""}
    assert "SIREN" in result.output and "not signed off" in result.output
    # a French file whatever the campaign's language
    assert any(r["EcritureLib"].startswith("Variation des stocks") for r in rows)
    refused = runner.invoke(args=["entries", CODE, "--format", "fec", "--out", str(tmp_path / "fec.csv")])
    assert refused.exit_code == 1 and not (tmp_path / "fec.csv").exists()


def test_fec_download_on_the_report_page(french, client_as):
    client = client_as("centraliser")
    page = client.get(f"/campaigns/{CODE}/report")
    assert page.status_code == 200 and b"entries-fec" in page.data and b"entries-csv-excel" in page.data
    response = client.get(f"/campaigns/{CODE}/report/entries-fec.txt")
    assert response.status_code == 200
    assert "123456789FEC20251231.txt" in response.headers["Content-Disposition"]
    rows = read_fec(response.data)
    assert sum(fec_amount(r["Debit"]) for r in rows) == sum(fec_amount(r["Credit"]) for r in rows) > 0
    assert client_as("counter").get(f"/campaigns/{CODE}/report/entries-fec.txt").status_code in (403, 404)


# --- Excel CSV --------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, first_header", [
    (["tickets", "list", CODE], "Ticket"),
    (["tickets", "control", CODE], "Nature"),
    (["recounts", CODE], "Ticket"),
    (["reconcile", CODE], "Ticket"),
    (["entries", CODE], "Journal"),
])
def test_every_csv_command_takes_excel(french, runner, tmp_path, args, first_header):
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert runner.invoke(args=[*args, "--out", str(plain)]).exit_code == 0
    result = runner.invoke(args=[*args, "--out", str(excel), "--excel"])
    assert result.exit_code == 0, result.output
    rows = read_excel_csv(excel.read_bytes())
    plain_rows = list(csv.reader(io.StringIO(plain.read_text(encoding="utf-8"), newline="")))
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
    assert rows[0][0] == first_header and plain_rows[0][0] != first_header  # words, not codes
    assert len(rows) == len(plain_rows) and len(rows[0]) == len(plain_rows[0])
    assert b"\r\n" in excel.read_bytes()
    # the same figures, with a decimal comma
    for excel_row, plain_row in zip(rows[1:], plain_rows[1:]):
        for e, p in zip(excel_row, plain_row):
            if p.replace(".", "", 1).lstrip("-").isdigit() and "." in p:
                assert e == p.replace(".", ","), (e, p)


def test_reconciliation_csv_for_excel_is_french(french, runner, tmp_path):
    out = tmp_path / "r.csv"
    assert runner.invoke(args=["reconcile", CODE, "--out", str(out), "--excel"]).exit_code == 0
    rows = read_excel_csv(out.read_bytes())
    header = rows[0]
    assert {"Référence", "Stock théorique", "Valeur brute à la clôture"} <= set(header)
    b2 = next(r for r in rows[1:] if r[header.index("Référence")] == "B-2")
    assert b2[header.index("Stock théorique")] == "12,5"


@pytest.mark.parametrize("url", ["/tickets.csv", "/tickets/control.csv", "/review/reconciliation.csv",
                                 "/report/entries.csv", "/audit/log.csv"])
def test_excel_downloads_next_to_the_csv_ones(french, client_as, url):
    client = client_as("auditor" if "audit" in url else "manager")
    base = f"/campaigns/{CODE}{url}"
    plain = client.get(base)
    assert plain.status_code == 200 and not plain.data.startswith(b"\xef\xbb\xbf")
    excel = client.get(base + "?excel=1")
    assert excel.status_code == 200 and "excel" in excel.headers["Content-Disposition"]
    rows = read_excel_csv(excel.data)
    assert len(rows) == len(list(csv.reader(io.StringIO(plain.data.decode("utf-8"), newline="")))) > 1


def test_review_page_offers_the_excel_csv(french, client_as):
    client = client_as("manager")
    page = client.get(f"/campaigns/{CODE}/review")
    assert page.status_code == 200 and b"reconciliation-csv-excel" in page.data


# --- formula injection -----------------------------------------------------------------------------

def _poison(reference: str = "A-1") -> None:
    item = db.session.scalar(sa.select(Item).where(Item.reference == reference))
    item.designation = HOSTILE
    db.session.commit()


def test_user_text_never_becomes_a_formula_in_csv_or_xlsx(french, runner, tmp_path, client_as):
    _poison()
    for args in (["tickets", "list", CODE], ["reconcile", CODE]):
        for excel in ([], ["--excel"]):
            out = tmp_path / "out.csv"
            assert runner.invoke(args=[*args, "--out", str(out), *excel]).exit_code == 0
            data = out.read_bytes()
            rows = read_excel_csv(data) if excel else list(csv.reader(io.StringIO(data.decode("utf-8"),
                                                                                  newline="")))
            cells = [c for r in rows for c in r]
            assert "'" + HOSTILE in cells and HOSTILE not in cells
            # negative numbers stay numbers
            assert not any(c.startswith("'-") and c[2:].replace(",", "").replace(".", "").isdigit() for c in cells)
    tickets_csv = client_as("manager").get(f"/campaigns/{CODE}/tickets.csv").data.decode("utf-8")
    assert "'" + HOSTILE.replace('"', '""') in tickets_csv
    book_path = tmp_path / "r.xlsx"
    assert runner.invoke(args=["reconcile", CODE, "--out", str(book_path)]).exit_code == 0
    book = openpyxl.load_workbook(book_path)
    found = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value == HOSTILE]
    assert found and all(c.data_type == "s" and c.quotePrefix for c in found)


# --- French Excel, for real (LibreOffice) ------------------------------------------------------------

@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
def test_libreoffice_with_a_french_locale_reads_the_excel_csv_in_columns(french, runner, tmp_path):
    out = tmp_path / "reconciliation.csv"
    assert runner.invoke(args=["reconcile", CODE, "--out", str(out), "--excel"]).exit_code == 0
    subprocess.run(["soffice", "--headless", "--infilter=CSV:59,34,76,1,,1036", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path), str(out)], check=True, timeout=120, capture_output=True)
    sheet = openpyxl.load_workbook(tmp_path / "reconciliation.xlsx").active
    header = [c.value for c in sheet[1]]
    assert "Référence" in header and "Stock théorique" in header and len(header) > 10
    column = header.index("Stock théorique")
    values = [row[column].value for row in sheet.iter_rows(min_row=2)]
    assert 12.5 in values and all(isinstance(v, (int, float)) for v in values if v is not None)
