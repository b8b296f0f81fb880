"""The reconciliation's vocabulary and settings: methods, owners, states, statuses, accounts.

Pure constants and two small frozen dataclasses; the engine and the exports share them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from tickets.errors import CountappError, N_

METHODS = ("book", "wac", "fifo", "lifo")
OWNERS = ("own", "third_party", "at_third_party")
STATES = ("good", "damaged", "obsolete", "expired")
KINDS = ("opening", "receipt", "issue", "transfer", "adjustment")
LAYER_KINDS = ("opening", "receipt")

# Categories in chart order, with their PCG accounts: stock, variation, depreciation (DOMAIN.md).
CATEGORY_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "raw_materials": ("31", "6031", "391"),
    "other_supplies": ("32", "6032", "392"),
    "wip_goods": ("33", "7133", "393"),
    "wip_services": ("34", "7134", "394"),
    "products": ("35", "7135", "395"),
    "goods_for_resale": ("37", "6037", "397"),
}
CATEGORIES = tuple(CATEGORY_ACCOUNTS)
ACCOUNT_TO_CATEGORY = {accounts[0]: name for name, accounts in CATEGORY_ACCOUNTS.items()}
DEPRECIATION_CHARGE = "68173"
DEPRECIATION_REVERSAL = "78173"
JOURNAL = "INV"

# Row statuses of the reconciliation, in the order the exports explain them.
STATUSES = (
    "agreed",            # counted, same quantity as book at the count date
    "difference",        # counted, quantity differs from book
    "not_counted",       # a book line (or its tickets) without any final quantity: never read as zero
    "unknown_to_book",   # a counted ticket for a place the book does not know (book_qty 0)
    "rollforward_only",  # no book line, no ticket, but movements between count and closing
    "third_party",       # goods held for others: counted and listed, never valued in own stock
    "at_third_party",    # own goods held elsewhere: not counted on site, closing = book + roll-forward
    "voided",            # a voided ticket, kept and listed
)
# Why a row is listed in the exceptions sheet (first reason that applies, in this order).
EXCEPTIONS = ("voided", "not_counted", "unknown_to_book", "rollforward_only", "negative_closing",
              "no_category", "difference_without_cause")
DEPRECIATION_REASONS = ("damaged", "obsolete", "expired", "slow_moving", "market_price")


def _percent(value, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or not 0 <= number <= 100:
        raise CountappError(N_("%(key)s must be a percentage between 0 and 100, not %(value)s."),
                            field=f"depreciation.{name}", key=f"depreciation.{name}", value=value)
    if number.as_tuple().exponent < -4 and number != number.quantize(Decimal("0.0001")):
        raise CountappError(N_("%(key)s may have at most 4 decimals."), field=f"depreciation.{name}",
                            key=f"depreciation.{name}")
    return number


@dataclass(frozen=True)
class DepreciationRates:
    """Depreciation settings: percentages of gross value per cause, and the market-price rule."""

    damaged: Decimal = Decimal(50)
    obsolete: Decimal = Decimal(100)
    expired: Decimal = Decimal(100)
    slow_moving: Decimal = Decimal(0)
    slow_moving_days: int = 365
    market_price: bool = True

    def __post_init__(self) -> None:
        for name in ("damaged", "obsolete", "expired", "slow_moving"):
            object.__setattr__(self, name, _percent(getattr(self, name), name))
        days = self.slow_moving_days
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise CountappError(N_("%(key)s must be a whole number of days above 0, not %(value)s."),
                                field="depreciation.slow_moving_days", key="depreciation.slow_moving_days",
                                value=days)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DepreciationRates":
        """From the campaign settings' ``depreciation`` table (percentages may be strings)."""
        data = dict(data or {})
        known = {k: data[k] for k in ("damaged", "obsolete", "expired", "slow_moving", "slow_moving_days",
                                      "market_price") if k in data}
        if "market_price" in known:
            known["market_price"] = bool(known["market_price"])
        return cls(**known)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class ReconcileSettings:
    """What the engine needs from the campaign: method, dates and depreciation rules.

    ``count_dates`` maps a zone (or site) code to its own count date (a zone's wins over its
    site's); other places use ``count_date``. ``stock_date`` is the date the book stock file's
    quantities are at (default: ``count_date``). ``year_start`` is the fiscal year's first day:
    movements (other than ``opening``) before it, or after the latest of the closing, count and
    stock dates, are outside the window and move no figure (DOMAIN.md, Count dates).
    """

    method: str
    count_date: dt.date
    closing_date: dt.date
    depreciation: DepreciationRates = field(default_factory=DepreciationRates)
    count_dates: dict = field(default_factory=dict)
    stock_date: dt.date | None = None
    year_start: dt.date | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise CountappError(N_("Unknown valuation method %(value)s: choose book, wac, fifo or lifo."),
                                field="valuation", value=self.method)
        for name in ("count_date", "closing_date"):
            object.__setattr__(self, name, _as_date(getattr(self, name)))
        for name in ("stock_date", "year_start"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, _as_date(getattr(self, name)))
        object.__setattr__(self, "count_dates", {str(k): _as_date(v) for k, v in (self.count_dates or {}).items()})
        if isinstance(self.depreciation, dict):
            object.__setattr__(self, "depreciation", DepreciationRates.from_dict(self.depreciation))

    @property
    def stock_day(self) -> dt.date:
        """The date the book stock's quantities are at."""
        return self.stock_date or self.count_date

    @property
    def window_end(self) -> dt.date:
        """The last day a movement may move a figure: the latest of closing, count and stock dates."""
        return max([self.closing_date, self.count_date, self.stock_day, *self.count_dates.values()])

    def date_of(self, zone: str = "", site: str = "") -> dt.date:
        """A place's count date: its zone's, else its site's, else the campaign's."""
        return self.count_dates.get(zone) or self.count_dates.get(site) or self.count_date
