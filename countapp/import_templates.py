"""Blank import files to fill in: the columns of a kind and two example lines, as CSV or XLSX.

Pure: no Flask, no database. A French template has French headers and values, ``;`` between
columns, a decimal comma, day-first dates and a UTF-8 BOM (what French Excel opens and
saves); an English one has the codes of SPEC.md, ``,`` and a decimal point. Either reads
back through ``countapp.filecheck`` without an error.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from . import import_columns as cols
from .tabular import decimal_text

D = Decimal

# Two lines per kind, by column code; coded values are codes, translated for a French template.
_EXAMPLES = {
    "stock": [
        {"reference": "MP-0101", "designation": ("Tôle acier galvanisé 2 mm", "Galvanised steel sheet 2 mm"),
         "unit": "kg", "category": "raw_materials", "location": "A-01-02", "book_qty": D("1250.5"),
         "unit_cost": D("2.75"), "lot": "L2025-14", "zone": "A", "site": "LYON", "owner": "own",
         "last_movement_date": -40, "market_price": D("2.6"), "holder": ""},
        {"reference": "MA-2040", "designation": ("Écrou M8 laiton", "Brass nut M8"), "unit": "pc",
         "category": "goods_for_resale", "location": "B-03-01", "book_qty": D("340"), "unit_cost": D("0.125"),
         "lot": "", "zone": "B", "site": "LYON", "owner": "own", "last_movement_date": -12, "market_price": None,
         "holder": ""},
    ],
    "movements": [
        {"date": -60, "reference": "MP-0101", "location": "A-01-02", "quantity": D("500"), "unit_cost": D("2.7"),
         "lot": "L2025-14", "kind": "receipt", "document": "BL-4521"},
        {"date": -10, "reference": "MP-0101", "location": "A-01-02", "quantity": D("-120.5"), "unit_cost": None,
         "lot": "L2025-14", "kind": "issue", "document": "BS-0932"},
    ],
    "opening": [
        {"category": "raw_materials", "opening_value": D("48500.00"), "opening_depreciation": D("1200.00"),
         "purchases": D("310000.00")},
        {"category": "goods_for_resale", "opening_value": D("12300.00"), "opening_depreciation": D("0"),
         "purchases": D("95000.00")},
    ],
    "counts": [
        {"ticket": "000001/{year}", "round": 1, "quantity": D("1250.5"), "state": "good", "team": 1,
         "counted_by": "Marie Dupont", "counted_at": (0, "09:30"), "reference": "", "location": "", "lot": "",
         "method": "weighed"},
        {"ticket": "000002/{year}", "round": 2, "quantity": D("338"), "state": "damaged", "team": 2,
         "counted_by": "Paul Martin", "counted_at": (0, "10:15"), "reference": "", "location": "", "lot": "",
         "method": "counted"},
    ],
}
_CODED = {"category": cols.CATEGORY_NAMES, "owner": cols.OWNER_NAMES, "kind": cols.KIND_NAMES,
          "state": cols.STATE_NAMES, "method": cols.METHOD_NAMES}


def headers(kind: str, language: str) -> list[str]:
    """The header line: French headers for ``fr``, the codes otherwise."""
    return [c.french if language == "fr" else c.name for c in cols.COLUMNS[kind]]


def example_values(kind: str, language: str, count_date: dt.date) -> list[list[object]]:
    """The two example lines as typed values (dates around ``count_date``), coded values in ``language``."""
    lines = []
    for example in _EXAMPLES[kind]:
        values = []
        for column in cols.COLUMNS[kind]:
            value = example[column.name]
            if isinstance(value, tuple) and isinstance(value[0], str):
                value = value[0] if language == "fr" else value[1]
            elif isinstance(value, tuple):  # (days from the count date, time)
                day = count_date + dt.timedelta(days=value[0])
                value = dt.datetime.combine(day, dt.time.fromisoformat(value[1]))
            elif isinstance(value, int) and column.name in ("date", "last_movement_date"):
                value = count_date + dt.timedelta(days=value)
            elif isinstance(value, str) and "{year}" in value:
                value = value.format(year=count_date.year)
            elif language == "fr" and column.name in _CODED and value:
                value = _CODED[column.name][value][0]
            values.append(value)
        lines.append(values)
    return lines


def _text(value: object, language: str) -> str:
    if value is None:
        return ""
    french = language == "fr"
    if isinstance(value, Decimal):
        text = decimal_text(value) if value else "0"
        return text.replace(".", ",") if french else text
    if isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y %H:%M" if french else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y") if french else value.isoformat()
    return str(value)


def template_csv(kind: str, language: str, count_date: dt.date) -> bytes:
    """The template as CSV: French (``;``, decimal comma, BOM) or English (``,``, point)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if language == "fr" else ",", lineterminator="\r\n")
    writer.writerow(headers(kind, language))
    for values in example_values(kind, language, count_date):
        writer.writerow([_text(v, language) for v in values])
    return out.getvalue().encode("utf-8-sig" if language == "fr" else "utf-8")


def template_xlsx(kind: str, language: str, count_date: dt.date) -> bytes:
    """The template as XLSX: typed cells (numbers, dates), the header in bold, columns wide enough."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.append(headers(kind, language))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in example_values(kind, language, count_date):
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in values])
    for index, column in enumerate(cols.COLUMNS[kind], start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(sheet.cell(row=1, column=index).value) + 4)
        for row in range(2, sheet.max_row + 1):
            cell = sheet.cell(row=row, column=index)
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "dd/mm/yyyy hh:mm" if language == "fr" else "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "dd/mm/yyyy" if language == "fr" else "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
