"""Valuation layers and each item's unit cost by the campaign's method (DOMAIN.md, Rules).

An item's layers are its ``opening`` movement and its receipts dated up to the closing date
(positive quantities only), over all its locations and lots, in date order (file order within a
day, the opening first). The item's closing quantity ``Q`` (own and ``at_third_party`` rows) is
valued as:

- ``book``: Q × book unit cost;
- ``wac``: Q × Σ(q·c)/Σq over the layers;
- ``fifo``: Q drawn from the most recent layers first; ``lifo``: from the oldest first;
- whatever the layers do not cover (no layers, or Σq < Q) at the book unit cost.

The unit cost shown and used for every row is that closing value / Q, rounded half up to the
millionth (the precision of a unit cost); the book unit cost when Q ≤ 0. An item's book unit cost
is its own and ``at_third_party`` book lines' cost, averaged by book quantity when lines disagree
(a plain average when their quantities add up to 0), rounded the same way; 0 when it has none.
Everything is vectorised in int64; items too large for it go through ``_item_cost_python``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import exact
from .frames import OPENING, RECEIPT, Movements

ASCENDING = {"fifo": False, "lifo": True}


def item_book_costs(item: np.ndarray, qty: np.ndarray, cost: np.ndarray, n_items: int) -> np.ndarray:
    """Each item's book unit cost (COST units) from its valued book lines."""
    total_qty = np.zeros(n_items, np.int64)
    np.add.at(total_qty, item, qty)
    products, big_rows = exact.mul(qty, cost)
    total_value = np.zeros(n_items, np.int64)
    np.add.at(total_value, item, products)
    estimate = np.zeros(n_items, np.float64)
    np.add.at(estimate, item, np.abs(qty.astype(np.float64)) * cost.astype(np.float64))
    lines = np.bincount(item, minlength=n_items).astype(np.int64)
    cost_sum = np.zeros(n_items, np.int64)
    np.add.at(cost_sum, item, cost)
    out = np.zeros(n_items, np.int64)
    weighted = (total_qty > 0) & (estimate < exact.SAFE)
    out[weighted] = exact.div_round(total_value[weighted], total_qty[weighted])
    plain = (total_qty <= 0) & (lines > 0)
    out[plain] = exact.div_round(cost_sum[plain], lines[plain])
    for i in np.flatnonzero((total_qty > 0) & (estimate >= exact.SAFE)):
        rows = np.flatnonzero(item == i)
        value = sum(int(q) * int(c) for q, c in zip(qty[rows], cost[rows]))
        out[i] = exact.round_div_int(value, int(total_qty[i]))
    return out


def layers(moves: Movements, item_of_ref: np.ndarray, closing_day: int, method: str) -> pd.DataFrame:
    """The layers of valued items, sorted per item in the order the method draws them (fifo, lifo)."""
    keep = ((moves.kind == OPENING) | (moves.kind == RECEIPT)) & (moves.day <= closing_day) & (moves.qty > 0)
    item = item_of_ref[keep]
    frame = pd.DataFrame({"item": item, "day": moves.day[keep], "opening": moves.kind[keep] == OPENING,
                          "seq": np.flatnonzero(keep), "qty": moves.qty[keep], "cost": moves.cost[keep],
                          "cost_missing": moves.cost_missing[keep]})
    frame = frame[frame["item"] >= 0]
    if method not in ASCENDING:   # wac sums its layers and book reads none: order is only fifo's and lifo's
        return frame.reset_index(drop=True)
    # Date order; on the same day the opening comes first, then file order.
    ascending = ASCENDING[method]
    frame = frame.sort_values(["item", "day", "opening", "seq"],
                              ascending=[True, ascending, not ascending, ascending], kind="stable")
    return frame.reset_index(drop=True)


def _item_cost_python(q_layers: list[int], c_layers: list[int], qty: int, book_cost: int, method: str) -> int:
    """The same rule as ``item_costs``, in plain Python integers (any magnitude)."""
    if method == "book" or qty <= 0:
        return book_cost
    if method == "wac":
        total_q = sum(q_layers)
        total_v = sum(q * c for q, c in zip(q_layers, c_layers))
        if total_q >= qty:
            return exact.round_div_int(total_v, total_q)
        return exact.round_div_int(total_v + (qty - total_q) * book_cost, qty)
    remaining, value = qty, 0
    for q, c in zip(q_layers, c_layers):  # already in drawing order
        take = min(q, remaining)
        value += take * c
        remaining -= take
        if not remaining:
            break
    return exact.round_div_int(value + remaining * book_cost, qty)


def item_costs(method: str, closing_qty: np.ndarray, book_cost: np.ndarray, layer_frame: pd.DataFrame
               ) -> tuple[np.ndarray, np.ndarray]:
    """Each item's unit cost (COST units), and which items had layers short of their quantity."""
    n = len(closing_qty)
    short = np.zeros(n, bool)
    if method == "book":
        return book_cost.copy(), short
    item = layer_frame["item"].to_numpy(np.int64)
    q = layer_frame["qty"].to_numpy(np.int64)
    c = np.where(layer_frame["cost_missing"].to_numpy(bool), book_cost[item] if len(item) else 0,
                 layer_frame["cost"].to_numpy(np.int64))
    total_q = np.zeros(n, np.int64)
    np.add.at(total_q, item, q)
    estimate = np.zeros(n, np.float64)
    np.add.at(estimate, item, q.astype(np.float64) * c.astype(np.float64))
    estimate += np.abs(closing_qty.astype(np.float64)) * book_cost.astype(np.float64)
    big = estimate >= exact.SAFE
    positive = closing_qty > 0
    short = positive & (total_q < closing_qty)
    if method == "wac":
        taken = q
    else:
        before = pd.Series(q).groupby(item, sort=False).cumsum().to_numpy(np.int64) - q
        taken = np.clip(closing_qty[item] - before, 0, q)
    value = np.zeros(n, np.int64)
    small_rows = ~big[item]
    np.add.at(value, item[small_rows], taken[small_rows] * c[small_rows])
    out = book_cost.copy()
    if method == "wac":
        covered = positive & ~short & ~big
        out[covered] = exact.div_round(value[covered], total_q[covered])
        rest = positive & short & ~big
    else:
        rest = positive & ~big
    missing = np.maximum(closing_qty - total_q, 0)
    out[rest] = exact.div_round(value[rest] + missing[rest] * book_cost[rest], closing_qty[rest])
    for i in np.flatnonzero(big & positive):
        rows = np.flatnonzero(item == i)
        out[i] = _item_cost_python([int(v) for v in q[rows]], [int(v) for v in c[rows]], int(closing_qty[i]),
                                   int(book_cost[i]), method)
    return out, short
