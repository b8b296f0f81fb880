"""A Unicode TrueType font for the instructions, so French (é, œ, ’, …, « ») prints and copies.

ReportLab's built-in Helvetica only knows WinAnsi: no "œ" in some viewers' copy-paste and
nothing beyond Latin-1. DejaVu Sans is preferred when the system has it (wider coverage);
otherwise Bitstream Vera, which ships inside reportlab itself, so a font is always there.
"""
from __future__ import annotations

import os
from functools import lru_cache

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "CountappSans"
_DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
_CANDIDATES = (
    (_DEJAVU_DIR, ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
                   "DejaVuSans-BoldOblique.ttf")),
    (os.path.join(os.path.dirname(reportlab.__file__), "fonts"),
     ("Vera.ttf", "VeraBd.ttf", "VeraIt.ttf", "VeraBI.ttf")),
)
# When a character is not in the font, print something readable rather than a box.
_FALLBACK = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
             "\u0153": "oe", "\u0152": "OE", "\u2013": "-", "\u2014": "-", "\u202f": "\u00a0",
             "\u00a0": " ", "\u2022": "-"}


@lru_cache(maxsize=1)
def register_fonts() -> str:
    """Register the family once (regular, bold, italic, bold italic) and return its name."""
    for folder, files in _CANDIDATES:
        paths = [os.path.join(folder, f) for f in files]
        if all(os.path.exists(p) for p in paths):
            break
    names = (FAMILY, FAMILY + "-Bold", FAMILY + "-Italic", FAMILY + "-BoldItalic")
    for name, path in zip(names, paths):
        pdfmetrics.registerFont(TTFont(name, path))
    for (bold, italic), name in zip(((0, 0), (1, 0), (0, 1), (1, 1)), names):
        addMapping(FAMILY, bold, italic, name)
    return FAMILY


def font_file() -> str:
    """Path of the regular face in use (for tests and diagnostics)."""
    register_fonts()
    return pdfmetrics.getFont(FAMILY).face.filename


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    register_fonts()
    return frozenset(pdfmetrics.getFont(FAMILY).face.charToGlyph)


def printable(text: str) -> str:
    """The text with characters the font lacks replaced by a close equivalent, or '?'."""
    covered = _covered()
    if all(ord(c) in covered or c in "\n\t" for c in text):
        return text
    out = []
    for c in text:
        while ord(c) not in covered and c not in "\n\t":
            c = _FALLBACK.get(c, "?")
            if len(c) > 1 or c == "?":
                break
        out.append(c)
    return "".join(out)
