"""Confirmation requests to holders of our goods (reports.confirmation_pdf), read back from the PDF."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from reports.confirmation_pdf import Letter, LetterLine, holder_name, write_letters

LINES = [LetterLine("G-7", "Bobine d’acier œuvrée", "EXT-1", "", "kg", Decimal("500")),
         LetterLine("G-7", "Bobine d’acier œuvrée", "EXT-2", "C1", "kg", Decimal("250.5"))]


def _pages(letters) -> list[str]:
    stream = io.BytesIO()
    write_letters(letters, stream)
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(stream.getvalue())).pages]


def letter(holder="Transports Dupont", language="fr", lines=LINES, **kwargs):
    return Letter(holder=holder, company="ACME Industries", campaign_code="FY2025", count_date=dt.date(2025, 12, 28),
                  language=language, issued_on=dt.date(2026, 1, 5), lines=lines, **kwargs)


def test_a_french_letter_lists_the_goods_and_book_quantities():
    (page,) = _pages([letter(reply_to="Cabinet Vérif & Associés")])
    for text in ("Demande de confirmation", "Destinataire : Transports Dupont", "ACME Industries", "5 janvier 2026",
                 "28 décembre 2025", "Bobine d’acier œuvrée", "EXT-1", "EXT-2", "C1", "500", "250,5",
                 "Quantité détenue", "Cabinet Vérif & Associés", "FY2025 · demande de confirmation"):
        assert text in page, text


def test_an_english_letter():
    (page,) = _pages([letter(holder="Acme Storage", language="en")])
    for text in ("Request for confirmation", "To: Acme Storage", "December 28, 2025", "250.5", "Quantity you hold",
                 "Signature and company stamp"):
        assert text in page, text
    assert "Destinataire" not in page


def test_one_letter_per_holder_each_on_its_own_pages_with_its_own_footer():
    many = [LetterLine(f"R-{i}", "Item", f"X-{i}", "", "pc", Decimal(i)) for i in range(1, 90)]
    pages = _pages([letter(holder="Alpha", lines=many), letter(holder="Beta", language="en")])
    assert len(pages) >= 3
    alpha = [p for p in pages if "Alpha" in p]
    assert len(alpha) >= 2 and all("demande de confirmation · Alpha" in p for p in alpha)
    assert "confirmation request · Beta" in pages[-1] and "Alpha" not in pages[-1]
    assert "R-89" in "".join(alpha)


def test_a_holder_the_book_does_not_name():
    assert holder_name("  ", "fr").startswith("(détenteur")
    assert "holder not named" in _pages([letter(holder="", language="en")])[0]


def test_no_letter_no_pdf():
    with pytest.raises(ValueError):
        write_letters([], io.BytesIO())
