"""Exact quantities and money on whole numbers: scaled int64 columns, rounded half up like Decimal.

Quantities are held in ten-thousandths (``QTY``), unit costs and prices in millionths (``COST``),
values in cents (``MONEY``): the database's own precisions. A quantity × cost is then a whole
number of 10⁻¹⁰, and rounding it to the cent is a division by 10⁸ rounded half away from zero,
which is exactly ``Decimal.quantize(Decimal("0.01"), ROUND_HALF_UP)``. Where a product might not
fit in int64 (checked with a float estimate and a wide margin), those rows are computed with
Python integers instead, so the figures never depend on magnitude.
"""
from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np
import pandas as pd

from tickets.errors import CountappError, N_

QTY = 4
COST = 6
MONEY = 2
# Products whose float estimate stays under this bound are computed in int64; the rest in
# Python integers. Tests lower it to 0 to run every row through the slow, obviously exact path.
SAFE = float(2**61)
_INT64_MAX = 2**63 - 1
_MISSING = -(2**63)  # stands for an empty cell during conversion only
_EXACT = decimal.Context(prec=60, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow])


def _one_to_decimal(value) -> Decimal | None:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    if isinstance(value, (float, np.floating)):
        return None if value != value else Decimal(repr(float(value)))  # repr: the digits the user typed
    text = str(value).strip()
    return Decimal(text) if text else None


def from_scaled(values, given: int, digits: int, field: str, *, nullable: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """A column already held as whole units of 10**-given (the loader's), as units of 10**-digits.

    No Decimal is built: the database scaled the numbers, so only their scale may need changing
    (a finer scale than ``digits`` is refused where it would lose a digit).
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    n = len(series)
    if not (pd.api.types.is_integer_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)
            or n == 0 or series.isna().all()):
        raise CountappError(N_("%(column)s is not a whole number of units."), field=field, column=field)
    missing = series.isna().to_numpy(dtype=bool)
    ints = series.to_numpy(dtype=np.int64, na_value=0) if missing.any() else series.to_numpy(dtype=np.int64)
    if missing.any() and not nullable:
        row = int(np.flatnonzero(missing)[0]) + 1
        raise CountappError(N_("%(column)s is missing on row %(row)s."), field=field, row=row, column=field)
    if given < digits:
        factor = 10**(digits - given)
        if n and np.abs(ints).max() >= _INT64_MAX // factor:
            raise CountappError(N_("%(column)s holds a number too large."), field=field, column=field)
        ints = ints * factor
    elif given > digits:
        factor = 10**(given - digits)
        if (ints % factor != 0).any():
            row = int(np.flatnonzero(ints % factor != 0)[0]) + 1
            raise CountappError(N_("%(column)s on row %(row)s has more than %(digits)s decimals: %(value)s."),
                                field=field, row=row, digits=digits, column=field,
                                value=str(Decimal(int(ints[row - 1])).scaleb(-given)))
        ints = ints // factor
    return np.where(missing, 0, ints) if missing.any() else ints, missing


def to_scaled(values, digits: int, field: str, *, nullable: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A column as int64 units of 10**-digits, and its missing mask; refuses extra decimals."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    n = len(series)
    factor = 10**digits
    if pd.api.types.is_integer_dtype(series.dtype) and not series.hasnans:
        ints = series.to_numpy(dtype=np.int64)
        if n and np.abs(ints).max() >= _INT64_MAX // factor:
            raise CountappError(N_("%(column)s holds a number too large."), field=field, column=field)
        return ints * factor, np.zeros(n, dtype=bool)
    objects = series.to_numpy(dtype=object)
    if n > 20_000 and len(pd.unique(objects[:5_000])) < 1_000:
        # Few distinct values (quantities, one cost per item): convert each once. Equal
        # Decimals hash alike (1.5 == 1.50), so this is exact; None and NaN come back as -1.
        codes, uniques = pd.factorize(objects)
        missing = codes < 0
        try:
            values, _ = to_scaled(pd.Series(np.asarray(uniques, dtype=object), dtype=object), digits, field)
        except CountappError:
            values = None  # the row-by-row pass below names the row at fault
        if values is not None and (nullable or not missing.any()):
            return np.where(missing, 0, values[np.maximum(codes, 0)] if len(values) else 0), missing
    exact = _EXACT.to_integral_exact
    try:  # the loader gives Decimals (None when empty): one fast pass, the careful one when it fails
        ints = np.array([_MISSING if v is None else int(exact(v.scaleb(digits))) for v in objects], dtype=np.int64)
        missing = ints == _MISSING
        if not missing.any() or nullable:
            return np.where(missing, 0, ints), missing
    except (AttributeError, TypeError, ValueError, OverflowError, ArithmeticError):
        pass
    ints = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=bool)
    for i, raw in enumerate(objects):
        try:
            number = _one_to_decimal(raw)
            if number is None:
                missing[i] = True
                continue
            ints[i] = int(exact(number.scaleb(digits)))
        except decimal.Inexact:
            raise CountappError(N_("%(column)s on row %(row)s has more than %(digits)s decimals: %(value)s."),
                                field=field, row=i + 1, digits=digits, value=str(raw)[:40], column=field) from None
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            raise CountappError(N_("%(column)s on row %(row)s is not a number: %(value)s."), field=field,
                                row=i + 1, value=str(raw)[:40], column=field) from None
    if missing.any() and not nullable:
        row = int(np.flatnonzero(missing)[0]) + 1
        raise CountappError(N_("%(column)s is missing on row %(row)s."), field=field, row=row, column=field)
    return ints, missing


def round_div_int(p: int, d: int) -> int:
    """round_half_up(p / d) in Python integers (any magnitude), d > 0."""
    q, r = divmod(abs(p), d)
    if 2 * r >= d:
        q += 1
    return q if p >= 0 else -q


def div_round(p: np.ndarray, d) -> np.ndarray:
    """round_half_up(p / d) for int64 ``p`` and positive int64 ``d`` (array or scalar)."""
    p = np.asarray(p, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    m = np.abs(p)
    q = m // d
    r = m - q * d
    q = q + (r >= d - r)  # 2r >= d without doubling r
    return np.where(p < 0, -q, q)


def _fits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.float64)) * np.abs(b.astype(np.float64)) < SAFE


def _largest(a: np.ndarray) -> float:
    return float(max(int(a.max()), -int(a.min()))) if a.size else 0.0


def _half_up(p: np.ndarray, d: int) -> np.ndarray:
    """round_half_up(p / d) for |p| < SAFE and a positive int ``d`` (no overflow: SAFE + d < 2**63).

    (|p| + d // 2) // d is |p| // d plus one when the remainder r has 2r ≥ d (r ≥ d/2 for even d,
    r ≥ (d+1)/2 for odd d), which is ``div_round``'s rule in three passes instead of seven."""
    q = np.abs(p)
    q += d // 2
    q //= d
    np.negative(q, out=q, where=p < 0)
    return q


def mul_div_round(a: np.ndarray, b: np.ndarray, d: int) -> np.ndarray:
    """round_half_up(a × b / d) row by row, exact for any magnitude (Python ints where needed)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.broadcast_to(np.asarray(b, dtype=np.int64), a.shape)
    if _largest(a) * _largest(b) < SAFE and d < 2**61:   # every row fits: no mask to gather by
        return _half_up(a * b, d)
    ok = _fits(a, b)
    out = np.empty(a.shape, dtype=np.int64)
    out[ok] = div_round(a[ok] * b[ok], d)
    for i in np.flatnonzero(~ok):
        out[i] = _checked(round_div_int(int(a[i]) * int(b[i]), d))
    return out


def mul(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """a × b in int64 where it surely fits, and the mask of rows where it may not."""
    a = np.asarray(a, dtype=np.int64)
    b = np.broadcast_to(np.asarray(b, dtype=np.int64), a.shape)
    ok = _fits(a, b)
    return np.where(ok, a * np.where(ok, b, 0), 0), ~ok


def _checked(value: int) -> int:
    if abs(value) > _INT64_MAX:
        raise CountappError(N_("A value is too large to be a stock value: check the quantities and costs."),
                            field="value")
    return value


def to_decimal(ints: np.ndarray, missing: np.ndarray | None, digits: int, *, min_digits: int | None = None
               ) -> np.ndarray:
    """Decimals (object array, None where missing) from scaled ints.

    ``min_digits=None`` keeps all ``digits`` (money: 15.00); otherwise trailing zeros are dropped
    down to ``min_digits`` (quantities: 12, 12.5; costs: 1.50, 1.234567).
    """
    ints = np.asarray(ints, dtype=np.int64)
    out = np.empty(len(ints), dtype=object)
    present = np.ones(len(ints), dtype=bool) if missing is None else ~missing
    values = ints[present]
    # Columns repeat values (zeros, whole quantities, one cost per item): build each Decimal once.
    inverse, uniques = pd.factorize(values)
    if min_digits is None:
        decs = [Decimal(u).scaleb(-digits) for u in uniques.tolist()]
        table = np.empty(len(decs), dtype=object)
        table[:] = decs
        out[present] = table[inverse]
        if missing is not None:
            out[missing] = None
        return out
    exps = np.full(len(uniques), -digits, dtype=np.int64)
    mant = uniques.copy()
    for _ in range(digits - min_digits):
        can = (mant % 10 == 0) & (exps < -min_digits)
        mant = np.where(can, mant // 10, mant)
        exps = np.where(can, exps + 1, exps)
    decs = [Decimal(m).scaleb(e) for m, e in zip(mant.tolist(), exps.tolist())]
    table = np.empty(len(decs), dtype=object)
    table[:] = decs
    out[present] = table[inverse]
    if missing is not None:
        out[missing] = None
    return out


def cents(value) -> Decimal:
    """A Decimal amount rounded to the cent, half up."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
