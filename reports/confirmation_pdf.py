"""Confirmation requests to third parties holding our goods: one letter per holder, in the campaign's language.

Own goods held elsewhere (``at_third_party`` book lines) are not counted on site; the holder
confirms them in writing, answering straight to the auditors. The letter lists the goods and
their book quantity at the count date and leaves room for the holder's figures and signature.

Layout only: the caller passes small view objects; no database here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO
from xml.sax.saxutils import escape

from babel.dates import format_date
from babel.numbers import format_decimal
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (BaseDocTemplate, Frame, KeepTogether, PageBreak, PageTemplate, Paragraph, Spacer,
                                Table, TableStyle)

from tickets.pdf_fonts import UNICODE_BOLD, unbreakable, unicode_font

TEXTS = {
    "en": {
        "title": "Request for confirmation of goods held on our behalf",
        "to": "To",
        "from": "From",
        "ref": "Our reference",
        "intro": ("Our records show that you hold the goods listed below, which belong to %(company)s. As part of "
                  "our physical stock count of %(count_date)s, and at our auditors' request, please confirm the "
                  "quantities you held on our behalf on that date, write down any difference, and send this letter, "
                  "signed, straight back to our auditors."),
        "also": ("Please also tell us of any goods of ours you hold that are not listed, and of any goods listed "
                 "that are damaged, pledged or held under a lien."),
        "columns": ("Reference", "Designation", "Lot", "Our location", "Unit", "Book quantity", "Quantity you hold"),
        "lines": "%(n)s lines",
        "confirm": "Confirmed as at %(count_date)s:",
        "sign": ("Name and position", "Date", "Signature and company stamp"),
        "reply": "Please answer to: %(reply_to)s",
        "footer": "%(code)s · confirmation request · %(holder)s",
        "unnamed": "(holder not named in the book stock)",
    },
    "fr": {
        "title": "Demande de confirmation des marchandises détenues pour notre compte",
        "to": "Destinataire",
        "from": "Expéditeur",
        "ref": "Notre référence",
        "intro": ("Nos livres indiquent que vous détenez les marchandises ci-dessous, propriété de %(company)s. Dans "
                  "le cadre de notre inventaire physique du %(count_date)s, et à la demande de nos auditeurs, nous "
                  "vous prions de confirmer les quantités que vous déteniez pour notre compte à cette date, "
                  "d’indiquer toute différence et de renvoyer ce courrier signé directement à nos auditeurs."),
        "also": ("Merci de nous signaler également les marchandises nous appartenant que vous détiendriez sans "
                 "qu’elles figurent sur cette liste, ainsi que celles qui seraient endommagées, gagées ou retenues."),
        "columns": ("Référence", "Désignation", "Lot", "Notre emplacement", "Unité", "Quantité théorique",
                    "Quantité détenue"),
        "lines": "%(n)s lignes",
        "confirm": "Bon pour confirmation au %(count_date)s\u202f:",
        "sign": ("Nom et fonction", "Date", "Signature et cachet de l’entreprise"),
        "reply": "Réponse à adresser à\u202f: %(reply_to)s",
        "footer": "%(code)s · demande de confirmation · %(holder)s",
        "unnamed": "(détenteur non indiqué dans le stock théorique)",
    },
}


@dataclass(frozen=True)
class LetterLine:
    reference: str
    designation: str
    location: str
    lot: str
    unit: str
    book_qty: Decimal


@dataclass(frozen=True)
class Letter:
    holder: str
    company: str
    campaign_code: str
    count_date: dt.date
    language: str = "fr"
    reply_to: str = ""
    issued_on: dt.date | None = None
    lines: Sequence[LetterLine] = field(default_factory=tuple)


def holder_name(holder: str, language: str) -> str:
    return holder.strip() or TEXTS.get(language, TEXTS["en"])["unnamed"]


def _qty(value: Decimal, language: str) -> str:
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return format_decimal(value, format="#,##0" + ("." + "0" * places if places else ""), locale=language)


def _story(letter: Letter, styles: dict) -> list:
    lang = letter.language if letter.language in TEXTS else "en"
    t = TEXTS[lang]
    count_date = format_date(letter.count_date, "long", locale=lang)
    issued = format_date(letter.issued_on or dt.date.today(), "long", locale=lang)
    holder = holder_name(letter.holder, lang)
    p = lambda text, style="body": Paragraph(escape(unbreakable(text)), styles[style])  # noqa: E731
    colon = "\u00a0:" if lang == "fr" else ":"   # a paragraph keeps U+00A0 (never U+202F) before the colon
    story = [
        p(letter.company, "strong"), p(issued, "right"), Spacer(1, 4 * mm),
        Paragraph(f"<b>{escape(t['to'])}</b>{colon} {escape(holder)}" if lang == "fr"
                  else f"<b>{escape(t['to'])}</b>: {escape(holder)}", styles["body"]),
        Paragraph(f"<b>{escape(t['ref'])}</b>{colon} {escape(letter.campaign_code)}",
                  styles["body"]),
        Spacer(1, 4 * mm), p(t["title"], "title"),
        p(t["intro"] % {"company": letter.company, "count_date": count_date}),
    ]
    header = [Paragraph(escape(c), styles["th"]) for c in t["columns"]]
    rows = [header] + [[p(l.reference, "td"), p(l.designation, "td"), p(l.lot or "—", "td"), p(l.location, "td"),
                        p(l.unit, "td"), p(_qty(l.book_qty, lang), "num"), ""] for l in letter.lines]
    widths = [22 * mm, 42 * mm, 16 * mm, 24 * mm, 14 * mm, 26 * mm, 28 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#fafbfc")]),
    ]))
    story += [Spacer(1, 3 * mm), table, p(t["lines"] % {"n": len(letter.lines)}, "small"), Spacer(1, 3 * mm),
              p(t["also"])]
    sign = Table([[p(s, "small") for s in t["sign"]], ["", "", ""]], colWidths=[60 * mm, 40 * mm, 72 * mm],
                 rowHeights=[None, 22 * mm])
    sign.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
                              ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.grey)]))
    closing = [Spacer(1, 6 * mm), p(t["confirm"] % {"count_date": count_date}, "strong"), Spacer(1, 2 * mm), sign]
    if letter.reply_to:
        closing += [Spacer(1, 3 * mm), p(t["reply"] % {"reply_to": letter.reply_to})]
    story.append(KeepTogether(closing))
    return story


def _styles() -> dict:
    font = unicode_font()
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=13.5, spaceAfter=4)
    return {
        "body": base,
        "strong": ParagraphStyle("strong", parent=base, fontName=UNICODE_BOLD),
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "title": ParagraphStyle("title", parent=base, fontName=UNICODE_BOLD, fontSize=13, leading=17, spaceAfter=8),
        "th": ParagraphStyle("th", parent=base, fontName=UNICODE_BOLD, fontSize=8, leading=10, spaceAfter=0),
        "td": ParagraphStyle("td", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0),
        "num": ParagraphStyle("num", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0, alignment=2),
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
    }


def write_letters(letters: Sequence[Letter], stream: BinaryIO) -> None:
    """One letter per holder, each starting on a new page, into ``stream`` (PDF)."""
    if not letters:
        raise ValueError("no letter to write")
    styles = _styles()
    state = {"footer": ""}
    story: list = []
    for i, letter in enumerate(letters):
        if i:
            story.append(PageBreak())
        lang = letter.language if letter.language in TEXTS else "en"
        story.append(_Footer(state, TEXTS[lang]["footer"] % {"code": letter.campaign_code,
                                                            "holder": holder_name(letter.holder, lang)}))
        story += _story(letter, styles)

    def page_end(canvas, doc):
        # Drawn at the end of each page, once the page's flowables have named its letter.
        canvas.saveState()
        canvas.setFont(unicode_font(), 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(18 * mm, 10 * mm, state["footer"])
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, str(doc.page))
        canvas.restoreState()

    first = letters[0]
    doc = BaseDocTemplate(stream, pagesize=A4, title=TEXTS.get(first.language, TEXTS["en"])["title"],
                          author=first.company)
    frame = Frame(18 * mm, 18 * mm, A4[0] - 36 * mm, A4[1] - 36 * mm, id="letter")
    doc.addPageTemplates([PageTemplate(id="letter", frames=[frame], onPageEnd=page_end)])
    doc.build(story)


class _Footer(Spacer):
    """A zero-size flowable that names the letter the following pages belong to (for their footer)."""

    def __init__(self, state: dict, text: str) -> None:
        super().__init__(0, 0)
        self.state, self.text = state, text

    def draw(self) -> None:
        self.state["footer"] = self.text
