"""Code 128 barcodes for ticket numbers, as PDF vector operators (no image, no font).

python-barcode does the encoding (code sets, check digit); we only turn its module pattern
into filled rectangles, one per bar, so the bars stay sharp at any printer resolution.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from barcode import Code128
from barcode.writer import SVGWriter

from .errors import CountappError, N_

# ISO/IEC 15417 asks for a quiet zone of at least 10 modules each side; scanners struggle
# without it, so the barcode's box always includes it.
QUIET_MODULES = 10
SYMBOL, STOP = 11, 13           # modules per Code 128 symbol; the stop pattern is longer
_BARS = re.compile("1+")
# python-barcode builds a writer per barcode unless given one; we never render with it.
_UNUSED_WRITER = SVGWriter()
# Every symbol starts with a bar and ends with a space, so bars never span two symbols: the
# rectangles of a symbol at a given place can be reused from one ticket to the next.
_SYMBOL_RECTS: dict[tuple[int, str], str] = {}


def code128_modules(text: str) -> str:
    """The Code 128 module pattern of ``text`` ('1' = dark module), start, check and stop included."""
    if not text or not text.isascii() or not text.isprintable():
        raise CountappError(N_("%(text)s cannot be printed as a Code 128 barcode."), field="ticket", text=text)
    return Code128(text, writer=_UNUSED_WRITER).build()[0]


def bar_runs(modules: str) -> list[tuple[int, int]]:
    """Each bar as (first module, width in modules): adjacent dark modules merged into one bar."""
    return [(m.start(), m.end() - m.start()) for m in _BARS.finditer(modules)]


@dataclass(frozen=True)
class BarcodeBox:
    """Where a barcode's bars go: module width and bar height in points, quiet zones included."""

    module: float
    height: float

    def width(self, modules: int) -> float:
        """Total width of a pattern of ``modules`` modules with both quiet zones."""
        return (modules + 2 * QUIET_MODULES) * self.module

    def operators(self, modules: str) -> bytes:
        """PDF content operators that fill the bars (origin at the bottom-left of the quiet zone)."""
        # Bars are written in module units under one scaling matrix: short streams, exact widths.
        return f"{self.module:.4f} 0 0 {self.height:.3f} 0 0 cm 0 g {_rects(modules)} f".encode("ascii")


def _rects(modules: str) -> str:
    """One 're' per bar, in module units, quiet zone included; symbol by symbol from a cache."""
    out, at, end = [], 0, len(modules)
    while at < end:
        size = SYMBOL if end - at > STOP else end - at
        key = (at, modules[at:at + size])
        rects = _SYMBOL_RECTS.get(key)
        if rects is None:
            rects = _SYMBOL_RECTS[key] = " ".join(
                f"{QUIET_MODULES + at + start} 0 {width} 1 re" for start, width in bar_runs(key[1]))
        out.append(rects)
        at += size
    return " ".join(out)


def module_count(text: str) -> int:
    """How many modules the Code 128 pattern of ``text`` has (quiet zones excluded)."""
    return len(code128_modules(text))
