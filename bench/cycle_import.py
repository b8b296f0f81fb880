"""A cycle-count programme's stock file at scale: ``countapp cycle import`` of N lines, then the same file again.

    python bench/cycle_import.py [--lines 200000] [--db sqlite|postgresql] [--pg-url URL]

Creates a programme on a fresh database and runs the real command in its own process, twice: the first
import (every item and line new) and a second one a month later (every line's book quantity and date
replaced, a tenth of the lines gone from the file and set to 0). Prints wall time, CPU seconds and peak
memory of each, and checks the lines written. A programme's stock file is a campaign's (bench/gen_stock.py).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import database_arguments, measure_command, run_on_throwaway  # noqa: E402
from bench.gen_stock import generate_stock_csv  # noqa: E402

CODE = "CC2025"


def main(argv: list[str] | None = None) -> int:
    args = database_arguments(__doc__.splitlines()[0], 200_000).parse_args(argv)
    return run_on_throwaway(args, _run)


def _run(url: str, args, work: Path) -> int:
    import subprocess

    countapp = str(Path(sys.executable).with_name("countapp"))
    env = {**os.environ, "COUNTAPP_DATABASE_URL": url}
    subprocess.run([countapp, "init"], env=env, check=True, capture_output=True)
    subprocess.run([countapp, "cycle", "create", CODE, "--year", "2025"], env=env, check=True, capture_output=True)
    stock = generate_stock_csv(work / "stock.csv", args.lines, seed=7, style="en")
    with stock.open(encoding="utf-8") as handle:
        rows = handle.read().splitlines()
    later = work / "stock-later.csv"
    later.write_text("\n".join(rows[:1] + [r for i, r in enumerate(rows[1:]) if i % 10]) + "\n", encoding="utf-8")
    print(f"{args.db}: programme stock import, {args.lines:,} lines")
    for label, path, as_of in (("first import", stock, "2025-01-02"), ("again a month later", later, "2025-02-03")):
        done = measure_command([countapp, "cycle", "import", CODE, str(path), "--as-of", as_of], env)
        assert done["rc"] == 0, done["message"]
        print(f"  {label:<24} {done['seconds']:7.2f} s  (CPU {done['cpu']:.1f} s)  peak {done['peak_mib']:.0f} MiB"
              f"  {args.lines / done['seconds']:,.0f} lines/s", flush=True)
        print(f"    {done['message'].strip().splitlines()[-1]}")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        total, zero = connection.execute(sa.text(
            "SELECT count(*), sum(CASE WHEN book_qty = 0 THEN 1 ELSE 0 END) FROM cycle_line")).one()
    engine.dispose()
    print(f"  lines in the programme: {total:,}, at 0 after the second file: {zero:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
