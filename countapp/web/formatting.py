"""Numbers and dates shown in the user's locale."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from babel import dates as babel_dates
from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from jinja2 import pass_context

from .. import campaign_settings


def qty(value) -> str:
    """A quantity as typed: no trailing zeros beyond what was counted."""
    if value is None:
        return "—"
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return format_decimal(value, format="#,##0" + ("." + "0" * places if places else ""))


def money(value) -> str:
    if value is None:
        return "—"
    return format_decimal(Decimal(value), format="#,##0.00")


@pass_context
def moment(context, value, fmt="short") -> str:
    """A date and time; on a campaign's pages in the campaign's time zone (where its counts happen), as the
    tablet shows them, else in the application's. Naive values are UTC, as stored."""
    if not value:
        return "—"
    if isinstance(value, str):   # a time kept as ISO text (a job's result, a JSON field)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    campaign = context.get("campaign")
    settings = getattr(campaign, "settings", None) if campaign is not None else None
    if campaign is None or not isinstance(value, dt.datetime):
        return format_datetime(value, fmt)
    try:
        zone = zoneinfo.ZoneInfo(campaign_settings.time_zone(settings))
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return format_datetime(value, fmt)
    aware = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return babel_dates.format_datetime(aware, fmt, tzinfo=zone, locale=get_locale())


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["qty"] = qty
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else "—"
    app.jinja_env.filters["datetime"] = moment
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
