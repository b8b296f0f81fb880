"""Texts whose words follow a number, for the modules that build documents without Flask.

Such a text is a pair ``(singular, plural)``; French takes the singular for 0 and 1, English for 1
only (the same rules as the catalogue's Plural-Forms). A plain string has one form for every number.
"""
from __future__ import annotations

from decimal import Decimal


def choose(text: str | tuple[str, str], number: int | Decimal | None, language: str) -> str:
    """The form of ``text`` that ``number`` needs in ``language``."""
    if isinstance(text, str):
        return text
    singular, plural = text
    size = abs(number or 0)
    return plural if (size > 1 if language == "fr" else size != 1) else singular
