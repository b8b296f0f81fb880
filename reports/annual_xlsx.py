"""The annual report's workbook: the same figures as the PDF, every row instead of the first ones.

Sheets: ``summary`` (the key figures, one per row: indicator in words, value), the reconciliation's own
sheets (``reconciliation``, ``by_category``, ``by_owner``, ``exceptions``, ``not_counted``,
``third_party``, ``warnings``), ``entries``, ``ticket_ranges``, ``voided_tickets``,
``count_stats``, ``third_counts``, ``differences``, ``causes``, ``indicators``, ``dormant``,
``activity``, ``plan_teams``, ``texts`` and ``closing``. Written by ``reports.xlsx`` (fast,
typed columns, read back by openpyxl in the tests) in the campaign's language: those codes are
the sheets' keys, shown as words (``reports.xlsx_texts``); times in the report's time zone.
Rates are percentages (97.5 for 97.5 %).
"""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import BinaryIO

import pandas as pd

from tickets import timezones

from . import annual_stats as stats
from .annual_data import AnnualReport, RateRow
from .annual_texts import TEXTS
from .export import ENTRY_KINDS, LINE_KINDS, reconciliation_sheets
from .xlsx import Sheet, write_xlsx

SUMMARY_KEYS = (
    ("book_value", "k_book_value"), ("counted_value", "k_counted_value"), ("diff_value", "k_diff_value"),
    ("surplus_value", "k_surplus"), ("shortage_value", "k_shortage"), ("closing_value", "k_closing_value"),
    ("depreciation", "k_depreciation"), ("net_value", "k_net_value"), ("lines", "k_lines"),
    ("not_counted", "k_not_counted"), ("differences", "k_differences"), ("exceptions", "k_exceptions"),
    ("tickets_issued", "k_tickets_issued"), ("tickets_missing", "k_tickets_missing"),
    ("tickets_voided", "k_tickets_voided"), ("agreement_pct", "k_agreement"), ("third_count_pct", "k_third_rate"),
    ("third_counts_pending", "k_third_pending"), ("result_effect", "k_result_effect"),
)
LINE_COLUMNS = ("ticket", "reference", "designation", "location", "zone", "lot", "category", "owner", "book_qty",
                "counted_qty", "diff_qty", "closing_qty", "unit_cost", "book_value", "diff_value", "closing_value",
                "depreciation", "net_value", "last_movement_date", "status", "cause")
# Dormant stock may be half the lines of a big campaign: only what tells why it is dormant.
DORMANT_COLUMNS = ("ticket", "reference", "designation", "location", "category", "last_movement_date", "closing_qty",
                   "closing_value", "depreciation")


def _pct(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (rate * 100).quantize(Decimal("0.01"))


def summary_figures(report: AnnualReport) -> dict[str, object]:
    """The summary's figures by key: the same values the PDF's summary prints."""
    result = report.reconciliation
    own = result.own_totals
    surplus, shortage = stats.difference_totals(result)
    overall = report.stats.overall
    return {
        "book_value": own["book_value"], "counted_value": own["counted_value"], "diff_value": own["diff_value"],
        "surplus_value": surplus, "shortage_value": shortage, "closing_value": own["closing_value"],
        "depreciation": own["depreciation"], "net_value": own["net_value"], "lines": own["lines"],
        "not_counted": own["not_counted"], "differences": own["differences"],
        "exceptions": int((result.lines["exception"] != "").sum()), "tickets_issued": report.tickets.issued,
        "tickets_missing": report.tickets.missing, "tickets_voided": len(report.tickets.voids),
        "agreement_pct": _pct(overall.agreement_rate), "third_count_pct": _pct(overall.third_rate),
        "third_counts_pending": report.stats.pending_third, "result_effect": stats.result_effect(report.entries),
    }


def _rate_record(group: str, row: RateRow) -> dict:
    return {"group": group, "key": row.key, "round": row.round, "tickets": row.tickets, "both_counts": row.both,
            "exactly_equal": row.exact, "within_tolerance": row.within, "third_needed": row.third_needed,
            "third_done": row.third_done, "agreement_pct": _pct(row.agreement_rate),
            "exact_pct": _pct(row.exact_rate), "third_count_pct": _pct(row.third_rate)}


def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=columns)


def annual_sheets(report: AnnualReport) -> list[Sheet]:
    lang = report.header.language if report.header.language in TEXTS else "en"
    t = TEXTS[lang]
    result = report.reconciliation
    figures = summary_figures(report)
    summary = _frame([{"indicator": t[label], "value": figures[k]} for k, label in SUMMARY_KEYS],
                     ["indicator", "value"])
    sheets = [Sheet("summary", summary, {"value": "cost"})]
    sheets += reconciliation_sheets(result, lang)
    sheets.append(Sheet("entries", report.entries, ENTRY_KINDS))

    ranges = _frame([vars(r) for r in report.tickets.ranges],
                    ["team", "round", "first", "last", "issued", "counted", "voided", "returned", "missing",
                     "missing_numbers"])
    ints = {c: "int" for c in ("team", "round", "issued", "counted", "voided", "returned", "missing")}
    sheets.append(Sheet("ticket_ranges", ranges, ints))
    voids = _frame([{"ticket": v.ticket, "reason": v.reason, "by": v.by, "at": v.at} for v in report.tickets.voids],
                   ["ticket", "reason", "by", "at"])
    sheets.append(Sheet("voided_tickets", voids, {"at": "datetime"}))

    rates = [_rate_record("all", report.stats.overall)]
    rates += [_rate_record("team", r) for r in report.stats.by_team]
    rates += [_rate_record("zone", r) for r in report.stats.by_zone]
    columns = ["group", "key", "round", "tickets", "both_counts", "exactly_equal", "within_tolerance", "third_needed",
               "third_done", "agreement_pct", "exact_pct", "third_count_pct"]
    sheets.append(Sheet("count_stats", _frame(rates, columns),
                        {**{c: "int" for c in columns[2:9]}, **{c: "qty" for c in columns[9:]}}))

    third = _frame([vars(r) for r in report.third_counts],
                   ["ticket", "reference", "location", "zone", "count1", "count2", "count3", "reasons", "status",
                    "decision", "decision_reason"])
    sheets.append(Sheet("third_counts", third, {"count1": "qty", "count2": "qty", "count3": "qty"}))

    differences = stats.largest_differences(result).reindex(columns=list(LINE_COLUMNS))
    sheets.append(Sheet("differences", differences, LINE_KINDS))
    causes = _frame([{"cause": k, "lines": n, "diff_value": v} for k, n, v in stats.causes_summary(result)],
                    ["cause", "lines", "diff_value"])
    sheets.append(Sheet("causes", causes, {"lines": "int", "diff_value": "money"}))

    indicators = _frame([vars(r) for r in report.indicators],
                        ["category", "opening_value", "purchases", "purchases_source", "closing_value", "consumed",
                         "average_stock", "rotation_days", "coverage_days", "dormant_lines", "dormant_value"])
    money = ("opening_value", "purchases", "closing_value", "consumed", "average_stock", "dormant_value")
    sheets.append(Sheet("indicators", indicators, {**{c: "money" for c in money}, "rotation_days": "qty",
                                                   "coverage_days": "qty", "dormant_lines": "int"}))
    dormant = stats.dormant_lines(result, report.header.closing_date, report.dormant_days)
    sheets.append(Sheet("dormant", dormant.reindex(columns=list(DORMANT_COLUMNS)), LINE_KINDS))

    activity = _frame([{"team": a.team, "round": a.round, "leader": a.leader, "people": a.people, "counts": a.counts,
                        "first_at": a.first_at, "last_at": a.last_at,
                        "hours": a.hours, "days": ", ".join(d.isoformat() for d in a.days)}
                       for a in report.actual.teams],
                      ["team", "round", "leader", "people", "counts", "first_at", "last_at", "hours", "days"])
    sheets.append(Sheet("activity", activity, {"team": "int", "round": "int", "people": "int", "counts": "int",
                                               "hours": "qty", "first_at": "datetime", "last_at": "datetime"}))
    plan = _frame([{"team": p.number, "round": p.round, "leader": p.leader, "members": ", ".join(p.members),
                    "zones": ", ".join(p.zones), "start": p.start, "end": p.end} for p in report.plan.teams],
                  ["team", "round", "leader", "members", "zones", "start", "end"])
    sheets.append(Sheet("plan_teams", plan, {"team": "int", "round": "int", "start": _date_kind(plan, "start"),
                                             "end": _date_kind(plan, "end")}))
    texts = _frame([{"key": k, "text": report.texts.get(k, "")} for k in ("narrative", "difficulties", "solutions",
                                                                           "proposals")], ["key", "text"])
    sheets.append(Sheet("texts", texts))
    closing = report.closing
    local = _local_text(report.header.timezone, lang)
    rows = [{"item": "reconciliation_signed_by", "value": report.sign_off.name if report.sign_off.signed else ""},
            {"item": "reconciliation_signed_at",
             "value": local(report.sign_off.at) if report.sign_off.signed and report.sign_off.at else ""}]
    if closing is not None:
        rows += [{"item": "closed_at", "value": local(closing.closed_at)},
                 {"item": "closed_by", "value": closing.closed_by},
                 {"item": "override_reason", "value": closing.override_reason},
                 {"item": "unaccounted_at_closing", "value": ", ".join(closing.unaccounted)},
                 {"item": "pending_third_counts_at_closing", "value": ", ".join(closing.pending_third)}]
    sheets.append(Sheet("closing", _frame(rows, ["item", "value"])))
    sheets += _cycle_sheets(report)
    return sheets


def _cycle_sheets(report: AnnualReport) -> list[Sheet]:
    """A combined year: the cycle-count programme's coverage by class and its figures (the PDF's section);
    no sheet at all when no programme covers the fiscal year."""
    cy = report.cycles
    if cy is None:
        return []
    columns = ["abc_class", "lines", "counted_once", "coverage_pct", "overdue", "counts", "within_tolerance",
               "accuracy_pct", "diff_value", "net_value"]
    by_class = _frame([{"abc_class": r.abc_class or "all", "lines": r.lines, "counted_once": r.counted_once,
                        "coverage_pct": _pct(r.coverage), "overdue": r.overdue, "counts": r.counts,
                        "within_tolerance": r.within, "accuracy_pct": _pct(r.accuracy),
                        "diff_value": r.difference_value, "net_value": r.net_value} for r in cy.rows], columns)
    kinds = {**{c: "int" for c in ("lines", "counted_once", "overdue", "counts", "within_tolerance")},
             "coverage_pct": "qty", "accuracy_pct": "qty", "diff_value": "money", "net_value": "money"}
    # One row, a typed column a figure: counts as numbers, the value as money, in Excel.
    figures = _frame([{"programme": cy.code, "items_counted": cy.items_counted, "items_total": cy.items_total,
                       "year_end_items": cy.year_end_items, "adjustments": cy.adjustments,
                       "adjustments_value": cy.adjustments_value,
                       "counted_by_neither": ", ".join(cy.counted_by_neither)}],
                     ["programme", "items_counted", "items_total", "year_end_items", "adjustments",
                      "adjustments_value", "counted_by_neither"])
    figure_kinds = {**{c: "int" for c in ("items_counted", "items_total", "year_end_items", "adjustments")},
                    "adjustments_value": "money"}
    return [Sheet("cycle_counts", by_class, kinds), Sheet("cycle_figures", figures, figure_kinds)]


def _date_kind(frame: pd.DataFrame, column: str) -> str:
    """``datetime`` / ``date`` when the column holds only those (or nothing), else text."""
    values = [v for v in frame[column] if v is not None and not (isinstance(v, float) and v != v) and v != ""]
    if all(isinstance(v, dt.datetime) for v in values):
        return "datetime"
    return "date" if all(isinstance(v, dt.date) for v in values) else "text"


def _local_text(time_zone: str, language: str):
    """A timestamp as local text (a cell in a column of mixed values): 05/01/2026 10:32 in French."""
    def local(at: dt.datetime) -> str:
        return timezones.local(at, time_zone).strftime("%d/%m/%Y %H:%M" if language == "fr" else "%Y-%m-%d %H:%M")
    return local


def write_annual_xlsx(report: AnnualReport, stream: BinaryIO | None = None) -> bytes | None:
    """The workbook to a binary stream (bytes when no stream is given)."""
    target = stream if stream is not None else io.BytesIO()
    lang = report.header.language if report.header.language in TEXTS else "en"
    write_xlsx(annual_sheets(report), target, language=lang, time_zone=report.header.timezone)
    return None if stream is not None else target.getvalue()
