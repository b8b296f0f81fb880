"""The closing entries for stock, one balanced entry per category and purpose (DOMAIN.md, Rules).

Journal ``INV``, dated the closing date. Per category, in chart order:

1. stock variation ``= opening_value − closing gross value``: positive (stock went down, more
   expense) debits the variation account (603x/713x) and credits the stock account (3x);
   negative debits the stock account and credits the variation account;
2. reversal of last year's depreciation: debit 39x, credit 78173;
3. this year's depreciation: debit 68173, credit 39x.

An amount of zero gives no entry. Amounts are Decimals rounded half up to the cent; the side not
used is empty (None).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from tickets.errors import CountappError, N_

from .exact import cents
from .frames import categories, text
from .model import CATEGORIES, CATEGORY_ACCOUNTS, DEPRECIATION_CHARGE, DEPRECIATION_REVERSAL, JOURNAL
from .texts import ENTRY_LABELS, LANGUAGES, category_name

ENTRY_COLUMNS = ("journal", "date", "account", "label", "debit", "credit", "entry")


def _amounts(frame: pd.DataFrame | None, column: str, frame_name: str) -> dict[str, Decimal]:
    """Amounts per category from ``frame`` (missing frame or column: nothing)."""
    if frame is None or column not in frame.columns or not len(frame):
        return {}
    if "category" not in frame.columns:
        raise CountappError(N_("The %(frame)s data has no %(column)s column."), field="category", frame=frame_name,
                            column="category")
    names = categories(text(frame, "category"), frame_name)
    out: dict[str, Decimal] = {}
    for name, raw in zip(names, frame[column]):
        if not name:  # rows without a category cannot be posted; the reconciliation warns of them
            continue
        if raw is None or (not isinstance(raw, str) and pd.isna(raw)) or raw == "":
            continue
        try:
            amount = cents(Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip()))
        except ArithmeticError:
            raise CountappError(N_("%(column)s for %(category)s is not a number: %(value)s."), field=column,
                                category=name, value=str(raw)[:40], column=column) from None
        out[name] = out.get(name, Decimal("0.00")) + amount
    return out


def _entry(number: int, date: dt.date, label: str, debit: str, credit: str, amount: Decimal) -> list[dict]:
    return [
        {"journal": JOURNAL, "date": date, "account": debit, "label": label, "debit": amount, "credit": None,
         "entry": number},
        {"journal": JOURNAL, "date": date, "account": credit, "label": label, "debit": None, "credit": amount,
         "entry": number},
    ]


def build_entries(closing: pd.DataFrame, opening: pd.DataFrame | None, closing_date: dt.date,
                  language: str = "fr") -> pd.DataFrame:
    """The INV journal: stock variation, reversal of last year's depreciation, this year's depreciation.

    ``closing``: per category, ``closing_value`` (gross) and ``depreciation`` — the reconciliation's
    ``by_category``. ``opening``: per category, ``opening_value`` and optionally
    ``opening_depreciation`` (SPEC.md, *opening* file).
    """
    if language not in LANGUAGES:
        raise CountappError(N_("Unknown language %(language)s: choose fr or en."), field="language",
                            language=language)
    closing_value = _amounts(closing, "closing_value", "closing")
    depreciation = _amounts(closing, "depreciation", "closing")
    opening_value = _amounts(opening, "opening_value", "opening")
    opening_depreciation = _amounts(opening, "opening_depreciation", "opening")
    labels = ENTRY_LABELS[language]
    rows: list[dict] = []
    zero = Decimal("0.00")
    present = set(closing_value) | set(depreciation) | set(opening_value) | set(opening_depreciation)
    for category in (c for c in CATEGORIES if c in present):
        stock, variation_account, depreciation_account = CATEGORY_ACCOUNTS[category]
        params = {"category": category_name(category, language)}
        variation = opening_value.get(category, zero) - closing_value.get(category, zero)
        if variation > 0:
            rows += _entry(len(rows) // 2 + 1, closing_date, labels["variation"] % params, variation_account, stock,
                           variation)
        elif variation < 0:
            rows += _entry(len(rows) // 2 + 1, closing_date, labels["variation"] % params, stock, variation_account,
                           -variation)
        reversal = opening_depreciation.get(category, zero)
        if reversal:
            debit, credit = depreciation_account, DEPRECIATION_REVERSAL
            rows += _entry(len(rows) // 2 + 1, closing_date, labels["reversal"] % params,
                           *((debit, credit) if reversal > 0 else (credit, debit)), abs(reversal))
        charge = depreciation.get(category, zero)
        if charge:
            debit, credit = DEPRECIATION_CHARGE, depreciation_account
            rows += _entry(len(rows) // 2 + 1, closing_date, labels["charge"] % params,
                           *((debit, credit) if charge > 0 else (credit, debit)), abs(charge))
    return pd.DataFrame(rows, columns=list(ENTRY_COLUMNS))
