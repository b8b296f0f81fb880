"""Time and memory of the reconciliation on a large campaign, and of its XLSX export.

    python bench/reconcile.py [--n 1000000] [--xlsx-lines 100000] [--seed 1]

Builds a campaign in memory as the database loader would hand it over (Decimal columns): ``n``
book lines, eight lines per item, an opening layer and about five receipts per item, tickets
with a few differences, damaged goods, uncounted and voided tickets and blank tickets, and
movements between the count and the closing date. Then runs the whole reconciliation with
``wac`` and with ``fifo`` and writes the XLSX of the first ``--xlsx-lines`` book lines.
Goals: 1,000,000 lines in under 20 s and 3 GiB peak; the XLSX of 100,000 lines under 3 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports import ReconcileSettings, reconcile, reconciliation_xlsx  # noqa: E402
from reports import exact  # noqa: E402
from reports.model import CATEGORIES  # noqa: E402

COUNT_DATE = dt.date(2025, 12, 27)
CLOSING_DATE = dt.date(2025, 12, 31)
LINES_PER_ITEM = 8


def _dec(ints: np.ndarray, digits: int, missing: np.ndarray | None = None) -> np.ndarray:
    return exact.to_decimal(ints, missing, digits, min_digits=0)


def _dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]").astype(object)


def campaign(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Book lines, final counts and movements for ``n`` book lines."""
    rng = np.random.default_rng(seed)
    n_items = max(1, -(-n // LINES_PER_ITEM))
    line = np.arange(n)
    item = line // LINES_PER_ITEM
    refs = np.array([f"REF{i:07d}" for i in range(n_items)], dtype=object)
    n_loc = max(LINES_PER_ITEM, n // LINES_PER_ITEM)
    locations = np.array([f"{'ABCDEFGH'[i % 8]}-{i // 480 % 100:02d}-{i // 60 % 8:02d}-{i % 60:02d}-{i // 48000}"
                          for i in range(n_loc)], dtype=object)
    item_cost = rng.integers(10_000, 500_000_000, n_items)  # 0.01 to 500.00 with 6 decimals
    item_cost = item_cost // 100 * 100                        # 4 decimals, as ERPs usually give
    qty = rng.integers(0, 2_000, n) * 10_000
    owner = np.where(rng.random(n) < 0.01, "third_party", np.where(rng.random(n) < 0.01, "at_third_party", "own"))
    market = (item_cost[item] * rng.uniform(0.5, 1.5, n)).astype(np.int64) // 10_000 * 10_000
    base = np.datetime64("1970-01-01", "D")
    last = (np.datetime64("2023-01-01", "D") - base).astype(np.int64) + rng.integers(0, 1_090, n)
    book = pd.DataFrame({
        "book_line_id": line + 1, "reference": refs[item], "designation": "Article " + pd.Series(refs[item]),
        "category": np.array(CATEGORIES, dtype=object)[item % len(CATEGORIES)], "unit": "pc",
        "site": "LYON", "zone": "Z" + pd.Series(line % 40).astype(str),
        "location": locations[(item * LINES_PER_ITEM + line % LINES_PER_ITEM) % n_loc],
        "lot": np.where(item % 10 == 0, "L" + pd.Series(line % 3).astype(str), ""), "owner": owner,
        "book_qty": _dec(qty, exact.QTY), "unit_cost": _dec(item_cost[item], exact.COST),
        "last_movement_date": _dates(last),
        "market_price": _dec(market, exact.COST, rng.random(n) > 0.1),
    })

    counted = qty + np.where(rng.random(n) < 0.03, rng.integers(-5, 6, n) * 10_000, 0)
    counted = np.maximum(counted, 0)
    not_counted = rng.random(n) < 0.005
    voided = rng.random(n) < 0.001
    states = np.array(["good", "damaged", "obsolete", "expired"], dtype=object)[
        np.searchsorted([0.96, 0.98, 0.99], rng.random(n))]
    tickets = np.array([f"{i:06d}/2025" for i in range(1, n + 1)], dtype=object)
    n_blank = max(1, n // 1000)
    counts = pd.DataFrame({
        "ticket": np.concatenate([tickets, [f"{i:06d}/2025" for i in range(n + 1, n + n_blank + 1)]]),
        "book_line_id": pd.array(np.concatenate([line + 1, np.zeros(n_blank, np.int64)]), dtype="Int64"),
        "reference": np.concatenate([refs[item], refs[rng.integers(0, n_items, n_blank)]]),
        "location": np.concatenate([book["location"].to_numpy(object), np.full(n_blank, "FOUND-01", object)]),
        "lot": np.concatenate([book["lot"].to_numpy(object), np.full(n_blank, "", object)]),
        "counted_qty": np.concatenate([_dec(counted, exact.QTY, not_counted | (owner == "at_third_party")),
                                       _dec(rng.integers(1, 50, n_blank) * 10_000, exact.QTY)]),
        "state": np.concatenate([states, np.full(n_blank, "good", object)]),
        "status": np.concatenate([np.where(voided, "voided", "final"), np.full(n_blank, "final", object)]),
    })
    counts.loc[n:, "book_line_id"] = pd.NA
    counts.loc[n:, "location"] = [f"FOUND-{i:05d}" for i in range(n_blank)]

    # Layers: an opening and ~5 receipts per item over the year; roll-forward on ~5% of lines.
    per_item = 1 + rng.poisson(5, n_items)
    m_item = np.repeat(np.arange(n_items), per_item)
    first = np.r_[0, np.cumsum(per_item)[:-1]]
    is_opening = np.zeros(len(m_item), bool)
    is_opening[first] = True
    m_day = np.where(is_opening, (np.datetime64("2025-01-01", "D") - base).astype(np.int64),
                     (np.datetime64("2025-01-02", "D") - base).astype(np.int64) + rng.integers(0, 360, len(m_item)))
    m_qty = rng.integers(1, 800, len(m_item)) * 10_000
    m_cost = (item_cost[m_item] * rng.uniform(0.8, 1.2, len(m_item))).astype(np.int64) // 100 * 100
    roll = np.flatnonzero(rng.random(n) < 0.05)
    r_day = (np.datetime64("2025-12-28", "D") - base).astype(np.int64) + rng.integers(0, 5, len(roll))
    r_qty = rng.integers(-20, 40, len(roll)) * 10_000
    movements = pd.DataFrame({
        "date": _dates(np.concatenate([m_day, r_day])),
        "reference": np.concatenate([refs[m_item], refs[item[roll]]]),
        "location": np.concatenate([locations[(m_item * LINES_PER_ITEM) % n_loc], book["location"].to_numpy(object)[roll]]),
        "lot": np.concatenate([np.full(len(m_item), "", object), book["lot"].to_numpy(object)[roll]]),
        "quantity": np.concatenate([_dec(m_qty, exact.QTY), _dec(r_qty, exact.QTY)]),
        "unit_cost": np.concatenate([_dec(m_cost, exact.COST), np.full(len(roll), None, object)]),
        "kind": np.concatenate([np.where(is_opening, "opening", "receipt"),
                                np.where(r_qty >= 0, "receipt", "issue")]),
    })
    return book, counts, movements


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="book lines (default 1,000,000)")
    parser.add_argument("--xlsx-lines", type=int, default=100_000, help="lines in the XLSX (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    book, counts, movements = campaign(args.n, args.seed)
    print(f"campaign: {len(book):,} book lines, {len(counts):,} tickets, {len(movements):,} movements "
          f"built in {time.perf_counter() - started:.1f} s (peak so far {_peak_gib():.2f} GiB)")
    result = None
    for method in ("wac", "fifo"):
        result = None
        settings = ReconcileSettings(method, COUNT_DATE, CLOSING_DATE)
        started = time.perf_counter()
        result = reconcile(book, counts, movements, settings)
        elapsed = time.perf_counter() - started
        print(f"reconcile {method}: {elapsed:.2f} s, {len(result.lines):,} rows, closing value "
              f"{result.own_totals['closing_value']:,} net {result.own_totals['net_value']:,} "
              f"(peak so far {_peak_gib():.2f} GiB)")

    small = book.iloc[:args.xlsx_lines]
    small_counts = counts[counts["book_line_id"].isna() | (counts["book_line_id"] <= args.xlsx_lines)]
    result = reconcile(small, small_counts.iloc[:args.xlsx_lines + 100], movements.iloc[:0],
                       ReconcileSettings("book", COUNT_DATE, CLOSING_DATE))
    started = time.perf_counter()
    buffer = io.BytesIO()
    reconciliation_xlsx(result, buffer)
    print(f"xlsx: {len(result.lines):,} rows in {time.perf_counter() - started:.2f} s, "
          f"{len(buffer.getvalue()) / 1024**2:.1f} MiB (peak {_peak_gib():.2f} GiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
