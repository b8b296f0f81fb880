"""Totals by category and by owner: sums of the rounded lines, never recomputed from quantities."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import exact
from .frames import CATEGORY_CODES, THIRD_PARTY
from .model import CATEGORIES, CATEGORY_ACCOUNTS, OWNERS

SUMMED = ("book_value", "counted_value", "diff_value", "closing_value", "depreciation", "net_value")
COUNTS = ("lines", "counted", "not_counted", "differences")
BY_CATEGORY = ("category", "stock_account") + COUNTS + SUMMED
BY_OWNER = ("owner",) + COUNTS + SUMMED


def _grouped(ints: dict, rows: np.ndarray | None, codes: np.ndarray, keys: tuple[str, ...], key: str,
             not_counted: np.ndarray) -> pd.DataFrame:
    """Counts and int64 sums of the rows (all when None) by their ``codes`` into ``keys``: the
    engine's own codes, so no text is hashed; ``np.add.at`` keeps the sums exact. Only the keys
    some row has are kept."""
    def pick(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    codes = pick(codes).astype(np.intp)
    n = len(keys)
    out = {"lines": np.bincount(codes, minlength=n).astype(np.int64)}
    diff, diff_missing = ints["diff_qty"]
    for name, flags in (("counted", ~pick(ints["counted_qty"][1])),
                        ("not_counted", pick(not_counted)),
                        ("differences", ~pick(diff_missing) & (pick(diff) != 0))):
        out[name] = np.bincount(codes[flags], minlength=n).astype(np.int64)
    for name in SUMMED:
        values, missing = ints[name]
        total = np.zeros(n, np.int64)
        np.add.at(total, codes, np.where(pick(missing), 0, pick(values)))
        out[name] = total
    present = out["lines"] > 0
    return pd.DataFrame({name: column[present] for name, column in out.items()},
                        index=pd.Index(np.asarray(keys, dtype=object)[present], name=key))


def _order(index: pd.Index, known: tuple[str, ...]) -> list[str]:
    return [k for k in known if k in index] + sorted(k for k in index if k not in known)


def _finish(grouped: pd.DataFrame, key: str, known: tuple[str, ...], columns: tuple[str, ...]) -> pd.DataFrame:
    grouped = grouped.reindex(_order(grouped.index, known))
    out = pd.DataFrame({key: grouped.index.to_numpy(dtype=object)})
    if key == "category":
        out["stock_account"] = [CATEGORY_ACCOUNTS.get(c, ("",))[0] for c in out[key]]
    for name in COUNTS:
        out[name] = grouped[name].to_numpy(dtype=np.int64)
    for name in SUMMED:
        out[name] = exact.to_decimal(grouped[name].to_numpy(np.int64), None, exact.MONEY)
    return out.reindex(columns=list(columns))


def summarise(ints: dict, category: np.ndarray, owner: np.ndarray, not_counted: np.ndarray
              ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Own stock by category, every row by owner, and own stock's grand totals (``category`` and
    ``owner``: each row's code in ``reports.frames.CATEGORY_CODES`` and ``OWNERS``)."""
    own = owner != THIRD_PARTY
    by_category = _finish(_grouped(ints, own, category, CATEGORY_CODES, "category", not_counted), "category",
                          CATEGORIES, BY_CATEGORY)
    by_owner = _finish(_grouped(ints, None, owner, OWNERS, "owner", not_counted), "owner", OWNERS, BY_OWNER)
    own_totals = {name: sum(by_category[name], exact.cents(0)) for name in SUMMED}
    own_totals.update({name: int(by_category[name].sum()) for name in COUNTS})
    return by_category, by_owner, own_totals
