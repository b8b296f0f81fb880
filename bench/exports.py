"""Time of the reconciliation's files at 100,000 lines: workbook in French, plain CSV, Excel CSV.

    python bench/exports.py [--lines 100000] [--seed 1]

Builds the campaign of ``bench/reconcile.py``, reconciles its first ``--lines`` book lines at
book cost, then writes each file once and prints its time and size. Goal (bench/reconcile.py):
the workbook of 100,000 lines under 3 s.
"""
from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reconcile import CLOSING_DATE, COUNT_DATE, campaign  # noqa: E402
from reports.export import reconciliation_csv, reconciliation_xlsx
from reports.model import ReconcileSettings
from reports.reconcile import reconcile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    book, counts, movements = campaign(args.lines, args.seed)
    result = reconcile(book, counts, movements.iloc[:0], ReconcileSettings("book", COUNT_DATE, CLOSING_DATE))
    for name, write in (
            ("xlsx (fr, with charts)", lambda out: reconciliation_xlsx(result, out, language="fr",
                                                                       time_zone="Europe/Paris")),
            ("csv (plain)", lambda out: reconciliation_csv(result, out)),
            ("csv (excel, fr)", lambda out: reconciliation_csv(result, out, excel=True, language="fr"))):
        buffer = io.BytesIO()
        started = time.perf_counter()
        write(buffer)
        print(f"{name}: {len(result.lines):,} rows in {time.perf_counter() - started:.2f} s, "
              f"{len(buffer.getvalue()) / 1024**2:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
