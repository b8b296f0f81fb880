"""The book quantity at the moment of counting (DOMAIN.md, Count dates, applied to one line)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal


def book_at(book_qty: Decimal, stock_date: dt.date, movements: Iterable[tuple[dt.date, Decimal]],
            day: dt.date) -> Decimal:
    """The line's book quantity at the end of ``day`` (the cut-off of a count: movements dated that day are in).

    ``book_qty`` is at the end of ``stock_date``: later days add the movements after it up to ``day``;
    earlier days take back the movements after ``day`` up to ``stock_date``.
    """
    quantity = Decimal(book_qty)
    for date, moved in movements:
        if day > stock_date and stock_date < date <= day:
            quantity += moved
        elif day < stock_date and day < date <= stock_date:
            quantity -= moved
    return quantity
