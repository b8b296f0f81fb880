"""Print three-part tickets: A4 sheets of 1, 2 or 3 tickets, each with a Code 128 barcode.

Memory stays bounded for any number of tickets: ReportLab keeps a document's pages until
``save()``, so tickets are drawn in chunks, each chunk a small PDF of its own, and the chunks
are streamed one after another into the output (``pdfjoin``). Chunks can be drawn by several
processes; the output keeps the tickets' order.
"""
from __future__ import annotations

import io
import multiprocessing
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice

from reportlab import rl_config
from reportlab.pdfbase.pdfdoc import PDFObject
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from .barcodes import QUIET_MODULES, BarcodeBox, code128_modules
from .errors import CountappError, N_
from .pdf_fonts import UNICODE_FONT, unicode_font
from .pdfjoin import PdfJoiner
from .ticket_layout import BAR_HEIGHT, PAGE_H, PAGE_W, PAD, Field, Layout, draw_template, slot_origin
from .ticket_texts import TICKET_TEXTS, texts_for

# ASCII85 only makes streams 25% larger and slower to write; every reader takes binary.
rl_config.useA85 = 0

PER_PAGE = (1, 2, 3)
_TEMPLATE = "ticket"
_PART_KEYS = ("stub", "round2", "round1")
_PART_FIELDS = ("number", "team", "reference", "designation.1", "designation.2", "unit", "lot", "location")
_STUB_FIELDS = ("number", "designation", "reference", "location", "lot", "unit")


@dataclass(frozen=True, slots=True)
class TicketView:
    """What one printed ticket shows. ``number`` is printed (and barcoded) exactly as given."""

    number: str
    team_round1: str | None = None
    team_round2: str | None = None
    reference: str | None = None
    designation: str | None = None
    unit: str | None = None
    lot: str | None = None
    location: str | None = None
    blank: bool = False


def write_tickets(tickets: Iterable[TicketView], out, *, language: str = "fr", per_page: int = 3,
                  campaign: str = "", progress: Callable[[int], None] | None = None,
                  chunk_size: int = 2000, barcodes: bool = True, workers: int = 1) -> int:
    """Write the tickets, in order, as an A4 PDF into the binary stream ``out``; return the page count."""
    texts_for(TICKET_TEXTS, language)
    if per_page not in PER_PAGE:
        raise CountappError(N_("Tickets print 1, 2 or 3 to a page, not %(per_page)s."),
                            field="per_page", per_page=per_page)
    if chunk_size < 1 or workers < 1:
        raise CountappError(N_("The chunk size and the number of workers must be at least 1."), field="chunk_size")
    # A chunk always ends on a full page, so joining never leaves a half-empty sheet mid-document.
    size = -(-chunk_size // per_page) * per_page
    chunks = _chunks(iter(tickets), size)
    first = next(chunks, None)
    if first is None:
        raise CountappError(N_("There is no ticket to print."), field="tickets")
    options = (language, per_page, campaign, barcodes)
    texts = texts_for(TICKET_TEXTS, language)
    joiner = PdfJoiner(out, title=texts["document_title"] % {"campaign": campaign} if campaign
                       else texts["document_title"].split(" — ")[0])
    done = 0
    for count, pdf in _render_all(_prepend(first, chunks), options, workers):
        joiner.add(pdf)
        done += count
        if progress is not None:
            progress(done)
    return joiner.close()


def render_chunk(tickets: list[TicketView], language: str, per_page: int, campaign: str,
                 barcodes: bool = True) -> bytes:
    """One chunk of tickets as a stand-alone PDF (the unit a worker process draws)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1, invariant=1)
    texts = texts_for(TICKET_TEXTS, language)
    canvas.beginForm(_TEMPLATE)
    layout = draw_template(canvas, per_page, texts, campaign, draw_fitted)
    canvas.endForm()
    painter = _Painter(canvas, layout, texts, barcodes)
    for start in range(0, len(tickets), per_page):
        for slot, view in enumerate(tickets[start:start + per_page]):
            painter.ticket(view, *slot_origin(per_page, slot), start + slot)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _Painter:
    """Adds one ticket's own words and barcode on top of the shared template."""

    def __init__(self, canvas: Canvas, layout: Layout, texts: dict[str, str], barcodes: bool) -> None:
        self.c, self.layout, self.t, self.barcodes = canvas, layout, texts, barcodes
        self.fonts = {name: canvas._doc.getInternalFontName(name)
                      for name in ("Helvetica", "Helvetica-Bold")}
        self.template = canvas._doc.getXObjectName(_TEMPLATE)
        self._blank: tuple[float, float, list[str]] | None = None

    def ticket(self, view: TicketView, x: float, y: float, index: int) -> None:
        c = self.c
        barcode = self._barcode_form(view.number, index) if self.barcodes else None
        c.addLiteral(f"q 1 0 0 1 {x:.2f} {y:.2f} cm")
        c.addLiteral(f"/{self.template} Do")
        c._formsinuse.append(_TEMPLATE)
        if barcode is not None:
            name, width = barcode
            bx = PAD + (self.layout.inner - width) / 2
            xobject = c._doc.getXObjectName(name)
            c.addLiteral(" ".join(f"q 1 0 0 1 {bx:.2f} {self.layout.barcode_y[key]:.2f} cm /{xobject} Do Q"
                                  for key in _PART_KEYS))
            c._formsinuse.append(name)  # what doForm would record: the page lists the form once
        text, odd = self._words(view)
        c.addLiteral(text)
        for value, place in odd:  # rare: words Helvetica cannot encode
            draw_fitted(c, value, UNICODE_FONT, place.size, place.width, place.x, place.y)
        c.addLiteral("Q")

    def _barcode_form(self, number: str, index: int) -> tuple[str, float]:
        modules = code128_modules(number)
        module = min(self.layout.module, self.layout.inner / (len(modules) + 2 * QUIET_MODULES))
        box = BarcodeBox(module, BAR_HEIGHT)
        name, width = f"b{index}", box.width(len(modules))
        self.c._doc.addForm(name, _BarcodeForm(width, BAR_HEIGHT, box.operators(modules)))
        return name, width

    def _values(self, view: TicketView) -> Iterator[tuple[str, str | None]]:
        designation = _two_lines(view.designation or "", self.layout.fields["round1.designation.1"].width)
        shared = {"reference": view.reference, "unit": view.unit, "lot": view.lot, "location": view.location,
                  "designation.1": designation[0], "designation.2": designation[1],
                  "designation": view.designation, "number": view.number}
        for key in _PART_KEYS:
            team = view.team_round1 if key == "round1" else view.team_round2 if key == "round2" else None
            for name in _STUB_FIELDS if key == "stub" else _PART_FIELDS:
                yield f"{key}.{name}", team if name == "team" else shared[name]

    def blank_lines(self) -> tuple[float, float, list[str]]:
        """The blank-ticket instruction wrapped to the stub's width, whole: the font shrinks (not below
        5 pt) until every line fits above the stub's note. Measured once per chunk."""
        if self._blank is None:
            place = self.layout.fields["stub.blank"]
            floor = self.layout.fields.get("stub.blank_floor")
            room = place.y - floor.y if floor is not None else 3 * 9
            size = place.size
            while True:
                leading = round(size * 1.2, 2)
                lines = [line for paragraph in self.t["blank"].split("\n")
                         for line in simpleSplit(paragraph, place.font, size, place.width)]
                if (len(lines) - 1) * leading <= room or size <= 5:
                    break
                size -= 0.5
            self._blank = (size, leading, lines)
        return self._blank

    def _words(self, view: TicketView) -> tuple[str, list[tuple[str, Field]]]:
        fields, fonts = self.layout.fields, self.fonts
        ops, odd, current, memo = ["BT"], [], None, {}
        for key, value in self._values(view):
            if not value:
                continue
            place = fields[key]
            # The 1st- and 2nd-count parts have the same places: each value is measured once.
            token = (value, place.font, place.size, place.width)
            encoded = memo.get(token)
            if encoded is None:
                encoded = memo[token] = _pdf_string(value, place.font, place.size, place.width)
            if not encoded:
                odd.append((value, place))
                continue
            if (place.font, place.size) != current:
                current = (place.font, place.size)
                ops.append(f"{fonts[place.font]} {place.size} Tf")
            ops.append(f"1 0 0 1 {place.x:.2f} {place.y:.2f} Tm {encoded} Tj")
        if view.blank:
            place = fields["stub.blank"]
            size, leading, lines = self.blank_lines()
            ops.append(f"{fonts[place.font]} {size} Tf")
            for row, line in enumerate(lines):
                note = _pdf_string(line, place.font, size, place.width)
                ops.append(f"1 0 0 1 {place.x:.2f} {place.y - row * leading:.2f} Tm {note} Tj")
        ops.append("ET")
        return " ".join(ops), odd


class _BarcodeForm(PDFObject):
    """A form XObject holding only bars: no resources, so a much shorter object than beginForm's."""

    __RefOnly__ = 1  # always an indirect object, referenced from the pages that show it

    def __init__(self, width: float, height: float, operators: bytes) -> None:
        # Level 1 with a small window: bar streams are a few hundred bytes, set-up time dominates.
        self.width, self.height, self.data = width, height, zlib.compress(operators, 1, 9)

    def format(self, document) -> bytes:
        return (b"<< /Type /XObject /Subtype /Form /BBox [ 0 0 %.3f %.3f ] /Filter /FlateDecode /Length %d >>"
                b"\nstream\n%s\nendstream\n" % (self.width, self.height, len(self.data), self.data))


def _two_lines(text: str, width: float) -> tuple[str, str]:
    """Split a designation over two lines at a space (the second line is cut later if too long)."""
    if stringWidth(text, "Helvetica", 8.5) <= width:
        return text, ""
    words, first = text.split(" "), ""
    for i in range(len(words), 0, -1):
        candidate = " ".join(words[:i])
        if stringWidth(candidate, "Helvetica", 8.5) <= width:
            return candidate, " ".join(words[i:])
    return text, ""  # one long word: the first line is cut with an ellipsis


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis when it is wider than ``width``."""
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)  # longest prefix that fits with the ellipsis: binary search
    while low < high:
        mid = (low + high + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + "…"


def _winansi_escapes() -> dict[int, str]:
    """How each character of WinAnsi (cp1252) is written inside a PDF literal string."""
    table = {ord(c): "\\" + c for c in "()\\"}
    table.update({code: " " for code in range(32)})  # tabs and line breaks become spaces
    for byte in range(128, 256):
        try:
            table[ord(bytes([byte]).decode("cp1252"))] = f"\\{byte:03o}"
        except UnicodeDecodeError:
            pass  # the five holes of cp1252
    return table


_ESCAPES = _winansi_escapes()


def _pdf_string(text: str, font: str, size: float, width: float) -> str:
    """A PDF literal string for a WinAnsi font, or "" when the text is not all in WinAnsi."""
    escaped = _fit(text, font, size, width).translate(_ESCAPES)
    return f"({escaped})" if escaped.isascii() else ""


def draw_fitted(canvas: Canvas, text: str, font: str, size: float, width: float, x: float, y: float,
                right: bool = False) -> None:
    """Draw text cut to ``width``, in ``font`` when it can encode it, else in the Unicode font."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        font = unicode_font()
    if font == UNICODE_FONT:
        unicode_font()
    text = _fit(text, font, size, width)
    canvas.setFont(font, size)
    (canvas.drawRightString if right else canvas.drawString)(x, y, text)


# -- chunks and workers ----------------------------------------------------------------------
def _chunks(tickets: Iterator[TicketView], size: int) -> Iterator[list[TicketView]]:
    while chunk := list(islice(tickets, size)):
        yield chunk


def _prepend(first: list[TicketView], rest: Iterator[list[TicketView]]) -> Iterator[list[TicketView]]:
    yield first
    yield from rest


def _render_all(chunks: Iterator[list[TicketView]], options: tuple, workers: int) -> Iterator[tuple[int, bytes]]:
    """Each chunk's ticket count and PDF, in order; at most ``2 × workers`` chunks in flight."""
    if workers == 1:
        for chunk in chunks:
            yield len(chunk), render_chunk(chunk, *options)
        return
    # spawn: a worker never inherits the caller's open database connections or threads.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: list[tuple[int, Future]] = []
        for chunk in chunks:
            pending.append((len(chunk), pool.submit(render_chunk, chunk, *options)))
            if len(pending) >= 2 * workers:
                count, future = pending.pop(0)
                yield count, future.result()
        for count, future in pending:
            yield count, future.result()
