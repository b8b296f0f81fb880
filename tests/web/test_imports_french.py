"""A French ERP export imported through the page as a manager does it: upload, preview, confirm.

The file (tests/fixtures/stock_fr_cp1252.csv) has French headers, ``;``, a decimal comma,
thousands grouped by a space and Windows-1252 accents; the same lines come again as XLSX.
The templates offered on the page read back as the files they describe.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import BookLine, Item, Location, Zone

FRENCH_STOCK = Path(__file__).resolve().parent.parent / "fixtures" / "stock_fr_cp1252.csv"
NNBSP = "\u202f"  # the narrow no-break space French groups thousands with


@pytest.fixture
def campaign(make_campaign):
    return make_campaign("FY2025", year=2025, count_date=date(2025, 12, 31), closing_date=date(2025, 12, 31),
                         language="fr")


def _upload(client, data: bytes, name: str, kind: str = "stock") -> str:
    response = client.post("/campaigns/FY2025/imports", data={"kind": kind, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _confirm(client, page: str, kind: str = "stock") -> dict:
    upload = re.search(r'name="upload"[^>]*value="([^"]+)"', page) or \
        re.search(r'value="([^"]+)"[^>]*name="upload"', page)
    assert upload, "the preview offers no import"
    confirmed = client.post("/campaigns/FY2025/imports/confirm", data={"upload": upload.group(1), "kind": kind})
    assert confirmed.status_code in (302, 303)
    return client.get(confirmed.headers["Location"] + "?format=json").get_json()


def _book() -> dict[tuple[str, str, str], BookLine]:
    lines = db.session.scalars(sa.select(BookLine)).all()
    return {(line.item.reference, line.location.code, line.lot): line for line in lines}


def _assert_the_french_stock_is_loaded(campaign) -> None:
    book = _book()
    assert len(book) == 30
    sheet = book[("MP-1001", "AT-01-01", "")]
    assert (sheet.book_qty, sheet.unit_cost, sheet.last_movement_date) == \
        (Decimal("1250.5"), Decimal("2.75"), date(2025, 12, 15))
    assert sheet.item.designation == "Tôle acier galvanisé 2 mm" and sheet.item.category.value == "raw_materials"
    assert book[("MP-1003", "AT-02-01", "L2025-041")].book_qty == Decimal("48.25")
    assert book[("MP-1003", "AT-02-01", "L2025-057")].unit_cost == Decimal("19.10")
    assert book[("MA-4011", "MA-06-01", "")].book_qty == 5000
    assert book[("PF-3002", "MA-01-02", "")].unit_cost == Decimal("1240")
    assert book[("AP-2001", "AT-04-01", "")].item.designation == "Carton d’emballage 60x40x40"
    categories = {line.item.reference: line.item.category.value for line in book.values()}
    assert {categories["AP-2002"], categories["PF-3001"], categories["MA-4001"]} == \
        {"other_supplies", "products", "goods_for_resale"}
    assert {line.owner.value for line in book.values()} == {"own"}
    assert sorted(db.session.scalars(sa.select(Zone.code))) == ["ATELIER", "MAGASIN"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 27
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Location)) == 29
    total = sum(line.book_qty * line.unit_cost for line in book.values())
    assert total == Decimal("39946.93")


def test_a_french_windows_1252_stock_file_is_previewed_in_french_then_imported(client_as, campaign):
    manager = client_as("manager", language="en")
    data = FRENCH_STOCK.read_bytes()
    assert "Désignation".encode("cp1252") in data and b"\r\n" in data  # what the ERP wrote
    page = _upload(manager, data, "stock_fr_cp1252.csv")
    assert "30 lines checked, no error." in page
    # the campaign is French: headers, numbers, dates and labels as a French reader writes them
    assert "<th>Désignation</th>" in page and '<th class="num">Quantité théorique</th>' in page
    assert f"1{NNBSP}250,5" in page and "2,75" in page and "15/12/2025" in page
    assert "Matières premières et fournitures" in page
    # one site and all own stock: said once above the lines, not in two more columns
    assert "<strong>Site</strong> LYON" in page and "<strong>Propriétaire</strong> Stock propre" in page
    assert "<th>Site</th>" not in page
    assert "Decimal(" not in page and "raw_materials" not in page.split("Files and their columns")[0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)) == 0  # a preview writes nothing
    status = _confirm(manager, page)
    assert status["state"] == "done", status
    assert status["result"]["summary"].startswith("30 book lines imported (30 new, 0 updated, 0 removed)")
    _assert_the_french_stock_is_loaded(campaign)


def test_the_same_file_as_xlsx(client_as, campaign):
    manager = client_as("manager", language="fr")
    book = openpyxl.Workbook()
    sheet = book.active
    text = FRENCH_STOCK.read_bytes().decode("cp1252")
    for number, cells in enumerate(csv.reader(io.StringIO(text), delimiter=";")):
        if number == 0:
            sheet.append(cells)
            continue
        # typed cells as Excel keeps them: numbers and dates, not texts
        day, month, year = (int(p) for p in cells[11].split("/"))
        for index in (8, 9):
            cells[index] = float(cells[index].replace(" ", "").replace(",", "."))
        cells[11] = date(year, month, day)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    page = _upload(manager, out.getvalue(), "stock_fr.xlsx")
    assert "30 lignes" in page or "30 lines" in page
    assert f"1{NNBSP}250,5" in page and "15/12/2025" in page
    status = _confirm(manager, page)
    assert status["state"] == "done", status
    _assert_the_french_stock_is_loaded(campaign)


def test_errors_name_the_line_and_the_column_as_written(client_as, campaign):
    manager = client_as("manager", language="en")
    text = FRENCH_STOCK.read_bytes().decode("cp1252").replace("2 400;0,42", "2 400;zéro")
    page = _upload(manager, text.encode("cp1252"), "stock.csv")
    assert "1 error: nothing will be imported" in page
    row = re.search(r"<tr><td class=\"num\">(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", page)
    assert row.groups()[:2] == ("4", "Coût unitaire") and row.group(3).startswith("&#39;zéro&#39; is not a number")


@pytest.mark.parametrize("kind", ["stock", "movements", "opening"])
def test_the_page_offers_templates_and_lists_the_columns(client_as, campaign, kind):
    manager = client_as("manager", language="en")
    page = manager.get("/campaigns/FY2025/imports").get_data(as_text=True)
    assert f"/campaigns/FY2025/imports/template/{kind}.csv" in page
    assert f"/campaigns/FY2025/imports/template/{kind}.xlsx" in page
    assert "Quantité théorique" in page and "<code>book_qty</code>" in page and "Valeur d&#39;ouverture" in page

    csv_file = manager.get(f"/campaigns/FY2025/imports/template/{kind}.csv")
    assert csv_file.status_code == 200 and "attachment" in csv_file.headers["Content-Disposition"]
    assert csv_file.data.startswith(b"\xef\xbb\xbf")  # French Excel reads UTF-8 only with its BOM
    header, *lines = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 2
    workbook = openpyxl.load_workbook(io.BytesIO(manager.get(f"/campaigns/FY2025/imports/template/{kind}.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert list(rows[0]) == header and len(rows) == 3
    expected = {"stock": ["Référence", "Désignation", "Unité", "Catégorie", "Emplacement", "Quantité théorique"],
                "movements": ["Date", "Référence", "Emplacement", "Quantité"],
                "opening": ["Catégorie", "Valeur d'ouverture"]}[kind]
    assert header[:len(expected)] == expected


def test_a_downloaded_template_previews_without_an_error(client_as, campaign):
    manager = client_as("manager", language="en")
    for fmt in ("csv", "xlsx"):
        data = manager.get(f"/campaigns/FY2025/imports/template/stock.{fmt}").data
        page = _upload(manager, data, f"template.{fmt}")
        assert "2 lines checked, no error." in page, page


def test_an_english_campaign_gets_english_templates_and_numbers(client_as, make_campaign):
    make_campaign("FY2025", year=2025, count_date=date(2025, 12, 31), closing_date=date(2025, 12, 31), language="en")
    manager = client_as("manager", language="en")
    data = manager.get("/campaigns/FY2025/imports/template/stock.csv").data
    assert data.decode().startswith("reference,designation,unit,category,location,book_qty,unit_cost")
    page = _upload(manager, FRENCH_STOCK.read_bytes(), "stock_fr_cp1252.csv")
    assert "<th>Designation</th>" in page and "1,250.5" in page and "2025-12-15" in page
    assert "Raw materials and supplies" in page


def test_unknown_template_kinds_and_formats_are_not_found(client_as, campaign):
    manager = client_as("manager")
    assert manager.get("/campaigns/FY2025/imports/template/tickets.csv").status_code == 404
    assert manager.get("/campaigns/FY2025/imports/template/stock.xls").status_code == 404


def test_the_summary_of_an_import_groups_thousands_and_agrees_in_number(app):
    from flask_babel import force_locale

    from countapp.services.imports import describe

    stock = {"lines": 1234, "inserted": 1200, "updated": 34, "removed": 0, "zeroed": 0, "items": 1001,
             "locations": 87}
    with force_locale("en"):
        assert describe("stock", stock) == ("1,234 book lines imported (1,200 new, 34 updated, 0 removed); "
                                            "1,001 items, 87 locations.")
        assert describe("stock", {**stock, "lines": 1}).startswith("1 book line imported")
        assert describe("movements", {"movements": 1}) == "1 movement imported."
        assert describe("opening", {"categories": 2}) == "2 opening values imported."
    with force_locale("fr"):
        assert describe("stock", stock).startswith(f"1{NNBSP}234 ")  # French groups with a narrow no-break space
