"""What the landscape A4 count sheets (cycle count sheet, recount sheet) share: page, margins,
a paragraph of any text, and the "Page X of Y" footer."""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate

from .pdf_fonts import UNICODE_BOLD, unbreakable
from .pdf_pages import PageCountCanvas

PAGE = landscape(A4)
MARGIN = 12 * mm


def document(out, title: str) -> SimpleDocTemplate:
    """A landscape A4 document with room for the footer at the bottom."""
    return SimpleDocTemplate(out, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                             bottomMargin=MARGIN + 6 * mm, title=title, author="countapp", creator="countapp")


def styles(font: str) -> dict[str, ParagraphStyle]:
    """The sheets' paragraph styles: title, body, small, head (bold) and cell."""
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=11)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=UNICODE_BOLD, fontSize=16, leading=20),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base, fontName=UNICODE_BOLD, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10),
    }


def paragraph(text: str | None, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; None prints nothing)."""
    return Paragraph(escape(unbreakable(text or "")), style)


def numbered_canvas(page_text: str, footer: str, font: str, pages: list[int]):
    """A canvas that holds its pages back to print "Page X of Y" once Y is known.

    ``page_text`` holds ``%(page)s`` and ``%(pages)s``; the page count is appended to ``pages``."""

    class NumberedCanvas(PageCountCanvas):
        def pages_counted(self, total: int) -> None:
            pages.append(total)

        def decorate(self, number: int, total: int) -> None:
            self.setFont(font, 8)
            self.setFillGray(0.3)
            self.drawString(MARGIN, MARGIN, footer)
            self.drawRightString(PAGE[0] - MARGIN, MARGIN, page_text % {"page": number, "pages": total})

    return NumberedCanvas
