"""The reconciliation and the entries as files: CSV (SPEC.md: plain numbers, '.' decimal; or the
Excel dialect of ``reports.csv_out``) and XLSX.

XLSX sheets (named, headed and worded in the campaign's language by ``reports.xlsx_texts``):
``reconciliation`` (every row), ``by_category`` (own stock), ``by_owner``, ``exceptions``,
``not_counted``, ``third_party``, ``warnings`` and ``charts`` (differences and closing value by
category, openpyxl bar charts); header row frozen with filters, quantities as ``#,##0.000``,
money as ``#,##0.00``, unit costs with 2 to 6 decimals, dates as dates.
"""
from __future__ import annotations

import io
from typing import BinaryIO

import pandas as pd

from . import csv_out
from .entries import ENTRY_COLUMNS
from .reconcile import COST_COLUMNS, MONEY_COLUMNS, QTY_COLUMNS, Reconciliation
from .totals import COUNTS, SUMMED
from .xlsx import Sheet, write_xlsx

LINE_KINDS = {**{c: "qty" for c in QTY_COLUMNS}, **{c: "money" for c in MONEY_COLUMNS},
              **{c: "cost" for c in COST_COLUMNS}, "book_line_id": "int", "last_movement_date": "date"}
TOTAL_KINDS = {**{c: "int" for c in COUNTS}, **{c: "money" for c in SUMMED}}
ENTRY_KINDS = {"debit": "money", "credit": "money", "date": "date", "entry": "int"}


def _csv(frame: pd.DataFrame, stream: BinaryIO | None, excel: bool, language: str) -> bytes | None:
    from .xlsx_texts import value_labels

    data = csv_out.frame_bytes(frame, csv_out.dialect(excel), language, value_labels(language) if excel else None)
    if stream is None:
        return data
    stream.write(data)
    return None


def reconciliation_csv(result: Reconciliation | pd.DataFrame, stream: BinaryIO | None = None, *,
                       excel: bool = False, language: str = "en") -> bytes | None:
    """The reconciliation rows as CSV (plain: SPEC.md codes, ``,``, ``.``; ``excel``: see ``csv_out``)."""
    lines = result.lines if isinstance(result, Reconciliation) else result
    return _csv(lines, stream, excel, language)


def entries_csv(entries: pd.DataFrame, stream: BinaryIO | None = None, *, excel: bool = False,
                language: str = "en") -> bytes | None:
    """The entries as CSV: ``journal,date,account,label,debit,credit,entry``."""
    return _csv(entries.reindex(columns=list(ENTRY_COLUMNS)), stream, excel, language)


def charts_sheet(by_category: pd.DataFrame, language: str = "en") -> Sheet:
    """Own stock by category (in chart order) with two bar charts: differences and closing value."""
    from openpyxl.chart import BarChart, Reference

    from .xlsx_texts import CHART_TEXTS, language_of, sheet_name

    lang = language_of(language)
    frame = by_category.reindex(columns=["category", "diff_value", "closing_value"]).reset_index(drop=True)
    sheet = Sheet("charts", frame, {"diff_value": "money", "closing_value": "money"})
    n = len(frame)
    if not n:
        return sheet
    title = sheet_name("charts", lang).replace("'", "''")
    for column, key, anchor in (("B", "diff_title", "E2"), ("C", "closing_title", "E20")):
        chart = BarChart()
        chart.type = "bar"
        chart.title = CHART_TEXTS[lang][key]
        chart.y_axis.title = CHART_TEXTS[lang]["value"]
        chart.y_axis.numFmt = "#,##0"
        chart.legend = None
        chart.width, chart.height = 18, 8
        chart.add_data(Reference(range_string=f"'{title}'!${column}$1:${column}${n + 1}"), titles_from_data=True)
        chart.set_categories(Reference(range_string=f"'{title}'!$A$2:$A${n + 1}"))
        sheet.charts.append((chart, anchor))
    return sheet


def reconciliation_sheets(result: Reconciliation, language: str = "en") -> list[Sheet]:
    """The workbook's sheets, for callers that add their own (the annual report)."""
    warnings = pd.DataFrame({"key": [w.key for w in result.warnings],
                             "message": [w.message(language) for w in result.warnings]})
    return [
        Sheet("reconciliation", result.lines, LINE_KINDS),
        Sheet("by_category", result.by_category, TOTAL_KINDS),
        Sheet("by_owner", result.by_owner, TOTAL_KINDS),
        Sheet("exceptions", result.exceptions, LINE_KINDS),
        Sheet("not_counted", result.not_counted, LINE_KINDS),
        Sheet("third_party", result.third_party, LINE_KINDS),
        Sheet("warnings", warnings),
        charts_sheet(result.by_category, language),
    ]


def reconciliation_xlsx(result: Reconciliation, stream: BinaryIO | None = None, language: str = "en",
                        entries: pd.DataFrame | None = None, time_zone: str | None = None) -> bytes | None:
    """The reconciliation workbook (plus an ``entries`` sheet when given); bytes when no stream."""
    sheets = reconciliation_sheets(result, language)
    if entries is not None:
        sheets.append(Sheet("entries", entries, ENTRY_KINDS))
    target = stream if stream is not None else io.BytesIO()
    write_xlsx(sheets, target, language=language, time_zone=time_zone)
    return None if stream is not None else target.getvalue()
