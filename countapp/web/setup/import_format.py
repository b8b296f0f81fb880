"""What the import page shows: preview values and column lists in the campaign's language."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask_babel import force_locale
from flask_babel import gettext as _

from ... import import_columns as cols
from ..labels import category_label, method_label, owner_label, state_label

_LABELS = {"category": category_label, "owner": owner_label, "state": state_label, "method": method_label}
_AMOUNTS = {"unit_cost", "market_price", "opening_value", "opening_depreciation", "purchases"}
_RIGHT = {"book_qty", "quantity", "round", "team", *_AMOUNTS}
_CODES = {"reference", "location", "lot", "zone", "site", "ticket", "date", "last_movement_date", "document"}


_ENGLISH = {"book_qty": "Book quantity", "last_movement_date": "Last movement"}


def title(kind: str, code: str, language: str) -> str:
    """A column's header: its French header, or its code in words (``Unit cost``)."""
    if language == "fr":
        return cols.column(kind, code).french
    return _ENGLISH.get(code) or code.replace("_", " ").capitalize()


def cell(code: str, value: object, language: str) -> str:
    """One typed value as the campaign writes it (``1 234,5``, ``31/12/2025``, ``Matières premières``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):  # amounts to the cent at least, quantities as written
        pattern = "#,##0.00####" if code in _AMOUNTS else "#,##0.######"
        return format_decimal(value, format=pattern, locale=language)
    if isinstance(value, dt.datetime):
        return format_datetime(value, "dd/MM/yyyy HH:mm" if language == "fr" else "yyyy-MM-dd HH:mm",
                               locale=language)
    if isinstance(value, dt.date):
        return format_date(value, "dd/MM/yyyy" if language == "fr" else "yyyy-MM-dd", locale=language)
    if code in _LABELS:
        with force_locale(language):
            return _LABELS[code](value)
    if code == "kind" and language == "fr":
        return cols.KIND_NAMES.get(str(value), (str(value),))[0]
    return str(getattr(value, "value", value))


# Columns that often hold one value for a whole file: told once above the table, not on every line.
_CONTEXT = {"site", "zone", "owner", "unit", "category", "kind", "state", "method"}


@dataclass
class Table:
    headers: list[tuple[str, str]]  # (title, CSS class: "num" right-aligned, "code" kept on one line)
    rows: list[list[str]]
    common: list[tuple[str, str]]   # (title, value) the same on every line shown


def _css(code: str) -> str:
    return "num" if code in _RIGHT else "code" if code in _CODES else ""


def preview_table(kind: str, columns: list[str], sample: list[list[object]], language: str) -> Table:
    """The preview's first lines, narrow enough for a laptop screen: columns empty on every shown
    line are left out, and a context column with one value on every line (a single site, all own
    stock) is told once in ``common``."""
    keep, common = [], []
    for i, code in enumerate(columns):
        values = {row[i] for row in sample}
        if values <= {None, ""}:
            continue
        if code in _CONTEXT and len(values) == 1 and len(sample) >= 3:
            common.append((title(kind, code, language), cell(code, sample[0][i], language)))
        else:
            keep.append(i)
    return Table([(title(kind, columns[i], language), _css(columns[i])) for i in keep],
                 [[cell(columns[i], row[i], language) for i in keep] for row in sample], common)


@dataclass
class ColumnHelp:
    header: str
    other_name: str
    required: bool
    help: str
    values: str


def column_help(kind: str, language: str) -> list[ColumnHelp]:
    """The columns of a kind for the page: header in the campaign's language, the other name, meaning, values."""
    out = []
    for column in cols.COLUMNS[kind]:
        header, other = (column.french, column.name) if language == "fr" else (column.name, column.french)
        out.append(ColumnHelp(header, other, column.required, _(column.help), _(column.values) if column.values else ""))
    return out
