"""What every benchmark needs: a throw-away database of either kind, the same arguments, the same frame.

    url, drop = throwaway_database("postgresql", PG_URL, work)   # created on the server, dropped by drop()
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

PG_URL = os.environ.get("COUNTAPP_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def throwaway_database(kind: str, pg_url: str, work: Path, prefix: str = "countapp_bench") -> tuple[str, Callable]:
    """A new SQLite file in ``work`` or a new database on the server of ``pg_url``; the second value drops it."""
    if kind == "sqlite":
        return f"sqlite:///{work / 'bench.sqlite'}", lambda: None
    server = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return sa.engine.make_url(pg_url).set(database=name).render_as_string(hide_password=False), drop


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def database_arguments(description: str, lines: int) -> argparse.ArgumentParser:
    """``--lines``, ``--db sqlite|postgresql`` and ``--pg-url``, as every campaign benchmark takes them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lines", type=int, default=lines)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    return parser


def run_on_throwaway(args, run: Callable[[str, argparse.Namespace, Path], int], *, show_load: bool = True) -> int:
    """Call ``run(url, args, work)`` on a fresh database of ``args.db`` with its instance folder in ``work``."""
    if show_load:
        print(f"load average before the run: {load_average()} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url, drop = throwaway_database(args.db, args.pg_url, work)
        os.environ["COUNTAPP_INSTANCE_PATH"] = str(work / "instance")
        try:
            return run(url, args, work)
        finally:
            drop()


def create_bench_campaign(countapp: str, env: dict) -> None:
    """``countapp init`` and the campaign BENCH (fiscal 2025, counted 28 December) on ``env``'s database."""
    subprocess.run([countapp, "init"], env=env, check=True, capture_output=True)
    subprocess.run([countapp, "campaign", "create", "BENCH", "--year", "2025", "--count-date", "2025-12-28",
                    "--closing-date", "2025-12-31"], env=env, check=True, capture_output=True)


_MEASURE = ("import resource,subprocess,sys,time;s=time.perf_counter();"
            "r=subprocess.run(sys.argv[1:],capture_output=True,text=True);w=time.perf_counter()-s;"
            "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
            "print(w, u.ru_utime+u.ru_stime, u.ru_maxrss, r.returncode);"
            "sys.stderr.write((r.stdout+r.stderr).strip()[-2000:])")


def measure_command(command: list[str], env: dict) -> dict:
    """Run ``command`` in a child of a fresh process, so that its peak memory is its own: wall seconds,
    CPU seconds, peak MiB, exit code and the tail of what it printed."""
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], env=env, capture_output=True, text=True)
    wall, cpu, peak_kib, rc = done.stdout.split()
    return {"seconds": float(wall), "cpu": float(cpu), "peak_mib": int(peak_kib) / 1024, "rc": int(rc),
            "message": done.stderr}
