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

    python bench/count_path.py --in-process 2000 [--db sqlite,postgresql]

measures instead, in this one process with Flask's test client (no server, no network: CPU time, so a
busy machine changes it little), the CPU of a count posted to ``POST /api/v1/counts`` by logged-in tablets
in turn, round by round (four counters of round 1, four of round 2, the two leaders of a recount sheet for
round 3; ``--rounds 1,2,3``), against the bare Flask + Flask-SQLAlchemy insert (bench/bare_insert.py) posted
the same way, and the SQL statements a count sends (round trips, besides BEGIN and COMMIT). CSRF is off for
both. ``--profile FILE`` keeps a cProfile of the app's posts (all rounds) in FILE (read it with pstats).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PG_URL  # noqa: E402
PREFIX = "countapp_load_"


def _cpu_per_post(client_for, count: int, body, warm: int = 20, profiler=None) -> float:
    """CPU seconds per POST of ``body(i)`` through ``client_for(i)`` (the first ``warm`` not measured)."""
    for i in range(warm):
        response = client_for(i).post("/api/v1/counts", json=body(i))
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]
    if profiler is not None:
        profiler.enable()
    start = time.process_time()
    for i in range(warm, warm + count):
        response = client_for(i).post("/api/v1/counts", json=body(i))
        assert response.status_code in (200, 201), response.get_data(as_text=True)[:300]
    spent = time.process_time() - start
    if profiler is not None:
        profiler.disable()
    return spent / count


def in_process(kind: str, pg_url: str, count: int, rounds: tuple[int, ...] = (1,), profile: str = "") -> None:
    import tempfile

    from bench import tablets
    from bench.common import throwaway_database

    warm = 20
    with tempfile.TemporaryDirectory(prefix="countapp-path-") as tmp:
        work = Path(tmp)
        url, drop = throwaway_database(kind, pg_url, work, "countapp_path")
        try:
            # bench/tablets.py's campaign, one team a round: the rounds asked for in equal shares (round 1
            # always a little: the plan needs it), each measured on its own.
            share = dict.fromkeys((1, 2, 3), 0)
            for r in rounds:
                share[r] = 100 // len(rounds)
            share[rounds[0]] += 100 - sum(share.values())
            if share[1] == 0:
                share[1], share[rounds[0]] = 2, share[rounds[0]] - 2
            total = (count + warm) * 100 // min(share[r] for r in rounds) + 200
            posts = tablets.prepare(url, work, tablets.Layout(teams=1, members1=4, members2=4,
                                                              mix=(share[1], share[2], share[3])), total)
            from countapp import create_app
            from countapp.extensions import db

            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "k" * 32,
                              "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
            clients = {}
            for login in sorted({post.login for post in posts}):
                client = app.test_client()
                response = client.post("/login", data={"login": login, "password": tablets.PASSWORD})
                assert response.status_code in (302, 303), response.status_code
                clients[login] = client
            statements: list[str] = []
            with app.app_context():
                engine = db.engine
            sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
            profiler = None
            if profile:
                import cProfile

                profiler = cProfile.Profile()
            figures = []
            for r in rounds:
                mine = [p for p in posts if p.round == r][:count + warm]
                if len(mine) < count + warm:
                    raise SystemExit(f"{len(mine)} posts of round {r} prepared, {count + warm} wanted")
                statements.clear()
                cpu = _cpu_per_post(lambda i: clients[mine[i].login], count, lambda i: json.loads(mine[i].body()),
                                    warm, profiler)
                figures.append((r, cpu, len(statements) / (count + warm)))
            if profiler is not None:
                profiler.dump_stats(profile)
            from bench import bare_insert

            bare_insert.create_table(url)
            os.environ["COUNTAPP_DATABASE_URL"] = url
            bare = bare_insert.create_app().test_client()
            bare_cpu = _cpu_per_post(lambda i: bare, count, lambda i: {
                "ticket": str(i), "quantity": "3", "client_id": f"bare-{i}"})
            load = os.getloadavg()[0]
            for r, cpu, per_count in figures:
                print(f"-- {kind}, in process ({count} posts each), round {r}: a count {cpu * 1000:.2f} ms of CPU, "
                      f"the bare insert {bare_cpu * 1000:.2f} ms ({cpu / bare_cpu:.2f}x); {per_count:.1f} SQL "
                      f"statements per count (BEGIN and COMMIT not counted); load {load:.2f}", flush=True)
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], add_help=False)
    parser.add_argument("--every", type=float, default=0.01)
    parser.add_argument("--in-process", type=int, default=0)
    parser.add_argument("--rounds", default="1,2,3")
    parser.add_argument("--profile", default="")
    parser.add_argument("--pg-url", default=PG_URL)
    args, rest = parser.parse_known_args()
    if {"-h", "--help"} & set(rest):
        print(__doc__)
        print("count_load.py's arguments follow.\n", flush=True)
        sys.exit(subprocess.call([sys.executable, str(ROOT / "bench" / "count_load.py"), "--help"]))
    if args.in_process:
        db_arg = rest[rest.index("--db") + 1] if "--db" in rest else "sqlite,postgresql"
        for kind in [k.strip() for k in db_arg.split(",") if k.strip()]:
            rounds = tuple(sorted({int(r) for r in args.rounds.split(",") if r.strip()}))
            if not rounds or not set(rounds) <= {1, 2, 3}:
                parser.error("--rounds: some of 1, 2, 3, e.g. 1,2,3")
            in_process(kind, args.pg_url, args.in_process, rounds,
                       args.profile and (args.profile + "." + kind if "," in db_arg else args.profile))
        return
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
