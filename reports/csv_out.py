"""Every CSV countapp writes: two dialects and one guard against spreadsheet formulas.

- ``PLAIN`` (for machines, SPEC.md): the column codes, ``,`` between fields, ``.`` as decimal
  mark, UTF-8 without BOM, ``\\n`` line ends.
- ``EXCEL`` (for people opening the file in a spreadsheet): UTF-8 **with** BOM (so Excel reads
  "matières", not "matiÃ¨res"), ``;`` between fields, decimal comma, ``\\r\\n`` line ends and
  headers in the campaign's language (``HEADERS`` below, unknown codes kept as they are).

Text cells that a spreadsheet would read as a formula (first character ``=``, ``+``, ``-``, ``@``,
tab or carriage return) get a leading apostrophe in both dialects; numbers (int, Decimal, float)
are written as numbers, negative ones included. A text that is a plain number ("-5", "12.50")
cannot run anything and is kept as it is.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?\Z")


@dataclass(frozen=True)
class Dialect:
    name: str
    delimiter: str
    decimal: str
    bom: bool
    lineterminator: str


PLAIN = Dialect("plain", ",", ".", False, "\n")
EXCEL = Dialect("excel", ";", ",", True, "\r\n")


def dialect(excel: bool) -> Dialect:
    return EXCEL if excel else PLAIN


def neutralise(text: str) -> str:
    """``'=HYPERLINK(…)`` for ``=HYPERLINK(…)``: the spreadsheet shows the text, never runs it."""
    if text and text[0] in FORMULA_STARTS and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def _number(value, decimal_mark: str) -> str:
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        text = repr(float(value))  # float() also for numpy.float64, whose repr names its type
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        text = format(value, "f")
    else:
        text = str(int(value))
    return text.replace(".", decimal_mark) if decimal_mark != "." else text


def cell(value, dialect_: Dialect = PLAIN) -> str:
    """One value as the text of a CSV field (empty for None/NaN)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)  # True / False, as pandas wrote them
    if isinstance(value, (int, float, Decimal)):
        return _number(value, dialect_.decimal)
    if type(value).__module__ == "numpy":  # numpy scalars (from DataFrames)
        item = value.item()
        return cell(item, dialect_) if type(item).__module__ != "numpy" else neutralise(str(item))
    if isinstance(value, Enum):
        value = value.value
    if type(value).__module__.partition(".")[0] == "pandas":   # pd.NA, pd.NaT (a datetime!), from DataFrames
        import pandas as pd  # loaded already, since the value is one of its: CSV without frames never loads it

        if value is pd.NA or value is pd.NaT:
            return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return neutralise(str(value))


def header_row(columns: Sequence[str], dialect_: Dialect, language: str = "en") -> list[str]:
    if dialect_ is PLAIN:
        return list(columns)
    labels = HEADERS.get(language, HEADERS["en"])
    return [labels.get(c, HEADERS["en"].get(c, c)) for c in columns]


class Writer:
    """A CSV writer on a text stream in one dialect: ``writer.header(codes)``, then ``writer.row(values)``.

    ``words``: {column code: {coded value: word}}, used by the Excel dialect only (the plain one
    keeps SPEC.md's codes), so that a status reads "écart" rather than "difference".
    """

    def __init__(self, stream, dialect_: Dialect = PLAIN, language: str = "en", words: dict | None = None) -> None:
        self.dialect, self.language, self.stream = dialect_, language, stream
        self.words = words if dialect_ is not PLAIN and words else None
        self._labels: list = []
        if dialect_.bom:
            stream.write("\ufeff")
        self._csv = csv.writer(stream, delimiter=dialect_.delimiter, lineterminator=dialect_.lineterminator)
        # Python 3.11's csv quotes a lone carriage return only when it is in the line terminator.
        self._quoted = csv.writer(stream, delimiter=dialect_.delimiter, lineterminator=dialect_.lineterminator,
                                  quoting=csv.QUOTE_ALL)

    def write_cells(self, cells: list[str]) -> None:
        (self._quoted if any("\r" in c for c in cells) else self._csv).writerow(cells)

    def header(self, columns: Sequence[str]) -> None:
        if self.words:
            self._labels = [self.words.get(c) for c in columns]
        self.write_cells(header_row(columns, self.dialect, self.language))

    def row(self, values: Iterable) -> None:
        if self._labels:
            values = [labels.get(v, v) if labels and isinstance(v, str) else v
                      for v, labels in zip(values, self._labels)]
        self.write_cells([cell(v, self.dialect) for v in values])

    def rows(self, rows: Iterable[Iterable]) -> None:
        for values in rows:
            self.row(values)

    def dict_row(self, columns: Sequence[str], record: dict) -> None:
        self.row(record.get(c) for c in columns)


def to_bytes(columns: Sequence[str], rows: Iterable[Iterable], dialect_: Dialect = PLAIN,
             language: str = "en", words: dict | None = None) -> bytes:
    """A whole CSV file as UTF-8 bytes (with BOM in the Excel dialect)."""
    out = io.StringIO()
    writer = Writer(out, dialect_, language, words)
    writer.header(columns)
    writer.rows(rows)
    return out.getvalue().encode("utf-8")


def column_cells(values: list, dialect_: Dialect = PLAIN) -> list[str]:
    """``cell`` over a column, with fast paths for the common types (a reconciliation has millions of cells)."""
    out = []
    append = out.append
    comma = dialect_.decimal != "."
    for v in values:
        t = type(v)
        if t is str:
            append(neutralise(v) if v and v[0] in FORMULA_STARTS else v)
        elif t is float and v == v and v not in (math.inf, -math.inf):
            text = repr(v)
            if "e" in text:
                text = format(Decimal(text), "f")
            append(text.replace(".", ",") if comma else text)
        elif t is Decimal and v.is_finite():
            text = str(v)
            if "E" in text:
                text = format(v, "f")
            append(text.replace(".", ",") if comma else text)
        elif t is int:
            append(str(v))
        elif v is None:
            append("")
        else:
            append(cell(v, dialect_))
    return out


def frame_bytes(frame, dialect_: Dialect = PLAIN, language: str = "en", words: dict | None = None) -> bytes:
    """A DataFrame as CSV bytes, through ``cell`` (so numbers keep every digit and text is neutralised)."""
    columns = [str(c) for c in frame.columns]
    out = io.StringIO()
    writer = Writer(out, dialect_, language)
    writer.header(columns)
    words = words if dialect_ is not PLAIN else None

    def values(i: int) -> list:
        raw = frame.iloc[:, i].tolist()
        labels = (words or {}).get(columns[i])
        return [labels.get(v, v) if isinstance(v, str) else v for v in raw] if labels else raw
    data = [column_cells(values(i), dialect_) for i in range(len(columns))]
    if columns and any("\r" in "".join(values) for values in data):
        for cells in zip(*data):
            writer.write_cells(cells)
    elif columns:
        writer._csv.writerows(zip(*data))
    return out.getvalue().encode("utf-8")


def lines(columns: Sequence[str], rows: Iterable[Iterable], dialect_: Dialect = PLAIN, language: str = "en"):
    """The CSV file line by line (text), for streamed downloads."""
    out = io.StringIO()
    writer = Writer(out, dialect_, language)
    writer.header(columns)
    yield out.getvalue()
    for values in rows:
        out.seek(0)
        out.truncate()
        writer.row(values)
        yield out.getvalue()


# Column codes → headers people read (Excel dialect). Shared by every export; add codes freely.
HEADERS: dict[str, dict[str, str]] = {
    "fr": {
        # tickets list / control / recounts
        "ticket": "Ticket", "reference": "Référence", "designation": "Désignation", "location": "Emplacement",
        "lot": "Lot", "unit": "Unité", "owner": "Propriétaire", "status": "Statut",
        "team_round1": "Équipe 1er comptage", "team_round2": "Équipe 2e comptage", "zone": "Zone", "site": "Site",
        "team": "Équipe", "round": "Comptage", "first": "Premier numéro", "last": "Dernier numéro",
        "issued": "Émis", "counted": "Utilisés", "voided": "Annulés", "returned": "Rendus", "missing": "Manquants",
        "missing_numbers": "Numéros manquants", "verdict": "Conclusion", "kind": "Nature", "range": "Plage",
        "numbers": "Numéros", "count": "Nombre", "reason": "Motif", "reasons": "Motifs",
        "count1": "1er comptage", "count2": "2e comptage", "count3": "3e comptage", "book_qty": "Stock théorique",
        "decision": "Décision", "decision_reason": "Motif de la décision", "sheet": "Feuille",
        # reconciliation
        "book_line_id": "Ligne théorique", "category": "Catégorie", "counted_qty": "Quantité comptée",
        "diff_qty": "Écart (quantité)", "rollforward_qty": "Mouvements après inventaire",
        "closing_qty": "Quantité à la clôture", "unit_cost": "Coût unitaire", "book_value": "Valeur théorique",
        "counted_value": "Valeur comptée", "diff_value": "Écart (valeur)", "closing_value": "Valeur brute à la clôture",
        "depreciation": "Dépréciation", "net_value": "Valeur nette", "cause": "Cause", "exception": "Anomalie",
        "state": "État", "last_movement_date": "Dernier mouvement", "market_price": "Prix de marché",
        "depreciation_reason": "Motif de dépréciation", "depreciation_rate": "Taux de dépréciation",
        "note": "Note", "count_date": "Date d’inventaire", "cutoff": "Sens de l’arrêté",
        "cutoff_documents": "Pièces de l’arrêté",
        # entries
        "journal": "Journal", "date": "Date", "account": "Compte", "label": "Libellé", "debit": "Débit",
        "credit": "Crédit", "entry": "Écriture",
        # audit log
        "seq": "N°", "at": "Date et heure", "user": "Utilisateur", "action": "Action", "entity": "Objet",
        "entity_id": "Identifiant", "before": "Avant", "after": "Après", "prev_hash": "Empreinte précédente",
        "hash": "Empreinte",
    },
    "en": {
        "ticket": "Ticket", "reference": "Reference", "designation": "Designation", "location": "Location",
        "lot": "Lot", "unit": "Unit", "owner": "Owner", "status": "Status", "team_round1": "Team, 1st count",
        "team_round2": "Team, 2nd count", "zone": "Zone", "site": "Site", "team": "Team", "round": "Round",
        "first": "First number", "last": "Last number", "issued": "Issued", "counted": "Used", "voided": "Voided",
        "returned": "Returned", "missing": "Missing", "missing_numbers": "Missing numbers", "verdict": "Verdict",
        "kind": "Kind", "range": "Range", "numbers": "Numbers", "count": "Count", "reason": "Reason",
        "reasons": "Reasons", "count1": "1st count", "count2": "2nd count", "count3": "3rd count",
        "book_qty": "Book quantity", "decision": "Decision", "decision_reason": "Reason for the decision",
        "sheet": "Sheet", "book_line_id": "Book line", "category": "Category", "counted_qty": "Counted quantity",
        "diff_qty": "Difference (quantity)", "rollforward_qty": "Movements after the count",
        "closing_qty": "Closing quantity", "unit_cost": "Unit cost", "book_value": "Book value",
        "counted_value": "Counted value", "diff_value": "Difference (value)", "closing_value": "Closing gross value",
        "depreciation": "Depreciation", "net_value": "Net value", "cause": "Cause", "exception": "Exception",
        "state": "State", "last_movement_date": "Last movement", "market_price": "Market price",
        "depreciation_reason": "Depreciation reason", "depreciation_rate": "Depreciation rate", "note": "Note",
        "count_date": "Count date", "cutoff": "Cut-off", "cutoff_documents": "Cut-off documents",
        "journal": "Journal", "date": "Date", "account": "Account", "label": "Label",
        "debit": "Debit", "credit": "Credit", "entry": "Entry", "seq": "No.", "at": "Date and time",
        "user": "User", "action": "Action", "entity": "Object", "entity_id": "Id", "before": "Before",
        "after": "After", "prev_hash": "Previous hash", "hash": "Hash",
    },
}
