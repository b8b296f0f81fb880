"""The FEC (reports.fec): 18 statutory columns, tab-separated, AAAAMMJJ dates, decimal comma, balanced."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pandas as pd

from reports.entries import build_entries
from reports.fec import ACCOUNT_LABELS, FEC_COLUMNS, fec_amount, fec_bytes, fec_filename
from reports.model import CATEGORY_ACCOUNTS, DEPRECIATION_CHARGE, DEPRECIATION_REVERSAL

CLOSING = dt.date(2025, 12, 31)
STATUTORY = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
             "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
             "ValidDate", "Montantdevise", "Idevise")


def _entries() -> pd.DataFrame:
    """Seed 004's worked example plus depreciation on both categories (odd cents on purpose)."""
    closing = pd.DataFrame({"category": ["raw_materials", "goods_for_resale"],
                            "closing_value": [Decimal("2000.00"), Decimal("105000.00")],
                            "depreciation": [Decimal("123.45"), Decimal("0.01")]})
    opening = pd.DataFrame({"category": ["raw_materials", "goods_for_resale"],
                            "opening_value": [Decimal("15000"), Decimal("100000")],
                            "opening_depreciation": [Decimal("20.5"), Decimal("0")]})
    return build_entries(closing, opening, CLOSING, "fr")


def read_fec(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert not text.startswith("\ufeff")
    lines = text.split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines)
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:-1]]


def amount(text: str) -> Decimal:
    assert "." not in text and " " not in text, text
    return Decimal(text.replace(",", "."))


def test_the_eighteen_columns_in_statutory_order():
    assert FEC_COLUMNS == STATUTORY
    data = fec_bytes(_entries(), closing_date=CLOSING, piece_ref="INVENTAIRE-FY2025", valid_date=dt.date(2026, 1, 5))
    assert data.decode("utf-8").split("\r\n")[0] == "\t".join(STATUTORY)


def test_each_entry_number_balances_and_totals_match_the_entries():
    entries = _entries()
    rows = read_fec(fec_bytes(entries, closing_date=CLOSING, piece_ref="INVENTAIRE-FY2025",
                              valid_date=dt.date(2026, 1, 5)))
    assert len(rows) == len(entries)
    by_number: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_number[row["EcritureNum"]].append(row)
        assert row["EcritureDate"] == row["PieceDate"] == "20251231"
        assert row["ValidDate"] == "20260105"
        assert row["JournalCode"] == "INV" and row["CompteLib"] == ACCOUNT_LABELS[row["CompteNum"]]
        assert (amount(row["Debit"]) == 0) != (amount(row["Credit"]) == 0)  # one side per line
    assert len(by_number) == entries["entry"].nunique()
    for lines in by_number.values():
        assert sum(amount(r["Debit"]) for r in lines) == sum(amount(r["Credit"]) for r in lines)
    fec_totals, csv_totals = defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        fec_totals[row["CompteNum"]] += amount(row["Debit"]) - amount(row["Credit"])
    for line in entries.to_dict("records"):
        csv_totals[line["account"]] += (line["debit"] or 0) - (line["credit"] or 0)
    assert dict(fec_totals) == dict(csv_totals)
    assert fec_totals["6031"] == Decimal("13000.00") and fec_totals["37"] == Decimal("5000.00")


def test_amounts_have_a_decimal_comma_and_no_thousands_separator():
    assert fec_amount(Decimal("1234567.8")) == "1234567,80"
    assert fec_amount(None) == "0,00"
    assert fec_amount(Decimal("0.005")) == "0,01"


def test_labels_never_hold_a_tab_or_a_line_break():
    entries = _entries()
    entries.loc[0, "label"] = "Variation\tdes\r\nstocks"
    rows = read_fec(fec_bytes(entries, closing_date=CLOSING, piece_ref="X", valid_date=None))
    assert rows[0]["EcritureLib"] == "Variation des stocks"
    assert rows[0]["ValidDate"] == ""


def test_every_account_of_the_journal_has_its_french_label():
    for accounts in CATEGORY_ACCOUNTS.values():
        for account in accounts:
            assert ACCOUNT_LABELS[account]
    assert ACCOUNT_LABELS[DEPRECIATION_CHARGE].startswith("Dotations")
    assert ACCOUNT_LABELS[DEPRECIATION_REVERSAL].startswith("Reprises")


def test_file_name_from_the_siren_and_the_closing_date():
    assert fec_filename("123456789", CLOSING, "FY2025") == "123456789FEC20251231.txt"
    assert fec_filename("", CLOSING, "FY2025") == "FY2025FEC20251231.txt"
    assert fec_filename(None, CLOSING, "A/B") == "A_BFEC20251231.txt"
