"""Numbers and dates shown in the user's locale."""
from __future__ import annotations

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


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["qty"] = qty
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["date"] = lambda d, fmt="medium": format_date(d, fmt) if d else "—"
    app.jinja_env.filters["datetime"] = lambda d, fmt="short": format_datetime(d, fmt) if d else "—"
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
