"""What a count waits on in PostgreSQL: bench/count_load.py run as it is, with pg_stat_activity sampled beside it.

    python bench/count_path.py [--every 0.01] [count_load.py's own arguments, e.g. --db postgresql --workers 4]

While count_load.py runs (its own figures are printed as they come), every ``--every`` seconds the sessions of
the database it made (``countapp_load_*``, new since this script started) are read from pg_stat_activity.
Printed at the end, for the whole run (the bare insert's yardstick, saturation and shift together):

- the share of session samples waiting on ``Lock:advisory`` (the audit chain's head lock), of all sessions and
  of the sessions not idle;
- the other wait events seen, by share of the samples not idle;
- how many sessions the server opened (pg_stat_database.sessions), against the counts posted: a connection kept
  across requests opens a few per worker, not one per request.

Nothing is asserted; SQLite runs pass through (no sampling).
"""
from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "countapp_load_"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], add_help=False)
    parser.add_argument("--every", type=float, default=0.01)
    parser.add_argument("--pg-url", default=os.environ.get("COUNTAPP_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args, rest = parser.parse_known_args()
    engine = sa.create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        before = set(connection.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                        {"p": PREFIX + "%"}).scalars())
    samples: collections.Counter = collections.Counter()
    sessions: dict[str, int] = {}
    done = threading.Event()

    def sample():
        with engine.connect() as connection:
            while not done.is_set():
                rows = connection.execute(sa.text(
                    "SELECT datname, state, coalesce(wait_event_type, '') || ':' || coalesce(wait_event, '') "
                    "FROM pg_stat_activity WHERE datname LIKE :p AND pid <> pg_backend_pid()"), {"p": PREFIX + "%"})
                for datname, state, wait in rows:
                    if datname in before:
                        continue
                    samples["all"] += 1
                    if state != "idle":
                        samples["busy"] += 1
                        samples["wait " + (wait if wait != ":" else "CPU (no wait)")] += 1
                for datname, count in connection.execute(sa.text(
                        "SELECT datname, sessions FROM pg_stat_database WHERE datname LIKE :p"), {"p": PREFIX + "%"}):
                    if datname not in before:
                        sessions[datname] = count
                time.sleep(args.every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        code = subprocess.call([sys.executable, str(ROOT / "bench" / "count_load.py"), "--pg-url", args.pg_url, *rest])
    finally:
        done.set()
        sampler.join(5)
    if samples["all"]:
        advisory = samples["wait Lock:advisory"]
        print(f"pg_stat_activity ({samples['all']} session samples, {samples['busy']} not idle): "
              f"Lock:advisory {advisory / samples['all']:.1%} of all samples, "
              f"{advisory / max(1, samples['busy']):.1%} of the busy ones")
        waits = sorted(((k[5:], v) for k, v in samples.items() if k.startswith("wait ")), key=lambda kv: -kv[1])
        print("  busy samples by wait: " + ", ".join(f"{k} {v / max(1, samples['busy']):.1%}" for k, v in waits[:8]))
        print(f"  sessions opened by the server: {sum(sessions.values())} (pg_stat_database.sessions)")
    sys.exit(code)


if __name__ == "__main__":
    main()
