"""The third-count sheet: the tickets to recount, blank columns for the result, three signatures.

The sheet is blind: it carries what identifies each ticket's goods and nothing counted
(neither round's quantity nor book stock), so the recount cannot be steered by earlier figures.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from .pdf_fonts import unicode_font
from .sheet_pdf import document, numbered_canvas, paragraph
from .sheet_pdf import styles as sheet_styles
from .ticket_texts import RECOUNT_TEXTS, texts_for

# Ticket, reference, designation, location, lot, unit, recounted quantity, state, remarks (mm).
COLUMNS = (27, 32, 62, 40, 24, 16, 32, 12, 28)
ROW_PADDING = 5.5  # points above and below each row: a one-line row is 7 mm, room to write by hand


@dataclass(frozen=True)
class RecountLineView:
    """One ticket to recount: what it is and where, never a quantity."""

    ticket: str
    reference: str | None = None
    designation: str | None = None
    location: str | None = None
    lot: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class RecountSheetView:
    """One recount sheet: who recounts (the two team leaders) under whom, and which tickets."""

    number: str
    campaign: str
    leader_round1: str
    leader_round2: str
    supervisor: str
    lines: Sequence[RecountLineView] = field(default_factory=tuple)
    date: str | None = None


def write_recount_sheet(sheet: RecountSheetView, out: BinaryIO, language: str = "fr") -> int:
    """Write the sheet as a landscape A4 PDF into ``out``; return the number of pages."""
    t = texts_for(RECOUNT_TEXTS, language)
    font = unicode_font()
    styles = sheet_styles(font)
    footer = f"{t['sheet']} {sheet.number} · {sheet.campaign}"
    doc = document(out, f"{t['title']} {sheet.number}")
    pages: list[int] = []
    doc.build(_story(sheet, t, styles), canvasmaker=numbered_canvas(t["page"], footer, font, pages))
    return pages[0]


def _story(sheet: RecountSheetView, t: dict[str, str], st: dict[str, ParagraphStyle]) -> list:
    story = [paragraph(t["title_number"] % {"number": sheet.number}, st["title"]), Spacer(1, 3 * mm)]
    people = [[paragraph(t["campaign"], st["head"]), paragraph(sheet.campaign, st["body"]),
               paragraph(t["date"], st["head"]), paragraph(sheet.date or "", st["body"])],
              [paragraph(t["leader1"], st["head"]), paragraph(sheet.leader_round1, st["body"]),
               paragraph(t["leader2"], st["head"]), paragraph(sheet.leader_round2, st["body"])],
              [paragraph(t["supervisor"], st["head"]), paragraph(sheet.supervisor, st["body"]),
               paragraph(t["count"] % {"count": len(sheet.lines)}, st["small"]), ""]]
    info = Table(people, colWidths=[62 * mm, 74 * mm, 62 * mm, 75 * mm])
    info.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))
    story += [info, Spacer(1, 2 * mm), paragraph(t["intro"], st["small"]), paragraph(t["states"], st["small"]),
              Spacer(1, 3 * mm), _lines_table(sheet, t, st), Spacer(1, 6 * mm), _signatures(sheet, t, st)]
    return story


def _lines_table(sheet: RecountSheetView, t: dict[str, str], st: dict[str, ParagraphStyle]) -> Table:
    keys = ("ticket", "reference", "designation", "location", "lot", "unit", "quantity", "state", "remarks")
    rows = [[paragraph(t[k], st["head"]) for k in keys]]
    for line in sheet.lines:
        # The last three columns stay empty: the recount is written there by hand.
        rows.append([paragraph(line.ticket, st["cell"]), paragraph(line.reference, st["cell"]), paragraph(line.designation, st["cell"]),
                     paragraph(line.location, st["cell"]), paragraph(line.lot, st["cell"]), paragraph(line.unit, st["cell"]), "", "", ""])
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


def _signatures(sheet: RecountSheetView, t: dict[str, str], st: dict[str, ParagraphStyle]) -> KeepTogether:
    people = ((t["leader1"], sheet.leader_round1), (t["leader2"], sheet.leader_round2),
              (t["supervisor"], sheet.supervisor))
    row = [[paragraph(role, st["head"]), paragraph(name, st["body"]), Spacer(1, 2 * mm), paragraph(t["sign_here"], st["small"])]
           for role, name in people]
    boxes = Table([row], colWidths=[91 * mm] * 3, rowHeights=[34 * mm])
    boxes.setStyle(TableStyle([("BOX", (0, 0), (0, 0), 0.6, colors.black), ("BOX", (1, 0), (1, 0), 0.6, colors.black),
                               ("BOX", (2, 0), (2, 0), 0.6, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([paragraph(t["signatures"], st["head"]), Spacer(1, 2 * mm), boxes])
