"""A campaign's settings (SPEC.md, "campaign settings (TOML)"): validate, merge, print.

Pure: no Flask, no database. Stored in ``Campaign.settings`` as JSON with exact numbers kept
as strings; printed back as TOML so that configure-then-show gives the same file.
"""
from __future__ import annotations

import copy
import datetime as dt
import re
import tomllib
import zoneinfo
from decimal import Decimal, InvalidOperation

import tomli_w

from tickets.errors import CountappError, N_

VALUATIONS = ("book", "wac", "fifo", "lifo")
LANGUAGES = ("fr", "en")
DEPRECIATION_RATES = ("damaged", "obsolete", "expired", "slow_moving")
DEFAULT_DEPRECIATION = {
    "damaged": "50", "obsolete": "100", "expired": "100", "slow_moving": "0",
    "slow_moving_days": 365, "market_price": True,
}
# Top-level keys that live in the campaign's own columns rather than in the settings JSON.
# ``company`` is the company's name (a column); ``[company]`` as a table also holds its SIREN and
# time zone, kept in the settings JSON under "company".
COLUMN_KEYS = ("valuation", "language", "person_in_charge", "name", "company")
DEFAULT_TIME_ZONE = "Europe/Paris"
DEFAULT_COMPANY = {"siren": "", "time_zone": DEFAULT_TIME_ZONE}


def _tolerance_settings():
    from tickets.tolerance import ToleranceSettings  # imported late: the CLI starts without it

    return ToleranceSettings


def defaults() -> dict:
    ToleranceSettings = _tolerance_settings()
    return {"tolerance": ToleranceSettings.from_dict({}).to_dict(), "depreciation": dict(DEFAULT_DEPRECIATION),
            "company": dict(DEFAULT_COMPANY)}


def parse_toml(text: str, filename: str = "settings.toml") -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CountappError(N_("%(file)s is not valid TOML: %(detail)s"), field="settings", file=filename,
                            detail=str(exc)) from None


def _percent(value, key: str) -> str:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or number < 0 or number > 100:
        raise CountappError(N_("%(key)s must be a percentage between 0 and 100, not %(value)s."), field=key,
                            key=key, value=value)
    return str(number)


def _merge_depreciation(current: dict, given: dict) -> dict:
    result = dict(current)
    for key, value in given.items():
        name = f"depreciation.{key}"
        if key in DEPRECIATION_RATES:
            result[key] = _percent(value, name)
        elif key == "slow_moving_days":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise CountappError(N_("%(key)s must be a whole number of days above 0, not %(value)s."),
                                    field=name, key=name, value=value)
            result[key] = value
        elif key == "market_price":
            if not isinstance(value, bool):
                raise CountappError(N_("%(key)s must be true or false, not %(value)s."), field=name, key=name,
                                    value=value)
            result[key] = value
        else:
            raise CountappError(N_("Unknown setting %(key)s."), field=name, key=name)
    return result


def _siren(value) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{9}|", value.replace(" ", "")):
        raise CountappError(N_("company.siren must be the 9 digits of the SIREN number (as text), not %(value)s."),
                            field="company.siren", value=value)
    return value.replace(" ", "")


def _time_zone(value) -> str:
    try:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(value)
        zoneinfo.ZoneInfo(value.strip())
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise CountappError(N_("company.time_zone must be a time zone name such as Europe/Paris, not %(value)s."),
                            field="company.time_zone", value=value) from None
    return value.strip()


def _merge_company(columns: dict, current: dict, given) -> dict:
    """``company = "name"`` (the old form) or the ``[company]`` table (name, siren, time_zone)."""
    result = {**DEFAULT_COMPANY, **(current or {})}
    if isinstance(given, str):
        columns["company"] = given.strip()
        return result
    if not isinstance(given, dict):
        raise CountappError(N_("%(key)s must be a table."), field="company", key="company")
    for key, value in given.items():
        if key == "name":
            if not isinstance(value, str):
                raise CountappError(N_("%(key)s must be text."), field="company.name", key="company.name")
            columns["company"] = value.strip()
        elif key == "siren":
            result["siren"] = _siren(value)
        elif key == "time_zone":
            result["time_zone"] = _time_zone(value)
        else:
            raise CountappError(N_("Unknown setting %(key)s."), field=f"company.{key}", key=f"company.{key}")
    return result


def _merge_count_dates(current: dict, given, *, replace: bool = False) -> dict:
    """``[count_dates]``: zone (or site) code -> its count date; an empty value removes the code."""
    if not isinstance(given, dict):
        raise CountappError(N_("%(key)s must be a table."), field="count_dates", key="count_dates")
    result = {} if replace else dict(current or {})
    for code, value in given.items():
        code = str(code).strip()
        name = f"count_dates.{code}"
        if not code or len(code) > 80:
            raise CountappError(N_("%(key)s must name a zone or a site."), field="count_dates", key=name)
        if value in ("", None):
            result.pop(code, None)
            continue
        if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
            raise CountappError(N_("%(key)s must be a date (YYYY-MM-DD), not %(value)s."), field="count_dates",
                                key=name, value=value)
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise CountappError(N_("%(key)s must be a date (YYYY-MM-DD), not %(value)s."),
                                    field="count_dates", key=name, value=value) from None
        result[code] = value.isoformat()
    return dict(sorted(result.items()))


def count_dates(settings: dict) -> dict[str, dt.date]:
    """The zones' (or sites') own count dates, as dates."""
    return {code: dt.date.fromisoformat(value) for code, value in ((settings or {}).get("count_dates") or {}).items()}


def time_zone(settings: dict) -> str:
    """The campaign's time zone (IANA name): where its count times are read and shown."""
    return ((settings or {}).get("company") or {}).get("time_zone") or DEFAULT_TIME_ZONE


def merge(columns: dict, settings: dict, given: dict, *, replace_tolerance: bool = False,
          replace_count_dates: bool = False) -> tuple[dict, dict]:
    """Apply ``given`` (a parsed TOML document) over the current values; keys not given keep theirs.

    ``replace_tolerance`` takes the given tolerance table as complete (the settings page sends
    every threshold, so a cleared category override must disappear); ``replace_count_dates`` the
    same for the zones' count dates.

    Returns the new column values and the new settings JSON; raises on the first bad key.
    """
    columns, settings = dict(columns), copy.deepcopy(settings or defaults())
    for key, value in given.items():
        if key == "valuation":
            if value not in VALUATIONS:
                raise CountappError(N_("Unknown valuation method %(value)s: choose book, wac, fifo or lifo."),
                                    field="valuation", value=value)
            columns[key] = value
        elif key == "language":
            if value not in LANGUAGES:
                raise CountappError(N_("Unknown language %(language)s: choose fr or en."), field="language",
                                    language=value)
            columns[key] = value
        elif key == "company":
            settings["company"] = _merge_company(columns, settings.get("company"), value)
        elif key in ("person_in_charge", "name"):
            if not isinstance(value, str):
                raise CountappError(N_("%(key)s must be text."), field=key, key=key)
            columns[key] = value.strip()
        elif key == "tolerance":
            if not isinstance(value, dict):
                raise CountappError(N_("%(key)s must be a table."), field=key, key=key)
            current = _tolerance_settings().from_dict({} if replace_tolerance else settings.get("tolerance", {}))
            settings["tolerance"] = current.merged(value).to_dict()
        elif key == "depreciation":
            if not isinstance(value, dict):
                raise CountappError(N_("%(key)s must be a table."), field=key, key=key)
            settings["depreciation"] = _merge_depreciation(settings.get("depreciation", DEFAULT_DEPRECIATION), value)
        elif key == "count_dates":
            settings["count_dates"] = _merge_count_dates(settings.get("count_dates"), value,
                                                         replace=replace_count_dates)
        else:
            raise CountappError(N_("Unknown setting %(key)s."), field=key, key=key)
    return columns, settings


def _toml_number(text):
    number = Decimal(str(text))
    return int(number) if number == number.to_integral_value() else float(number)


def to_toml(columns: dict, settings: dict) -> str:
    """The settings as the TOML file ``campaign configure`` reads."""
    settings = settings or defaults()
    document: dict = {key: columns[key] for key in COLUMN_KEYS
                      if columns.get(key) is not None and key != "company"}

    def numbers(table: dict) -> dict:
        out = {}
        for key, value in table.items():
            if isinstance(value, dict):
                out[key] = numbers(value)
            elif isinstance(value, bool) or isinstance(value, int):
                out[key] = value
            elif value is None:
                continue
            else:
                out[key] = _toml_number(value)
        return out

    document["tolerance"] = numbers(settings.get("tolerance", {}))
    document["depreciation"] = numbers(settings.get("depreciation", DEFAULT_DEPRECIATION))
    if settings.get("count_dates"):
        document["count_dates"] = count_dates(settings)
    document["company"] = {"name": columns.get("company") or "",
                           **{**DEFAULT_COMPANY, **(settings.get("company") or {})}}
    return tomli_w.dumps(document)


def tolerance_settings(settings: dict):
    return _tolerance_settings().from_dict((settings or {}).get("tolerance", {}))


def depreciation_settings(settings: dict) -> dict:
    """Rates as Decimal percents, with the defaults for anything unset."""
    merged = {**DEFAULT_DEPRECIATION, **(settings or {}).get("depreciation", {})}
    return {key: (Decimal(str(v)) if key in DEPRECIATION_RATES else v) for key, v in merged.items()}
