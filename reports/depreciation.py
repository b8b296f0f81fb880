"""Depreciation of each valued row: the largest amount among the causes that apply (DOMAIN.md, Rules).

Candidates, in this order (the first of equal amounts names the reason):
``damaged``, ``obsolete``, ``expired`` (a final count's state; a row counted on several tickets
takes every state found, by prudence), ``slow_moving`` (last movement ``slow_moving_days`` or more
before the closing date) — each ``rate × closing_value`` — and ``market_price`` (when the setting
is on and the price is below unit cost: ``(unit_cost − market_price) × closing_qty``). Each is
rounded half up to the cent; the depreciation is the largest, never below 0 (a negative closing
stock is not written down); ``net = closing_value − depreciation``.
"""
from __future__ import annotations

import numpy as np

from . import exact
from .frames import NO_DATE, STATE_BITS
from .model import DEPRECIATION_REASONS, DepreciationRates

NOT_APPLICABLE = np.iinfo(np.int64).min // 4
RATE_DIGITS = 4  # percent with 4 decimals = millionths of the value


def _rate(percent) -> int:
    return int(percent.scaleb(RATE_DIGITS))


def depreciate(rates: DepreciationRates, closing_day: int, closing_cents: np.ndarray, closing_qty: np.ndarray,
               unit_cost: np.ndarray, state_bits: np.ndarray, last_day: np.ndarray, market: np.ndarray,
               market_missing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Depreciation in cents and its reason ('' when none) for each row given."""
    n = len(closing_cents)
    # The largest candidate so far and its column, a later cause winning only when strictly larger:
    # the argmax of a rows × causes matrix (first of equal amounts), without the matrix, each cause
    # computed on the rows it applies to (most apply to few).
    amount = np.full(n, NOT_APPLICABLE, dtype=np.int64)
    best = np.zeros(n, dtype=np.int64)
    slow = (last_day != NO_DATE) & (closing_day - last_day >= rates.slow_moving_days)
    applies = {
        "damaged": (state_bits & STATE_BITS["damaged"]) != 0,
        "obsolete": (state_bits & STATE_BITS["obsolete"]) != 0,
        "expired": (state_bits & STATE_BITS["expired"]) != 0,
        "slow_moving": slow,
    }
    for column, (reason, mask) in enumerate(applies.items()):
        rows = np.flatnonzero(mask)
        if len(rows):
            _keep_larger(amount, best, rows, column,
                         exact.mul_div_round(closing_cents[rows], _rate(getattr(rates, reason)), 10**(RATE_DIGITS + 2)))
    if rates.market_price:
        rows = np.flatnonzero(~market_missing & (market < unit_cost))
        if len(rows):
            _keep_larger(amount, best, rows, len(applies), exact.mul_div_round(
                unit_cost[rows] - market[rows], closing_qty[rows], 10**(exact.COST + exact.QTY - exact.MONEY)))
    positive = amount > 0
    depreciation = np.where(positive, amount, 0)
    reasons = _REASONS[np.where(positive, best, len(DEPRECIATION_REASONS))]
    return depreciation, reasons


_REASONS = np.array(DEPRECIATION_REASONS + ("",), dtype=object)


def _keep_larger(amount: np.ndarray, best: np.ndarray, rows: np.ndarray, column: int, values: np.ndarray) -> None:
    larger = values > amount[rows]
    amount[rows[larger]] = values[larger]
    best[rows[larger]] = column
