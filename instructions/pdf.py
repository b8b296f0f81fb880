"""The written count instructions as a PDF: cover, contents, numbered sections, signatures."""
from __future__ import annotations

from datetime import date
from typing import BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate, Paragraph, Spacer
from reportlab.platypus.tableofcontents import TableOfContents

from tickets.pdf_fonts import unbreakable
from tickets.pdf_pages import PageCountCanvas, fit

from . import formatting as fmt
from . import pdf_tables
from .fonts import FAMILY, printable, register_fonts
from .labels import LABELS
from .missing import missing_items, render_missing
from .model import InstructionsData
from .pdf_tables import Styles, para
from .sections import SECTION_KEYS, check_language, placeholders, section_text, section_title

MARGIN = 2 * cm


def write_instructions_pdf(data: InstructionsData, out: BinaryIO) -> None:
    """Write the instructions document (A4, in the data's language) to a binary stream."""
    lang = check_language(data.language)
    register_fonts()
    lab, st = LABELS[lang], Styles()
    doc = _Doc(out, data, lab)
    doc.multiBuild(_story(data, lab, st), canvasmaker=_canvas_class(data, lab))


def _story(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    story = _cover(data, lab, st)
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [ParagraphStyle("toc", fontName=FAMILY, fontSize=10, leading=14,
                                      leftIndent=0, firstLineIndent=0)]
    story += [_heading(lab["contents"], st, toc_key=None), toc, PageBreak()]
    if data.is_draft:
        story += _missing_section(data, lab, st)
    values = placeholders(data)
    for number, key in enumerate(SECTION_KEYS, start=1):
        title = f"{number}. {section_title(key, data.language)}"
        story.append(_heading(title, st, toc_key=f"s-{key}"))
        story += _body(section_text(data, key, values), st)
        extra = pdf_tables.EXTRAS.get(key)
        if extra:
            story += extra(data, lab, st)
    story += [PageBreak(), _heading(lab["signatures"], st, toc_key="signatures")]
    story += pdf_tables.signatures(data, lab, st)
    return story


def _cover(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    lang = data.language
    story: list[Flowable] = [Spacer(1, 5 * cm), para(lab["title"], st.title),
                             para(data.company_name, st.cover),
                             para(f"{lab['campaign']} {data.campaign_code}", st.cover),
                             para(f"{lab['fiscal_year']} {data.fiscal_year}", st.cover)]
    if data.is_draft:
        story.append(para(lab["draft"], st.cover_mark))
        if data.version:
            story.append(para(lab["draft_version"] % {"version": data.version}, st.cover))
        story.append(para(lab["draft_note"] % {"date": fmt.long_date(_printed_on(data), lang)}, st.cover))
    else:
        issued = fmt.long_date(data.issued_on, lang)
        text = (lab["issued"] % {"version": data.version, "date": issued} if data.version
                else lab["issued_no_version"] % {"date": issued})
        story.append(Spacer(1, 1 * cm))
        story.append(para(text, st.cover))
    return story + [PageBreak()]


def _missing_section(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    """A draft opens with what must still be settled before it can be issued."""
    items = missing_items(data)
    story: list[Flowable] = [_heading(lab["missing_title"], st, toc_key="missing")]
    if not items:
        return story + [para(lab["missing_none"], st.body)]
    story.append(para(lab["missing_intro"], st.body))
    story += [para(render_missing(m, data.language), st.bullet, bulletText="•") for m in items]
    return story + [Spacer(1, 0.4 * cm)]


def _body(text: str, st: Styles) -> list[Flowable]:
    """Paragraphs split on blank lines; '- ' lines become bullets; other line breaks are kept."""
    out: list[Flowable] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines: list[str] = []
        for line in block.split("\n"):
            if line.lstrip().startswith(("- ", "• ")):
                if lines:
                    out.append(_lines(lines, st))
                    lines = []
                out.append(para(line.lstrip()[2:].strip(), st.bullet, bulletText="•"))
            elif line.strip():
                lines.append(line.strip())
        if lines:
            out.append(_lines(lines, st))
    return out


def _lines(lines: list[str], st: Styles) -> Paragraph:
    return Paragraph("<br/>".join(escape(unbreakable(printable(x))) for x in lines), st.body)


class _Heading(Paragraph):
    toc_key: str | None = None


def _heading(text: str, st: Styles, toc_key: str | None) -> _Heading:
    h = _Heading(escape(unbreakable(printable(text))), st.h1)
    h.toc_key = toc_key
    return h


class _Doc(BaseDocTemplate):
    """A4 pages; headings feed the table of contents and the PDF outline."""

    def __init__(self, out: BinaryIO, data: InstructionsData, lab: dict) -> None:
        super().__init__(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                         topMargin=MARGIN + 0.3 * cm, bottomMargin=MARGIN,
                         title=f"{lab['title']} {data.campaign_code}", author=data.company_name,
                         invariant=1)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="main")
        on_page = _watermark(lab["draft"]) if data.is_draft else None
        kw = {"onPage": on_page} if on_page else {}
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], **kw)])
        self._pass = 0

    def beforeDocument(self) -> None:
        # The first pass only finds on which page each section starts (for the contents): long
        # grids skip their drawing there, as its output is thrown away.
        self._pass += 1
        self.canv.countapp_dry_run = self._pass == 1

    def _allSatisfied(self) -> bool:
        return self._pass > 1 and super()._allSatisfied()

    def afterFlowable(self, flowable: Flowable) -> None:
        key = getattr(flowable, "toc_key", None)
        if key:
            text = flowable.getPlainText()
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=0)
            self.notify("TOCEntry", (0, text, self.page, key))


def _watermark(word: str):
    """A pale diagonal word under the page's content, so a draft is never taken for issued."""
    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(FAMILY + "-Bold", 90)
        canvas.setFillColor(colors.Color(0.85, 0.2, 0.2, alpha=0.12))
        canvas.translate(A4[0] / 2, A4[1] / 2)
        canvas.rotate(50)
        canvas.drawCentredString(0, -30, word)
        canvas.restoreState()
    return draw


def _canvas_class(data: InstructionsData, lab: dict) -> type[Canvas]:
    """A canvas that holds pages back until the end, to print 'Page X of Y' on each."""
    lang = data.language
    if data.is_draft:
        status = lab["draft_header"] % {"date": fmt.short_date(_printed_on(data), lang)}
    elif data.version:
        status = lab["issued"] % {"version": data.version, "date": fmt.short_date(data.issued_on, lang)}
    else:
        status = lab["issued_no_version"] % {"date": fmt.short_date(data.issued_on, lang)}
    header = printable(f"{data.company_name} — {lab['title']} — {data.campaign_code}")
    status = printable(status)   # drawn, not a paragraph: the narrow no-break space stays

    class _NumberedCanvas(PageCountCanvas):
        def decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont(FAMILY, 8)
            self.setFillColor(colors.HexColor("#555555"))
            top, bottom = A4[1] - MARGIN + 0.4 * cm, MARGIN - 0.9 * cm
            self.drawString(MARGIN, top, fit(header, FAMILY, 8, A4[0] - 2 * MARGIN - 1 * cm
                                             - stringWidth(status, FAMILY + "-Bold", 8)))
            if data.is_draft:
                self.setFillColor(colors.HexColor("#b22222"))
                self.setFont(FAMILY + "-Bold", 8)
            self.drawRightString(A4[0] - MARGIN, top, status)
            self.setFont(FAMILY, 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.line(MARGIN, bottom + 0.35 * cm, A4[0] - MARGIN, bottom + 0.35 * cm)
            self.drawRightString(A4[0] - MARGIN, bottom, lab["page"] % {"page": number, "pages": total})
            self.restoreState()

    return _NumberedCanvas


def _printed_on(data: InstructionsData) -> date:
    return data.printed_on or date.today()
