"""The annual inventory report as a PDF (ReportLab platypus): cover, contents, numbered sections,
charts, sign-off; 'Page X of Y' and the report's state (draft or final) on every page.

Layout only: ``write_annual_pdf(report, stream)`` reads an ``AnnualReport`` (reports.annual_data)
and writes bytes; the sections are built in ``reports.annual_sections``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table, TableStyle

from tickets.pdf_fonts import UNICODE_BOLD, unbreakable, unicode_font
from tickets.pdf_pages import PageCountCanvas, fit

from . import annual_format as fmt
from .annual_data import AnnualReport
from .annual_texts import TEXTS

MARGIN = 1.8 * cm
WIDTH = A4[0] - 2 * MARGIN
HEAD = colors.HexColor("#e8edf3")
LINE = colors.HexColor("#9aa5b1")
MUTED = colors.HexColor("#555555")


@dataclass
class Styles:
    font: str
    bold: str

    def __post_init__(self) -> None:
        f, b = self.font, self.bold
        self.title = ParagraphStyle("title", fontName=b, fontSize=24, leading=30, spaceAfter=18)
        self.cover = ParagraphStyle("cover", fontName=f, fontSize=13, leading=19, spaceAfter=4)
        self.cover_note = ParagraphStyle("cover_note", fontName=b, fontSize=11, leading=15, spaceBefore=18,
                                         textColor=colors.HexColor("#8a1c1c"))
        self.h1 = ParagraphStyle("h1", fontName=b, fontSize=15, leading=19, spaceBefore=4, spaceAfter=8,
                                 textColor=colors.HexColor("#1f3a5f"))
        self.h2 = ParagraphStyle("h2", fontName=b, fontSize=11, leading=14, spaceBefore=10, spaceAfter=4)
        self.body = ParagraphStyle("body", fontName=f, fontSize=9.5, leading=13, spaceAfter=5)
        self.note = ParagraphStyle("note", fontName=f, fontSize=8, leading=10.5, spaceAfter=4, textColor=MUTED)
        self.bullet = ParagraphStyle("bullet", parent=self.body, leftIndent=12, bulletIndent=2)
        self.cell = ParagraphStyle("cell", fontName=f, fontSize=7, leading=8.6)
        self.cell_bold = ParagraphStyle("cell_bold", fontName=b, fontSize=7, leading=8.6)
        self.cell_right = ParagraphStyle("cell_right", parent=self.cell, alignment=2)
        self.head = ParagraphStyle("head", fontName=b, fontSize=6.5, leading=8)
        self.head_right = ParagraphStyle("head_right", parent=self.head, alignment=2)
        self.toc = [ParagraphStyle("toc0", fontName=f, fontSize=10, leading=15),
                    ParagraphStyle("toc1", fontName=f, fontSize=8.5, leading=12, leftIndent=16)]


def para(text: str, style: ParagraphStyle, **kwargs) -> Paragraph:
    """A paragraph of plain text (escaped; line breaks kept)."""
    return Paragraph(escape(unbreakable(str(text))).replace("\n", "<br/>"), style, **kwargs)


class Heading(Paragraph):
    """A section or sub-section title: goes to the contents and the PDF outline."""

    def __init__(self, text: str, style: ParagraphStyle, level: int, key: str) -> None:
        super().__init__(escape(text), style)
        self.toc_level, self.toc_key = level, key


def _fit_columns(st: Styles, header: list[str], rows: list[list], widths: list[float],
                 sample: int = 1000) -> list[float]:
    """Column widths in points: the planned fractions, widened where a word would not fit (a word is
    never cut in two: "000123/2025" or "Emplacement" stay whole), the room taken from columns that
    have more than they need. If the words cannot all fit, the planned widths stay."""
    planned = [w * WIDTH for w in widths]
    need = []
    for i in range(len(widths)):
        longest = max((stringWidth(word, st.bold, 6.5) for word in str(header[i]).split()), default=0)
        for row in rows[:sample]:
            value = row[i]
            if value is not None:
                longest = max(longest, max((stringWidth(word, st.font, 7) for word in str(value).split()), default=0))
        need.append(longest + 7)
    columns = [max(p, n) for p, n in zip(planned, need)]
    excess = sum(columns) - WIDTH
    if excess <= 0.01:
        return columns
    slack = [max(0.0, c - n) for c, n in zip(columns, need)]
    if sum(slack) < excess:
        return planned
    return [c - s * excess / sum(slack) for c, s in zip(columns, slack)]


def grid(st: Styles, header: list[str], rows: list[list], widths: list[float], numeric: set[int] = frozenset(),
         *, total: bool = False) -> Table:
    """A table: bold header repeated on each page, numbers right-aligned, an optional total row.

    ``widths`` are fractions of the text width; cells are text or already-formatted numbers. A
    cell that fits its column is drawn as a plain string (fast: a report lists thousands of
    cells); a longer one becomes a paragraph that wraps.
    """
    columns = _fit_columns(st, header, rows, widths)
    room = [w - 6 for w in columns]

    def cell(value, i, head=False):
        text = "" if value is None else str(value)
        font, size = (st.bold, 6.5) if head else (st.font, 7)
        if "\n" not in text and stringWidth(text, font, size) <= room[i]:
            return text
        style = (st.head_right if i in numeric else st.head) if head else (st.cell_right if i in numeric else st.cell)
        return para(text, style)

    data = [[cell(h, i, True) for i, h in enumerate(header)]]
    data += [[cell(v, i) for i, v in enumerate(row)] for row in rows]
    table = Table(data, colWidths=columns, repeatRows=1, hAlign="LEFT")
    style = [("FONT", (0, 0), (-1, -1), st.font, 7, 8.6), ("FONT", (0, 0), (-1, 0), st.bold, 6.5, 8),
             ("BACKGROUND", (0, 0), (-1, 0), HEAD), ("LINEBELOW", (0, 0), (-1, 0), 0.6, LINE),
             ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d5dbe1")),
             ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 2), ("LEFTPADDING", (0, 0), (-1, -1), 3),
             ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
    style += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in sorted(numeric)]
    if total and rows:
        style += [("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black), ("BACKGROUND", (0, -1), (-1, -1), HEAD)]
    table.setStyle(TableStyle(style))
    return table


def facts(st: Styles, pairs: list[tuple[str, str]], label_width: float = 0.45) -> Table:
    """Label / value pairs, two columns."""
    data = [[para(k, st.cell_bold), para(v, st.cell)] for k, v in pairs]
    table = Table(data, colWidths=[label_width * WIDTH, (1 - label_width) * WIDTH], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#d5dbe1")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 2),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return table


class _Doc(BaseDocTemplate):
    """A4 pages; headings feed the contents and the outline."""

    def __init__(self, out: BinaryIO, report: AnnualReport, texts: dict) -> None:
        h = report.header
        super().__init__(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 0.2 * cm,
                         bottomMargin=MARGIN, title=f"{texts['title']} {h.campaign_code}",
                         author=h.person_in_charge or h.company, subject=f"{h.company} {h.fiscal_year}",
                         invariant=1)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="main")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self.pages_written = 0

    def afterFlowable(self, flowable: Flowable) -> None:
        key = getattr(flowable, "toc_key", None)
        if key:
            text = flowable.getPlainText()
            level = flowable.toc_level
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=level)
            self.notify("TOCEntry", (level, text, self.page, key))

    def afterPage(self) -> None:
        self.pages_written = self.page


def _canvas_class(report: AnnualReport, texts: dict, font: str, bold: str) -> type[Canvas]:
    """A canvas holding pages back to the end, to print 'Page X of Y', the header and the draft mark."""
    h, lang = report.header, report.header.language
    if report.closing is not None:
        status = texts["header_final"] % {"date": fmt.short_date(report.closing.closed_at, lang)}
    else:
        status = texts["header_draft"] % {"date": fmt.short_date(h.generated_at, lang)}
    header = f"{h.company} — {texts['title']} — {h.campaign_code}"
    draft = report.closing is None

    class _NumberedCanvas(PageCountCanvas):
        def decorate(self, number: int, total: int) -> None:
            self.saveState()
            if draft and number > 1:
                self.setFont(bold, 80)
                self.setFillColor(colors.Color(0.8, 0.2, 0.2, alpha=0.08))
                self.translate(A4[0] / 2, A4[1] / 2)
                self.rotate(50)
                self.drawCentredString(0, -25, texts["watermark"])
                self.rotate(-50)
                self.translate(-A4[0] / 2, -A4[1] / 2)
            self.setFont(font, 7.5)
            self.setFillColor(MUTED)
            top, bottom = A4[1] - MARGIN + 0.35 * cm, MARGIN - 0.8 * cm
            room = WIDTH - stringWidth(status, bold, 7.5) - 0.6 * cm
            self.drawString(MARGIN, top, fit(header, font, 7.5, room))
            self.setFont(bold, 7.5)
            if draft:
                self.setFillColor(colors.HexColor("#b22222"))
            self.drawRightString(A4[0] - MARGIN, top, status)
            self.setFont(font, 7.5)
            self.setFillColor(MUTED)
            self.setStrokeColor(LINE)
            self.line(MARGIN, bottom + 0.35 * cm, A4[0] - MARGIN, bottom + 0.35 * cm)
            self.drawString(MARGIN, bottom, f"{h.campaign_code} · {texts['fiscal_year']} {h.fiscal_year}")
            self.drawRightString(A4[0] - MARGIN, bottom, texts["page"] % {"page": number, "pages": total})
            self.restoreState()

    return _NumberedCanvas


def write_annual_pdf(report: AnnualReport, out: BinaryIO) -> int:
    """Write the report (A4, in the campaign's language) to a binary stream; returns the page count."""
    from .annual_sections import story

    lang = report.header.language
    texts = TEXTS[lang if lang in TEXTS else "en"]
    font = unicode_font()
    st = Styles(font, UNICODE_BOLD)
    doc = _Doc(out, report, texts)
    doc.multiBuild(story(report, st, texts), canvasmaker=_canvas_class(report, texts, font, UNICODE_BOLD))
    return doc.pages_written
