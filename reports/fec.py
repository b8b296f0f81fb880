"""The entries as a *fichier des écritures comptables* (FEC, article A47 A-1 of the French LPF).

The 18 statutory columns, in order, separated by tabs; dates ``AAAAMMJJ``; amounts with a
decimal comma, two decimals and no thousands separator (both sides written, ``0,00`` on the
side not used); one ``EcritureNum`` per balanced entry; account labels from the French chart
of accounts (PCG). The norm accepts ISO 8859-15 or UTF-8: countapp writes **UTF-8 without
BOM**, lines ending in **CRLF**. ``ValidDate`` is the date the reconciliation was signed off
(empty while it is not). The file name is ``<SIREN>FEC<AAAAMMJJ>.txt`` (the closing date) when
the company's SIREN is known.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from .model import CATEGORY_ACCOUNTS, DEPRECIATION_CHARGE, DEPRECIATION_REVERSAL, JOURNAL

FEC_COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
               "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
               "ValidDate", "Montantdevise", "Idevise")
ENCODING = "utf-8"
LINE_END = "\r\n"
JOURNAL_LABEL = "Écritures d’inventaire"

# Plan comptable général: the accounts the INV journal uses (DOMAIN.md, Accounts).
ACCOUNT_LABELS = {
    "31": "Matières premières et fournitures",
    "32": "Autres approvisionnements",
    "33": "En-cours de production de biens",
    "34": "En-cours de production de services",
    "35": "Stocks de produits",
    "37": "Stocks de marchandises",
    "6031": "Variation des stocks de matières premières et fournitures",
    "6032": "Variation des stocks des autres approvisionnements",
    "6037": "Variation des stocks de marchandises",
    "7133": "Variation des en-cours de production de biens",
    "7134": "Variation des en-cours de production de services",
    "7135": "Variation des stocks de produits",
    "391": "Dépréciations des matières premières et fournitures",
    "392": "Dépréciations des autres approvisionnements",
    "393": "Dépréciations des en-cours de production de biens",
    "394": "Dépréciations des en-cours de production de services",
    "395": "Dépréciations des stocks de produits",
    "397": "Dépréciations des stocks de marchandises",
    DEPRECIATION_CHARGE: "Dotations aux dépréciations des stocks et en-cours",
    DEPRECIATION_REVERSAL: "Reprises sur dépréciations des stocks et en-cours",
}

_SPACES = re.compile(r"[\t\r\n]+")
_SIREN = re.compile(r"\d{9}\Z")


def fec_date(value: dt.date | None) -> str:
    return "" if value is None else value.strftime("%Y%m%d")


def fec_amount(value) -> str:
    """``13000,00``: two decimals, decimal comma, no thousands separator; empty or missing is 0,00."""
    if value is None or (not isinstance(value, (str, Decimal)) and pd.isna(value)) or value == "":
        value = Decimal("0")
    amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return format(amount, "f").replace(".", ",")


def _text(value) -> str:
    """A field never holds the separator nor a line break."""
    return _SPACES.sub(" ", "" if value is None else str(value)).strip()


def entry_number(closing_date: dt.date, entry: int) -> str:
    return f"{JOURNAL}{closing_date:%Y}-{int(entry):04d}"


def fec_rows(entries: pd.DataFrame, *, closing_date: dt.date, piece_ref: str,
             valid_date: dt.date | None) -> list[list[str]]:
    """One FEC row per entries line (``reports.entries`` frame), in entry order."""
    rows = []
    for line in entries.to_dict("records"):
        account = str(line["account"])
        date = line["date"] if isinstance(line["date"], dt.date) else closing_date
        rows.append([
            _text(line["journal"]), JOURNAL_LABEL, entry_number(closing_date, line["entry"]), fec_date(date),
            account, ACCOUNT_LABELS.get(account, account), "", "", _text(piece_ref), fec_date(closing_date),
            _text(line["label"]), fec_amount(line["debit"]), fec_amount(line["credit"]), "", "",
            fec_date(valid_date), "", "",
        ])
    return rows


def fec_bytes(entries: pd.DataFrame, *, closing_date: dt.date, piece_ref: str,
              valid_date: dt.date | None) -> bytes:
    """The whole file: header line then one line per entries line, UTF-8, tab-separated, CRLF."""
    lines = ["\t".join(FEC_COLUMNS)]
    lines += ["\t".join(row) for row in fec_rows(entries, closing_date=closing_date, piece_ref=piece_ref,
                                                 valid_date=valid_date)]
    return (LINE_END.join(lines) + LINE_END).encode(ENCODING)


def fec_filename(siren: str | None, closing_date: dt.date, code: str) -> str:
    """``123456789FEC20251231.txt``; without a SIREN, the campaign's code stands in its place."""
    siren = (siren or "").strip()
    prefix = siren if _SIREN.match(siren) else re.sub(r"[^A-Za-z0-9_-]", "_", code)
    return f"{prefix}FEC{fec_date(closing_date)}.txt"
