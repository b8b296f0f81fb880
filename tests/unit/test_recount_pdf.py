"""The third-count sheet, read back with pypdf: who, which tickets, blind, signatures, Page X of Y."""
from __future__ import annotations

import dataclasses
import io
import re

import pypdf
import pytest

from tickets.errors import CountappError
from tickets.recount_pdf import RecountLineView, RecountSheetView, write_recount_sheet
from tickets.ticket_texts import RECOUNT_TEXTS


def make_sheet(lines: int = 3) -> RecountSheetView:
    return RecountSheetView(
        number="R-007", campaign="Inventaire FY2025", leader_round1="Claire Dubœuf", leader_round2="Marc Olivier",
        supervisor="Zoë Łukasz", date="28/12/2025",
        lines=[RecountLineView(ticket=f"{i:06d}/2025", reference=f"ART-{i}", designation=f"Palette de granulés {i}",
                               location=f"Allée {i}", lot=f"L{i}" if i % 2 else None, unit="kg")
               for i in range(1, lines + 1)])


def pages_of(sheet: RecountSheetView, language: str = "fr") -> tuple[int, list[str]]:
    out = io.BytesIO()
    count = write_recount_sheet(sheet, out, language)
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()), strict=True)
    return count, [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def test_the_sheet_names_the_campaign_the_two_leaders_and_the_supervisor():
    _, pages = pages_of(make_sheet())
    first = pages[0]
    for expected in ("Fiche de troisième comptage n° R-007", "Inventaire FY2025", "28/12/2025",
                     "Tickets à recompter : 3", "Claire Dubœuf", "Marc Olivier", "Zoë Łukasz",
                     "Superviseur du troisième comptage"):
        assert expected in first, expected


def test_every_ticket_to_recount_is_listed_with_what_identifies_its_goods():
    _, pages = pages_of(make_sheet(3))
    text = " ".join(pages)
    for i in range(1, 4):
        for expected in (f"{i:06d}/2025", f"ART-{i}", f"Palette de granulés {i}", f"Allée {i}"):
            assert expected in text
    assert "L1" in text and "L3" in text and "L2" not in text


def test_the_sheet_is_blind_it_shows_no_earlier_count_nor_book_stock():
    field_names = {f.name for f in dataclasses.fields(RecountLineView)}
    assert not field_names & {"quantity", "count1", "count2", "book_qty", "qty"}
    text = " ".join(pages_of(make_sheet(3))[1])
    # The only figures are ticket numbers, references, lots, places, the date and page numbers.
    shown = (r"\d{6}/2025|ART-\d|L\d|Allée \d|granulés \d|R-007|FY2025|28/12/2025|Page \d sur \d|1er|2e"
             r"|Tickets à recompter : \d+")
    left = re.sub(shown, "", text)
    assert not re.search(r"\d", left), left


def test_columns_to_write_the_recount_are_there_and_empty():
    _, pages = pages_of(make_sheet(1))
    texts = RECOUNT_TEXTS["fr"]
    for header in (texts["quantity"], texts["state"], texts["remarks"]):
        assert header in pages[0]


def test_three_people_sign():
    _, pages = pages_of(make_sheet(2), "en")
    last = pages[-1]
    assert "Signatures" in last
    assert last.count("Date and signature") == 3


def test_page_x_of_y_on_every_page_of_a_long_sheet():
    count, pages = pages_of(make_sheet(60), "en")
    assert count == len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page
        assert "Ticket no." in page  # the header row repeats on every page
    assert "000060/2025" in pages[-1]


def test_an_unknown_language_is_refused():
    with pytest.raises(CountappError):
        write_recount_sheet(make_sheet(), io.BytesIO(), "de")
