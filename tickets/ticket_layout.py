"""Where everything sits on a three-part ticket, and the part that never changes.

A ticket is a column of the A4 sheet (one, two or three side by side), cut into three parts
stacked like a paper tag: the stub on top (it stays on the goods), the 2nd-count part in the
middle, the 1st-count part at the bottom (the first team detaches it first). Everything that
is the same on every ticket (labels, boxes, cut lines) is drawn once per PDF part as a form
XObject; each ticket then only adds its own words and its barcode.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth

MM = 72 / 25.4
PAGE_W, PAGE_H = A4
MARGIN = 8 * MM               # most office printers cannot print closer to the edge
PAD = 3 * MM
STUB_SHARE = 0.22             # of the column's height; the two count parts share the rest
BAND = 13.0                   # height of a part's title band
LABEL_FONT, LABEL_SIZE = "Helvetica", 5.8
VALUE_FONT, VALUE_SIZE = "Helvetica", 8.5
BOLD = "Helvetica-Bold"
NUMBER_SIZE = {"stub": 12.0, "round2": 11.0, "round1": 11.0}
BAR_HEIGHT = 9 * MM
MAX_MODULE = 0.5 * MM
GREY = 0.35


@dataclass(frozen=True)
class Field:
    """A place for one value: baseline start, room available, font."""

    x: float
    y: float
    width: float
    font: str = VALUE_FONT
    size: float = VALUE_SIZE


@dataclass
class Layout:
    """Every variable place of a ticket, in the column's own coordinates."""

    width: float
    height: float
    fields: dict[str, Field] = field(default_factory=dict)
    barcode_y: dict[str, float] = field(default_factory=dict)

    @property
    def inner(self) -> float:
        return self.width - 2 * PAD

    @property
    def module(self) -> float:
        """Barcode module width: as wide as the column allows (160 modules), capped."""
        return min(MAX_MODULE, self.inner / 165)


def column_size(per_page: int) -> tuple[float, float]:
    """Width and height of one ticket when ``per_page`` tickets share an A4 sheet."""
    return (PAGE_W - 2 * MARGIN) / per_page, PAGE_H - 2 * MARGIN


def slot_origin(per_page: int, slot: int) -> tuple[float, float]:
    """Bottom-left corner of the ticket in ``slot`` (0 = leftmost) on the page."""
    return MARGIN + slot * column_size(per_page)[0], MARGIN


class _Drawer:
    """Draws the fixed part of a ticket on a canvas (inside a form) and records the fields."""

    def __init__(self, canvas, layout: Layout, texts: dict[str, str], campaign: str, fallback) -> None:
        self.c, self.layout, self.t, self.campaign = canvas, layout, texts, campaign
        self.fallback = fallback  # draws text Helvetica cannot encode (campaign names in any script)
        self.wide = layout.inner > 120 * MM

    def draw(self) -> Layout:
        c, lay = self.c, self.layout
        part_h = lay.height * (1 - STUB_SHARE) / 2
        c.setLineWidth(0.4)
        c.setStrokeGray(0.55)
        c.rect(0, 0, lay.width, lay.height, stroke=1, fill=0)  # trim line of the ticket
        self._part("round1", 0, part_h)
        self._part("round2", part_h, part_h)
        self._stub(2 * part_h, lay.height - 2 * part_h)
        for y in (part_h, 2 * part_h):
            self._cut_line(y)
        return lay

    # -- the parts ---------------------------------------------------------------------
    def _band(self, key: str, top: float) -> float:
        c, x, w = self.c, PAD, self.layout.inner
        y = top - PAD - BAND
        c.setFillGray(0.15)
        c.rect(x, y, w, BAND, stroke=0, fill=1)
        c.setFillGray(1)
        c.setFont(BOLD, 8.5)
        title = self.t[key]
        c.drawString(x + 3, y + 4, title)
        room = w - stringWidth(title, BOLD, 8.5) - 12
        if self.campaign and room > 20:
            self.fallback(self.c, self.campaign, "Helvetica", 6.5, room, x + w - 3, y + 4.5, right=True)
        c.setFillGray(0)
        return y - 4

    def _number(self, key: str, y: float) -> float:
        size = NUMBER_SIZE[key]
        self._label(self.t["number"], PAD, y - size + 1, size=7)
        x = PAD + stringWidth(self.t["number"], LABEL_FONT, 7) + 4
        self.layout.fields[f"{key}.number"] = Field(x, y - size + 1, self.layout.inner - x, BOLD, size)
        return y - size - 4

    def _barcode(self, key: str, y: float) -> float:
        self.layout.barcode_y[key] = y - BAR_HEIGHT
        return y - BAR_HEIGHT - 4

    def _cells(self, key: str, y: float, names: list[str], shares: list[float], lines: int = 1) -> float:
        x = PAD
        height = 10 + 9 * lines
        for name, share in zip(names, shares):
            w = self.layout.inner * share
            self._label(self.t[name], x, y - 6.5)
            for line in range(lines):
                base = y - 15.5 - 9 * line
                self._fill_line(x, base - 1.8, w - 4)
                suffix = "" if lines == 1 else f".{line + 1}"
                self.layout.fields[f"{key}.{name}{suffix}"] = Field(x, base, w - 6)
            x += w
        return y - height

    def _quantity(self, y: float) -> float:
        c, x = self.c, PAD
        self._label(self.t["quantity"], x, y - 6.5)
        box = min(14.0, (self.layout.inner - 8) / 10)
        top = y - 9
        c.setStrokeGray(0.2)
        c.setLineWidth(0.6)
        for i in range(10):
            bx = x + i * box + (8 if i >= 7 else 0)
            c.rect(bx, top - 14, box, 14, stroke=1, fill=0)
        c.setFont(BOLD, 10)
        c.drawCentredString(x + 7 * box + 4, top - 12, self.t["decimal"])
        return top - 14 - 5

    def _ticks(self, label: str, keys: list[str], y: float) -> float:
        c = self.c
        self._label(self.t[label], PAD, y - 6.5)
        cols = 4 if self.wide else 2
        step = self.layout.inner / cols
        y -= 9
        c.setLineWidth(0.6)
        c.setStrokeGray(0.2)
        for i, key in enumerate(keys):
            bx, by = PAD + (i % cols) * step, y - 8 - (i // cols) * 9.5
            c.rect(bx, by, 6.5, 6.5, stroke=1, fill=0)
            c.setFont("Helvetica", 7)
            c.drawString(bx + 9, by + 1, self.t[key])
        return y - 9.5 * ((len(keys) + cols - 1) // cols) - 3

    def _signature(self, y: float, bottom: float) -> None:
        c = self.c
        self._label(self.t["signature"], PAD, y - 6.5)
        c.setLineWidth(0.5)
        c.setStrokeGray(0.45)
        c.rect(PAD, bottom, self.layout.inner, y - 9 - bottom, stroke=1, fill=0)

    def _note(self, key: str, bottom: float) -> float:
        self.c.setFont("Helvetica-Oblique", 5.5)
        self.c.setFillGray(GREY)
        self.c.drawString(PAD, bottom + PAD, self.t[key])
        self.c.setFillGray(0)
        return bottom + PAD + 8

    def _part(self, key: str, bottom: float, height: float) -> None:
        y = self._band(key, bottom + height)
        y = self._number(key, y)
        y = self._barcode(key, y)
        y = self._cells(key, y, ["team", "reference"], [0.35, 0.65])
        y = self._cells(key, y, ["designation"], [1.0], lines=2)
        y = self._cells(key, y, ["unit", "lot"], [0.35, 0.65])
        y = self._cells(key, y, ["location"], [1.0])
        y = self._quantity(y)
        y = self._ticks("state", ["good", "damaged", "obsolete", "expired"], y)
        y = self._ticks("method", ["counted", "weighed", "measured", "estimated"], y)
        y = self._cells(key, y, ["date", "name"], [0.4, 0.6])
        self._signature(y, self._note(f"{key}_note", bottom))

    def _stub(self, bottom: float, height: float) -> None:
        y = self._band("stub", bottom + height)
        y = self._number("stub", y)
        y = self._barcode("stub", y)
        y = self._cells("stub", y, ["designation"], [1.0])
        y = self._cells("stub", y, ["reference", "location"], [0.5, 0.5])
        y = self._cells("stub", y, ["lot", "unit"], [0.65, 0.35])
        self._note("stub_note", bottom)
        # A blank ticket says so in the stub's free space, above the note (the floor: the note's top).
        self.layout.fields["stub.blank"] = Field(PAD, y - 11, self.layout.inner, "Helvetica-Bold", 7.5)
        self.layout.fields["stub.blank_floor"] = Field(PAD, bottom + PAD + 8, self.layout.inner)

    # -- small pieces ------------------------------------------------------------------
    def _label(self, text: str, x: float, y: float, size: float = LABEL_SIZE) -> None:
        self.c.setFont(LABEL_FONT, size)
        self.c.setFillGray(GREY)
        self.c.drawString(x, y, text)
        self.c.setFillGray(0)

    def _fill_line(self, x: float, y: float, w: float) -> None:
        self.c.setLineWidth(0.4)
        self.c.setStrokeGray(0.6)
        self.c.line(x, y, x + w, y)

    def _cut_line(self, y: float) -> None:
        c = self.c
        c.saveState()
        c.setDash(3, 2)
        c.setLineWidth(0.5)
        c.setStrokeGray(0.3)
        c.line(0, y, self.layout.width, y)
        c.setFillGray(1)
        c.rect(PAD - 1, y - 4, 13, 8, stroke=0, fill=1)  # the line stops where the scissors are
        c.setFillGray(0)
        c.setFont("ZapfDingbats", 9)
        c.drawString(PAD, y - 3, "\u2702")  # ReportLab encodes it as a2 (0x22), the scissors
        c.restoreState()


def draw_template(canvas, per_page: int, texts: dict[str, str], campaign: str, fallback) -> Layout:
    """Draw the fixed part of one ticket at the origin and return where its values go."""
    width, height = column_size(per_page)
    return _Drawer(canvas, Layout(width, height), texts, campaign, fallback).draw()
