"""Time ``countapp import stock`` of a realistic N-line export on SQLite and on PostgreSQL.

    python bench/import_stock.py [--lines 1000000] [--style fr|en] [--db sqlite,postgresql]
                                 [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each run uses a fresh database (a temporary SQLite file; a throw-away PostgreSQL database
created and dropped on the server of --pg-url), creates a campaign and runs the real command
in its own process (`countapp import stock CODE FILE`), so the figures are what a user sees:
wall time, lines/s and the peak resident memory of that process. Then it counts the book
lines written. Goals (issue 20): 1,000,000 lines in 20 s or less on SQLite and on PostgreSQL,
peak memory 400 MiB or less whatever the size. The CPU seconds of the process are printed too, and on
PostgreSQL those of the server's backends for the throwaway database (read from /proc ten times a
second while the import runs, as a backend's figures go when it exits), with the load average at
the start and the end of each run: on a busy machine CPU seconds say more than the wall time.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (create_bench_campaign, load_average, measure_command, postgres_database,  # noqa: E402
                          throwaway_database)
from bench.gen_stock import generate_stock_csv  # noqa: E402

COUNTAPP = str(Path(sys.executable).with_name("countapp"))


class BackendCPU:
    """CPU seconds of the PostgreSQL backends serving ``database`` while the block runs (0 on SQLite)."""

    def __init__(self, database: str):
        self.database, self.seen = database, {}

    def _sample(self) -> None:
        import psutil

        for process in psutil.process_iter(["cmdline", "cpu_times"]):
            command = " ".join(process.info["cmdline"] or [])
            if command.startswith("postgres:") and f" {self.database} " in command and process.info["cpu_times"]:
                self.seen[process.pid] = process.info["cpu_times"].user + process.info["cpu_times"].system

    def __enter__(self):
        self._stop = threading.Event()

        def run():
            while not self._stop.wait(0.1):
                self._sample()

        self._thread = threading.Thread(target=run, daemon=True)
        if self.database:
            self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())



def measure(kind: str, stock: Path, lines: int, pg_url: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url, drop = throwaway_database(kind, pg_url, work)
        env = {**os.environ, "COUNTAPP_DATABASE_URL": url, "COUNTAPP_INSTANCE_PATH": str(work / "instance")}
        try:
            create_bench_campaign(COUNTAPP, env)
            load_before = os.getloadavg()[0]
            with BackendCPU(postgres_database(url)) as server:
                done = measure_command([COUNTAPP, "import", "stock", "BENCH", str(stock)], env)
            if done["rc"] != 0:
                raise SystemExit(f"import failed on {kind}:\n{done['message']}")
            engine = sa.create_engine(url)
            with engine.connect() as connection:
                written = connection.execute(sa.text("SELECT count(*) FROM book_line")).scalar_one()
            engine.dispose()
        finally:
            drop()
    return {"db": kind, "lines": lines, "written": written, "seconds": done["seconds"], "cpu": done["cpu"],
            "server_cpu": server.seconds, "lines_per_s": lines / done["seconds"], "peak_mib": done["peak_mib"],
            "load": f"{load_before:.1f}->{os.getloadavg()[0]:.1f}"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--style", choices=("fr", "en"), default="fr")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("COUNTAPP_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args(argv)
    goals = {"sqlite": 20.0 * args.lines / 1_000_000, "postgresql": 20.0 * args.lines / 1_000_000}
    with tempfile.TemporaryDirectory() as folder:
        stock = Path(folder) / f"stock_{args.style}.csv"
        start = time.perf_counter()
        generate_stock_csv(stock, args.lines, style=args.style)
        print(f"generated {args.lines:,} lines ({args.style}, {stock.stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
        print(f"load average before the runs: {load_average()} on {os.cpu_count()} cores")
        print(f"{'database':<11} {'lines':>10} {'written':>10} {'seconds':>8} {'CPU s':>6} {'server':>6} {'lines/s':>9} "
              f"{'peak MiB':>9} {'load':>9}  goal")
        failed = False
        for kind in args.db.split(","):
            r = measure(kind, stock, args.lines, args.pg_url)
            ok = r["seconds"] <= goals[kind] and r["peak_mib"] <= 400 and r["written"] == args.lines
            failed |= not ok
            print(f"{kind:<11} {r['lines']:>10,} {r['written']:>10,} {r['seconds']:>8.1f} {r['cpu']:>6.1f} "
                  f"{r['server_cpu']:>6.1f} {r['lines_per_s']:>9,.0f} {r['peak_mib']:>9.0f} {r['load']:>9}  "
                  f"{'met' if ok else 'MISSED'} "
                  f"(<= {goals[kind]:.0f} s, <= 400 MiB)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
