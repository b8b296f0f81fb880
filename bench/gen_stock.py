"""A realistic stock export of N lines, and the time and memory to read and check it.

    python bench/gen_stock.py generate stock.csv 1000000 [--seed 1] [--style en|fr]
    python bench/gen_stock.py check stock.csv [--keep-rows]     # read + check_stock, one process
    python bench/gen_stock.py measure [--lines 1000000]         # generate, then check in both modes

``en`` writes a comma-delimited UTF-8 file with ``.`` decimals; ``fr`` a semicolon-delimited
Windows-1252 file with decimal commas and space-grouped thousands, as French ERPs export.
Several sites and zones, locations like ``A-01-02-03``, lots on some items, about 1% of
lines held for or by third parties, costs with up to 4 decimals.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SITES = ("LYON", "LILLE", "NANTES")
AISLES = ("ABCDEFGH", "JKLMNPQ", "RSTUVWXY")
CATEGORIES = (("raw_materials", "MP", 0.35), ("other_supplies", "FO", 0.15), ("wip_goods", "EC", 0.05),
              ("products", "PF", 0.2), ("goods_for_resale", "MA", 0.25))
NOUNS = ("Pièce détachée", "Vis à tête fraisée", "Écrou", "Roulement", "Joint torique", "Câble", "Tôle",
         "Granulés", "Carton", "Palette", "Moteur", "Capteur", "Flacon", "Étiquette", "Résine", "Tube")
QUALIFIERS = ("inox", "acier", "laiton", "PVC", "renforcé", "standard", "haute température", "bleu",
              "noir", "M6", "M8", "M10", "20 mm", "50 mm", "1 L", "5 kg")
UNITS = ("pc", "pc", "pc", "kg", "m", "l", "box")
HEADER = ("reference", "designation", "unit", "category", "location", "zone", "site", "lot", "book_qty",
          "unit_cost", "owner", "last_movement_date", "market_price")


def _locations(count: int, rng: random.Random) -> list[str]:
    """Location parts ``code,zone,site``: aisle-rack-level-position, aisles split between sites."""
    out = []
    per_site = -(-count // len(SITES))
    for site, aisles in zip(SITES, AISLES):
        racks = max(1, -(-per_site // (len(aisles) * 6 * 10)))
        made = 0
        for aisle in aisles:
            zone = f"{site[:3]}-{aisle}"
            for rack in range(1, racks + 1):
                for level in range(1, 7):
                    for position in range(1, 11):
                        if made < per_site:
                            out.append((f"{aisle}-{rack:02d}-{level:02d}-{position:02d}", zone, site))
                            made += 1
    rng.shuffle(out)
    return out[:count]


def generate_stock_csv(path: str | os.PathLike, n: int, seed: int = 1, style: str = "en") -> Path:
    """Write a stock file of ``n`` book lines (unique per reference, location and lot)."""
    rng = random.Random(seed)
    french = style == "fr"
    sep = ";" if french else ","
    lines_per_item = 8
    n_items = max(1, -(-n // lines_per_item))
    n_locations = max(lines_per_item, n // lines_per_item)
    stride = n_locations // lines_per_item
    places = [sep.join(p) for p in _locations(n_locations, rng)]
    weights = [w for _, _, w in CATEGORIES]

    def number(value: float, places_: int) -> str:
        text = f"{value:.{places_}f}".rstrip("0").rstrip(".") if places_ else f"{value:.0f}"
        if french:
            whole, _, fraction = text.partition(".")
            if len(whole) > 3:  # French exports group thousands with a space
                whole = f"{int(whole):,}".replace(",", " ")
            text = f"{whole},{fraction}" if fraction else whole
        return text

    items = []
    for k in range(n_items):
        category, prefix, _ = rng.choices(CATEGORIES, weights)[0]
        unit = rng.choice(UNITS)
        designation = f"{rng.choice(NOUNS)} {rng.choice(QUALIFIERS)}"
        cost = round(rng.lognormvariate(2.5, 1.3), rng.choice((2, 2, 3, 4)))
        lots = rng.random() < 0.15
        # The texts that repeat on every line of the item are written once.
        head = sep.join((f"{prefix}{k:07d}", designation, unit, category))
        items.append((head, unit in ("kg", "m", "l"), number(cost, 4), number(cost * 0.6, 2), lots))
    days = [f"2025-{m:02d}-{d:02d}" if not french else f"{d:02d}/{m:02d}/2025"
            for m in range(1, 13) for d in range(1, 29)]
    counts = [number(q, 0) for q in range(500)]

    random_ = rng.random
    encoding = "cp1252" if french else "utf-8"
    with open(path, "w", encoding=encoding, newline="") as out:
        header = sep.join(h.upper() if french and h in ("reference", "unit") else h for h in HEADER)
        out.write(header + "\r\n")
        buffer = []
        for i in range(n):
            k, j = divmod(i, lines_per_item)
            head, measured, cost, market, lots = items[k % n_items]
            place = places[(k * 7 + j * stride) % n_locations]
            lot = f"L{25 + j % 2}{(k * 13 + j) % 997:03d}" if lots else ""
            roll = random_()
            if roll < 0.002:
                qty = number(roll * 2_000_000, 3 if measured else 0)  # a few big stacks: thousands separators
            elif measured:
                qty = number(roll * 40, 3)
            else:
                qty = counts[int(roll * 500)]
            roll = random_()
            owner = "third_party" if roll < 0.005 else "at_third_party" if roll < 0.01 else "own"
            last = days[int(roll * 336)]
            buffer.append(f"{head}{sep}{place}{sep}{lot}{sep}{qty}{sep}{cost}{sep}{owner}{sep}{last}{sep}"
                          f"{market if roll * 1000 % 1 > 0.95 else ''}\r\n")
            if len(buffer) >= 10_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))
    return Path(path)


def check(path: str, keep_rows: bool) -> None:
    """Read and check one file in this process; print lines, errors, seconds and peak memory."""
    from countapp.filecheck import check_stock
    from countapp.tabular import read_table

    started = time.perf_counter()
    table = read_table(path)
    result = check_stock(table, filename=table.filename, keep_rows=keep_rows)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"read+check {result.lines:,} lines ({table.delimiter!r}, {table.encoding}), keep_rows={keep_rows}: "
          f"{seconds:.2f} s, peak RSS {peak_mib:.0f} MiB, {result.error_count} errors, {result.items:,} items, "
          f"{result.locations:,} locations, {len(result.rows):,} rows kept")
    for error in result.errors[:5]:
        print("  ", error.render())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write a stock file")
    gen.add_argument("path")
    gen.add_argument("lines", type=int)
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--style", choices=("en", "fr"), default="en")
    chk = commands.add_parser("check", help="read and check a stock file")
    chk.add_argument("path")
    chk.add_argument("--keep-rows", action="store_true")
    measure = commands.add_parser("measure", help="generate, then check in fresh processes")
    measure.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    if args.command == "generate":
        started = time.perf_counter()
        generate_stock_csv(args.path, args.lines, args.seed, args.style)
        print(f"generated {args.lines:,} lines in {time.perf_counter() - started:.2f} s "
              f"({os.path.getsize(args.path) / 2**20:.1f} MiB)")
    elif args.command == "check":
        check(args.path, args.keep_rows)
    else:
        with tempfile.TemporaryDirectory() as folder:
            for style in ("en", "fr"):
                path = os.path.join(folder, f"stock_{style}.csv")
                started = time.perf_counter()
                generate_stock_csv(path, args.lines, 1, style)
                print(f"generated {args.lines:,} lines ({style}) in {time.perf_counter() - started:.2f} s, "
                      f"{os.path.getsize(path) / 2**20:.1f} MiB")
                for keep in (False, True):
                    command = [sys.executable, __file__, "check", path] + (["--keep-rows"] if keep else [])
                    subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
