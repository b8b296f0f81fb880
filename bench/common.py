"""What every benchmark needs: a throw-away database of either kind, the same arguments, the same frame;
for the load benches, the two servers (the app and the yardstick) under the same gunicorn settings,
percentiles and medians, and a watch on the machine (load average, CPU of others) while they run.

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

from countapp.cli_serve import DEFAULT_THREADS

ROOT = Path(__file__).resolve().parent.parent
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


def postgres_database(url: str) -> str:
    """The PostgreSQL database name of ``url`` (its backends are told apart by it), "" for SQLite."""
    parsed = sa.engine.make_url(url)
    return parsed.database if parsed.get_backend_name() == "postgresql" else ""


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def database_arguments(description: str, lines: int) -> argparse.ArgumentParser:
    """``--lines``, ``--db sqlite|postgresql`` and ``--pg-url``, as every campaign benchmark takes them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--lines", type=int, default=lines)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    return parser


def load_arguments(description: str) -> argparse.ArgumentParser:
    """The arguments of the load benches (count_load.py, open_loop.py): databases, gunicorn settings,
    tablets and their round mix, the open-loop shift."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help="per worker (above 1: gunicorn's gthread); default: countapp serve's")
    parser.add_argument("--tablets", type=int, default=200)
    parser.add_argument("--mix", default="50/40/10", help="shares of rounds 1/2/3 in percent")
    parser.add_argument("--rate", type=float, default=100.0, help="open loop: counts/s offered by all tablets")
    parser.add_argument("--shift", type=float, default=30.0, help="open loop: seconds (count_load.py: 0 skips it)")
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


# ---------------------------------------------------------------- servers and figures shared by the load benches

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(command: list[str], env: dict, port: int, cwd: Path, log: Path | None = None) -> subprocess.Popen:
    """Start ``command`` in its own process group and wait until ``port`` accepts connections; what it
    prints goes to ``log`` when given (and is shown if it fails to start)."""
    import socket
    import time

    output = open(log, "ab") if log else None   # noqa: SIM115 - the server's, closed with it
    server = subprocess.Popen(command, env=env, cwd=str(cwd), start_new_session=True, stdout=output,
                              stderr=subprocess.STDOUT if output else None)
    if output:
        output.close()   # the child has its own copy
    deadline = time.time() + 60
    while time.time() < deadline:
        if server.poll() is not None:
            shown = log.read_text(errors="replace")[-3000:] if log else ""
            raise SystemExit(f"server exited with {server.returncode}: {' '.join(command)}\n{shown}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit(f"server did not listen on {port}: {' '.join(command)}")


def stop_server(server: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def server_env(url: str, work: Path) -> dict:
    """The environment both servers of a load bench run with (the same secret key: sessions stay valid)."""
    return {**os.environ, "COUNTAPP_DATABASE_URL": url, "COUNTAPP_SECRET_KEY": "bench-" + "k" * 32,
            "COUNTAPP_INSTANCE_PATH": str(work / "instance"), "COUNTAPP_QUEUE_FILE": str(work / "queue.sqlite")}


def serve_countapp(url: str, work: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    """The app as production serves it: ``countapp serve`` (gunicorn), without its access log."""
    countapp = str(Path(sys.executable).with_name("countapp"))
    return start_server([countapp, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                         "--threads", str(threads), "--no-access-log"], server_env(url, work), port, ROOT,
                        work / "countapp-serve.log")


def serve_yardstick(url: str, work: Path, port: int, workers: int, threads: int) -> subprocess.Popen:
    """bench/bare_insert.py under the very gunicorn settings of ``countapp serve`` (its serve_options)."""
    return start_server([sys.executable, "-m", "bench.bare_insert", "--port", str(port), "--workers", str(workers),
                         "--threads", str(threads)], server_env(url, work), port, ROOT, work / "yardstick.log")



def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (NaN for no values)."""
    if not values:
        return float("nan")
    import math

    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * p / 100) - 1))]


def median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else float("nan")


class MachineWatch:
    """While a measurement runs: the load average each second and the CPU used by the whole machine
    and by the processes under test, so that a figure taken on a shared machine says how shared it was.

        with MachineWatch(server_pids=[server.pid], database="countapp_load_1a2b") as watch:
            ...
        watch.summary()   # {"load_start", "load_max", "load_end", "busy", "ours", "server_cpu", "db_cpu"}
    """

    def __init__(self, server_pids: list[int] = (), database: str = ""):
        self.server_pids, self.database = list(server_pids), database
        self.loads: list[float] = []
        self.extra_cpu = 0.0   # CPU seconds of children already reaped (wrk), added by the caller

    def _tree_cpu(self) -> tuple[float, float]:
        """CPU seconds of the servers' process trees, and of that the count writer's (``countapp serve``)."""
        import psutil

        total = writer = 0.0
        for pid in self.server_pids:
            try:
                root = psutil.Process(pid)
                for process in [root, *root.children(recursive=True)]:
                    times = process.cpu_times()
                    total += times.user + times.system
                    if "count-writer" in process.cmdline():
                        writer += times.user + times.system
            except psutil.Error:
                pass
        return total, writer

    def _db_cpu(self) -> float:
        import psutil

        total = 0.0
        if not self.database:
            return total
        for process in psutil.process_iter(["cmdline", "cpu_times"]):
            command = " ".join(process.info["cmdline"] or [])
            if command.startswith("postgres:") and f" {self.database} " in command and process.info["cpu_times"]:
                total += process.info["cpu_times"].user + process.info["cpu_times"].system
        return total

    def __enter__(self):
        import threading
        import time

        import psutil

        self._stop = threading.Event()
        self.loads.append(os.getloadavg()[0])

        def sample():
            while not self._stop.wait(1.0):
                self.loads.append(os.getloadavg()[0])

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        own = os.times()
        self._start = (time.monotonic(), psutil.cpu_times(), self._tree_cpu(), self._db_cpu(), own.user + own.system)
        return self

    def __exit__(self, *_):
        import time

        import psutil

        own = os.times()
        self._end = (time.monotonic(), psutil.cpu_times(), self._tree_cpu(), self._db_cpu(), own.user + own.system)
        self._stop.set()
        self._thread.join()
        self.loads.append(os.getloadavg()[0])

    def summary(self) -> dict:
        (t0, m0, s0, d0, o0), (t1, m1, s1, d1, o1) = self._start, self._end
        wall = max(1e-9, t1 - t0)
        idle = lambda m: m.idle + getattr(m, "iowait", 0.0)   # noqa: E731
        busy = (sum(m1) - sum(m0)) - (idle(m1) - idle(m0))
        server, writer = s1[0] - s0[0], s1[1] - s0[1]
        db_cpu, own = d1 - d0, (o1 - o0) + self.extra_cpu
        return {"load_start": self.loads[0], "load_max": max(self.loads), "load_end": self.loads[-1],
                "seconds": wall, "busy": busy / wall, "server_cpu": server, "writer_cpu": writer, "db_cpu": db_cpu,
                "ours": (server + db_cpu + own) / wall, "others": max(0.0, busy - server - db_cpu - own) / wall}


def describe_machine(watch: dict) -> str:
    """One line: the load average over the run and how many cores were busy, ours and others'."""
    return (f"load avg {watch['load_start']:.2f}->{watch['load_end']:.2f} (max {watch['load_max']:.2f}); "
            f"cores busy {watch['busy']:.2f} of {os.cpu_count()} (this bench {watch['ours']:.2f}, "
            f"other work {watch['others']:.2f})")
