"""Counts posted over HTTP by logged-in tablets, against the app under gunicorn (issue 5).

    python bench/count_load.py [--db sqlite,postgresql] [--workers 4] [--worker-class sync]
                               [--clients 50] [--saturation 20] [--tablets 200] [--interval 2] [--shift 30]
                               [--lines 20000] [--reference 10] [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

For each database: a fresh campaign ready to count (``--lines`` book lines, one ticket each, all issued
to one round-1 team of 250 counters), served by ``countapp serve`` (gunicorn, no access log) on 127.0.0.1. The
load generator (asyncio, plain HTTP/1.1 over loopback, in this process) logs every simulated tablet
in through the real log-in form, reads the page's CSRF token and posts ``POST /api/v1/counts`` with
its session cookie and ``X-CSRFToken``, one ticket per count, each with its own ``client_id``:

  (a) saturation: ``--clients`` tablets posting back to back with no pause, for ``--saturation`` s
      after a 3 s warm-up: counts/s accepted, latency p50/p99;
  (b) a shift: ``--tablets`` tablets, each pausing a random time of mean ``--interval`` s between
      counts (200 / 2 s = about 100 counts/s offered), for ``--shift`` s: latency p50/p99.

Before the app, the same saturation load runs for ``--reference`` s against a bare Flask +
Flask-SQLAlchemy insert endpoint (bench/bare_insert.py, no log-in, no rules, no audit) under the same
gunicorn settings: a yardstick of what this machine gives at that moment.

Any count that got no answer or a 5xx is sent again with the same ``client_id``, as a tablet does.
Then the database is checked: every accepted count is there once, none is doubled, none lost.
Goals (issue 5, 2 cores): (a) at least 300 counts/s on PostgreSQL; (b) p99 under 200 ms.
The machine may be shared with other work while this runs: the figures are what was measured then.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import throwaway_database  # noqa: E402
from bench.gen_stock import generate_stock_csv  # noqa: E402

CODE = "LOAD"
PASSWORD = "load-test-password"
TEAM_SIZE = 250
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
COUNTAPP = str(Path(sys.executable).with_name("countapp"))


# ---------------------------------------------------------------- set-up


def prepare(url: str, work: Path, lines: int) -> tuple[list[str], list[int]]:
    """A campaign counting, one team of TEAM_SIZE counters; returns their logins and the ticket numbers."""
    os.environ["COUNTAPP_INSTANCE_PATH"] = str(work / "instance")
    from datetime import date

    from countapp import create_app
    from countapp.extensions import db
    from countapp.models import Ticket, User
    from countapp.services import campaigns, imports, schema, teams, tickets, users

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        schema.upgrade()
        campaigns.create(CODE, year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))
        stock = generate_stock_csv(work / "stock.csv", lines)
        imports.import_file("stock", CODE, stock)
        leader = users.add_user("loadlead", "leader", PASSWORD)
        logins = [f"tab{i:03d}" for i in range(TEAM_SIZE)]
        db.session.execute(sa.insert(User), [{"login": login, "name": f"Tablet {login[3:]}", "role": "counter",
                                              "password_hash": leader.password_hash} for login in logins])
        db.session.commit()
        teams.add_team(CODE, 1, round=1, leader="loadlead", members=logins)
        made = tickets.generate(CODE)
        tickets.issue(CODE, team=1, first=made["first"], last=made["last"])
        tickets.start_counting(CODE)
        numbers = list(db.session.scalars(sa.select(Ticket.sequence).order_by(Ticket.sequence)))
        db.session.remove()
        db.engine.dispose()
    return logins, numbers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, work: Path, args, app: str = "countapp") -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "COUNTAPP_DATABASE_URL": url, "COUNTAPP_SECRET_KEY": "bench-" + "k" * 32,
           "COUNTAPP_INSTANCE_PATH": str(work / "instance")}
    if app == "countapp":   # the app as production runs it
        command = [COUNTAPP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                   "--threads", str(args.threads), "--no-access-log"]
    else:
        command = [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                   "--worker-class", args.worker_class, "--threads", str(args.threads), "--backlog", "2048",
                   "--log-level", "warning", app]
    server = subprocess.Popen(command, env=env, cwd=str(ROOT), start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not start")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


# ---------------------------------------------------------------- a tiny HTTP/1.1 client

class Http:
    """One keep-alive connection to the server (reopened when the server closes it)."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None
        self.cookies: dict[str, str] = {}

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None):
        for attempt in (1, 2):
            if self.writer is None:
                await self._connect()
            lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}",
                     "Accept-Language: en"]
            if self.cookies:
                lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed before the answer")
                status = int(status_line.split()[1])
                length, close = 0, False
                while True:
                    line = (await self.reader.readline()).decode("latin-1").strip()
                    if not line:
                        break
                    name, _, value = line.partition(":")
                    name, value = name.lower(), value.strip()
                    if name == "content-length":
                        length = int(value)
                    elif name == "connection" and value.lower() == "close":
                        close = True
                    elif name == "set-cookie":
                        key, _, rest = value.partition("=")
                        self.cookies[key] = rest.split(";", 1)[0]
                data = await self.reader.readexactly(length) if length else b""
                if close:
                    await self.close()
                return status, data
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


async def log_in(port: int, login: str) -> tuple[Http, str]:
    http = Http(port)
    _, page = await http.request("GET", "/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
    form = urlencode({"csrf_token": token, "login": login, "password": PASSWORD}).encode()
    status, _ = await http.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
    if status not in (302, 303):
        raise SystemExit(f"log-in of {login} failed ({status})")
    _, page = await http.request("GET", f"/count/{CODE}")
    csrf = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()
    return http, csrf


# ---------------------------------------------------------------- load

@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)      # client_id -> ticket
    to_retry: list[tuple[str, int]] = field(default_factory=list)
    count_from: float = 0.0

    def record(self, started: float, status: int | None, client_id: str, ticket: int) -> None:
        if started >= self.count_from:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status or 0] = self.statuses.get(status or 0, 0) + 1
        if status in (200, 201):
            self.accepted[client_id] = ticket
        elif status is None or status >= 500:
            self.to_retry.append((client_id, ticket))


async def post_count(http: Http, csrf: str, ticket: int, client_id: str) -> int | None:
    body = ('{"campaign": "%s", "ticket": "%d", "round": 1, "quantity": "%d", "state": "good", '
            '"client_id": "%s"}' % (CODE, ticket, 1 + ticket % 97, client_id)).encode()
    try:
        status, _ = await asyncio.wait_for(http.request("POST", "/api/v1/counts", body, {
            "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf}), 30)
        return status
    except (ConnectionError, OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
        await http.close()
        return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def saturation(sessions, tickets, seconds: float, warmup: float = 3.0) -> tuple[Results, float]:
    results = Results()
    start = time.perf_counter()
    results.count_from = start + warmup
    stop = results.count_from + seconds

    async def client(http, csrf):
        while time.perf_counter() < stop:
            ticket = next(tickets, None)
            if ticket is None:
                raise SystemExit("not enough tickets: raise --lines")
            client_id = uuid.uuid4().hex
            started = time.perf_counter()
            results.record(started, await post_count(http, csrf, ticket, client_id), client_id, ticket)

    await asyncio.gather(*(client(h, c) for h, c in sessions))
    measured = sum(1 for _ in results.latencies)
    ok = sum(n for s, n in results.statuses.items() if s in (200, 201))
    return results, ok / seconds if measured else 0.0


async def shift(sessions, tickets, seconds: float, interval: float) -> Results:
    results = Results()
    results.count_from = time.perf_counter()
    stop = results.count_from + seconds
    rng = random.Random(5)

    async def tablet(http, csrf, delay):
        await asyncio.sleep(delay)
        while time.perf_counter() < stop:
            ticket = next(tickets, None)
            if ticket is None:
                raise SystemExit("not enough tickets: raise --lines")
            client_id = uuid.uuid4().hex
            started = time.perf_counter()
            results.record(started, await post_count(http, csrf, ticket, client_id), client_id, ticket)
            await asyncio.sleep(rng.expovariate(1 / interval))

    await asyncio.gather(*(tablet(h, c, rng.uniform(0, interval)) for h, c in sessions))
    return results


async def retry(sessions, results_list: list[Results]) -> int:
    """Send again what got no answer or a 5xx, with the same client_id, as the tablets do."""
    retried = 0
    http, csrf = sessions[0]
    for results in results_list:
        pending = list(results.to_retry)
        results.to_retry.clear()
        for client_id, ticket in pending:
            for _ in range(5):
                status = await post_count(http, csrf, ticket, client_id)
                if status in (200, 201):
                    results.accepted[client_id] = ticket
                    retried += 1
                    break
                await asyncio.sleep(0.5)
    return retried


def check_database(url: str, accepted: dict[str, int]) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT c.client_id, t.sequence FROM count c JOIN ticket t ON t.id = c.ticket_id")).all()
        doubled = connection.execute(sa.text(
            "SELECT COUNT(*) FROM (SELECT ticket_id, round FROM count WHERE supersedes_id IS NULL "
            "GROUP BY ticket_id, round HAVING COUNT(*) > 1) d")).scalar()
        audit = connection.execute(sa.text("SELECT COUNT(*) FROM audit_event WHERE action = 'count.add'")).scalar()
    engine.dispose()
    stored = {client_id: sequence for client_id, sequence in rows}
    lost = [c for c in accepted if c not in stored]
    unexpected = [c for c in stored if c not in accepted]
    wrong = [c for c, t in accepted.items() if c in stored and stored[c] != t]
    return {"accepted": len(accepted), "stored": len(rows), "lost": len(lost), "unexpected": len(unexpected),
            "wrong_ticket": len(wrong), "doubled": doubled, "audit_events": audit}


def _server_cpu(server_pid: int) -> float:
    """CPU seconds used so far by gunicorn and its workers."""
    import psutil

    try:
        root = psutil.Process(server_pid)
        total = 0.0
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return float("nan")


def _database_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL backends serving ``database`` (0 for SQLite)."""
    import psutil

    total = 0.0
    if not database:
        return total
    for process in psutil.process_iter(["cmdline", "cpu_times"]):
        command = " ".join(process.info["cmdline"] or [])
        if command.startswith("postgres:") and f" {database} " in command and process.info["cpu_times"]:
            total += process.info["cpu_times"].user + process.info["cpu_times"].system
    return total


async def reference_rate(port: int, clients: int, seconds: float) -> float:
    """Counts/s the bare insert endpoint (bench/bare_insert.py) accepts from the same load generator."""
    sessions = [(Http(port), "") for _ in range(clients)]
    numbers = iter(range(1, 10_000_000))
    _, rate = await saturation(sessions, numbers, seconds)
    for http, _ in sessions:
        await http.close()
    return rate


def measure_reference(url: str, work: Path, args) -> float:
    from bench.bare_insert import create_table

    create_table(url)
    server, port = start_server(url, work, args, app="bench.bare_insert:create_app()")
    try:
        return asyncio.run(reference_rate(port, args.clients, args.reference))
    finally:
        stop_server(server)


async def run_load(port: int, logins: list[str], numbers: list[int], args, server_pid: int = 0,
                   database: str = "") -> dict:
    needed = max(args.clients, args.tablets)
    sessions = []
    for start in range(0, needed, 25):
        sessions += await asyncio.gather(*(log_in(port, login) for login in logins[start:min(needed, start + 25)]))
    tickets = iter(numbers)
    cpu = (_server_cpu(server_pid), _database_cpu(database), time.process_time())
    sat, rate = await saturation(sessions[:args.clients], tickets, args.saturation)
    used = (_server_cpu(server_pid) - cpu[0], _database_cpu(database) - cpu[1], time.process_time() - cpu[2])
    done = max(1, len(sat.accepted))
    await asyncio.sleep(2)
    day = await shift(sessions[:args.tablets], tickets, args.shift, args.interval)
    retried = await retry(sessions, [sat, day])
    for http, _ in sessions:
        await http.close()
    return {"saturation": sat, "rate": rate, "shift": day, "retried": retried,
            "cpu_ms": tuple(1000 * u / done for u in used)}


def describe(kind: str, outcome: dict, check: dict, args) -> str:
    sat, day = outcome["saturation"], outcome["shift"]
    shift_rate = sum(n for s, n in day.statuses.items() if s in (200, 201)) / args.shift
    lines = [
        f"== {kind}: gunicorn {args.workers} workers ({args.worker_class}"
        f"{', %d threads' % args.threads if args.worker_class == 'gthread' else ''})",
        f"(a) saturation, {args.clients} tablets, no pause, {args.saturation:.0f} s: "
        f"{outcome['rate']:.0f} counts/s; latency p50 {1000 * percentile(sat.latencies, 50):.0f} ms, "
        f"p99 {1000 * percentile(sat.latencies, 99):.0f} ms; answers {dict(sorted(sat.statuses.items()))}",
        f"(b) shift, {args.tablets} tablets, a count every {args.interval:g} s on average, {args.shift:.0f} s: "
        f"{shift_rate:.0f} counts/s; latency p50 {1000 * percentile(day.latencies, 50):.0f} ms, "
        f"p99 {1000 * percentile(day.latencies, 99):.0f} ms; answers {dict(sorted(day.statuses.items()))}",
        "CPU per count during (a): app %.1f ms, PostgreSQL %.1f ms, load generator %.1f ms" % outcome["cpu_ms"],
        f"resent after no answer or 5xx: {outcome['retried']}",
        f"database: {check['stored']} counts stored for {check['accepted']} accepted; lost {check['lost']}, "
        f"doubled {check['doubled']}, unexpected {check['unexpected']}, on a wrong ticket {check['wrong_ticket']}; "
        f"audit events {check['audit_events']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgresql,sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("COUNTAPP_TEST_PG_URL",
                                                           "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    # gunicorn turns a sync worker with more than one thread into gthread: one thread keeps it sync
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--saturation", type=float, default=20)
    parser.add_argument("--tablets", type=int, default=200)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--shift", type=float, default=30)
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--reference", type=float, default=10,
                        help="seconds of saturation against the bare insert endpoint first (0: skip)")
    args = parser.parse_args()
    if max(args.clients, args.tablets) > TEAM_SIZE:
        raise SystemExit(f"at most {TEAM_SIZE} tablets")
    print(f"cores: {os.cpu_count()}; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(the machine may be shared with other work)")
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        with tempfile.TemporaryDirectory(prefix="countapp-load-") as tmp:
            work = Path(tmp)
            url, drop = throwaway_database(kind, args.pg_url, work, "countapp_load")
            try:
                t0 = time.perf_counter()
                logins, numbers = prepare(url, work, args.lines)
                print(f"-- {kind}: campaign ready with {len(numbers)} tickets in {time.perf_counter() - t0:.1f} s")
                reference = measure_reference(url, work, args) if args.reference > 0 else None
                server, port = start_server(url, work, args)
                try:
                    database = sa.engine.make_url(url).database if kind == "postgresql" else ""
                    outcome = asyncio.run(run_load(port, logins, numbers, args, server.pid, database))
                finally:
                    stop_server(server)
                check = check_database(url, {**outcome["saturation"].accepted, **outcome["shift"].accepted})
                print(describe(kind, outcome, check, args))
                if reference:
                    print(f"yardstick: the bare insert endpoint (bench/bare_insert.py, same server and load) took "
                          f"{reference:.0f} counts/s just before; the app reached {outcome['rate'] / reference:.0%} "
                          f"of it (the issue's 300 counts/s is 56% of its 540/s)")
                print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
            finally:
                drop()


if __name__ == "__main__":
    main()
