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
_RIGHT = {"book_qty", "unit_cost", "market_price", "quantity", "opening_value", "opening_depreciation", "purchases",
          "round", "team"}


def title(kind: str, code: str, language: str) -> str:
    """A column's header: its French header, or its code in words (``Book qty``)."""
    column = cols.column(kind, code)
    return column.french if language == "fr" else code.replace("_", " ").capitalize()


def cell(code: str, value: object, language: str) -> str:
    """One typed value as the campaign writes it (``1 234,5``, ``31/12/2025``, ``Matières premières``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        return format_decimal(value.normalize() if value else Decimal(0), format="#,##0.######", locale=language)
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


@dataclass
class Table:
    headers: list[tuple[str, bool]]  # (title, right-aligned)
    rows: list[list[str]]


def preview_table(kind: str, columns: list[str], sample: list[list[object]], language: str) -> Table:
    """The preview's first lines; columns empty on every shown line are left out."""
    keep = [i for i, code in enumerate(columns) if any(row[i] not in (None, "") for row in sample)]
    return Table([(title(kind, columns[i], language), columns[i] in _RIGHT) for i in keep],
                 [[cell(columns[i], row[i], language) for i in keep] for row in sample])


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
