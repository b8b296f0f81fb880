"""Benchmark: print N three-part tickets in each layout, with and without barcodes.

    .venv/bin/python bench/tickets_pdf.py --n 100000 --workers 2

Each run happens in a fresh child process, so its peak memory is its own: ``main`` is the
process that joins the chunks (RUSAGE_SELF), ``workers`` the largest drawing process
(RUSAGE_CHILDREN). Goals (issue 4): 100,000 tickets in 40 s or less on 2 cores, every
process under 300 MB, barcodes costing at most 1.6 times the same pages without them.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tickets.pdf import TicketView, write_tickets  # noqa: E402

DESIGNATIONS = ("Vis à tête hexagonale inox A2 M8×40, boîte de 100", "Palette de granulés PEHD naturel 25 kg",
                "Carton double cannelure 600×400×400", "Huile hydraulique HV 46, fût de 208 L")


def views(n: int, year: int = 2025):
    """N tickets like a real campaign: nine in ten pre-referenced, one in ten blank."""
    for seq in range(1, n + 1):
        if seq % 10 == 0:
            yield TicketView(f"{seq:06d}/{year}", team_round1=str(seq % 7 + 1), blank=True)
            continue
        yield TicketView(f"{seq:06d}/{year}", team_round1=str(seq % 7 + 1), team_round2=str(seq % 5 + 8),
                         reference=f"ART-{seq % 9000:05d}", designation=DESIGNATIONS[seq % 4],
                         unit=("pièce", "kg", "carton", "litre")[seq % 4], lot=f"L{seq % 311:04d}" if seq % 3 else None,
                         location=f"Entrepôt {'AB'[seq % 2]} - allée {seq % 40:02d} - niveau {seq % 5}")


def one_run(n: int, per_page: int, barcodes: bool, workers: int, chunk_size: int) -> dict:
    """Print once in this process and return the figures."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as out:
        start = time.perf_counter()
        pages = write_tickets(views(n), out, per_page=per_page, campaign="Inventaire FY2025", barcodes=barcodes,
                              workers=workers, chunk_size=chunk_size)
        out.flush()
        seconds = time.perf_counter() - start
        size = os.path.getsize(out.name)
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"n": n, "per_page": per_page, "barcodes": barcodes, "pages": pages, "seconds": seconds,
            # CPU seconds of every process: steadier than wall time on a shared machine
            "cpu": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
            "size": size, "main_mb": me.ru_maxrss / 1024, "workers_mb": children.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="tickets per run")
    parser.add_argument("--layouts", default="3,2,1", help="tickets per page to try, e.g. 3 or 3,2,1")
    parser.add_argument("--workers", type=int, default=2, help="drawing processes (1 = in the main process)")
    parser.add_argument("--chunk-size", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration, alternating with and without barcodes; the fastest is shown")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one configuration, print JSON
    args = parser.parse_args()
    if args.one:
        per_page, barcodes = args.one.split(":")
        print(json.dumps(one_run(args.n, int(per_page), barcodes == "1", args.workers, args.chunk_size)))
        return
    print(f"{args.n} tickets, workers={args.workers}, chunk_size={args.chunk_size}, cpus={os.cpu_count()}")
    print(f"{'per page':>8} {'barcodes':>8} {'pages':>7} {'seconds':>8} {'tickets/s':>10} {'CPU s':>6} "
          f"{'MB file':>8} {'main MB':>8} {'worker MB':>9} {'ratio wall':>10} {'ratio CPU':>9}")
    for per_page in (int(p) for p in args.layouts.split(",")):
        runs: dict[bool, list[dict]] = {True: [], False: []}
        # Alternate with and without barcodes, so a noisy spell on a shared machine hits both alike.
        for _ in range(args.repeat):
            for barcodes in (True, False):
                command = [sys.executable, os.path.abspath(__file__), "--n", str(args.n), "--workers",
                           str(args.workers), "--chunk-size", str(args.chunk_size), "--one",
                           f"{per_page}:{int(barcodes)}"]
                out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                runs[barcodes].append(json.loads(out))
        best = {}
        for barcodes in (True, False):
            run = best[barcodes] = dict(min(runs[barcodes], key=lambda r: r["seconds"]))
            run["cpu"] = min(r["cpu"] for r in runs[barcodes])
            wall = f"{best[True]['seconds'] / run['seconds']:.2f}" if not barcodes else ""
            cpu = f"{best[True]['cpu'] / run['cpu']:.2f}" if not barcodes else ""
            print(f"{per_page:>8} {'yes' if barcodes else 'no':>8} {run['pages']:>7} {run['seconds']:>8.1f} "
                  f"{run['n'] / run['seconds']:>10.0f} {run['cpu']:>6.1f} {run['size'] / 1e6:>8.1f} "
                  f"{run['main_mb']:>8.0f} {run['workers_mb']:>9.0f} {wall:>10} {cpu:>9}", flush=True)


if __name__ == "__main__":
    main()
