"""The annual inventory report of a combined year covers the cycle counts too (issue 21)."""
from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from countapp.services import annual_report, campaigns, cycle_counts, cycles, imports
from reports.annual_pdf import write_annual_pdf


def _text(campaign) -> str:
    out = io.BytesIO()
    write_annual_pdf(annual_report.gather(campaign), out)
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages)


def test_a_year_without_a_programme_has_no_cycle_section(make_campaign, files):
    campaign = make_campaign("FY2025", year=2025, language="en")
    imports.import_file("stock", "FY2025", files[0])
    assert annual_report.gather(campaign).cycles is None
    assert "Cycle counts of the year" not in _text(campaign)


def test_a_combined_year_reports_the_cycle_coverage(make_campaign, make_programme, people, files):
    make_campaign("FY2025", year=2025, language="en")
    imports.import_file("stock", "FY2025", files[0])
    make_programme(campaign_code="FY2025")
    for line in cycles.due("CC2025", dt.date(2025, 12, 31)):
        cycle_counts.record_count("CC2025", cycle_counts.CycleCountInput(line.plan_id, 1, "0",
                                                                        counted_on=dt.date(2025, 12, 1)),
                                  by=people["c1"])
        cycle_counts.record_count("CC2025", cycle_counts.CycleCountInput(line.plan_id, 2, "0",
                                                                        counted_on=dt.date(2025, 12, 1)),
                                  by=people["c2"])
    cycle_counts.accept("CC2025", [d.plan_id for d in cycle_counts.differences("CC2025")], cause="shrinkage",
                        by=people["boss"])
    section = annual_report.gather(campaigns.get("FY2025")).cycles
    assert (section.code, section.items_counted, section.items_total, section.year_end_items) == ("CC2025", 3, 3, 1)
    assert section.rows[-1].abc_class == "" and section.rows[-1].coverage == 1
    assert section.adjustments == 4 and section.adjustments_value < 0 and not section.counted_by_neither
    text = _text(campaigns.get("FY2025"))
    assert "Cycle counts of the year" in text and "3 of 3 items counted at least once" in text


def test_the_annual_workbook_of_a_combined_year_has_the_cycle_sheets(make_campaign, make_programme, people, files):
    from openpyxl import load_workbook

    from reports.annual_xlsx import write_annual_xlsx

    make_campaign("FY2025", year=2025, language="fr")
    imports.import_file("stock", "FY2025", files[0])
    make_programme(campaign_code="FY2025")
    line = cycles.due("CC2025", dt.date(2025, 12, 31))[0]
    cycle_counts.record_count("CC2025", cycle_counts.CycleCountInput(line.plan_id, 1, "0",
                                                                    counted_on=dt.date(2025, 12, 1)), by=people["c1"])
    report = annual_report.gather(campaigns.get("FY2025"))
    book = load_workbook(io.BytesIO(write_annual_xlsx(report)), read_only=True)
    assert "Inventaire tournant" in book.sheetnames and "Tournant, chiffres" in book.sheetnames
    rows = list(book["Inventaire tournant"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Classe", "Lignes", "Comptées au moins une fois", "Couverture (%)")
    assert [r[0] for r in rows[1:]] == [r.abc_class or "ensemble" for r in report.cycles.rows]
    assert [r[1] for r in rows[1:]] == [r.lines for r in report.cycles.rows]
    header, row = list(book["Tournant, chiffres"].iter_rows(values_only=True))
    figures = dict(zip(header, row))
    assert figures["Programme d’inventaire tournant"] == "CC2025"
    # Numbers for Excel, not texts.
    assert (figures["Articles du programme"], figures["Articles comptés en fin d’exercice"]) == (3, 1)
    assert figures["Valeur des ajustements"] == float(report.cycles.adjustments_value)


def test_a_year_without_a_programme_has_no_cycle_sheet(make_campaign, files):
    from openpyxl import load_workbook

    from reports.annual_xlsx import write_annual_xlsx

    campaign = make_campaign("FY2025", year=2025, language="en")
    imports.import_file("stock", "FY2025", files[0])
    book = load_workbook(io.BytesIO(write_annual_xlsx(annual_report.gather(campaign))), read_only=True)
    assert "Cycle counts" not in book.sheetnames
