"""Campaign set-up through its commands and pages: campaigns, settings, imports, teams."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.models import AuditEvent, BookLine, Campaign, CampaignStatus, Item, Location, Movement, OpeningBalance, Zone
from countapp.services import campaigns as campaign_service

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _count(model, **where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).filter_by(**where))


@pytest.fixture
def campaign(make_campaign):
    return make_campaign("FY2025", year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))


def _write(tmp_path, name: str, text: str, encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


STOCK = """reference;designation;unit;category;location;zone;site;lot;book_qty;unit_cost;owner
A-1;Bolt M6;pc;31;L-01;Z1;S1;;1 200;0,25;own
A-1;Bolt M6;pc;31;L-02;Z1;S1;;30;0,25;
B-2;Oil;l;raw_materials;L-02;Z1;S1;LOT9;12,5;3,10;own
C-3;Pallet (customer);pc;37;L-03;Z2;S1;;4;0;third_party
"""


# --- campaigns and settings -------------------------------------------------------------------------

def test_campaign_create_show_configure_round_trip(runner, tmp_path):
    created = runner.invoke(args=["campaign", "create", "FY2026", "--year", "2026", "--count-date", "2026-12-28",
                                  "--closing-date", "2026-12-31", "--valuation", "fifo", "--language", "en"])
    assert created.exit_code == 0, created.output
    settings = tmp_path / "s.toml"
    settings.write_text('valuation = "lifo"\n[tolerance.vs_book]\npct = 5\n'
                        '[tolerance.category.goods_for_resale.vs_book]\nvalue = 100\n'
                        '[depreciation]\ndamaged = 40\n', encoding="utf-8")
    configured = runner.invoke(args=["campaign", "configure", "FY2026", str(settings)])
    assert configured.exit_code == 0, configured.output
    shown = runner.invoke(args=["campaign", "show", "FY2026"]).output
    assert 'valuation = "lifo"' in shown and 'language = "en"' in shown
    import tomllib

    parsed = tomllib.loads(shown)
    assert Decimal(str(parsed["tolerance"]["vs_book"]["pct"])) == 5
    assert Decimal(str(parsed["tolerance"]["category"]["goods_for_resale"]["vs_book"]["value"])) == 100
    assert Decimal(str(parsed["depreciation"]["damaged"])) == 40
    # what show prints, configure reads back unchanged
    again = tmp_path / "again.toml"
    again.write_text(shown, encoding="utf-8")
    assert runner.invoke(args=["campaign", "configure", "FY2026", str(again)]).exit_code == 0
    assert runner.invoke(args=["campaign", "show", "FY2026"]).output == shown


@pytest.mark.parametrize("toml, fragment", [
    ('valuation = "average"\n', "valuation"),
    ("[tolerance.vs_book]\npct = -1\n", "pct"),
    ("[tolerance.category.gold.vs_book]\nvalue = 1\n", "gold"),
    ("[depreciation]\ndamaged = 150\n", "damaged"),
    ("valuation = \n", "TOML"),
])
def test_campaign_configure_refuses_bad_settings_and_keeps_the_old(runner, campaign, tmp_path, toml, fragment):
    before = campaign_service.settings_toml(campaign)
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    result = runner.invoke(args=["campaign", "configure", "FY2025", str(path)])
    assert result.exit_code == 1 and fragment in result.output, result.output
    db.session.expire_all()
    assert campaign_service.settings_toml(db.session.get(Campaign, campaign.id)) == before


def test_campaign_create_refuses_bad_dates(runner):
    result = runner.invoke(args=["campaign", "create", "X", "--year", "2025", "--count-date", "2027-01-05",
                                 "--closing-date", "2025-12-31"])
    assert result.exit_code != 0 and "days from the closing date" in result.output


def test_campaign_create_accepts_a_count_after_closing(runner):
    # Issue 18: counted in the first days of January, the count rolls back to the 31 December.
    result = runner.invoke(args=["campaign", "create", "X", "--year", "2025", "--count-date", "2026-01-03",
                                 "--closing-date", "2025-12-31"])
    assert result.exit_code == 0, result.output
    assert campaign_service.get("X").count_date.isoformat() == "2026-01-03"


def test_settings_page_saves_tolerances_and_is_logged(client_as, campaign):
    manager = client_as("manager")
    page = manager.get("/campaigns/FY2025/settings")
    assert page.status_code == 200
    form = {"valuation": "fifo", "language": "en", "person_in_charge": "Jeanne Martin",
            "count_date": "2025-12-28", "closing_date": "2025-12-31",
            "between_counts-qty": "2", "between_counts-pct": "", "between_counts-value": "",
            "vs_book-qty": "", "vs_book-pct": "5", "vs_book-value": "",
            "damaged": "50", "obsolete": "100", "expired": "100", "slow_moving": "10", "slow_moving_days": "365",
            "market_price": "y"}
    response = manager.post("/campaigns/FY2025/settings", data=form)
    assert response.status_code in (200, 302, 303)
    db.session.expire_all()
    saved = db.session.get(Campaign, campaign.id)
    shown = campaign_service.settings_toml(saved)
    if saved.valuation.value != "fifo":
        pytest.fail("settings page did not save: " + response.get_data(as_text=True)[:2000])
    assert saved.person_in_charge == "Jeanne Martin" and "slow_moving = 10" in shown
    assert _count(AuditEvent, campaign_id=campaign.id) >= 1


def test_settings_page_is_read_only_for_auditors(client_as, campaign):
    auditor = client_as("auditor")
    assert auditor.get("/campaigns/FY2025/settings").status_code == 200
    assert auditor.post("/campaigns/FY2025/settings", data={"valuation": "lifo"}).status_code == 403


# --- imports ----------------------------------------------------------------------------------------

def test_import_stock_creates_places_items_and_book_lines(runner, campaign, tmp_path):
    result = runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "stock.csv", STOCK)])
    assert result.exit_code == 0, result.output
    assert "4 book lines imported" in result.output
    assert _count(BookLine, campaign_id=campaign.id) == 4
    assert _count(Item, campaign_id=campaign.id) == 3
    assert _count(Location, campaign_id=campaign.id) == 3
    assert _count(Zone, campaign_id=campaign.id) == 2
    line = db.session.scalars(sa.select(BookLine).join(Item).where(Item.reference == "A-1")
                              .order_by(BookLine.book_qty.desc())).first()
    assert line.book_qty == Decimal("1200") and line.unit_cost == Decimal("0.25")
    oil = db.session.scalar(sa.select(BookLine).where(BookLine.lot == "LOT9"))
    assert oil.book_qty == Decimal("12.5")
    assert db.session.scalar(sa.select(Item.category).where(Item.reference == "C-3")).value == "goods_for_resale"


@pytest.mark.parametrize("name", ["stock_en.csv", "stock_fr.csv"])
def test_import_real_exports(runner, campaign, name):
    result = runner.invoke(args=["import", "stock", "FY2025", str(FIXTURES / name)])
    assert result.exit_code == 0, result.output
    assert _count(BookLine, campaign_id=campaign.id) > 0


def test_import_xlsx_with_odd_headers(runner, campaign, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([" Reference ", "DESIGNATION", "Unit", "Category", "Location", "Book_Qty", "Unit_Cost"])
    sheet.append(["X-1", "Widget", "pc", "35", "L-9", 7, 1.5])
    path = tmp_path / "stock.xlsx"
    book.save(path)
    result = runner.invoke(args=["import", "stock", "FY2025", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(BookLine.book_qty)) == Decimal("7")


def test_import_windows_1252(runner, campaign, tmp_path):
    text = "reference;designation;unit;category;location;book_qty;unit_cost\nP-1;Pièce détachée;pc;31;L1;3;2,5\n"
    result = runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "cp.csv", text, "cp1252")])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Item.designation)) == "Pièce détachée"


def test_bad_stock_file_lists_every_error_and_writes_nothing(runner, campaign, tmp_path):
    bad = ("reference;designation;unit;category;location;book_qty;unit_cost\n"
           "A;Alpha;pc;31;L1;-3;2\n"          # line 2: negative book quantity
           "B;Beta;pc;gold;L1;3;2\n"          # line 3: unknown category
           "C;Gamma;pc;31;L1;abc;2\n"         # line 4: not a number
           "D;Delta;pc;31;L1;1;2\n"
           "D;Delta;pc;31;L1;1;2\n"           # line 6: duplicate book line
           "E;Eps;pc;31;L1;1;2\n"
           "E;Epsilon;pc;31;L2;1;2\n")        # line 8: designation disagrees
    result = runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "bad.csv", bad)])
    assert result.exit_code == 1
    for line in ("line 2", "line 3", "line 4", "line 6", "line 8"):
        assert f"bad.csv, {line}" in result.output, result.output
    assert "gold" in result.output and "abc" in result.output
    assert _count(BookLine) == 0 and _count(Item) == 0 and _count(Location) == 0


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "errors").glob("stock_*.csv")))
def test_every_stock_error_fixture_is_refused(runner, campaign, name):
    result = runner.invoke(args=["import", "stock", "FY2025", str(FIXTURES / "errors" / name)])
    assert result.exit_code == 1 and name in result.output, result.output
    assert _count(BookLine) == 0


def test_reimport_replaces_the_snapshot_until_counting_starts(runner, campaign, tmp_path):
    assert runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "a.csv", STOCK)]).exit_code == 0
    smaller = "\n".join(STOCK.splitlines()[:2]).replace("1 200", "1 100") + "\n"
    second = runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "b.csv", smaller)])
    assert second.exit_code == 0, second.output
    assert _count(BookLine, campaign_id=campaign.id) == 1
    assert db.session.scalar(sa.select(BookLine.book_qty)) == Decimal("1100")
    campaign_service.set_status(db.session.get(Campaign, campaign.id), CampaignStatus.COUNTING)
    db.session.commit()
    third = runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "c.csv", STOCK)])
    assert third.exit_code == 1 and "Counting has started" in third.output
    assert _count(BookLine, campaign_id=campaign.id) == 1


def test_import_movements_and_opening(runner, campaign, tmp_path):
    assert runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "s.csv", STOCK)]).exit_code == 0
    movements = ("date;reference;location;quantity;unit_cost;kind;document\n"
                 "31/12/2024;A-1;L-01;1 000;0,20;opening;OUV\n"
                 "15/03/2025;A-1;L-01;500;0,30;;BR-1\n"
                 "30/12/2025;A-1;L-01;-300;;;BL-9\n")
    result = runner.invoke(args=["import", "movements", "FY2025", _write(tmp_path, "m.csv", movements)])
    assert result.exit_code == 0, result.output
    assert "3 movements imported" in result.output
    kinds = sorted(k.value if hasattr(k, "value") else k for k in db.session.scalars(sa.select(Movement.kind)))
    assert kinds == ["issue", "opening", "receipt"]
    opening = runner.invoke(args=["import", "opening", "FY2025", str(FIXTURES / "opening.csv")])
    assert opening.exit_code == 0, opening.output
    assert _count(OpeningBalance, campaign_id=campaign.id) == 2


def test_movements_refused_for_unknown_item_or_malformed_date(runner, campaign, tmp_path):
    runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "s.csv", STOCK)])
    bad = ("date;reference;location;quantity;unit_cost\n"
           "2025-03-01;ZZZ;L-01;5;1\n"
           "2026-02-31;A-1;L-01;5;1\n")
    result = runner.invoke(args=["import", "movements", "FY2025", _write(tmp_path, "m.csv", bad)])
    assert result.exit_code == 1
    assert "m.csv, line 2, reference" in result.output and "ZZZ" in result.output
    assert "m.csv, line 3, date" in result.output
    assert _count(Movement) == 0


def test_movements_outside_the_window_are_imported_and_counted(runner, campaign, tmp_path):
    # Issue 18: an ERP export runs to the day it was extracted (here 2 February 2026).
    runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "s.csv", STOCK)])
    moves = ("date;reference;location;quantity;unit_cost\n"
             "2025-03-01;A-1;L-01;5;1\n"
             "2026-02-01;A-1;L-01;5;1\n"
             "2023-02-01;A-1;L-01;5;1\n")
    result = runner.invoke(args=["import", "movements", "FY2025", _write(tmp_path, "m.csv", moves)])
    assert result.exit_code == 0, result.output
    assert "3 movements imported. 2 of them are outside the window" in result.output
    assert _count(Movement) == 3


def test_imports_are_logged(runner, campaign, tmp_path):
    runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "s.csv", STOCK)])
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.campaign_id == campaign.id)))
    assert "import.stock" in actions


def test_upload_page_previews_then_imports(client_as, campaign):
    manager = client_as("manager")
    response = manager.post("/campaigns/FY2025/imports", data={
        "kind": "stock", "file": (io.BytesIO(STOCK.encode()), "stock.csv")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "A-1" in page and "L-03" in page
    assert _count(BookLine) == 0  # a preview writes nothing
    import re

    upload = re.search(r'name="upload"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="upload"',
                                                                                   page)
    confirmed = manager.post("/campaigns/FY2025/imports/confirm", data={"upload": upload.group(1), "kind": "stock"})
    assert confirmed.status_code in (302, 303)
    status = manager.get(confirmed.headers["Location"] + "?format=json").get_json()
    assert status["state"] == "done", status
    assert _count(BookLine, campaign_id=campaign.id) == 4


def test_upload_page_lists_errors_with_lines(client_as, campaign):
    manager = client_as("manager", language="en")
    bad = "reference;designation;unit;category;location;book_qty;unit_cost\nA;Alpha;pc;31;L1;-3;2\nB;B;pc;99;L1;1;1\n"
    page = manager.post("/campaigns/FY2025/imports", data={
        "kind": "stock", "file": (io.BytesIO(bad.encode()), "bad.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "-3" in page and "99" in page
    assert "imports/confirm" not in page.split("</form>")[-1] or "2 errors" in page or "2 erreurs" in page
    assert _count(BookLine) == 0


# --- teams --------------------------------------------------------------------------------------------

@pytest.fixture
def stocked(runner, campaign, tmp_path, make_user):
    assert runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "s.csv", STOCK)]).exit_code == 0
    for login, role in (("lead1", "leader"), ("lead2", "leader"), ("ann", "counter"), ("ben", "counter"),
                        ("cat", "counter"), ("keeper", "counter"), ("boss", "manager")):
        make_user(login, role)
    return campaign


def test_team_add_command(runner, stocked):
    result = runner.invoke(args=["team", "add", "FY2025", "1", "--round", "1", "--leader", "lead1",
                                 "--member", "ann", "--zone", "Z1", "--zone", "Z2"])
    assert result.exit_code == 0, result.output
    assert "Team 1 (round 1)" in result.output


@pytest.mark.parametrize("second, message", [
    # ann is in a round 1 team for Z1: she cannot count round 2 of Z1
    (["2", "--round", "2", "--leader", "lead2", "--member", "ann", "--zone", "Z1"], "ann"),
    # the same leader cannot lead both rounds of a zone
    (["2", "--round", "2", "--leader", "lead1", "--member", "ben", "--zone", "Z1"], "lead1"),
    # team numbers are unique in a campaign
    (["1", "--round", "2", "--leader", "lead2", "--zone", "Z2"], "already exists"),
    # unknown zone
    (["2", "--round", "2", "--leader", "lead2", "--zone", "NOPE"], "NOPE"),
    # a manager does not count
    (["2", "--round", "2", "--leader", "boss", "--zone", "Z2"], "boss"),
])
def test_team_rules_are_refused_with_a_reason(runner, stocked, second, message):
    first = runner.invoke(args=["team", "add", "FY2025", "1", "--round", "1", "--leader", "lead1",
                                "--member", "ann", "--zone", "Z1"])
    assert first.exit_code == 0, first.output
    result = runner.invoke(args=["team", "add", "FY2025", *second])
    assert result.exit_code == 1 and message in result.output, result.output


def test_storekeeper_cannot_count_their_zone(runner, stocked):
    assert runner.invoke(args=["team", "storekeeper", "FY2025", "Z1", "keeper"]).exit_code == 0
    result = runner.invoke(args=["team", "add", "FY2025", "1", "--round", "1", "--leader", "lead1",
                                 "--member", "keeper", "--zone", "Z1"])
    assert result.exit_code == 1 and "keeper" in result.output and "storekeeper" in result.output
    ok = runner.invoke(args=["team", "add", "FY2025", "1", "--round", "1", "--leader", "lead1",
                             "--member", "keeper", "--zone", "Z2"])
    assert ok.exit_code == 0, ok.output


def test_team_page_adds_a_team_and_shows_coverage(client_as, stocked):
    manager = client_as("manager")
    response = manager.post("/campaigns/FY2025/teams", data={
        "team-number": "3", "team-round": "1", "team-leader": "lead1", "team-members": ["ann", "ben"],
        "team-zones": ["Z1"]})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:3000]
    page = manager.get("/campaigns/FY2025/teams").get_data(as_text=True)
    assert "lead1" in page.lower() or "Lead1" in page
    refused = manager.post("/campaigns/FY2025/teams", data={
        "team-number": "4", "team-round": "2", "team-leader": "lead2", "team-members": ["ann"],
        "team-zones": ["Z1"]}, follow_redirects=True)
    assert "ann" in refused.get_data(as_text=True)


def test_reimport_updates_an_items_designation(runner, campaign, tmp_path):
    assert runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "a.csv", STOCK)]).exit_code == 0
    renamed = STOCK.replace("Bolt M6", "Hex bolt M6")
    assert runner.invoke(args=["import", "stock", "FY2025", _write(tmp_path, "b.csv", renamed)]).exit_code == 0
    assert db.session.scalar(sa.select(Item.designation).where(Item.reference == "A-1")) == "Hex bolt M6"
    assert _count(Item, campaign_id=campaign.id) == 3 and _count(BookLine, campaign_id=campaign.id) == 4
