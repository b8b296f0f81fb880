"""The annual report's pure parts: statistics, indicators, formatting, texts, PDF and workbook.

No app, no database: small campaigns through the reconciliation engine (tests/unit/conftest_reports)
and hand-made count entries.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from reports import annual_format as fmt
from reports import annual_stats as stats
from reports.entries import build_entries
from reports.annual_data import (AnnualReport, ClosingInfo, Header, Limits, PlannedTeam, Plan, RangeRow,
                                 TicketControl, VoidRow)
from reports.annual_pdf import write_annual_pdf
from reports.annual_texts import LABELS, TEXTS, label
from reports.annual_xlsx import summary_figures, write_annual_xlsx
from reports.xlsx_texts import headers, sheet_name
from tests.workbook import summary as summary_of
from tests.unit.conftest_reports import D, line, run, ticket

CLOSING = dt.date(2025, 12, 31)
T0 = dt.datetime(2025, 12, 28, 8, 0, tzinfo=dt.timezone.utc)


def entry(ticket_id, round_, qty, team=None, minutes=0, *, who="ann", supersedes=False, superseded=False,
          source="tablet"):
    return {"ticket_id": ticket_id, "round": round_, "qty": int(Decimal(qty) * 10_000), "team": team,
            "counted_at": T0 + dt.timedelta(minutes=minutes), "counted_by": who, "source": source,
            "supersedes": supersedes, "superseded": superseded}


def tickets_frame(rows):
    return pd.DataFrame([{"ticket_id": i, "ticket": f"{i:06d}/2025", "status": status, "reasons": reasons,
                          "zone": zone, "reference": f"R{i}", "location": f"L{i}"}
                         for i, status, reasons, zone in rows])


@pytest.fixture
def counted():
    """Four tickets: equal counts; counts apart then a third count; equal but far from book; one count only."""
    tickets = tickets_frame([(1, "final", "", "Z1"), (2, "final", "counts_disagree", "Z1"),
                             (3, "recount", "far_from_book", "Z2"), (4, "counted_1", "", "Z2")])
    entries = pd.DataFrame([
        entry(1, 1, "10", 1, 0), entry(1, 2, "10", 2, 60, who="cat"),
        entry(2, 1, "5", 1, 10), entry(2, 2, "4", 2, 70, who="cat"), entry(2, 3, "4", None, 200, who="boss"),
        entry(3, 1, "7", 1, 20, superseded=True), entry(3, 1, "8", 1, 25, supersedes=True),
        entry(3, 2, "8", 2, 80, who="cat"),
        entry(4, 1, "3", 1, 30 + 24 * 60, who="ben"),
    ])
    return tickets, entries


def test_agreement_and_third_count_rates(counted):
    result = stats.count_stats(*counted)
    o = result.overall
    assert (o.tickets, o.both, o.exact, o.within, o.third_needed, o.third_done) == (4, 3, 2, 2, 2, 1)
    assert o.agreement_rate == Decimal("0.6667") and o.third_rate == Decimal("0.6667")
    assert result.pending_third == 1
    assert result.reasons == {"counts_disagree": 1, "far_from_book": 1}
    teams = {(r.key, r.round): r for r in result.by_team}
    assert (teams[("1", 1)].tickets, teams[("1", 1)].both) == (4, 3)
    assert (teams[("2", 2)].tickets, teams[("2", 2)].third_needed) == (3, 2)
    zones = {r.key: r for r in result.by_zone}
    assert (zones["Z1"].both, zones["Z1"].within, zones["Z2"].both, zones["Z2"].third_needed) == (2, 1, 1, 1)


def test_the_correction_counts_not_the_entry_it_corrects(counted):
    tickets, entries = counted
    # ticket 3's first count 7 was corrected to 8: counts 1 and 2 are equal
    flags = stats.ticket_flags(tickets, entries)
    assert bool(flags.loc[3, "exact"]) and bool(flags.loc[3, "third_needed"])
    rows = {r.ticket: r for r in stats.third_count_rows(tickets, entries)}
    assert set(rows) == {"000002/2025", "000003/2025"}
    assert (rows["000002/2025"].count1, rows["000002/2025"].count2, rows["000002/2025"].count3) == (5, 4, 4)
    assert rows["000003/2025"].count1 == 8 and rows["000003/2025"].count3 is None


def test_activity_from_the_timestamps(counted):
    _, entries = counted
    actual = stats.activity(entries, {1: (1, "Lead One"), 2: (2, "Lead Two"), 5: (1, "Idle")})
    assert actual.counts == 8 and actual.corrections == 1 and actual.people == 4
    assert actual.first_at == T0 and actual.days == [dt.date(2025, 12, 28), dt.date(2025, 12, 29)]
    teams = {(t.team, t.round): t for t in actual.teams}
    one = teams[(1, 1)]
    # day 1: 8:00 to 8:20 (the correction is not a count entry of its own); day 2: one count
    assert (one.counts, one.leader, one.hours, len(one.days)) == (4, "Lead One", Decimal("0.3"), 2)
    assert teams[(2, 2)].hours == Decimal("0.3") and teams[(5, 1)].counts == 0
    assert teams[(None, 3)].counts == 1


def test_progress_is_cumulative_per_round(counted):
    points = stats.count_stats(*counted).progress
    by_round: dict[int, list] = {}
    for p in points:
        by_round.setdefault(p.round, []).append(p)
    assert by_round[1][0].counted == 0 and by_round[1][-1].counted == 4
    assert by_round[2][-1].counted == 3 and by_round[3][-1].counted == 1
    for series in by_round.values():
        assert [p.counted for p in series] == sorted(p.counted for p in series)
        assert [p.at for p in series] == sorted(p.at for p in series)


def test_no_counts_gives_empty_statistics():
    result = stats.count_stats(stats.empty_tickets(), stats.empty_entries())
    assert result.overall.both == 0 and result.overall.agreement_rate is None and result.progress == []


def _reconciled():
    lines = [line(1, "A", "L1", "10", "5", last_movement_date=dt.date(2024, 6, 1)),
             line(2, "B", "L2", "4", "100", category="goods_for_resale", last_movement_date=dt.date(2025, 11, 1)),
             line(3, "C", "L3", "7", "2", owner="third_party"), line(4, "D", "L4", "3", "9"),
             line(5, "E", "L5", "2", "50", category="products", last_movement_date=dt.date(2023, 1, 1))]
    tickets = [ticket(1, 1, "8"), ticket(2, 2, "5"), ticket(3, 3, "7"), ticket(5, 5, "2")]
    return run(lines, tickets, causes={1: "breakage"})


def test_largest_differences_and_causes_come_from_the_engine():
    result = _reconciled()
    frame = stats.largest_differences(result)
    assert list(frame["reference"]) == ["B", "A"]          # +100.00 before −10.00
    assert list(frame["diff_value"]) == [D("100.00"), D("-10.00")]
    assert stats.causes_summary(result) == [("breakage", 1, D("-10.00")), ("", 1, D("100.00"))]
    assert stats.difference_totals(result) == (D("100.00"), D("-10.00"))


def test_indicators_rotation_coverage_and_dormant_stock():
    result = _reconciled()
    opening = pd.DataFrame({"category": ["raw_materials", "goods_for_resale"],
                            "opening_value": [D("60"), D("300")], "purchases": [D("100"), None]})
    rows = {r.category: r for r in stats.indicators(result, opening, {"goods_for_resale": D("1000")}, CLOSING)}
    raw = rows["raw_materials"]
    # closing 8 × 5 = 40; consumed 60 + 100 − 40 = 120; average (60 + 40) / 2 = 50
    assert (raw.closing_value, raw.consumed, raw.average_stock) == (D("40.00"), D("120.00"), D("50.00"))
    assert raw.rotation_days == D("152.1") and raw.coverage_days == D("121.7")   # 50/120×365, 40/120×365
    assert (raw.dormant_lines, raw.dormant_value) == (1, D("40.00"))              # last moved June 2024
    goods = rows["goods_for_resale"]
    assert goods.purchases == D("1000.00") and goods.purchases_source == "movements"
    assert goods.consumed == D("800.00") and goods.dormant_lines == 0
    products = rows["products"]
    assert products.opening_value is None and products.rotation_days is None and products.dormant_lines == 1
    assert list(stats.dormant_lines(result, CLOSING)["reference"]) == ["E", "A"]   # 100.00 then 40.00


def test_result_effect_of_the_worked_example():
    opening = pd.DataFrame({"category": ["raw_materials", "goods_for_resale"],
                            "opening_value": [D(15000), D(100000)]})
    closing = pd.DataFrame({"category": ["raw_materials", "goods_for_resale"], "closing_value": [D(2000), D(105000)],
                            "depreciation": [D(0), D(0)]})
    entries = build_entries(closing, opening, CLOSING)
    assert stats.result_effect(entries) == D("-8000.00")
    assert stats.entries_balance(entries) == [(1, D("13000.00"), D("13000.00")), (2, D("5000.00"), D("5000.00"))]


@pytest.mark.parametrize("value, lang, text", [
    (D("1234567.5"), "en", "1,234,567.50"), (D("1234567.5"), "fr", "1\u00a0234\u00a0567,50"),
    (D("-0.005"), "en", "-0.01"), (D("0"), "fr", "0,00"), (None, "en", "—")])
def test_money_is_written_the_readers_way(value, lang, text):
    assert fmt.money(value, lang) == text


def test_quantities_rates_and_dates():
    assert fmt.qty(D("12.5000"), "fr") == "12,5" and fmt.qty(D("1200"), "en") == "1,200"
    assert fmt.percent(D("0.6667"), "fr") == "66,7\u00a0%" and fmt.percent(None, "en") == "—"
    assert fmt.date(dt.date(2025, 12, 1), "fr") == "1er décembre 2025"
    assert fmt.moment(T0, "en", dt.timezone(dt.timedelta(hours=1))) == "2025-12-28 09:00"


def test_both_languages_have_the_same_words_and_placeholders():
    assert set(TEXTS["fr"]) == set(TEXTS["en"])
    for key in TEXTS["en"]:
        forms = {lang: TEXTS[lang][key] if isinstance(TEXTS[lang][key], tuple) else (TEXTS[lang][key],)
                 for lang in ("fr", "en")}
        assert len(forms["fr"]) == len(forms["en"]), key   # a text with plural forms has them in both languages
        names = [set(re.findall(r"%\((\w+)\)s", text)) for lang in ("fr", "en") for text in forms[lang]]
        assert all(found == names[0] for found in names), key
    for kind in LABELS["en"]:
        assert set(LABELS["fr"][kind]) == set(LABELS["en"][kind]), kind


def _report(language: str, *, closing: ClosingInfo | None = None) -> AnnualReport:
    result = _reconciled()
    opening = pd.DataFrame({"category": ["raw_materials"], "opening_value": [D("60")], "opening_depreciation": [D(5)],
                            "purchases": [D("100")]})
    tickets = tickets_frame([(1, "final", "", "Z1"), (2, "final", "counts_disagree", "Z1")])
    entries = pd.DataFrame([entry(1, 1, "8", 1, 0), entry(1, 2, "8", 2, 60), entry(2, 1, "5", 1, 5),
                            entry(2, 2, "6", 2, 65), entry(2, 3, "5", None, 120)])
    header = Header("Ateliers Lapomme", "FY2025", "Inventaire", 2025, dt.date(2025, 12, 28), CLOSING, language, "book",
                    "Jeanne Martin", T0, "Europe/Paris")
    return AnnualReport(
        header=header, reconciliation=result, entries=build_entries(result.by_category, opening, CLOSING, language),
        plan=Plan(version=2, issued_on=dt.date(2025, 12, 1), centraliser="Paul",
                  teams=[PlannedTeam(1, 1, "Lead One", ["Ann"], ["Z1"])]),
        actual=stats.activity(entries, {1: (1, "Lead One"), 2: (2, "Lead Two")}),
        tickets=TicketControl(generated=5, highest="000005/2025",
                              ranges=[RangeRow(1, 1, "000001/2025", "000005/2025", 5, 4, 1, 0, 0)],
                              voids=[VoidRow("000005/2025", "Torn", "manager", T0)]),
        stats=stats.count_stats(tickets, entries), third_counts=stats.third_count_rows(tickets, entries),
        indicators=stats.indicators(result, opening, None, CLOSING),
        texts={"narrative": "Début à 8 h.", "difficulties": "Étiquettes\n\n- une\n- deux", "proposals": "Ranger."},
        closing=closing, limits=Limits(largest=1))


def _text(data: bytes) -> str:
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text.replace("\xa0", " "))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_pdf_prints_the_engines_figures_in_either_language(language):
    report = _report(language)
    out = io.BytesIO()
    pages = write_annual_pdf(report, out)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    assert len(reader.pages) == pages and pages >= 5
    text = _text(out.getvalue())
    t = TEXTS[language]
    assert t["title"] in text and (t["page"] % {"page": pages, "pages": pages}) in text
    money = lambda v: fmt.money(v, language).replace("\xa0", " ")  # noqa: E731
    own = report.reconciliation.own_totals
    for key, name in (("book_value", "k_book_value"), ("closing_value", "k_closing_value"),
                      ("net_value", "k_net_value")):
        assert f"{t[name]} {money(own[key])}" in text
    for row in report.reconciliation.by_category.to_dict("records"):
        assert f"{label(language, 'category', row['category'])} {row['stock_account']} {money(row['closing_value'])}" \
            in text
    # the largest difference only (limit 1), and a pointer to the workbook for the other
    assert re.sub(r"\s+", " ", t["see_workbook"] % {"shown": 1, "total": 2}) in text   # a narrow space reads as one
    assert "Étiquettes" in text and "Ranger." in text
    outline = [o.title for o in reader.outline if not isinstance(o, list)]
    assert outline[0].startswith("1. ") and len(outline) == 15


def test_the_final_pdf_says_who_closed_and_why():
    closing = ClosingInfo(closed_at=T0, closed_by="Jeanne Martin", override_reason="Auditors leaving tonight.",
                          unaccounted=["000009/2025 (équipe 1, comptage 1)"], pending_third=["000004/2025"])
    text = _text(_pdf(_report("fr", closing=closing)))
    assert "Rapport définitif" in text and "Jeanne Martin" in text and "Auditors leaving tonight." in text
    assert "000009/2025 (équipe 1, comptage 1)" in text and "000004/2025" in text and "PROJET" not in text


def _pdf(report) -> bytes:
    out = io.BytesIO()
    write_annual_pdf(report, out)
    return out.getvalue()


def test_the_workbook_holds_the_same_figures():
    report = _report("en")
    book = openpyxl.load_workbook(io.BytesIO(write_annual_xlsx(report)), read_only=True)
    names = {code: sheet_name(code, "en") for code in ("summary", "reconciliation", "by_category", "entries",
                                                       "count_stats", "third_counts", "indicators", "texts",
                                                       "closing")}
    assert set(names.values()) <= set(book.sheetnames)
    summary = summary_of(book)
    figures = summary_figures(report)
    for key, value in figures.items():
        if value is None:
            assert summary[key] is None
        else:
            assert Decimal(str(summary[key])) == Decimal(value), key
    entries = list(book[names["entries"]].iter_rows(values_only=True))
    assert len(entries) - 1 == len(report.entries)
    rows = list(book[names["indicators"]].iter_rows(values_only=True))
    words = headers("en")
    header = [next((code for code, word in words.items() if word == h), h) for h in rows[0]]
    raw = dict(zip(header, rows[1]))
    assert raw["category"] == "raw materials and supplies" and Decimal(str(raw["closing_value"])) == D("40")
