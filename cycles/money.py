"""Money in integer cents: a quantity times a unit cost, rounded half up once per line (STYLE.md 3)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def cents(quantity: Decimal, unit_cost: Decimal) -> int:
    """``quantity × unit_cost`` in cents, rounded half up (away from zero for negatives, like the ERP)."""
    return int((Decimal(quantity) * Decimal(unit_cost) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def text(amount_cents: int) -> str:
    """Cents as a plain decimal text: ``-1234`` → ``-12.34``."""
    sign = "-" if amount_cents < 0 else ""
    whole, part = divmod(abs(amount_cents), 100)
    return f"{sign}{whole}.{part:02d}"
