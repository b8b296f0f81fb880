"""What every benchmark needs: a throw-away database of either kind, the same arguments, the same frame.

    url, drop = throwaway_database("postgresql", PG_URL, work)   # created on the server, dropped by drop()
"""
from __future__ import annotations

import argparse
import os
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
