"""Count dates as they really are, through the app (issue 18): a count after the closing date,
count dates by zone, and a movements file running past the window.

The campaign is the shared scenario (tests/scenario.py: count 28 Dec, closing 31 Dec; zones Z1 and
Z2 of site S1), left in planning so that its dates may change, then counted through the services.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date

import openpyxl
import pypdf
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, Movement
from countapp.services import annual_report, audit_export, campaigns, counting, imports, tickets
from reports.xlsx_texts import headers, sheet_name

from ..scenario import build_scenario

CODE = "FY2025"


@pytest.fixture
def planned(app, tmp_path):
    return build_scenario(tmp_path, start=False)


def count_both_rounds(scenario, quantities: dict[str, str]) -> None:
    for round_, who in ((1, "ann"), (2, "cat")):
        for place, quantity in quantities.items():
            counting.submit_count(CODE, counting.CountInput(ticket=scenario.tickets[place], round=round_,
                                                            quantity=quantity, state="good"),
                                  user=scenario.users[who])


def import_movements(tmp_path, text: str) -> dict:
    path = tmp_path / "movements.csv"
    path.write_text(text, encoding="utf-8")
    return imports.import_file("movements", CODE, path)


def settings_form(campaign, **changes) -> dict:
    data = {"name": campaign.name, "company": campaign.company, "person_in_charge": "P. Durand",
            "fiscal_year": str(campaign.fiscal_year), "count_date": campaign.count_date.isoformat(),
            "closing_date": campaign.closing_date.isoformat(), "valuation": "book", "language": "en",
            "siren": "", "time_zone": "Europe/Paris", "damaged": "0", "obsolete": "0", "expired": "0",
            "slow_moving": "0", "slow_moving_days": "365", "market_price": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k.startswith("count_dates-")}


def csv_rows(response) -> dict[str, dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return {f"{r['reference']}@{r['location']}": r for r in rows if r["status"] != "voided"}


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True).replace("&#39;", "'"))


def pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
                  .replace("\u00a0", " ").replace("\u202f", " "))


# --- 1. count after closing -------------------------------------------------------------------------------

def test_a_campaign_counted_in_january_rolls_back_to_the_closing_date(planned, client_as, tmp_path):
    manager = client_as("manager", language="en")
    campaign = campaigns.get(CODE)
    response = manager.post(f"/campaigns/{CODE}/settings", data=settings_form(campaign, count_date="2026-01-03"))
    assert response.status_code in (302, 303), page_text(response)[:3000]
    db.session.expire_all()
    assert campaigns.get(CODE).count_date.isoformat() == "2026-01-03"
    import_movements(tmp_path, "date;reference;location;quantity;unit_cost;kind;document\n"
                               "2025-12-30;A-1;L-01;-40;;issue;BL-0100\n"        # before closing: in the count
                               "2026-01-02;A-1;L-01;100;0,25;receipt;BR-0200\n"   # after closing: rolled back
                               "2026-01-03;A-1;L-02;-5;;issue;BL-0101\n"          # on the count date: rolled back
                               "2026-01-04;A-1;L-01;7;0,25;receipt;BR-0201\n")    # after the count: outside
    tickets.start_counting(CODE)
    # The stock file is at the count date: 3 January, so it already holds the January movements.
    count_both_rounds(planned, {"A-1@L-01": "1200", "A-1@L-02": "30"})

    rows = csv_rows(manager.get(f"/campaigns/{CODE}/review/reconciliation.csv"))
    l01, l02 = rows["A-1@L-01"], rows["A-1@L-02"]
    assert (l01["counted_qty"], l01["rollforward_qty"], l01["closing_qty"]) == ("1200", "-100", "1100")
    assert (l02["rollforward_qty"], l02["closing_qty"]) == ("5", "35")
    assert (l01["cutoff"], l01["count_date"]) == ("back", "2026-01-03")
    assert l01["cutoff_documents"] == "BR-0200 2026-01-02 -100"
    assert l01["closing_value"] == "275.00"
    page = page_text(manager.get(f"/campaigns/{CODE}/review"))
    assert "counted after the closing date: movements up to the count are rolled back" in page
    assert "Roll-back" in page and "BR-0200 2026-01-02 -100" in page

    auditor = client_as("auditor", language="en")
    cut = page_text(auditor.get(f"/campaigns/{CODE}/audit/cutoff"))
    assert "comes after the closing date" in cut and "Movements between the closing date and the count" in cut
    assert 'id="cutoff-by-zone"' in cut and "BR-0201" in cut   # Z1's first receipt after its count
    assert "numbered before the last" not in cut

    report = annual_report.build_files(campaigns.get(CODE))
    text = pdf_text(report.pdf)
    assert "Count dates and cut-off" in text
    assert "after the closing date 31 Dec 2025" in text or "after the closing date" in text
    assert "BR-0200" in text


def test_the_same_stock_counted_before_or_after_closing_closes_the_same(app, tmp_path):
    """Two campaigns from one warehouse and one movements file, its stock dated 27 December or
    3 January. Goods held by a subcontractor close at book quantity with the cut-off, so the
    engine's closing figures need no count: they must agree."""
    from countapp.services import reconciliation

    movements = ("date;reference;location;quantity;unit_cost;kind;document\n"
                 "2024-12-31;A-1;L-01;1000;0,20;opening;OPEN\n2025-06-01;A-1;L-01;300;0,30;receipt;BR-1\n"
                 "2025-12-29;A-1;L-01;-40;;issue;BL-1\n2026-01-02;A-1;L-01;100;0,50;receipt;BR-2\n")
    closing = {}
    for code, count_date, book in (("DEC", date(2025, 12, 27), "1240"), ("JAN", date(2026, 1, 3), "1300")):
        campaigns.create(code, year=2025, count_date=count_date, closing_date=date(2025, 12, 31), valuation="fifo")
        stock = tmp_path / f"{code}.csv"
        stock.write_text("reference;designation;unit;category;location;zone;site;book_qty;unit_cost;owner\n"
                         f"A-1;Bolt;pc;31;L-01;Z1;S1;{book};0,25;at_third_party\n", encoding="utf-8")
        imports.import_file("stock", code, stock)
        path = tmp_path / f"{code}-m.csv"
        path.write_text(movements, encoding="utf-8")
        counts = imports.import_file("movements", code, path)
        assert counts["outside_window"] == (1 if code == "DEC" else 0)
        line = reconciliation.compute(campaigns.get(code)).result.lines.iloc[0]
        closing[code] = (line["closing_qty"], line["unit_cost"], line["closing_value"])
    assert closing["DEC"] == closing["JAN"]
    assert closing["DEC"][0] == 1200


# --- 2. count dates by zone --------------------------------------------------------------------------------

def test_count_dates_by_zone_from_the_settings_page_to_every_document(app, planned, client_as, login_as, tmp_path):
    manager = client_as("manager", language="en")
    campaign = campaigns.get(CODE)
    page = page_text(manager.get(f"/campaigns/{CODE}/settings"))
    assert 'name="count_dates-Z2"' in page and 'name="count_dates-S1"' in page
    response = manager.post(f"/campaigns/{CODE}/settings", data=settings_form(
        campaign, **{"count_dates-Z1": "", "count_dates-Z2": "2025-12-30", "count_dates-S1": ""}))
    assert response.status_code in (302, 303), page_text(response)[:3000]
    db.session.expire_all()
    campaign = campaigns.get(CODE)
    assert campaign.settings["count_dates"] == {"Z2": "2025-12-30"}
    assert "[count_dates]\nZ2 = 2025-12-30" in campaigns.settings_toml(campaign)
    assert 'value="2025-12-30"' in page_text(manager.get(f"/campaigns/{CODE}/settings"))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "campaign.configure")
                              .order_by(AuditEvent.seq.desc()).limit(1))
    assert event.after["settings"]["count_dates"] == {"Z2": "2025-12-30"}

    import_movements(tmp_path, "date;reference;location;quantity;unit_cost;kind;document\n"
                               "2025-12-29;D-4;L-04;-2;;issue;BL-7\n"      # Z2: before its count, in its book
                               "2025-12-29;A-1;L-01;-2;;issue;BL-8\n"      # Z1: after its count, rolled forward
                               "2025-12-31;D-4;L-04;1;150;receipt;BR-9\n")  # Z2: rolled forward
    tickets.start_counting(CODE)
    count_both_rounds(planned, {"A-1@L-01": "1200", "D-4@L-04": "8"})

    rows = csv_rows(manager.get(f"/campaigns/{CODE}/review/reconciliation.csv"))
    a1, d4 = rows["A-1@L-01"], rows["D-4@L-04"]
    assert (a1["count_date"], a1["book_qty"], a1["rollforward_qty"], a1["closing_qty"]) == (
        "2025-12-28", "1200", "-2", "1198")
    assert (d4["count_date"], d4["book_qty"], d4["diff_qty"], d4["status"]) == ("2025-12-30", "8", "0", "agreed")
    assert (d4["rollforward_qty"], d4["closing_qty"], d4["cutoff_documents"]) == ("1", "9", "BR-9 2025-12-31 +1")

    workbook = openpyxl.load_workbook(io.BytesIO(manager.get(f"/campaigns/{CODE}/review/reconciliation.xlsx").data))
    sheet = list(workbook[sheet_name("cutoff", "en")].values)
    codes = {label: code for code, label in headers("en").items()}
    header = [codes.get(h, h) for h in sheet[0]]
    by_zone = {r[1]: dict(zip(header, r)) for r in sheet[1:]}
    assert "last_issue_before" in header and set(by_zone) == {"Z1", "Z2"}
    assert by_zone["Z2"]["direction"] == "rolled forward to closing"
    assert (by_zone["Z2"]["last_issue_before"], by_zone["Z2"]["first_receipt_after"]) == ("BL-7", "BR-9")
    assert by_zone["Z1"]["first_issue_after"] == "BL-8"

    progress = page_text(manager.get(f"/count/{CODE}/progress"))
    assert "counted on 30 Dec 2025" in progress or 'data-count-date="2025-12-30"' in progress
    assert 'data-count-date="2025-12-28"' in progress
    tablet = login_as(app.test_client(), planned.users["lead1"])
    shown = page_text(tablet.get(f"/count/{CODE}"))
    dates = re.search(r'id="count-date">(.*?)</span>', shown).group(1)
    assert "(Z1)" in dates and "(Z2)" in dates and dates.count("<strong>") == 2

    pdf = manager.get(f"/campaigns/{CODE}/instructions/draft.pdf")
    assert pdf.status_code == 200
    assert "Z2" in pdf_text(pdf.data) and "30 December 2025" in pdf_text(pdf.data)


# --- 3. any movements file ------------------------------------------------------------------------------------

def test_a_movements_file_running_past_the_window_is_imported_and_moves_no_figure(planned, client_as):
    manager = client_as("manager", language="en")
    text = ("date;reference;location;quantity;unit_cost;kind;document\n"
            "2025-12-30;A-1;L-01;100;0,25;receipt;BR-1\n"
            "2026-01-02;A-1;L-01;9;0,25;receipt;BR-2\n"       # the ERP's export ran to January
            "2024-06-01;A-1;L-01;-3;;issue;BL-0\n")           # last year
    response = manager.post(f"/campaigns/{CODE}/imports", data={
        "kind": "movements", "file": (io.BytesIO(text.encode()), "erp.csv")}, content_type="multipart/form-data")
    page = page_text(response)
    assert response.status_code == 200 and "BR-2" in page
    upload = re.search(r'name="upload"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="upload"', page)
    confirmed = manager.post(f"/campaigns/{CODE}/imports/confirm", data={"upload": upload.group(1),
                                                                         "kind": "movements"})
    status = manager.get(confirmed.headers["Location"] + "?format=json").get_json()
    assert status["state"] == "done", status
    assert "3 movements imported. 2 of them are outside the window" in status["result"]["summary"]
    assert status["result"]["counts"]["outside_window"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Movement)) == 3

    tickets.start_counting(CODE)
    count_both_rounds(planned, {"A-1@L-01": "1200"})
    rows = csv_rows(manager.get(f"/campaigns/{CODE}/review/reconciliation.csv"))
    assert (rows["A-1@L-01"]["rollforward_qty"], rows["A-1@L-01"]["closing_qty"]) == ("100", "1300")
    assert rows["A-1@L-01"]["cutoff_documents"] == "BR-1 2025-12-30 +100"
    workbook = openpyxl.load_workbook(io.BytesIO(manager.get(f"/campaigns/{CODE}/review/reconciliation.xlsx").data))
    warnings = [r[0] for r in workbook[sheet_name("warnings", campaigns.get(CODE).language)].values]
    assert "outside_window" in warnings

    evidence = zipfile.ZipFile(io.BytesIO(audit_export.export_bytes(campaigns.get(CODE))))
    by_zone = list(csv.DictReader(io.StringIO(evidence.read("cutoff_by_zone.csv").decode())))
    z1 = next(r for r in by_zone if r["zone"] == "Z1")
    assert (z1["count_date"], z1["first_receipt_after"], z1["direction"]) == ("2025-12-28", "BR-1", "forward")


def test_import_stock_as_of_dates_the_file_and_the_book_follows_the_movements(app, runner, tmp_path):
    from countapp.services import reconciliation

    campaigns.create("ASOF", year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31),
                     valuation="book")
    stock = tmp_path / "stock.csv"
    stock.write_text("reference;designation;unit;category;location;zone;site;book_qty;unit_cost\n"
                     "A-1;Bolt;pc;31;L-01;Z1;S1;105;0,25\n", encoding="utf-8")
    refused = runner.invoke(args=["import", "stock", "ASOF", str(stock), "--as-of", "2027-06-30"])
    assert refused.exit_code == 1 and "days from the closing date" in refused.output
    assert campaigns.get("ASOF").stock_date is None
    result = runner.invoke(args=["import", "stock", "ASOF", str(stock), "--as-of", "2025-12-30"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    campaign = campaigns.get("ASOF")
    assert campaign.stock_date == date(2025, 12, 30)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import.stock")
                              .order_by(AuditEvent.seq.desc()).limit(1))
    assert event.after["as_of"] == "2025-12-30"
    path = tmp_path / "m.csv"
    path.write_text("date;reference;location;quantity;unit_cost\n2025-12-29;A-1;L-01;5;0,25\n"
                    "2025-12-31;A-1;L-01;-1;\n", encoding="utf-8")
    assert runner.invoke(args=["import", "movements", "ASOF", str(path)]).exit_code == 0
    line = reconciliation.compute(campaigns.get("ASOF")).result.lines.iloc[0]
    # The file says 105 on 30 December; on the count date (28th) the book was 105 − 5 = 100.
    assert (line["book_qty"], line["rollforward_qty"], line["status"]) == (100, 4, "not_counted")


def test_the_upload_page_dates_a_stock_file(client_as, make_campaign):
    make_campaign(count_date=date(2025, 12, 28))
    manager = client_as("manager", language="en")
    stock = ("reference;designation;unit;category;location;zone;site;book_qty;unit_cost\n"
             "A-1;Bolt;pc;31;L-01;Z1;S1;105;0,25\n")
    page = page_text(manager.post(f"/campaigns/{CODE}/imports", data={
        "kind": "stock", "as_of": "2025-12-30", "file": (io.BytesIO(stock.encode()), "stock.csv")},
        content_type="multipart/form-data"))
    upload = re.search(r'name="upload"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="upload"', page)
    assert 'value="2025-12-30"' in page
    confirmed = manager.post(f"/campaigns/{CODE}/imports/confirm", data={
        "upload": upload.group(1), "kind": "stock", "as_of": "2025-12-30"})
    status = manager.get(confirmed.headers["Location"] + "?format=json").get_json()
    assert status["state"] == "done", status
    db.session.expire_all()
    assert campaigns.get(CODE).stock_date == date(2025, 12, 30)
