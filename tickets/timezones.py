"""Times as the campaign's people read them: stored in UTC, shown in the campaign's time zone.

Plain functions for documents made without Flask (PDF, XLSX, CSV); pages get the same through
Flask-Babel's time zone, which ``countapp.i18n`` sets to the campaign's.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo

DEFAULT_TIME_ZONE = "Europe/Paris"


def zone(name: str | None) -> dt.tzinfo:
    """The time zone named (IANA, e.g. Europe/Paris); the default for an empty or unknown name."""
    try:
        return zoneinfo.ZoneInfo((name or "").strip() or DEFAULT_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def local(moment: dt.datetime | None, name: str | None) -> dt.datetime | None:
    """``moment`` in the zone ``name``; a naive moment is UTC (as the database gives it back)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone(name))


def excel(moment: dt.datetime | None, name: str | None) -> dt.datetime | None:
    """The local wall-clock time without its zone: what a spreadsheet cell can hold (openpyxl refuses zones)."""
    shown = local(moment, name)
    return shown.replace(tzinfo=None) if shown is not None else None
