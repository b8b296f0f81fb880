"""The cycle count sheet: the lines due on one day, place by place, each with a Code 128 barcode.

A counter walks the places in the sheet's order, writes the quantity found beside each line, or
scans the line's barcode on the tablet to open it there. The sheet is blind: its view objects carry
what identifies the goods and never a quantity (neither the book's nor an earlier count's).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .barcodes import QUIET_MODULES, bar_runs, code128_modules
from .pdf_fonts import UNICODE_BOLD, unbreakable, unicode_font
from .ticket_texts import texts_for

PAGE = landscape(A4)
MARGIN = 12 * mm
# Barcode, location, reference, designation, lot, unit, quantity found, state, counted by (mm): 273 mm.
COLUMNS = (46, 30, 30, 62, 22, 14, 30, 12, 27)
ROW_PADDING = 4  # points above and below each row: room to write by hand beside the barcode
BAR_MODULE = 0.30 * mm   # 0.3 mm modules read well from a laser print with a phone or a scanner
BAR_HEIGHT = 9 * mm

SHEET_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Fiche de comptage tournant",
        "programme": "Programme",
        "day": "Jour du comptage",
        "counter": "Compteur",
        "lines": "Lignes à compter\u202f: %(count)s",
        "intro": ("Compter chaque ligne à l’emplacement indiqué et noter la quantité trouvée et l’état "
                  "physique. Ne rien recopier d’un autre document\u202f: le comptage est à l’aveugle. "
                  "Sur la tablette, scanner le code-barres ouvre la ligne."),
        "states": "État\u202f: B = bon, A = abîmé, O = obsolète, P = périmé.",
        "place": "Lieu : %(place)s",
        "location": "Emplacement",
        "barcode": "Ligne",
        "reference": "Référence",
        "designation": "Désignation",
        "lot": "Lot",
        "unit": "Unité",
        "quantity": "Quantité trouvée",
        "state": "État",
        "by": "Compté par",
        "signature": "Date et signature du compteur",
        "page": "Page %(page)s sur %(pages)s",
        "empty": "Aucune ligne à compter ce jour-là.",
    },
    "en": {
        "title": "Cycle count sheet",
        "programme": "Programme",
        "day": "Count day",
        "counter": "Counter",
        "lines": "Lines to count: %(count)s",
        "intro": ("Count each line at the location shown and write the quantity found and the physical "
                  "state. Copy nothing from another document: the count is blind. On the tablet, "
                  "scanning the barcode opens the line."),
        "states": "State: G = good, D = damaged, O = obsolete, E = expired.",
        "place": "Place: %(place)s",
        "location": "Location",
        "barcode": "Line",
        "reference": "Reference",
        "designation": "Description",
        "lot": "Lot",
        "unit": "Unit",
        "quantity": "Quantity found",
        "state": "State",
        "by": "Counted by",
        "signature": "Counter’s date and signature",
        "page": "Page %(page)s of %(pages)s",
        "empty": "No line to count on that day.",
    },
}


@dataclass(frozen=True)
class SheetLineView:
    """One line due: its barcode text and what identifies the goods, never a quantity. ``place`` (a site
    and zone: one aisle's walk) groups the lines; without it, each location is its own group."""

    code: str
    reference: str
    location: str
    designation: str | None = None
    lot: str | None = None
    unit: str | None = None
    place: str | None = None


@dataclass(frozen=True)
class CycleSheetView:
    """The lines due on one day of a programme, in the order the counter walks them."""

    programme: str
    day: str
    lines: Sequence[SheetLineView] = field(default_factory=tuple)
    counter: str | None = None


class Barcode(Flowable):
    """A Code 128 barcode of ``text`` drawn as filled rectangles, quiet zones included, text under it."""

    def __init__(self, text: str, font: str) -> None:
        super().__init__()
        self.text, self.font = text, font
        self.modules = code128_modules(text)
        self.width = (len(self.modules) + 2 * QUIET_MODULES) * BAR_MODULE
        self.height = BAR_HEIGHT + 3.2 * mm

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        c.saveState()
        c.setFillColor(colors.black)
        base = 3.2 * mm
        for start, width in bar_runs(self.modules):
            c.rect((QUIET_MODULES + start) * BAR_MODULE, base, width * BAR_MODULE, BAR_HEIGHT, stroke=0, fill=1)
        c.setFont(self.font, 7)
        c.drawCentredString(self.width / 2, 0.6 * mm, self.text)
        c.restoreState()


def write_cycle_sheet(sheet: CycleSheetView, out: BinaryIO, language: str = "fr") -> int:
    """Write the sheet as a landscape A4 PDF into ``out``; return the number of pages."""
    t = texts_for(SHEET_TEXTS, language)
    font = unicode_font()
    styles = _styles(font)
    footer = f"{t['title']} · {sheet.programme} · {sheet.day}"
    doc = SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 6 * mm, title=f"{t['title']} {sheet.programme} {sheet.day}",
                            author="countapp", creator="countapp")
    pages: list[int] = []
    doc.build(_story(sheet, t, styles, font), canvasmaker=_numbered_canvas(t, footer, font, pages))
    return pages[0]


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=UNICODE_BOLD, fontSize=16, leading=20),
        "place": ParagraphStyle("place", parent=base, fontName=UNICODE_BOLD, fontSize=11, leading=14),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base, fontName=UNICODE_BOLD, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10),
    }


def _p(text: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(unbreakable(text or "")), style)


def _story(sheet: CycleSheetView, t: dict[str, str], st: dict[str, ParagraphStyle], font: str) -> list:
    story = [_p(t["title"], st["title"]), Spacer(1, 2 * mm)]
    info = Table([[_p(t["programme"], st["head"]), _p(sheet.programme, st["body"]),
                   _p(t["day"], st["head"]), _p(sheet.day, st["body"])],
                  [_p(t["counter"], st["head"]), _p(sheet.counter or "", st["body"]),
                   _p(t["lines"] % {"count": len(sheet.lines)}, st["small"]), ""]],
                 colWidths=[40 * mm, 96 * mm, 40 * mm, 97 * mm])
    info.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    story += [info, Spacer(1, 2 * mm), _p(t["intro"], st["small"]), _p(t["states"], st["small"]), Spacer(1, 3 * mm)]
    if not sheet.lines:
        return story + [_p(t["empty"], st["body"])]
    # Place by place, in the order given (the plan groups a day's lines by location: one walk per aisle).
    for place, lines in groupby(sheet.lines, key=lambda line: line.place or line.location):
        story.append(KeepTogether([_p(t["place"] % {"place": place}, st["place"]), Spacer(1, 1 * mm)]))
        story += [_lines_table(list(lines), t, st, font), Spacer(1, 4 * mm)]
    story.append(KeepTogether([_p(t["signature"], st["head"]), Spacer(1, 16 * mm)]))
    return story


def _lines_table(lines: list[SheetLineView], t: dict[str, str], st: dict[str, ParagraphStyle], font: str) -> Table:
    keys = ("barcode", "location", "reference", "designation", "lot", "unit", "quantity", "state", "by")
    rows = [[_p(t[k], st["head"]) for k in keys]]
    for line in lines:
        # The last three columns stay empty: the count is written there by hand.
        rows.append([Barcode(line.code, font), _p(line.location, st["cell"]), _p(line.reference, st["cell"]),
                     _p(line.designation, st["cell"]),
                     _p(line.lot, st["cell"]), _p(line.unit, st["cell"]), "", "", ""])
    table = Table(rows, colWidths=[w * mm for w in COLUMNS], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.88, 0.88, 0.88)),
        ("BACKGROUND", (6, 1), (-1, -1), colors.Color(0.97, 0.97, 1)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 1), (-1, -1), ROW_PADDING),
        ("BOTTOMPADDING", (0, 1), (-1, -1), ROW_PADDING),
    ]))
    return table


def _numbered_canvas(t: dict[str, str], footer: str, font: str, pages: list[int]):
    """A canvas that holds its pages back to print "Page X of Y" once Y is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            pages.append(total)
            for state in self._saved:
                self.__dict__.update(state)
                self.setFont(font, 8)
                self.setFillGray(0.3)
                self.drawString(MARGIN, MARGIN, footer)
                self.drawRightString(PAGE[0] - MARGIN, MARGIN,
                                     t["page"] % {"page": self._pageNumber, "pages": total})
                super().showPage()
            super().save()

    return NumberedCanvas
