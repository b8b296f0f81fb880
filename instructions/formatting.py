"""Dates, numbers and threshold phrases written the way a French or English reader expects."""
from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Mapping

NBSP = "\u00a0"  # French puts a non-breaking space before % and € and between thousands
NNBSP = "\u202f"  # and a narrow one before : ; ! ? and inside « »

_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
_DAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
TO_BE_SET = {"fr": "[à préciser]", "en": "[to be set]"}
NOT_SET = {"fr": "—", "en": "—"}


def to_decimal(value: Any) -> Decimal | None:
    """A threshold or rate as Decimal; None, "", 0 and unreadable values mean not set."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None
    return d if d.is_finite() and d != 0 else None


def number(value: Decimal, lang: str, places: int | None = None) -> str:
    """A number with the language's decimal mark and thousands separator."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        text = f"{value:,.{places}f}"
    else:
        value = value.normalize()
        text = f"{value:,f}"
    if lang == "fr":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def money(value: Decimal, lang: str, currency: str) -> str:
    amount = number(value, lang, 2)
    if lang == "en" and currency in ("€", "$", "£"):
        return f"{currency}{amount}"
    return f"{amount}{NBSP}{currency}" if currency else amount


def percent(value: Decimal, lang: str) -> str:
    return f"{number(value, lang)}{NBSP}%" if lang == "fr" else f"{number(value, lang)}%"


def long_date(d: date | None, lang: str) -> str:
    """'samedi 27 décembre 2025' / 'Saturday 27 December 2025'."""
    if d is None:
        return TO_BE_SET[lang]
    if isinstance(d, datetime):
        d = d.date()
    day = "1er" if lang == "fr" and d.day == 1 else str(d.day)
    return f"{_DAYS[lang][d.weekday()]} {day} {_MONTHS[lang][d.month - 1]} {d.year}"


def clock(t: time | datetime, lang: str) -> str:
    return f"{t.hour}h{t.minute:02d}" if lang == "fr" else f"{t.hour:02d}:{t.minute:02d}"


def long_datetime(dt: datetime | None, lang: str) -> str:
    if dt is None:
        return TO_BE_SET[lang]
    return f"{long_date(dt, lang)} {'à' if lang == 'fr' else 'at'} {clock(dt, lang)}"


def short_date(d: date | None, lang: str) -> str:
    if d is None:
        return NOT_SET[lang]
    if isinstance(d, datetime):
        d = d.date()
    if lang == "fr":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    return f"{d.day} {_MONTHS['en'][d.month - 1][:3]} {d.year}"


def short_datetime(dt: datetime | None, lang: str) -> str:
    if dt is None:
        return NOT_SET[lang]
    return f"{short_date(dt, lang)} {clock(dt, lang)}"


def thresholds(settings: Mapping[str, Any] | None) -> dict[str, Decimal]:
    """The thresholds that are set (absent or 0 is not set), keyed qty / pct / value."""
    settings = settings or {}
    out = {}
    for key in ("qty", "pct", "value"):
        d = to_decimal(settings.get(key))
        if d is not None:
            out[key] = abs(d)
    return out


def threshold_phrase(settings: Mapping[str, Any] | None, lang: str, currency: str) -> str:
    """The thresholds as words: 'un écart de plus de 2 unités ou de plus de 5 %'."""
    t = thresholds(settings)
    if not t:
        return "tout écart, même d’une seule unité" if lang == "fr" else "any difference, even a single unit"
    parts = []
    if lang == "fr":
        if "qty" in t:
            q = t["qty"]
            parts.append("de plus d’une unité" if q == 1 else f"de plus de {number(q, lang)} unités")
        if "pct" in t:
            parts.append(f"de plus de {percent(t['pct'], lang)}")
        if "value" in t:
            parts.append(f"d’une valeur de plus de {money(t['value'], lang, currency)}")
        return "un écart " + _join(parts, " ou ")
    if "qty" in t:
        q = t["qty"]
        parts.append("more than one unit" if q == 1 else f"more than {number(q, lang)} units")
    if "pct" in t:
        parts.append(f"more than {percent(t['pct'], lang)}")
    if "value" in t:
        parts.append(f"more than {money(t['value'], lang, currency)} in value")
    return "a difference of " + _join(parts, " or ")


def _join(parts: list[str], last: str) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + last + parts[-1]


def french_spacing(text: str) -> str:
    """Narrow no-break spaces where French typography wants them (before : ; ! ? », after «)."""
    text = re.sub(r"«[ \u00a0\u202f]*", "«" + NNBSP, text)
    text = re.sub(r"[ \u00a0\u202f]*»", NNBSP + "»", text)
    return re.sub(r"(?<=\S)[ \u00a0]([:;!?])(?=\s|$)", NNBSP + r"\1", text)


def truthy(value: object) -> bool:
    """A settings flag given as bool, number or text ("true", "oui"...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "oui", "on")
    return bool(value)
