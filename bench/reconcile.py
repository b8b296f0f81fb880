"""Reconciliation against plain pandas: CPU per line, peak memory, at several sizes; and its XLSX.

    python bench/reconcile.py [--sizes 100000,300000,1000000] [--runs 3] [--xlsx-lines 100000] [--seed 1]

Builds a campaign in memory as the database loader hands it over (``reports.frames``: numbers
already scaled to whole units, ``attrs["scaled"]``; one str object per distinct text): ``n`` book lines, eight lines per item, an
opening layer and about five receipts per item, tickets with a few differences, damaged goods,
uncounted and voided tickets and blank tickets, and movements between the count and the closing
date. Each measure runs in its own process (so that its peak RSS is its own), interleaved —
engine, yardstick, engine, … — ``--runs`` times per size; the medians are printed:

- engine: ``reconcile`` with ``wac`` (CPU seconds / book lines), then, apart, the output edge:
  building every row's ``Decimal`` (``Reconciliation.lines``), which exports and reports do;
- yardstick: plain pandas doing the same sums on float64 columns (tickets summed per line, the
  roll-forward per place, the weighted average cost per item, values rounded to the cent, totals
  by category and by owner), the same campaign converted beforehand.

Goals (issue 20): engine ≤ 2.5× the yardstick per line at 1M, ≤ 1.5 GiB peak at 1M, CPU per line
flat from 100k to 1M. Then, once: ``fifo`` at the largest size, and the XLSX of ``--xlsx-lines``
lines (goal: 100,000 lines under 3 s).
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.export import reconciliation_xlsx
from reports.model import ReconcileSettings
from reports.reconcile import reconcile
from reports import exact  # noqa: E402
from reports.model import CATEGORIES  # noqa: E402

COUNT_DATE = dt.date(2025, 12, 27)
CLOSING_DATE = dt.date(2025, 12, 31)
LINES_PER_ITEM = 8


def _dec(ints: np.ndarray, digits: int, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    """Scaled whole units, as the loader reads them (``digits`` is the frame's ``attrs["scaled"]``)."""
    ints = np.asarray(ints, dtype=np.int64)
    return pd.arrays.IntegerArray(ints, np.zeros(len(ints), bool) if missing is None else np.asarray(missing, bool))


def _texts(values) -> np.ndarray:
    """One str object per distinct text, as a loader reading names by id hands them over."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    return np.asarray(uniques, dtype=object)[codes]


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
    owner = _texts(np.where(rng.random(n) < 0.01, "third_party", np.where(rng.random(n) < 0.01, "at_third_party", "own")))
    market = (item_cost[item] * rng.uniform(0.5, 1.5, n)).astype(np.int64) // 10_000 * 10_000
    base = np.datetime64("1970-01-01", "D")
    last = (np.datetime64("2023-01-01", "D") - base).astype(np.int64) + rng.integers(0, 1_090, n)
    book = pd.DataFrame({
        "book_line_id": line + 1, "reference": refs[item], "designation": _texts("Article " + pd.Series(refs[item])),
        "category": np.array(CATEGORIES, dtype=object)[item % len(CATEGORIES)], "unit": "pc",
        "site": "LYON", "zone": _texts("Z" + pd.Series(line % 40).astype(str)),
        "location": locations[(item * LINES_PER_ITEM + line % LINES_PER_ITEM) % n_loc],
        "lot": _texts(np.where(item % 10 == 0, "L" + pd.Series(line % 3).astype(str), "")), "owner": owner,
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
        "counted_qty": _dec(np.concatenate([counted, rng.integers(1, 50, n_blank) * 10_000]), exact.QTY,
                            np.r_[not_counted | (owner == "at_third_party"), np.zeros(n_blank, bool)]),
        "state": np.concatenate([states, np.full(n_blank, "good", object)]),
        "status": _texts(np.concatenate([np.where(voided, "voided", "final"), np.full(n_blank, "final", object)])),
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
        "quantity": _dec(np.concatenate([m_qty, r_qty]), exact.QTY),
        "unit_cost": _dec(np.concatenate([m_cost, np.zeros(len(roll), np.int64)]), exact.COST,
                          np.r_[np.zeros(len(m_cost), bool), np.ones(len(roll), bool)]),
        "kind": _texts(np.concatenate([np.where(is_opening, "opening", "receipt"),
                                       np.where(r_qty >= 0, "receipt", "issue")])),
    })
    book.attrs["scaled"] = {"book_qty": exact.QTY, "unit_cost": exact.COST, "market_price": exact.COST}
    counts.attrs["scaled"] = {"counted_qty": exact.QTY}
    movements.attrs["scaled"] = {"quantity": exact.QTY, "unit_cost": exact.COST}
    return book, counts, movements


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plain_pandas(book: pd.DataFrame, counts: pd.DataFrame, moves: pd.DataFrame) -> dict:
    """The yardstick: the reconciliation's sums as one would write them in plain pandas (floats)."""
    count_day, closing_day = np.datetime64(COUNT_DATE), np.datetime64(CLOSING_DATE)
    live = counts[counts["status"] != "voided"]
    counted = live.groupby("book_line_id")["counted_qty"].sum(min_count=1)
    lines = book.join(counted, on="book_line_id")
    window = moves[(moves["date"] > count_day) & (moves["date"] <= closing_day)]
    rollforward = window.groupby(["reference", "location", "lot"])["quantity"].sum().rename("rollforward_qty")
    lines = lines.join(rollforward, on=["reference", "location", "lot"])
    lines["rollforward_qty"] = lines["rollforward_qty"].fillna(0.0)
    lines["closing_qty"] = lines["counted_qty"] + lines["rollforward_qty"]
    lines["diff_qty"] = lines["counted_qty"] - lines["book_qty"]
    layers = moves[moves["kind"].isin(["opening", "receipt"]) & (moves["quantity"] > 0)
                   & (moves["date"] <= closing_day)]
    layer_value = (layers["quantity"] * layers["unit_cost"]).groupby(layers["reference"]).sum()
    wac = (layer_value / layers.groupby("reference")["quantity"].sum()).rename("wac")
    lines = lines.join(wac, on="reference")
    lines["cost"] = lines["wac"].fillna(lines["unit_cost"]).round(6)
    for value, qty in (("book_value", "book_qty"), ("counted_value", "counted_qty"), ("diff_value", "diff_qty"),
                       ("closing_value", "closing_qty")):
        lines[value] = (lines[qty] * lines["cost"]).round(2)
    summed = ["book_value", "counted_value", "diff_value", "closing_value"]
    own = lines[lines["owner"] != "third_party"]
    return {"by_category": own.groupby("category")[summed].sum(), "by_owner": lines.groupby("owner")[summed].sum()}


def _as_floats(book: pd.DataFrame, counts: pd.DataFrame, moves: pd.DataFrame):
    """The same campaign as plain pandas would hold it: float64 numbers, datetime64 dates."""
    def floats(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for name, digits in frame.attrs.get("scaled", {}).items():
            frame[name] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan) / 10**digits
        frame.attrs = {}
        return frame
    book, counts, moves = floats(book), floats(counts), floats(moves)
    moves["date"] = pd.to_datetime(moves["date"])
    return book, counts, moves


def _worker(what: str, n: int, seed: int, method: str) -> dict:
    """One measure in this process: CPU seconds, and the peak RSS the process reached."""
    book, counts, movements = campaign(n, seed)
    if what == "pandas":
        book, counts, movements = _as_floats(book, counts, movements)
    gc.collect()
    before = _peak_mib()
    started = time.process_time()
    if what == "pandas":
        plain_pandas(book, counts, movements)
        return {"cpu": time.process_time() - started, "peak_mib": _peak_mib(), "input_peak_mib": before}
    result = reconcile(book, counts, movements, ReconcileSettings(method, COUNT_DATE, CLOSING_DATE))
    cpu = time.process_time() - started
    peak = _peak_mib()
    started = time.process_time()
    rows = len(result.lines)
    return {"cpu": cpu, "peak_mib": peak, "input_peak_mib": before, "rows": rows,
            "lines_cpu": time.process_time() - started, "lines_peak_mib": _peak_mib(),
            "closing_value": str(result.own_totals["closing_value"])}


def _spawn(what: str, n: int, seed: int, method: str = "wac") -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", what, "--sizes", str(n), "--seed", str(seed),
                          "--method", method], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000", help="book lines, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure per size (medians)")
    parser.add_argument("--xlsx-lines", type=int, default=100_000, help="lines in the XLSX (0: none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--method", default="wac")
    parser.add_argument("--worker", choices=("engine", "pandas"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.worker:
        print(json.dumps(_worker(args.worker, sizes[0], args.seed, args.method)))
        return 0

    runs: dict = {(what, n): [] for n in sizes for what in ("engine", "pandas")}
    for _ in range(args.runs):
        for n in sizes:
            for what in ("engine", "pandas"):
                runs[(what, n)].append(_spawn(what, n, args.seed))
    print(f"{'lines':>10} {'engine µs/line':>15} {'pandas µs/line':>15} {'ratio':>6} {'engine peak':>12} "
          f"{'pandas peak':>12} {'input':>8} {'Decimals µs/line':>17} {'with Decimals':>14}")
    for n in sizes:
        engine, pandas_ = runs[("engine", n)], runs[("pandas", n)]
        e_cpu = statistics.median(r["cpu"] for r in engine) / n * 1e6
        p_cpu = statistics.median(r["cpu"] for r in pandas_) / n * 1e6
        print(f"{n:>10,} {e_cpu:>15.2f} {p_cpu:>15.2f} {e_cpu / p_cpu:>6.2f} "
              f"{statistics.median(r['peak_mib'] for r in engine):>8,.0f} MiB "
              f"{statistics.median(r['peak_mib'] for r in pandas_):>8,.0f} MiB "
              f"{statistics.median(r['input_peak_mib'] for r in engine):>4,.0f} MiB "
              f"{statistics.median(r['lines_cpu'] for r in engine) / n * 1e6:>17.2f} "
              f"{statistics.median(r['lines_peak_mib'] for r in engine):>10,.0f} MiB")
        print(f"{'':>10} engine runs {[round(r['cpu'], 2) for r in engine]} s, pandas runs "
              f"{[round(r['cpu'], 2) for r in pandas_]} s; closing value {engine[0]['closing_value']}")
    largest = max(sizes)
    fifo = _spawn("engine", largest, args.seed, "fifo")
    print(f"fifo at {largest:,}: {fifo['cpu'] / largest * 1e6:.2f} µs/line, peak {fifo['peak_mib']:,.0f} MiB")

    if args.xlsx_lines:
        book, counts, movements = campaign(args.xlsx_lines, args.seed)
        result = reconcile(book, counts, movements.iloc[:0], ReconcileSettings("book", COUNT_DATE, CLOSING_DATE))
        started = time.perf_counter()
        buffer = io.BytesIO()
        reconciliation_xlsx(result, buffer)
        print(f"xlsx: {len(result.lines):,} rows in {time.perf_counter() - started:.2f} s (Decimals included), "
              f"{len(buffer.getvalue()) / 1024**2:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
