"""Printed three-part tickets, read back: words with pypdf, barcodes with pdfium + ZXing."""
from __future__ import annotations

import io
import re

import pypdf
import pypdfium2
import pytest
import zxingcpp

from tickets.barcodes import QUIET_MODULES, BarcodeBox, bar_runs, code128_modules
from tickets.errors import CountappError
from tickets.pdf import TicketView, write_tickets
from tickets.ticket_texts import TICKET_TEXTS


def number(sequence: int, year: int = 2025) -> str:
    return f"{sequence:06d}/{year}"


def make_tickets(count: int, start: int = 1) -> list[TicketView]:
    """Pre-referenced tickets, every fourth one blank."""
    views = []
    for seq in range(start, start + count):
        if seq % 4 == 0:
            views.append(TicketView(number(seq), team_round1="3", blank=True))
        else:
            views.append(TicketView(number(seq), team_round1="3", team_round2="8", reference=f"ART-{seq:04d}",
                                    designation=f"Vis à tête hexagonale n°{seq}", unit="pièce",
                                    lot=f"L{seq}", location=f"Allée {seq}"))
    return views


def print_pdf(views, **options) -> bytes:
    out = io.BytesIO()
    write_tickets(views, out, **options)
    return out.getvalue()


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf), strict=True).pages]


def barcodes_on_pages(pdf: bytes, pages: int | None = None, stubs_only: bool = False) -> list[list[str]]:
    """Every barcode ZXing reads on each page rendered at 300 dpi (``stubs_only``: the top quarter)."""
    document = pypdfium2.PdfDocument(pdf)
    crop = (0, 0.75 * 842, 0, 0) if stubs_only else (0, 0, 0, 0)  # points cut from left, bottom, right, top
    try:
        return [sorted(b.text for b in zxingcpp.read_barcodes(document[i].render(scale=300 / 72, crop=crop).to_pil()))
                for i in range(min(pages or len(document), len(document)))]
    finally:
        document.close()


@pytest.fixture(scope="module")
def seven_fr() -> dict[int, bytes]:
    return {per_page: print_pdf(make_tickets(7), per_page=per_page, campaign="Inventaire FY2025")
            for per_page in (1, 2, 3)}


@pytest.mark.parametrize("per_page, pages", [(1, 7), (2, 4), (3, 3)])
def test_each_sheet_holds_per_page_tickets(seven_fr, per_page, pages):
    assert len(page_texts(seven_fr[per_page])) == pages


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_every_number_is_printed_on_the_three_parts_of_its_page(seven_fr, per_page):
    texts = page_texts(seven_fr[per_page])
    for index, view in enumerate(make_tickets(7)):
        page = texts[index // per_page]
        assert page.count(view.number) == 3, (view.number, page)
    printed = re.findall(r"\d{6}/2025", " ".join(texts))
    assert sorted(set(printed)) == [number(s) for s in range(1, 8)]


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_each_ticket_has_a_stub_and_two_count_parts(seven_fr, per_page):
    texts = TICKET_TEXTS["fr"]
    for page_index, page in enumerate(page_texts(seven_fr[per_page])):
        on_page = min(per_page, 7 - page_index * per_page)
        lines = [line.strip() for line in page.splitlines()]
        for title in (texts["stub"], texts["round2"], texts["round1"]):
            assert lines.count(title) == on_page, (title, page_index)


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_every_barcode_reads_back_as_the_printed_number(seven_fr, per_page):
    found = barcodes_on_pages(seven_fr[per_page], pages=3)
    views = make_tickets(7)
    for page_index, codes in enumerate(found):
        on_page = views[page_index * per_page:(page_index + 1) * per_page]
        assert codes == sorted(v.number for v in on_page for _part in range(3))


def test_the_ticket_data_is_printed(seven_fr):
    text = " ".join(page_texts(seven_fr[3]))
    for expected in ("ART-0001", "Vis à tête hexagonale n°1", "pièce", "L1", "Allée 1", "Inventaire FY2025"):
        assert expected in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_labels_are_in_the_campaign_language(language):
    text = page_texts(print_pdf(make_tickets(1), language=language))[0]
    words = TICKET_TEXTS[language]
    for key in ("number", "team", "designation", "reference", "unit", "location", "quantity", "state",
                "good", "damaged", "obsolete", "expired", "method", "counted", "weighed", "measured",
                "estimated", "date", "name", "signature"):
        assert words[key] in text, key
    other = TICKET_TEXTS["en" if language == "fr" else "fr"]
    assert other["round2"] not in text


def test_french_labels_read_naturally():
    text = page_texts(print_pdf(make_tickets(1), language="fr"))[0]
    for label in ("Ticket n°", "Talon", "2e comptage", "1er comptage", "Équipe n°", "Désignation",
                  "Référence", "Unité", "Emplacement", "Quantité", "Bon", "Abîmé", "Obsolète", "Périmé"):
        assert label in text


def test_a_blank_ticket_says_so_and_leaves_its_fields_to_fill():
    text = page_texts(print_pdf([TicketView(number(4), blank=True)], language="en"))[0]
    assert "BLANK TICKET" in text
    assert "ART-" not in text


def test_words_outside_winansi_still_print():
    view = TicketView(number(1), reference="Ω-12", designation="Гайка M8", location="A-01")
    text = page_texts(print_pdf([view]))[0]
    assert "Ω-12" in text and "Гайка M8" in text


def test_a_long_designation_is_cut_to_its_box():
    view = TicketView(number(1), designation="Très longue désignation " * 20)
    text = page_texts(print_pdf([view]))[0]
    assert "…" in text
    assert ("Très longue désignation " * 20).strip() not in text


def test_chunks_are_joined_in_order_without_half_empty_sheets():
    views = make_tickets(10)
    done = []
    pdf = print_pdf(views, per_page=2, chunk_size=3, progress=done.append)
    texts = page_texts(pdf)
    assert len(texts) == 5  # chunks are rounded up to whole sheets: 4 tickets, 4, then 2
    assert done == [4, 8, 10]
    for index, view in enumerate(views):
        assert view.number in texts[index // 2]
    stubs = barcodes_on_pages(pdf, stubs_only=True)
    assert stubs == [sorted(v.number for v in views[i:i + 2]) for i in range(0, 10, 2)]


def test_ten_tickets_three_to_a_page_in_chunks_of_three_make_four_pages():
    pdf = print_pdf(make_tickets(10), per_page=3, chunk_size=3)
    texts = page_texts(pdf)
    assert len(texts) == 4
    assert number(10) in texts[3] and number(9) not in texts[3]


def test_two_worker_processes_print_the_same_tickets_in_order():
    views = make_tickets(12)
    pdf = print_pdf(views, per_page=3, chunk_size=3, workers=2)
    texts = page_texts(pdf)
    assert len(texts) == 4
    for index, view in enumerate(views):
        assert texts[index // 3].count(view.number) == 3


def test_barcodes_can_be_left_out_for_comparison():
    pdf = print_pdf(make_tickets(3), barcodes=False)
    assert barcodes_on_pages(pdf) == [[]]
    assert page_texts(pdf)[0].count(number(1)) == 3


def test_each_ticket_barcode_is_one_form_shown_on_the_three_parts():
    reader = pypdf.PdfReader(io.BytesIO(print_pdf(make_tickets(3))))
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    bars = [name for name in xobjects if name != "/FormXob.ticket"]
    assert len(bars) == 3
    content = reader.pages[0].get_contents().get_data().decode("latin-1")
    for name in bars:
        assert content.count(f"{name} Do") == 3


@pytest.mark.parametrize("per_page", [0, 4, 6])
def test_only_one_two_or_three_tickets_fit_a_sheet(per_page):
    with pytest.raises(CountappError) as error:
        print_pdf(make_tickets(1), per_page=per_page)
    assert error.value.field == "per_page"


def test_an_unknown_language_is_refused():
    with pytest.raises(CountappError) as error:
        print_pdf(make_tickets(1), language="de")
    assert error.value.field == "language"


def test_nothing_to_print_is_refused():
    with pytest.raises(CountappError):
        print_pdf([])


def test_adjacent_dark_modules_make_one_bar():
    assert bar_runs("1101110010") == [(0, 2), (3, 3), (8, 1)]


def test_barcode_keeps_ten_modules_of_quiet_zone_each_side():
    modules = code128_modules("000123/2025")
    box = BarcodeBox(module=1.0, height=10)
    assert box.width(len(modules)) == len(modules) + 2 * QUIET_MODULES
    ops = box.operators(modules).decode()
    starts = [int(x) for x in re.findall(r"(\d+) 0 \d+ 1 re", ops)]
    assert min(starts) == QUIET_MODULES
    assert modules.startswith("11010011100") and modules.endswith("1100011101011")  # start C ... stop


def test_a_number_code_128_cannot_carry_is_refused():
    with pytest.raises(CountappError):
        code128_modules("000123/2025\u00e9")
