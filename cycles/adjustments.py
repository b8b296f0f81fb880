"""Accepted differences as adjustment lines for the ERP and as accounting entries (journal INV).

A gain (counted above book) debits the stock account (3x) and credits the variation account (603x /
713x); a loss the other way round, as the year-end stock variation does (reports.entries).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from reports.model import CATEGORY_ACCOUNTS, JOURNAL
from reports.texts import category_name

ADJUSTMENT_COLUMNS = ("reference", "designation", "site", "zone", "location", "lot", "unit", "category",
                      "counted_on", "book_qty", "counted_qty", "difference", "unit_cost", "value", "cause")
ENTRY_LABEL = {"en": "Cycle count adjustments – %(category)s", "fr": "Ajustements d’inventaire tournant – %(category)s"}


@dataclass(frozen=True)
class AdjustmentLine:
    reference: str
    designation: str
    site: str
    zone: str
    location: str
    lot: str
    unit: str
    category: str
    counted_on: dt.date
    book_qty: Decimal
    counted_qty: Decimal
    difference: Decimal
    unit_cost: Decimal
    value_cents: int
    cause: str

    @property
    def key(self) -> tuple:
        return (self.reference, self.site, self.location, self.lot)


def merged(lines: Iterable[AdjustmentLine]) -> list[AdjustmentLine]:
    """One line per item × place × lot: several accepted counts of it in the span add up (the last count's
    date, book and counted quantities; the causes joined)."""
    out: dict[tuple, AdjustmentLine] = {}
    for line in sorted(lines, key=lambda a: (a.key, a.counted_on)):
        kept = out.get(line.key)
        if kept is None:
            out[line.key] = line
            continue
        causes = kept.cause if line.cause in kept.cause.split("+") else f"{kept.cause}+{line.cause}"
        out[line.key] = replace(line, difference=kept.difference + line.difference,
                                value_cents=kept.value_cents + line.value_cents, cause=causes)
    return [out[key] for key in sorted(out)]


def csv_row(line: AdjustmentLine) -> list:
    """A line's cells in ``ADJUSTMENT_COLUMNS`` order: quantities as normalised Decimals, the value in
    currency units (a CSV writer gives the decimal mark)."""
    return [line.reference, line.designation, line.site, line.zone, line.location, line.lot, line.unit,
            line.category, line.counted_on, line.book_qty.normalize(), line.counted_qty.normalize(),
            line.difference.normalize(), line.unit_cost.normalize(), Decimal(line.value_cents).scaleb(-2),
            line.cause]


def entries(values_by_category: dict[str, int], date: dt.date, language: str = "en") -> list[dict]:
    """One balanced entry per category with a non-zero net value, in chart order; amounts as Decimals."""
    out, number = [], 0
    for category, (stock, variation, _) in CATEGORY_ACCOUNTS.items():
        net = values_by_category.get(category, 0)
        if not net:
            continue
        number += 1
        amount = Decimal(abs(net)).scaleb(-2)
        debit, credit = (stock, variation) if net > 0 else (variation, stock)
        label = ENTRY_LABEL.get(language, ENTRY_LABEL["en"]) % {"category": category_name(category, language)}
        out.append({"journal": JOURNAL, "date": date, "account": debit, "label": label, "debit": amount,
                    "credit": None, "entry": number})
        out.append({"journal": JOURNAL, "date": date, "account": credit, "label": label, "debit": None,
                    "credit": amount, "entry": number})
    return out
