"""An open-loop shift: tablets post counts at a fixed arrival rate, whatever the server answers (issue 20).

    python bench/open_loop.py [--db sqlite,postgresql] [--tablets 200] [--rate 100] [--shift 30]
                              [--mix 50/40/10] [--workers 4] [--threads 1]

Each tablet is a user of its own (counters of rounds 1 and 2, the leaders for round 3: bench/tablets.py)
logged in through the log-in form, posting ``POST /api/v1/counts`` with its session cookie and
``X-CSRFToken``. Counts arrive as a Poisson process of ``--rate`` counts/s shared by the tablets (200
tablets at 100/s: one count every 2 s each); a count is sent when it is due even when the tablet's
previous one has no answer yet (a second connection), so a slow server meets the same demand, not a
politer one. Latency runs from the moment a count was due to its answer: p50/p95/p99; errors are
answers other than 201, and requests with no answer within 30 s. The load average is sampled while it runs.
``bench/count_load.py`` runs the same shift after its wrk runs; this script runs it alone.
"""
from __future__ import annotations

import asyncio
import math
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (MachineWatch, describe_machine, free_port, load_arguments, load_average, percentile,  # noqa: E402
                          postgres_database, serve_countapp, stop_server, throwaway_database)
from bench.tablets import Post, log_in_all, parse_mix, prepare, team_layout  # noqa: E402

TIMEOUT = 30.0


def posts_needed(rate: float, seconds: float, tablets: int) -> int:
    """Enough counts that no tablet runs out, with room for Poisson's luck (mean + 5 sigma + 5 each)."""
    per_tablet = rate * seconds / tablets
    return tablets * math.ceil(per_tablet + 5 * math.sqrt(per_tablet) + 5)


@dataclass
class ShiftResult:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    late: list[float] = field(default_factory=list)    # how late the generator sent each count
    due: int = 0
    ran_out: int = 0

    def record(self, status: str, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)


async def _post(port: int, idle: list, cookie: str, csrf: str, body: bytes) -> int:
    """One POST on an idle keep-alive connection of the tablet, else a new one; the status."""
    head = (f"POST /api/v1/counts HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nAccept-Language: en\r\nCookie: {cookie}\r\nX-CSRFToken: {csrf}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    for attempt in (1, 2):
        if attempt == 2:   # the kept connections the server closed meanwhile: all of them, as a browser does
            while idle:
                idle.pop()[1].close()
        reused = bool(idle)
        reader, writer = idle.pop() if reused else await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(head + body)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionResetError("closed before the answer")
            length, close = 0, False
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            if length:
                await reader.readexactly(length)
            if close:
                writer.close()
            else:
                idle.append((reader, writer))
            return int(status_line.split()[1])
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            if not reused or attempt == 2:   # a kept connection the server had just closed: once more, anew
                raise
    raise AssertionError("unreachable")


async def _shift(port: int, tablets: dict[str, tuple[str, str, list[Post]]], rate: float, seconds: float,
                 seed: int) -> ShiftResult:
    result = ShiftResult()
    rng = random.Random(seed)
    each = rate / len(tablets)
    pending: set[asyncio.Task] = set()
    start = time.perf_counter() + 0.5
    stop = start + seconds

    async def send(due: float, idle: list, cookie: str, csrf: str, post: Post):
        try:
            status = await asyncio.wait_for(_post(port, idle, cookie, csrf, post.body().encode()), TIMEOUT)
            result.record(str(status), time.perf_counter() - due)
        except asyncio.TimeoutError:
            result.record("no answer in 30 s", time.perf_counter() - due)
        except OSError as error:
            result.record(type(error).__name__, time.perf_counter() - due)

    async def tablet(cookie: str, csrf: str, posts: list[Post]):
        idle: list = []
        due = start + rng.expovariate(each)
        for post in posts:
            if due >= stop:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            result.due += 1
            result.late.append(time.perf_counter() - due)
            task = asyncio.create_task(send(due, idle, cookie, csrf, post))
            pending.add(task)
            task.add_done_callback(pending.discard)
            due += rng.expovariate(each)
        if due < stop:
            result.ran_out += 1

    await asyncio.gather(*(tablet(*t) for t in tablets.values()))
    if pending:
        await asyncio.wait(pending)
    return result


def run_shift(port: int, sessions: dict[str, tuple[str, str]], posts: list[Post], rate: float, seconds: float,
              watch: MachineWatch, seed: int = 20) -> ShiftResult:
    """Every tablet (a login of ``sessions``) posts its own counts of ``posts`` for ``seconds``."""
    tablets = {login: (cookie, csrf, []) for login, (cookie, csrf) in sessions.items()}
    for post in posts:
        tablets[post.login][2].append(post)
    with watch:
        return asyncio.run(_shift(port, tablets, rate, seconds, seed))


def describe_shift(result: ShiftResult, tablets: int, rate: float, seconds: float, watch: dict,
                   server_cpu_ms: float | None = None) -> str:
    answered_ok = result.statuses.get("201", 0)
    errors = sum(n for s, n in result.statuses.items() if s != "201")
    ms = [1000 * percentile(result.latencies, p) for p in (50, 95, 99)]
    lines = [f"open loop: {tablets} tablets, {rate:g} counts/s offered (Poisson) for {seconds:g} s: "
             f"{result.due} due, {answered_ok} accepted ({answered_ok / seconds:.0f}/s), errors {errors} "
             f"{dict(sorted((s, n) for s, n in result.statuses.items() if s != '201'))}",
             f"  latency from due time: p50 {ms[0]:.0f} ms, p95 {ms[1]:.0f} ms, p99 {ms[2]:.0f} ms, "
             f"max {1000 * max(result.latencies, default=float('nan')):.0f} ms; "
             f"generator late by p99 {1000 * percentile(result.late, 99):.1f} ms",
             f"  {describe_machine(watch)}"]
    if server_cpu_ms is not None:
        lines[-1] += f"; app CPU {server_cpu_ms:.1f} ms a count"
    if result.ran_out:
        lines.append(f"  {result.ran_out} tablets ran out of prepared counts: the figures are not valid")
    return "\n".join(lines)


def main() -> None:
    args = load_arguments(__doc__.split("\n\n")[0]).parse_args()
    layout = team_layout(args.tablets, parse_mix(args.mix))
    print(f"cores: {os.cpu_count()}; load average before: {load_average()} (the machine may be shared)")
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        with tempfile.TemporaryDirectory(prefix="countapp-shift-") as folder:
            work = Path(folder)
            url, drop = throwaway_database(kind, args.pg_url, work, "countapp_shift")
            try:
                posts = prepare(url, work, layout, posts_needed(args.rate, args.shift, len(layout.logins())))
                port = free_port()
                server = serve_countapp(url, work, port, args.workers, args.threads)
                try:
                    sessions = log_in_all(port, layout.logins())
                    watch = MachineWatch([server.pid], postgres_database(url))
                    result = run_shift(port, sessions, posts, args.rate, args.shift, watch)
                finally:
                    stop_server(server)
                summary = watch.summary()
                print(f"== {kind}: countapp serve, {args.workers} workers × {args.threads} thread(s)")
                print(describe_shift(result, len(sessions), args.rate, args.shift, summary,
                                     1000 * summary["server_cpu"] / max(1, len(result.latencies))), flush=True)
            finally:
                drop()


if __name__ == "__main__":
    main()
