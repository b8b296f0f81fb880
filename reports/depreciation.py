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
    candidates = np.full((n, len(DEPRECIATION_REASONS)), NOT_APPLICABLE, dtype=np.int64)
    slow = (last_day != NO_DATE) & (closing_day - last_day >= rates.slow_moving_days)
    applies = {
        "damaged": (state_bits & STATE_BITS["damaged"]) != 0,
        "obsolete": (state_bits & STATE_BITS["obsolete"]) != 0,
        "expired": (state_bits & STATE_BITS["expired"]) != 0,
        "slow_moving": slow,
    }
    for column, (reason, mask) in enumerate(applies.items()):
        if mask.any():
            amount = exact.mul_div_round(closing_cents[mask], _rate(getattr(rates, reason)), 10**(RATE_DIGITS + 2))
            candidates[mask, column] = amount
    if rates.market_price:
        below = ~market_missing & (market < unit_cost)
        if below.any():
            candidates[below, len(applies)] = exact.mul_div_round(
                unit_cost[below] - market[below], closing_qty[below], 10**(exact.COST + exact.QTY - exact.MONEY))
    best = candidates.argmax(axis=1) if n else np.zeros(0, np.int64)
    amount = candidates[np.arange(n), best] if n else np.zeros(0, np.int64)
    positive = amount > 0
    depreciation = np.where(positive, amount, 0)
    reasons = np.array(DEPRECIATION_REASONS, dtype=object)[best] if n else np.zeros(0, object)
    reasons = np.where(positive, reasons, "")
    return depreciation, reasons
