"""A TrueType font for words outside WinAnsi (names and designations in any script)."""
from __future__ import annotations

import os
from functools import lru_cache

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

UNICODE_FONT = "CountappTicketSans"
UNICODE_BOLD = UNICODE_FONT + "-Bold"
# DejaVu covers far more scripts; Vera ships inside reportlab, so there is always a font.
_CANDIDATES = (("/usr/share/fonts/truetype/dejavu", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
               (os.path.join(os.path.dirname(reportlab.__file__), "fonts"), "Vera.ttf", "VeraBd.ttf"))


@lru_cache(maxsize=1)
def unicode_font() -> str:
    """Register the regular and bold faces once and return the regular face's name."""
    for folder, regular, bold in _CANDIDATES:
        paths = os.path.join(folder, regular), os.path.join(folder, bold)
        if all(os.path.exists(p) for p in paths):
            break
    pdfmetrics.registerFont(TTFont(UNICODE_FONT, paths[0]))
    pdfmetrics.registerFont(TTFont(UNICODE_BOLD, paths[1]))
    addMapping(UNICODE_FONT, 0, 0, UNICODE_FONT)
    addMapping(UNICODE_FONT, 1, 0, UNICODE_BOLD)
    addMapping(UNICODE_FONT, 0, 1, UNICODE_FONT)
    addMapping(UNICODE_FONT, 1, 1, UNICODE_BOLD)
    return UNICODE_FONT


def unbreakable(text: str) -> str:
    """Text for a ReportLab paragraph: the narrow no-break space becomes a no-break space.

    ReportLab breaks lines at U+202F (it counts it as white space) but keeps U+00A0 together, so
    "Attention :" and « » never break apart in a paragraph; drawn strings keep the narrow space."""
    return text.replace("\u202f", "\u00a0")
