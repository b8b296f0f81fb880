"""Counts posted over HTTP by logged-in tablets, against a bare insert yardstick, on each database (issue 20).

    python bench/count_load.py [--db sqlite,postgresql] [--workers 4] [--threads 1] [--connections 50]
                               [--duration 10] [--runs 3] [--mix 50/40/10] [--max-rate 1800]
                               [--tablets 200] [--rate 100] [--shift 30] [--profile DIR]

For each database: a campaign counting rounds 1, 2 and 3 at once, with ``--tablets`` users in teams and
a pool of counts each valid when posted (bench/tablets.py: round 2 on tickets whose 1st count is in,
round 3 on tickets in recount on the poster's recount sheet, rounds mixed as ``--mix``). Two servers
with the same gunicorn settings (``--workers`` × ``--threads``): the app (``countapp serve``) and the
yardstick, a bare Flask + Flask-SQLAlchemy insert endpoint (bench/bare_insert.py, served with
countapp.cli_serve's options). One load generator for both: wrk with bench/wrk/counts.lua, the very same
requests (each with a tablet's session cookie and CSRF token; the yardstick ignores them).

  (a) closed loop, interleaved: after a warm-up of each, yardstick, app, yardstick, app, ... ``--runs``
      times each, ``--duration`` s each, ``--connections`` connections: counts/s accepted and p50/p99,
      medians per side, the ratio app/yardstick (goal: at least 0.8);
  (b) open loop: ``--tablets`` tablets, each its own user and session, at ``--rate`` counts/s for
      ``--shift`` s whatever the answers (bench/open_loop.py): p50/p95/p99 and errors (goal: p99 100 ms).

Every run prints the load average and how many cores other work used meanwhile: the machine is shared,
and a ratio is only worth the runs it comes from. ``--profile DIR``: one more app run under py-spy (if
installed), the stacks written to DIR and the heaviest functions printed. Then the database is checked:
no ticket counted twice in a round, every accepted count stored.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (MachineWatch, describe_machine, free_port, load_arguments, load_average, median,  # noqa: E402
                          postgres_database, serve_countapp, serve_yardstick, stop_server, throwaway_database)
from bench.open_loop import describe_shift, posts_needed, run_shift  # noqa: E402
from bench.profile_summary import heaviest  # noqa: E402
from bench.tablets import log_in_all, parse_mix, pool_line, prepare, team_layout  # noqa: E402

SCRIPT = ROOT / "bench" / "wrk" / "counts.lua"


def parse_wrk(output: str) -> dict:
    """The figures counts.lua prints on its BENCH_JSON line, with counts/s accepted and errors added."""
    line = next((row for row in output.splitlines() if row.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit("wrk printed no BENCH_JSON line:\n" + output[-2000:])
    figures = json.loads(line[len("BENCH_JSON "):])
    seconds = figures["duration_us"] / 1e6
    accepted = sum(n for status, n in figures["statuses"].items() if status in ("200", "201"))
    figures["seconds"] = seconds
    figures["accepted"] = accepted
    figures["rate"] = accepted / seconds if seconds else 0.0
    figures["errors"] = (figures["requests"] - accepted + figures["connect_errors"] + figures["read_errors"]
                         + figures["write_errors"] + figures["timeouts"])
    return figures


def run_wrk(port: int, pool: Path, offset: int, args, seconds: float, watch: MachineWatch, *,
            wrap: bool = False) -> dict:
    """One wrk run of ``seconds`` from line ``offset`` of the pool; its figures and the machine's meanwhile.
    ``wrap``: lines may be sent again (the yardstick only)."""
    command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "-d", f"{seconds:g}s",
               "--timeout", "30s", "-s", str(SCRIPT), f"http://127.0.0.1:{port}", "--",
               str(pool), str(offset), str(args.wrk_threads), *(["wrap"] if wrap else [])]
    with watch:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        watch.extra_cpu = usage.ru_utime + usage.ru_stime
    if process.returncode:
        raise SystemExit(f"wrk failed ({process.returncode}):\n{output[-2000:]}")
    figures = parse_wrk(output)
    figures["machine"] = watch.summary()
    figures["next_offset"] = offset + args.wrk_threads * figures["most_sent"]
    figures["server_ms"] = 1000 * figures["machine"]["server_cpu"] / max(1, figures["requests"])
    figures["writer_ms"] = 1000 * figures["machine"]["writer_cpu"] / max(1, figures["requests"])
    figures["db_ms"] = 1000 * figures["machine"]["db_cpu"] / max(1, figures["requests"])
    return figures


def describe_run(name: str, figures: dict) -> str:
    other = {s: n for s, n in figures["statuses"].items() if s not in ("200", "201")}
    sockets = {k: figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts") if figures[k]}
    return (f"  {name:<9} {figures['rate']:6.0f} counts/s  p50 {figures['p50_us'] / 1000:5.0f} ms  "
            f"p99 {figures['p99_us'] / 1000:5.0f} ms  CPU/count app {figures['server_ms']:.2f} ms "
            + (f"(writer {figures['writer_ms']:.2f}) " if figures["writer_ms"] else "")
            + f"db {figures['db_ms']:.2f} ms  | {describe_machine(figures['machine'])}"
            + (f"  | NOT ACCEPTED {other}" if other else "") + (f" socket errors {sockets}" if sockets else "")
            + (f"  | POOL RAN OUT ({figures['exhausted']} requests): raise --max-rate" if figures["exhausted"] else ""))


def check_database(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        by_round = dict(connection.execute(sa.text("SELECT round, COUNT(*) FROM count GROUP BY round")).all())
        doubled = connection.execute(sa.text(
            "SELECT COUNT(*) FROM (SELECT ticket_id, round FROM count WHERE supersedes_id IS NULL "
            "GROUP BY ticket_id, round HAVING COUNT(*) > 1) d")).scalar()
        yardstick = connection.execute(sa.text("SELECT COUNT(*) FROM bare_count")).scalar()
    engine.dispose()
    return {"by_round": by_round, "doubled": doubled, "yardstick_rows": yardstick}


def profile_app(kind: str, server_pid: int, port: int, pool: Path, offset: int, args, folder: Path
                ) -> tuple[dict, str]:
    """One more app run with py-spy sampling every worker; the stacks go to ``folder``."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return {}, "py-spy is not installed (pip install py-spy): no profile"
    folder.mkdir(parents=True, exist_ok=True)
    stacks = folder / f"count_{kind}.txt"
    spying = subprocess.Popen([spy, "record", "--pid", str(server_pid), "--subprocesses", "--gil", "--rate", "200",
                               "--format", "raw", "--output", str(stacks), "--duration", f"{args.duration + 2:g}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    figures = run_wrk(port, pool, offset, args, args.duration, MachineWatch([server_pid]))
    spying.wait()
    if not stacks.exists():
        return figures, f"py-spy wrote nothing: {spying.stderr.read()[-500:]}"
    return figures, heaviest(stacks.read_text(), top=args.profile_top) + f"\n  (stacks: {stacks}, flamegraph-ready)"


def run_database(kind: str, args) -> str:
    """Everything on one database; returns its summary (medians, ratio, open-loop p99)."""
    layout = team_layout(args.tablets, parse_mix(args.mix))
    runs_seconds = args.runs * args.duration + args.warmup + (args.duration if args.profile else 0)
    closed = int(runs_seconds * args.max_rate)
    shift_posts = posts_needed(args.rate, args.shift, len(layout.logins())) if args.shift > 0 else 0
    with tempfile.TemporaryDirectory(prefix="countapp-load-") as folder:
        work = Path(folder)
        url, drop = throwaway_database(kind, args.pg_url, work, "countapp_load")
        servers = []
        try:
            posts, seconds = _timed(prepare, url, work, layout, closed + shift_posts)
            prepared = Counter(p.round for p in posts)
            print(f"== {kind}: {len(posts)} counts prepared through the services in {seconds:.0f} s "
                  f"(rounds 1/2/3: {prepared[1]}/{prepared[2]}/{prepared[3]}); {layout.teams} team(s) a round, "
                  f"{len(layout.logins())} tablets")
            from bench.bare_insert import create_table

            create_table(url)
            app_port, yard_port = free_port(), free_port()
            app = serve_countapp(url, work, app_port, args.workers, args.threads)
            servers.append(app)
            servers.append(serve_yardstick(url, work, yard_port, args.workers, args.threads))
            sessions = log_in_all(app_port, layout.logins())
            pool = work / "pool.tsv"
            pool.write_text("".join(pool_line(p, sessions[p.login]) + "\n" for p in posts[:closed]))
            database = postgres_database(url)
            print(f"  servers: countapp serve and bench/bare_insert.py, each gunicorn {args.workers} workers × "
                  f"{args.threads} thread(s); wrk {args.wrk_threads} threads, {args.connections} connections, "
                  f"{args.duration:g} s a run; rounds {args.mix}")
            offset = 0
            if args.warmup > 0:   # each side's first requests (imports, connections, caches) not measured
                run_wrk(yard_port, pool, offset, args, args.warmup, MachineWatch(), wrap=True)
                offset = run_wrk(app_port, pool, offset, args, args.warmup, MachineWatch())["next_offset"]
            sides: dict[str, list[dict]] = {"yardstick": [], "app": []}
            for run in range(1, args.runs + 1):
                for name, port, server in (("yardstick", yard_port, servers[1]), ("app", app_port, app)):
                    figures = run_wrk(port, pool, offset, args, args.duration, MachineWatch([server.pid], database),
                                      wrap=name == "yardstick")
                    sides[name].append(figures)
                    print(describe_run(f"{name} {run}", figures), flush=True)
                offset = sides["app"][-1]["next_offset"]
            summary_text = summarise(kind, sides)
            print(summary_text)
            if args.profile:
                figures, text = profile_app(kind, app.pid, app_port, pool, offset, args, Path(args.profile))
                if figures:
                    print(describe_run("profiled", figures) + "  (under py-spy: slower)")
                print(text)
            stop_server(servers.pop())   # the yardstick: not needed for the shift
            if args.shift > 0:
                watch = MachineWatch([app.pid], database)
                result = run_shift(app_port, sessions, posts[closed:], args.rate, args.shift, watch)
                summary = watch.summary()
                shift_text = describe_shift(result, len(sessions), args.rate, args.shift, summary,
                                            1000 * summary["server_cpu"] / max(1, len(result.latencies)))
                print(shift_text)
                summary_text += "\n  " + "\n  ".join(shift_text.splitlines()[:2])
            stop_server(servers.pop())
            refused = sum(n for f in sides["app"] for s, n in f["statuses"].items() if s not in ("200", "201"))
            print(server_errors(work / "countapp-serve.log", refused, args.logs, kind))
            check = check_database(url)
            print(f"  database: counts by round {dict(sorted(check['by_round'].items()))}, ticket counted twice in a "
                  f"round: {check['doubled']}; yardstick rows {check['yardstick_rows']}")
            print(f"  load average after: {load_average()}", flush=True)
            return summary_text
        finally:
            for server in servers:
                stop_server(server)
            drop()


_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b")


def server_errors(log: Path, refused: int, keep: str | None, kind: str) -> str:
    """What the app's server logged about the answers it did not accept: the tracebacks' last lines, counted,
    and where the whole log was kept (the work folder is removed at the end)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    # A record starts with "[" (gunicorn's lines and Flask's "ERROR in app"); its last exception line is the one
    # raised (a chained traceback shows the cause first).
    records = re.split(r"\n(?=\[)", text)
    endings = Counter(next(line for line in reversed(record.splitlines()) if _EXCEPTION_LINE.match(line))
                      for record in records if "Traceback (most recent call last):" in record
                      and any(_EXCEPTION_LINE.match(line) for line in record.splitlines()))
    kept = Path(keep or tempfile.gettempdir()) / f"countapp-serve-{kind}-{os.getpid()}.log"
    if refused or endings:
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, kept)
    lines = [f"  server log: {sum(endings.values())} traceback(s) in all; {refused} answer(s) not accepted in the "
             "measured runs (the warm-ups not counted)" + (f"; kept: {kept}" if refused or endings else "")]
    lines += [f"    {n} × {ending[:300]}" for ending, n in endings.most_common(5)]
    written = re.findall(r"count writer stopping: (\d+) count\(s\) in (\d+) batch\(es\), busy ([\d.]+) s", text)
    counts, batches = sum(int(c) for c, _, _ in written), sum(int(b) for _, b, _ in written)
    busy = sum(float(s) for _, _, s in written)
    if batches:   # warm-ups, runs and shift together
        lines.append(f"  count writer: {counts:,} counts in {batches:,} batches ({counts / batches:.1f} a batch), "
                     f"{busy:.1f} s writing them ({busy / counts * 1000:.2f} ms a count, waits on the database "
                     "and for a core included)")
    return "\n".join(lines)


def summarise(kind: str, sides: dict[str, list[dict]]) -> str:
    """Medians of each side and the ratio of the medians."""
    yard = {k: median([f[k] for f in sides["yardstick"]]) for k in ("rate", "p99_us", "server_ms", "db_ms")}
    app = {k: median([f[k] for f in sides["app"]]) for k in ("rate", "p99_us", "server_ms", "writer_ms", "db_ms")}
    ratio = app["rate"] / yard["rate"] if yard["rate"] else float("nan")
    loads = [f["machine"]["load_max"] for side in sides.values() for f in side]
    others = [f["machine"]["others"] for side in sides.values() for f in side]
    return (f"  {kind} medians of {len(sides['app'])} runs: app {app['rate']:.0f} counts/s (p99 "
            f"{app['p99_us'] / 1000:.0f} ms), yardstick {yard['rate']:.0f}/s (p99 {yard['p99_us'] / 1000:.0f} ms): "
            f"app/yardstick {ratio:.2f} (goal 0.8)\n"
            f"  CPU per count, medians: app {app['server_ms']:.2f} (of which the count writer {app['writer_ms']:.2f}) + db {app['db_ms']:.2f} ms, yardstick "
            f"{yard['server_ms']:.2f} + db {yard['db_ms']:.2f} ms; during the runs load average up to "
            f"{max(loads):.2f}, other work up to {max(others):.2f} cores")


def _timed(function, *args):
    import time

    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = load_arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds a run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side, interleaved")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of each side first, not measured")
    parser.add_argument("--max-rate", type=float, default=1800.0,
                        help="counts/s the prepared pool allows for (a faster app runs out: reported)")
    parser.add_argument("--profile", metavar="DIR", help="one more app run under py-spy; stacks written to DIR")
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--logs", metavar="DIR", help="where the app server's log is kept when it refused answers "
                        "or logged a traceback (default: the temporary folder)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed (apt-get install wrk)")
    print(f"cores: {os.cpu_count()}; load average before: {load_average()} (the machine may be shared)", flush=True)
    summaries = [run_database(kind, args) for kind in [k.strip() for k in args.db.split(",") if k.strip()]]
    print(f"== summary (load average now {load_average()} on {os.cpu_count()} cores)")
    print("\n".join(summaries))


if __name__ == "__main__":
    main()
