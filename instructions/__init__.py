"""The written count instructions (issue 7): sections, what is missing, and the PDF.

Pure: plain data in (``InstructionsData``), text or PDF bytes out; no Flask, no database. The PDF is
``instructions.pdf.write_instructions_pdf``, imported from there: it loads reportlab, which nothing else needs.
"""
from .missing import Missing, missing_items, render_missing
from .model import (AUDITOR_KINDS, LANGUAGES, VALUATION_METHODS, Auditor, Holding,
                    InstructionsData, Place, Team)
from .serialise import content, from_dict, to_dict
from .sections import (SECTION_KEYS, default_text, placeholders, section_text,
                       section_title)

__all__ = [
    "AUDITOR_KINDS", "LANGUAGES", "SECTION_KEYS", "VALUATION_METHODS", "Auditor", "Holding",
    "InstructionsData", "Missing", "Place", "Team", "content", "default_text", "from_dict",
    "missing_items", "placeholders", "render_missing", "section_text", "section_title",
    "to_dict",
]
