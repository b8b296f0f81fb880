"""The instructions PDF, read back with pypdf: sections, data, draft marking, page numbers."""
from __future__ import annotations

import io
import os
import re
from datetime import date

import pypdf
import pytest
import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from instructions import SECTION_KEYS, Place, section_title
from instructions.fonts import font_file, printable
from instructions.pdf import write_instructions_pdf

from .test_instructions import make_data


def pages_of(data) -> list[str]:
    """Each page's text with runs of white space (non-breaking included) made one space."""
    out = io.BytesIO()
    write_instructions_pdf(data, out)
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    return [re.sub(r"\s+", " ", p.extract_text().replace("\u00a0", " ")) for p in reader.pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


@pytest.fixture(scope="module")
def draft_fr() -> list[str]:
    return pages_of(make_data("fr", last_shipment_document=None))


@pytest.fixture(scope="module")
def issued_en() -> list[str]:
    return pages_of(make_data("en", issued_on=date(2025, 12, 15), version=2, valuation="lifo"))


@pytest.mark.parametrize("which, lang", [("draft_fr", "fr"), ("issued_en", "en")])
def test_every_section_is_numbered_in_order(which, lang, request):
    text = " ".join(request.getfixturevalue(which))
    positions = []
    for number, key in enumerate(SECTION_KEYS, start=1):
        heading = flat(f"{number}. {section_title(key, lang)}")
        assert heading in text, heading
        positions.append(text.rindex(heading))  # the last hit is the heading, not the contents line
    assert positions == sorted(positions)


def test_contents_lists_every_section_with_its_page(draft_fr):
    contents = draft_fr[1]
    assert contents.startswith("Sommaire") or "Sommaire" in contents
    for number, key in enumerate(SECTION_KEYS, start=1):
        assert re.search(re.escape(flat(f"{number}. {section_title(key, 'fr')}")) + r"[ .]*\d+", contents)


def test_the_data_is_shown(draft_fr):
    text = " ".join(draft_fr)
    for expected in ("A-01-01", "A-01-02", "B-01", "Quai de réception *", "Paul Martin", "Eva Klein",
                     "Matières premières et fournitures", "Marchandises : comptage retenu / stock théorique",
                     "150,00 €", "100,00 €", "5 %", "Commissaire aux comptes", "Jean Commissaire",
                     "Client Durand", "Entrepôt Nord", "Comité d’inventaire : Claire Dubœuf, Marc Olivier",
                     "27/12/2025, 8h00 – 12h00", "coût moyen pondéré (CMP)", "Rotation lente"):
        assert expected in text, expected


def test_page_x_of_y_on_every_page(draft_fr, issued_en):
    for pages, word in ((draft_fr, "sur"), (issued_en, "of")):
        total = len(pages)
        for number, page in enumerate(pages, start=1):
            assert f"Page {number} {word} {total}" in page


def test_a_draft_is_marked_on_every_page_and_opens_with_what_is_missing(draft_fr):
    assert all("BROUILLON" in page for page in draft_fr)
    text = " ".join(draft_fr)
    assert "Éléments encore manquants" in text
    assert "Le numéro du dernier bon de livraison avant le comptage n’est pas relevé." in text
    assert text.index("Éléments encore manquants", 2000) < text.index("1. Responsable de l’inventaire", 2000)


def test_an_issued_document_carries_its_version_and_no_draft_marking(issued_en):
    assert not any("DRAFT" in page for page in issued_en)
    assert "What is still missing" not in " ".join(issued_en)
    assert "Version 2, issued on Monday 15 December 2025" in issued_en[0]
    assert all("Version 2, issued on 15 Dec 2025" in page for page in issued_en[1:])


def test_a_draft_with_nothing_missing_says_it_can_be_issued():
    text = " ".join(pages_of(make_data("en")))
    assert "Nothing is missing: the document can be issued." in text
    assert "DRAFT" in text


def test_lifo_carries_a_warning(issued_en):
    assert "not allowed under IFRS" in " ".join(issued_en)


def test_signature_block_lists_the_people_who_must_read(issued_en):
    last = issued_en[-1]
    assert "Approval and acknowledgement" in last
    assert "Leader of team 3" in last and "Statutory auditor" in last and "Claire Dubœuf" in last


def test_a_long_location_list_flows_with_its_header_repeated():
    places = [Place("Lyon", "A" if i % 2 else "B", f"LOC-{i:04d}") for i in range(400)]
    pages = pages_of(make_data("en", places=places))
    with_locations = [p for p in pages if "LOC-" in p]
    assert len(with_locations) >= 5
    assert all("Site Zone Location" in p for p in with_locations)
    text = " ".join(pages)
    assert all(f"LOC-{i:04d}" in text for i in (0, 199, 399))
    assert "Locations: 401; zones: 2; sites: 1." in text


def test_french_typography_survives_the_round_trip(draft_fr):
    text = " ".join(draft_fr)
    for expected in ("Dubœuf", "Lœvenbruck", "l’inventaire", "« Équipes de comptage »", "déjà", "Ticket n° 000123/2025"):
        assert expected in text, expected


def test_overrides_and_markup_characters_are_printed_as_typed():
    data = make_data("fr", company_name="Dupont & Fils <SA>",
                     overrides={"tidying": "Ranger le stock… puis {inconnu} ; voir l’œil du chef.\n- point un"})
    text = " ".join(pages_of(data))
    assert "Dupont & Fils <SA>" in text
    assert "Ranger le stock… puis {inconnu} ; voir l’œil du chef." in text
    assert "• point un" in text


def test_the_font_covers_french_and_replaces_what_it_lacks():
    assert font_file().endswith(".ttf")
    assert printable("œ’…«»€") == "œ’…«»€"
    assert printable("漢") == "?"


def test_vera_shipped_with_reportlab_renders_french_when_dejavu_is_absent():
    path = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    pdfmetrics.registerFont(TTFont("VeraCheck", path))
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.setFont("VeraCheck", 12)
    canvas.drawString(72, 720, "Cœur d’équipe… « prêt »")
    canvas.save()
    text = pypdf.PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
    assert "Cœur d’équipe… « prêt »" in text


def test_french_typography_survives_the_pdf():
    """The embedded TrueType font prints ’ and the narrow no-break space; a paragraph keeps "mot :" and « » whole."""
    from reportlab.platypus.paragraph import split

    from tickets.pdf_fonts import unbreakable

    out = io.BytesIO()
    write_instructions_pdf(make_data("fr", last_shipment_document=None), out)
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    raw = "".join(page.extract_text() for page in reader.pages)
    assert "BROUILLON\u202f: projet" in raw            # a drawn line keeps the narrow no-break space
    assert "l’inventaire" in raw and "l'inventaire" not in raw and "?" not in raw.replace("?»", "")
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert {"/AAAAAA+DejaVuSans", "/AAAAAA+DejaVuSans-Bold"} <= fonts or any("+Vera" in f for f in fonts), fonts
    # ReportLab breaks lines at U+202F: paragraphs get U+00A0, which it never breaks at
    assert split("Attention\u202f: «\u202foui\u202f»") == ["Attention", ":", "«", "oui", "»"]
    assert split(unbreakable("Attention\u202f: «\u202foui\u202f»")) == ["Attention\u00a0:", "«\u00a0oui\u00a0»"]
