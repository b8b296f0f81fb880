"""The annual inventory report and the entries, through the commands and the pages.

Every figure read back from the PDF (pypdf) and from the workbook (openpyxl) is compared with
the reconciliation engine's own result for the same campaign (``services.reconciliation``).
"""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from pypdf import PdfReader

from countapp.services import annual_report, reconciliation
from reports import annual_format as fmt
from reports.annual_texts import TEXTS, label

from ..workbook import records
from ..workbook import summary as summary_of
from .test_report_fixtures import CODE, counted, worked_example


def pdf_text(data: bytes) -> str:
    """The PDF's text with every run of white space (no-break spaces too) as one space."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


def sheet_rows(workbook, name: str) -> list[dict]:
    """Rows keyed by column code: the workbook itself is in the campaign's words (tests/workbook.py)."""
    return records(workbook, name)


def cents(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def scenario(app, tmp_path):
    return counted(tmp_path)


# --- entries --------------------------------------------------------------------------------------

def test_entries_command_reproduces_the_worked_example(app, runner, tmp_path):
    worked_example(tmp_path)
    out = tmp_path / "entries.csv"
    result = runner.invoke(args=["entries", "LAPOMME", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["journal", "date", "account", "label", "debit", "credit", "entry"]
    assert [(r["entry"], r["account"], r["debit"], r["credit"]) for r in rows] == [
        ("1", "6031", "13000.00", ""), ("1", "31", "", "13000.00"),      # raw materials down: more expense
        ("2", "37", "5000.00", ""), ("2", "6037", "", "5000.00"),        # goods for resale up: less expense
    ]
    assert {r["journal"] for r in rows} == {"INV"} and {r["date"] for r in rows} == {"2025-12-31"}
    assert rows[0]["label"] == "Variation des stocks de l’exercice – matières premières et fournitures"
    # the result falls by 8,000: 13,000 more expense, 5,000 less
    assert "effect on the result -8000.00" in result.output


def test_entries_balance_and_follow_the_sign_rules(scenario, runner, tmp_path):
    out = tmp_path / "entries.csv"
    result = runner.invoke(args=["entries", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    engine = reconciliation.result(CODE)
    closing = dict(zip(engine.by_category["category"], engine.by_category["closing_value"]))
    depreciation = dict(zip(engine.by_category["category"], engine.by_category["depreciation"]))
    by_entry: dict[str, list[dict]] = {}
    for row in rows:
        by_entry.setdefault(row["entry"], []).append(row)
        for side in ("debit", "credit"):
            assert row[side] == "" or re.fullmatch(r"\d+\.\d\d", row[side]), row  # to the cent
    for lines in by_entry.values():
        debit = sum(Decimal(r["debit"] or 0) for r in lines)
        credit = sum(Decimal(r["credit"] or 0) for r in lines)
        assert debit == credit and debit > 0
    accounts = [(r["account"], r["debit"], r["credit"]) for r in rows]
    # raw materials: opening 400 − closing gross; stock went down → debit 6031, credit 31
    variation = Decimal("400.00") - closing["raw_materials"]
    assert variation > 0 and ("6031", str(variation), "") in accounts and ("31", "", str(variation)) in accounts
    # products: opening 1,600 − closing gross (D-4 not counted: nothing) → debit 7135, credit 35
    assert ("7135", "1600.00", "") in accounts and ("35", "", "1600.00") in accounts
    # last year's depreciation reversed, this year's booked
    assert ("391", "20.00", "") in accounts and ("78173", "", "20.00") in accounts
    charge = str(depreciation["raw_materials"])
    assert ("68173", charge, "") in accounts and ("391", "", charge) in accounts


def test_entries_command_refuses_another_format(scenario, runner, tmp_path):
    result = runner.invoke(args=["entries", CODE, "--out", str(tmp_path / "entries.xlsx")])
    assert result.exit_code == 1 and "entries.xlsx" in result.output
    assert not (tmp_path / "entries.xlsx").exists()


# --- the report: figures equal the engine's -------------------------------------------------------

def _check_pdf_figures(text: str, lang: str):
    engine = reconciliation.result(CODE)
    own = engine.own_totals
    t = TEXTS[lang]
    money = lambda v: fmt.money(v, lang)  # noqa: E731
    n = lambda v: fmt.count(v, lang)  # noqa: E731
    # summary: the engine's own totals, each after its label
    for key, name in (("book_value", "k_book_value"), ("counted_value", "k_counted_value"),
                      ("diff_value", "k_diff_value"), ("closing_value", "k_closing_value"),
                      ("depreciation", "k_depreciation"), ("net_value", "k_net_value")):
        assert f"{norm(t[name])} {norm(money(own[key]))}" in text, (name, money(own[key]))
    # reconciliation by category: two tables, every row and the total row
    for row in engine.by_category.to_dict("records"):
        name = label(lang, "category", row["category"])
        first = [row["stock_account"], n(row["lines"]), n(row["not_counted"]), n(row["differences"]),
                 money(row["book_value"]), money(row["counted_value"]), money(row["diff_value"])]
        assert norm(f"{name} {' '.join(first)}") in text, first
        second = [row["stock_account"], money(row["closing_value"]), money(row["depreciation"]),
                  money(row["net_value"])]
        assert norm(f"{name} {' '.join(second)}") in text, second
    total = [n(own["lines"]), n(own["not_counted"]), n(own["differences"]), money(own["book_value"]),
             money(own["counted_value"]), money(own["diff_value"])]
    assert norm(f"{t['total']} {' '.join(total)}") in text
    assert norm(f"{t['total']} {money(own['closing_value'])} {money(own['depreciation'])} "
                f"{money(own['net_value'])}") in text
    # by owner
    for row in engine.by_owner.to_dict("records"):
        cells = [n(row["lines"]), n(row["not_counted"]), n(row["differences"]), money(row["book_value"]),
                 money(row["diff_value"]), money(row["closing_value"]), money(row["depreciation"]),
                 money(row["net_value"])]
        assert norm(f"{label(lang, 'owner', row['owner'])} {' '.join(cells)}") in text
    # the entries: each line's amount, and the balance line
    entries = annual_report.entries(annual_report.campaign_service.get(CODE), engine)
    for row in entries.to_dict("records"):
        amount = money(row["debit"] if row["debit"] is not None else row["credit"])
        assert norm(f"{row['account']} {row['label']}") in text and norm(amount) in text
    return engine


def test_report_command_writes_the_engines_figures_in_french(scenario, runner, tmp_path):
    out, book = tmp_path / "report.pdf", tmp_path / "report.xlsx"
    result = runner.invoke(args=["report", CODE, "--out", str(out), "--xlsx", str(book)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Rapport annuel d’inventaire" in text and "Page 1 sur" in text
    engine = _check_pdf_figures(text, "fr")
    # every section the issue asks for, in the contents and in the body
    for key in ("s_summary", "s_planned", "s_actual", "s_tickets", "s_stats", "s_third", "s_reconciliation",
                "s_largest", "s_not_counted", "s_valuation", "s_indicators", "s_entries", "s_difficulties",
                "s_proposals", "s_sign_off"):
        assert text.count(norm(TEXTS["fr"][key])) >= 2, key
    pages = len(PdfReader(out).pages)
    assert f"Page {pages} sur {pages}" in text
    # the workbook holds the same figures as the engine
    workbook = openpyxl.load_workbook(book, read_only=True)
    for cells, row in zip(sheet_rows(workbook, "by_category"), engine.by_category.to_dict("records")):
        assert cells["category"] == row["category"]
        for key in ("book_value", "counted_value", "diff_value", "closing_value", "depreciation", "net_value"):
            assert cents(cells[key]) == row[key], key
    summary = summary_of(workbook)
    for key in ("book_value", "counted_value", "diff_value", "closing_value", "depreciation", "net_value"):
        assert cents(summary[key]) == engine.own_totals[key]
    assert len(sheet_rows(workbook, "reconciliation")) == len(engine.lines)


def test_report_in_english_has_the_same_figures(app, runner, tmp_path):
    counted(tmp_path, language="en")
    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["report", CODE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Annual inventory report" in text and "Page 2 of" in text
    _check_pdf_figures(text, "en")
    assert "Rapport annuel" not in text


def test_count_statistics_and_ticket_control_in_the_report(scenario, runner, tmp_path):
    out, book = tmp_path / "report.pdf", tmp_path / "report.xlsx"
    assert runner.invoke(args=["report", CODE, "--out", str(out), "--xlsx", str(book)]).exit_code == 0
    workbook = openpyxl.load_workbook(book, read_only=True)
    stats = {(r["group"], r["key"], r["round"]): r for r in sheet_rows(workbook, "count_stats")}
    overall = stats[("all", "all", None)]
    # 5 tickets with both counts: 3 equal, 2 apart (A-1@L-02, D-4); one third count done, one pending
    assert (overall["tickets"], overall["both_counts"], overall["exactly_equal"], overall["within_tolerance"],
            overall["third_needed"], overall["third_done"]) == (5, 5, 3, 3, 2, 1)
    assert overall["agreement_pct"] == 60 and overall["third_count_pct"] == 40
    assert stats[("team", "1", 1)]["tickets"] == 5 and stats[("team", "2", 2)]["tickets"] == 5
    zones = {key: r for (group, key, _), r in stats.items() if group == "zone"}
    assert (zones["Z1"]["both_counts"], zones["Z1"]["third_needed"]) == (3, 1)
    assert (zones["Z2"]["both_counts"], zones["Z2"]["third_needed"]) == (2, 1)
    third = {r["ticket"]: r for r in sheet_rows(workbook, "third_counts")}
    assert len(third) == 2
    text = pdf_text(out.read_bytes())
    assert "Concordance entre 1er et 2e comptages 3 (60,0 %)" in text
    assert "Taux de troisième comptage 2 (40,0 %)" in text
    # ticket control: 7 numbers issued to each team; blank 2 is missing in both rounds (once per range)
    ranges = sheet_rows(workbook, "ticket_ranges")
    assert [(r["team"], r["issued"], r["voided"], r["missing"]) for r in ranges] == [(1, 7, 1, 1), (2, 7, 1, 1)]
    summary = summary_of(workbook)
    assert (summary["tickets_issued"], summary["tickets_missing"], summary["tickets_voided"]) == (14, 2, 1)
    assert "Spoiled: coffee on it" in text


def test_texts_written_on_the_page_appear_in_the_report(scenario, client_as, tmp_path):
    manager = client_as("manager")
    response = manager.post(f"/campaigns/{CODE}/report/texts", data={
        "texts-narrative": "Le comptage a commencé à l'heure.", "texts-difficulties": "Étiquettes illisibles en Z2.",
        "texts-solutions": "- Réimpression sur place\n- Lecture à la douchette", "texts-proposals": "Ranger Z2 avant."})
    assert response.status_code == 302
    page = manager.get(f"/campaigns/{CODE}/report").get_data(as_text=True)
    assert "Étiquettes illisibles en Z2." in page
    files = annual_report.build_files(annual_report.campaign_service.get(CODE))
    text = pdf_text(files.pdf)
    for words in ("Le comptage a commencé à l'heure.", "Étiquettes illisibles en Z2.", "Réimpression sur place",
                  "Lecture à la douchette", "Ranger Z2 avant."):
        assert words in text
    workbook = openpyxl.load_workbook(io.BytesIO(files.xlsx), read_only=True)
    assert {r["key"]: r["text"] for r in sheet_rows(workbook, "texts")}["proposals"] == "Ranger Z2 avant."


def test_only_the_manager_writes_the_texts(scenario, client_as):
    centraliser = client_as("centraliser")
    assert centraliser.get(f"/campaigns/{CODE}/report").status_code == 200
    response = centraliser.post(f"/campaigns/{CODE}/report/texts", data={"texts-narrative": "Nope"})
    assert response.status_code == 403
    auditor = client_as("auditor")
    assert auditor.post(f"/campaigns/{CODE}/report/texts", data={"texts-narrative": "x"}).status_code == 403
    # A counter of the campaign (in one of its teams, web.scope) is refused the report by role.
    assert client_as("counter", team=1, campaign=CODE).get(f"/campaigns/{CODE}/report").status_code == 403
    assert annual_report.texts(annual_report.campaign_service.get(CODE))["narrative"] == ""


def test_generate_a_draft_on_the_page_and_download_it(scenario, client_as):
    centraliser = client_as("centraliser")
    response = centraliser.post(f"/campaigns/{CODE}/report/generate")
    assert response.status_code == 302 and "/report/job/" in response.headers["Location"]
    job = centraliser.get(response.headers["Location"] + "?format=json").get_json()
    assert job["state"] == "done", job
    pdf = centraliser.get(f"/campaigns/{CODE}/report/draft.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert job["result"]["sha256"] == __import__("hashlib").sha256(pdf.data).hexdigest()
    xlsx = client_as("auditor").get(f"/campaigns/{CODE}/report/draft.xlsx")
    assert xlsx.status_code == 200 and xlsx.data.startswith(b"PK")
    page = client_as("auditor").get(f"/campaigns/{CODE}/report").get_data(as_text=True)
    assert job["result"]["sha256"] in page and 'id="generate"' not in page
    entries = centraliser.get(f"/campaigns/{CODE}/report/entries.csv")
    assert entries.status_code == 200 and entries.data.startswith(b"journal,date,account,label,debit,credit")


def test_report_tab_is_shown_to_readers_only(scenario, client_as):
    page = client_as("manager").get(f"/campaigns/{CODE}").get_data(as_text=True)
    assert f"/campaigns/{CODE}/report" in page
    counter = client_as("counter", team=1, campaign=CODE)
    response = counter.get(f"/campaigns/{CODE}")
    assert response.status_code == 200
    assert f"/campaigns/{CODE}/report" not in response.get_data(as_text=True)


def test_report_of_a_campaign_with_nothing_counted_yet(app, make_campaign, runner, tmp_path):
    make_campaign("EMPTY", language="en")
    out, book = tmp_path / "empty.pdf", tmp_path / "empty.xlsx"
    result = runner.invoke(args=["report", "EMPTY", "--out", str(out), "--xlsx", str(book)])
    assert result.exit_code == 0, result.output
    text = pdf_text(out.read_bytes())
    assert "Annual inventory report" in text and "No entry" in text
    workbook = openpyxl.load_workbook(book, read_only=True)
    assert summary_of(workbook)["book_value"] == 0
    entries = runner.invoke(args=["entries", "EMPTY", "--out", str(tmp_path / "e.csv")])
    assert entries.exit_code == 0 and (tmp_path / "e.csv").read_text().startswith("journal,date,account")
