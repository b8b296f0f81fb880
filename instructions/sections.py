"""The instructions' sections: their order, titles and texts filled from the campaign."""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Mapping

from tickets.errors import CountappError, N_

from . import formatting as fmt
from . import texts_en, texts_fr
from .labels import MARKET_PRICE_RULE, VALUATION
from .model import LANGUAGES, InstructionsData

SECTION_KEYS: tuple[str, ...] = (
    "person_in_charge", "dates_times", "places", "scope", "teams", "auditors", "tidying",
    "freeze", "third_party_goods", "goods_elsewhere", "tickets", "physical_state",
    "double_count", "third_count", "cutoff", "centralisation", "reconciliation", "valuation",
    "depreciation", "annual_report",
)
_TEXTS = {"fr": texts_fr, "en": texts_en}
# Only {lower_snake} names are placeholders: anything else in a text (braces included)
# is left alone, so a manager's own wording can never break the document.
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def check_language(lang: str) -> str:
    """The language, or an error naming the field when the document cannot be written in it."""
    if lang not in LANGUAGES:
        raise CountappError(N_("Unsupported language: %(language)s"), field="language", language=lang)
    return lang


def section_title(key: str, lang: str) -> str:
    return _TEXTS[check_language(lang)].TITLES[key]


def default_text(key: str, lang: str) -> str:
    """The built-in text of a section, placeholders unfilled."""
    return _TEXTS[check_language(lang)].BODIES[key]


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace known {name} placeholders; unknown ones stay visible as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def section_text(data: InstructionsData, key: str, values: Mapping[str, str] | None = None) -> str:
    """The section's text for this campaign: its override if any, else the default, filled
    (``values``: the placeholders, when the caller has them already)."""
    lang = check_language(data.language)
    override = (data.overrides or {}).get(key)
    template = override if override and override.strip() else default_text(key, lang)
    text = fill(template, placeholders(data) if values is None else values)
    return fmt.french_spacing(text) if lang == "fr" else text


def count_window(data: InstructionsData) -> tuple[datetime | None, datetime | None]:
    """When counting starts and ends: as set, else the teams' earliest start and latest end."""
    starts = [t.start for t in data.teams if t.start]
    ends = [t.end for t in data.teams if t.end]
    return (data.count_start or (min(starts) if starts else None),
            data.count_end or (max(ends) if ends else None))


def period(start: datetime | None, end: datetime | None, lang: str) -> str:
    """'du lundi … à 18h00 au mardi … à 8h00', or one day with its hours."""
    if start is None or end is None:
        return fmt.TO_BE_SET[lang]
    if start.date() == end.date():
        day, a, b = fmt.long_date(start, lang), fmt.clock(start, lang), fmt.clock(end, lang)
        return f"le {day}, de {a} à {b}" if lang == "fr" else f"on {day}, from {a} to {b}"
    a, b = fmt.long_datetime(start, lang), fmt.long_datetime(end, lang)
    return f"du {a} au {b}" if lang == "fr" else f"from {a} to {b}"


def placeholders(data: InstructionsData) -> dict[str, str]:
    """Every value a section text may name as {placeholder}, written in the data's language."""
    lang = check_language(data.language)
    unset = fmt.TO_BE_SET[lang]
    start, end = count_window(data)
    if start and end:
        count_period = period(start, end, lang)
    elif data.count_date:
        count_period = ("le " if lang == "fr" else "on ") + fmt.long_date(data.count_date, lang)
    else:
        count_period = unset
    person = data.person_in_charge or unset
    if data.person_in_charge and data.person_in_charge_title:
        person = f"{data.person_in_charge} ({data.person_in_charge_title})"
    dep = data.depreciation or {}
    rate = lambda k: fmt.percent(fmt.to_decimal(dep.get(k)) or Decimal(0), lang)  # noqa: E731
    days = fmt.to_decimal(dep.get("slow_moving_days"))
    tol = data.tolerances or {}
    all_places = data.all_places()
    return {
        "company": data.company_name or unset,
        "campaign": data.campaign_code,
        "fiscal_year": str(data.fiscal_year),
        "person_in_charge": person,
        "centraliser": data.centraliser or unset,
        "count_date": fmt.long_date(data.count_date, lang),
        "count_period": count_period,
        "count_start": fmt.long_datetime(start, lang),
        "count_end": fmt.long_datetime(end, lang),
        "closing_date": fmt.long_date(data.closing_date, lang),
        "freeze_from": fmt.long_datetime(data.freeze_from, lang),
        "freeze_to": fmt.long_datetime(data.freeze_to, lang),
        "freeze_period": period(data.freeze_from, data.freeze_to, lang),
        "valuation_method": VALUATION[lang].get(data.valuation, data.valuation or unset),
        "tolerance_between_counts": fmt.threshold_phrase(tol.get("between_counts"), lang, data.currency),
        "tolerance_vs_book": fmt.threshold_phrase(tol.get("vs_book"), lang, data.currency),
        "depreciation_damaged": rate("damaged"),
        "depreciation_obsolete": rate("obsolete"),
        "depreciation_expired": rate("expired"),
        "depreciation_slow_moving": rate("slow_moving"),
        "slow_moving_days": fmt.number(days, lang) if days else "365",
        "market_price_rule": MARKET_PRICE_RULE[lang][fmt.truthy(dep.get("market_price", False))],
        "last_receipt_document": data.last_receipt_document or unset,
        "last_shipment_document": data.last_shipment_document or unset,
        "location_count": str(len(all_places)),
        "zone_count": str(len({p.zone for p, _ in all_places if p.zone})),
        "team_count": str(len(data.teams)),
        "third_party_lines": str(sum(h.lines for h in data.third_party_goods)),
        "goods_elsewhere_lines": str(sum(h.lines for h in data.goods_elsewhere)),
        "currency": data.currency,
    }
