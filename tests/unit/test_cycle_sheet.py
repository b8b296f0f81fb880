"""The cycle count sheet: place by place, every line's barcode reads back, never a quantity."""
from __future__ import annotations

import io
import re

import pypdf
import pytest

from tickets.cycle_sheet import CycleSheetView, SheetLineView, write_cycle_sheet
from tickets.errors import CountappError


def make_sheet(lines: int = 5) -> CycleSheetView:
    return CycleSheetView(
        programme="CYC2026", day="12/03/2026", counter="Zoë Łukasz",
        lines=[SheetLineView(code=f"CL{i:06d}", reference=f"ART-{i}", designation=f"Palette de granulés {i}",
                             location=f"A-0{i}", place="Allée A" if i < 3 else "Allée B", lot=f"L{i}" if i % 2 else None, unit="kg")
               for i in range(1, lines + 1)])


def text_of(sheet: CycleSheetView, language: str = "fr") -> tuple[bytes, str]:
    out = io.BytesIO()
    write_cycle_sheet(sheet, out, language)
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()), strict=True)
    return out.getvalue(), re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_sheet_groups_lines_by_place_in_french_and_english():
    _, fr = text_of(make_sheet())
    assert "Fiche de comptage tournant" in fr and "Lieu : Allée A" in fr and "Lieu : Allée B" in fr
    assert fr.index("Allée A") < fr.index("ART-3") and "Lignes à compter : 5" in fr
    _, en = text_of(make_sheet(), "en")
    assert "Cycle count sheet" in en and "Place: Allée B" in en and "A-05" in en and "Quantity found" in en


def test_every_line_barcode_reads_back():
    pypdfium2 = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    data, _ = text_of(make_sheet())
    image = pypdfium2.PdfDocument(data)[0].render(scale=300 / 72).to_pil()
    assert sorted(b.text for b in zxingcpp.read_barcodes(image)) == [f"CL{i:06d}" for i in range(1, 6)]


def test_the_sheet_has_no_quantity_field_and_no_line_says_so():
    assert not {"quantity", "book_qty"} & set(SheetLineView.__dataclass_fields__)
    _, fr = text_of(make_sheet(0))
    assert "Aucune ligne à compter ce jour-là." in fr


def test_an_unknown_language_is_refused():
    with pytest.raises(CountappError):
        write_cycle_sheet(make_sheet(), io.BytesIO(), "de")
