"""The reconciliation and the entries as files: CSV (SPEC.md: plain numbers, '.' decimal) and XLSX.

XLSX sheets: ``reconciliation`` (every row), ``by_category`` (own stock), ``by_owner``,
``exceptions``, ``not_counted``, ``third_party``, ``cutoff`` (the cut-off evidence by zone: each
zone's count date, the direction, the last receipt and issue documents before it and the first
after it) and ``warnings`` (in the campaign's language);
header row frozen, money as ``#,##0.00``, unit costs with 2 to 6 decimals, dates as dates.
"""
from __future__ import annotations

import io
from typing import BinaryIO

import pandas as pd

from .entries import ENTRY_COLUMNS
from .reconcile import COST_COLUMNS, MONEY_COLUMNS, QTY_COLUMNS, Reconciliation
from .totals import COUNTS, SUMMED
from .xlsx import Sheet, write_xlsx

LINE_KINDS = {**{c: "qty" for c in QTY_COLUMNS}, **{c: "money" for c in MONEY_COLUMNS},
              **{c: "cost" for c in COST_COLUMNS}, "book_line_id": "int", "last_movement_date": "date",
              "count_date": "date"}
CUTOFF_KINDS = {"count_date": "date", **{f"{part}_date": "date" for part in (
    "last_receipt_before", "last_issue_before", "first_receipt_after", "first_issue_after")}}
TOTAL_KINDS = {**{c: "int" for c in COUNTS}, **{c: "money" for c in SUMMED}}
ENTRY_KINDS = {"debit": "money", "credit": "money", "date": "date", "entry": "int"}


def _csv(frame: pd.DataFrame, stream: BinaryIO | None) -> bytes | None:
    data = frame.to_csv(index=False, na_rep="", lineterminator="\n").encode("utf-8")
    if stream is None:
        return data
    stream.write(data)
    return None


def reconciliation_csv(result: Reconciliation | pd.DataFrame, stream: BinaryIO | None = None) -> bytes | None:
    """The reconciliation rows as UTF-8 CSV (``,`` delimiter); bytes when no stream is given."""
    lines = result.lines if isinstance(result, Reconciliation) else result
    return _csv(lines, stream)


def entries_csv(entries: pd.DataFrame, stream: BinaryIO | None = None) -> bytes | None:
    """The entries as UTF-8 CSV: ``journal,date,account,label,debit,credit,entry``."""
    return _csv(entries.reindex(columns=list(ENTRY_COLUMNS)), stream)


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
        Sheet("cutoff", result.cutoff, CUTOFF_KINDS),
        Sheet("warnings", warnings),
    ]


def reconciliation_xlsx(result: Reconciliation, stream: BinaryIO | None = None, language: str = "en",
                        entries: pd.DataFrame | None = None) -> bytes | None:
    """The reconciliation workbook (plus an ``entries`` sheet when given); bytes when no stream."""
    sheets = reconciliation_sheets(result, language)
    if entries is not None:
        sheets.append(Sheet("entries", entries, ENTRY_KINDS))
    target = stream if stream is not None else io.BytesIO()
    write_xlsx(sheets, target)
    return None if stream is not None else target.getvalue()
