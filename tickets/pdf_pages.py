"""PDF pages that say "page X of Y": a ReportLab canvas that holds its pages back until Y is known.

Shared by every multi-page document (count instructions, annual report, recount and cycle count sheets):
each subclass draws its header and footer in ``decorate(number, total)``.
"""
from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas


class PageCountCanvas(Canvas):
    """Keeps each page's drawing state at ``showPage`` and draws them all at ``save``, when the total is known."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._held: list[dict] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._held)
        self.pages_counted(total)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self.decorate(number, total)
            super().showPage()
        super().save()

    def pages_counted(self, total: int) -> None:
        """Told the number of pages before they are drawn (nothing by default)."""

    def decorate(self, number: int, total: int) -> None:
        """Draw page ``number`` of ``total``'s header and footer."""
        raise NotImplementedError


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points in ``font`` at ``size``."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"
