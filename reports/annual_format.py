"""Numbers, rates and dates in the annual report, written as a French or English reader expects.

The PDF and the tests share these functions, so a figure found in the PDF's text is exactly the
engine's figure formatted here. French groups thousands with a no-break space and uses a decimal
comma; English groups with commas. Negative amounts take a plain hyphen-minus (it survives copy
and paste, and text extraction).
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
DASH = "—"
_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}


def number(value, lang: str, places: int = 0) -> str:
    """``value`` rounded half up to ``places`` decimals, grouped; "—" for None."""
    if value is None:
        return DASH
    value = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.{places}f}"
    if lang == "fr":
        text = text.replace(",", NBSP).replace(".", ",")
    return sign + text


def money(value, lang: str) -> str:
    """An amount to the cent: 1,234.56 / 1 234,56."""
    return number(value, lang, 2)


def qty(value, lang: str) -> str:
    """A quantity with the decimals it has (up to 4): 1,200 / 12.5."""
    if value is None:
        return DASH
    value = Decimal(value)
    places = max(0, -value.normalize().as_tuple().exponent) if value != 0 else 0
    return number(value, lang, min(places, 4))


def count(value: int | None, lang: str) -> str:
    return number(value, lang, 0)


def percent(rate, lang: str, places: int = 1) -> str:
    """A fraction as a percentage: 0.975 → 97.5 % ("—" when there is nothing to divide)."""
    if rate is None:
        return DASH
    text = number(Decimal(rate) * 100, lang, places)
    return f"{text}{NBSP}%"


def days(value, lang: str) -> str:
    return number(value, lang, 0) if value is not None else DASH


def date(value: dt.date | None, lang: str) -> str:
    """31 December 2025 / 31 décembre 2025."""
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        value = value.date()
    day = "1er" if lang == "fr" and value.day == 1 else str(value.day)
    return f"{day} {_MONTHS[lang][value.month - 1]} {value.year}"


def short_date(value: dt.date | None, lang: str) -> str:
    """31/12/2025 / 2025-12-31."""
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime("%d/%m/%Y") if lang == "fr" else value.isoformat()


def clock(value: dt.datetime, lang: str) -> str:
    return f"{value.hour}h{value.minute:02d}" if lang == "fr" else f"{value.hour:02d}:{value.minute:02d}"


def moment(value: dt.datetime | None, lang: str, tz: dt.tzinfo | None = None) -> str:
    """A date and time in the report's time zone: 28/12/2025 9h30 / 2025-12-28 09:30."""
    if value is None:
        return DASH
    if tz is not None and value.tzinfo is not None:
        value = value.astimezone(tz)
    return f"{short_date(value, lang)} {clock(value, lang)}"


def hours(value, lang: str) -> str:
    return DASH if value is None else f"{number(value, lang, 1)}{NBSP}h"
