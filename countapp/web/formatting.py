"""Numbers and dates shown in the user's locale."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, get_locale


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


def moment(value, fmt="short") -> str:
    """A date and time in the page's time zone: on a campaign's pages the campaign's (where its counts
    happen, as the tablet shows them), chosen by ``countapp.i18n.select_timezone``. Naive values are UTC,
    as stored."""
    if not value:
        return "—"
    if isinstance(value, str):   # a time kept as ISO text (a job's result, a JSON field)
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, fmt)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["qty"] = qty
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else "—"
    app.jinja_env.filters["datetime"] = moment
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
