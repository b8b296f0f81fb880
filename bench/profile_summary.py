"""Read py-spy's collapsed stacks (``py-spy record --format raw``): where the CPU of a request goes.

    print(heaviest(Path("count_sqlite.txt").read_text(), top=30))

Each line is ``frame;frame;...;frame samples``, outermost first, a frame ``function (path:line)``.
py-spy leaves out threads it sees idle, but not all waits: gunicorn's sync worker lingers after each
answer until the client closes (``close_graceful``), and that shows as busy. So shares are given of the
samples inside Flask's ``wsgi_app`` (the request's own work), and the lingering is reported apart.
"""
from __future__ import annotations

import re
from collections import Counter

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^()]*?)(?::\d+)?\)$")


def parse(text: str) -> list[tuple[list[str], int]]:
    """The stacks (frames as ``function (path)``, line numbers dropped) and their sample counts."""
    stacks = []
    for line in text.splitlines():
        head, _, count = line.rstrip().rpartition(" ")
        if not head or not count.isdigit():
            continue
        frames = []
        for frame in head.split(";"):
            match = _FRAME.match(frame)
            frames.append(f"{match['function']} ({_short(match['path'])})" if match else frame)
        stacks.append((frames, int(count)))
    return stacks


def _short(path: str) -> str:
    """A path from its package on: .../site-packages/sqlalchemy/orm/query.py -> sqlalchemy/orm/query.py."""
    for marker in ("site-packages/", "dist-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker == "/lib/python3":
                path = "stdlib" + path[path.find("/"):]
            break
    for root in ("countapp/", "tickets/", "reports/", "instructions/", "bench/"):
        at = path.find("/" + root)
        if at >= 0:
            return path[at + 1:]
    return path


def package_of(frame: str) -> str:
    match = re.search(r"\(([^()]*)\)$", frame)
    path = match.group(1) if match else frame
    if path.startswith("stdlib/"):
        return "stdlib " + path.split("/")[1].removesuffix(".py")
    return path.split("/", 1)[0].removesuffix(".py") if "/" in path else path


def inclusive(stacks: list[tuple[list[str], int]]) -> Counter:
    """Samples in which each frame is on the stack (once per stack, recursion or not)."""
    totals: Counter = Counter()
    for frames, count in stacks:
        for frame in set(frames):
            totals[frame] += count
    return totals


def _has(frames: list[str], function: str) -> bool:
    return any(frame.startswith(function + " (") for frame in frames)


# Frames of a call into the database driver: a PostgreSQL round trip (or lock wait), SQLite's own work.
DRIVER = ("DefaultDialect.do_execute", "DefaultDialect.do_executemany", "DefaultDialect.do_commit",
          "Connection.wait", "Cursor.execute")
# Wrappers every request goes through: never "the nearest app function".
WRAPPERS = ("serve_command", "requires.<locals>")


def by_app_function(stacks: list[tuple[list[str], int]], prefixes: tuple[str, ...] = ("countapp/", "tickets/")
                    ) -> Counter:
    """Samples by (the deepest app function on the stack, in the database driver or not)."""
    totals: Counter = Counter()
    for frames, count in stacks:
        own = [f for f in frames if any(f"({p}" in f for p in prefixes) and not f.startswith(WRAPPERS)]
        in_driver = any(frame.startswith(DRIVER) for frame in frames)
        totals[(own[-1] if own else "(no app function)", in_driver)] += count
    return totals


def heaviest(text: str, top: int = 30, request: str = "Flask.wsgi_app") -> str:
    """A report: functions by inclusive share of the requests' samples (wrappers present in nearly all of
    them left out), and the leaves' packages by share of self time."""
    stacks = parse(text)
    total = sum(count for _, count in stacks) or 1
    lingering = sum(count for frames, count in stacks if _has(frames, "close_graceful"))
    in_request = [(frames, count) for frames, count in stacks if _has(frames, request)]
    busy = sum(count for _, count in in_request) or 1
    shares = [(frame, n) for frame, n in inclusive(in_request).most_common()
              if n < 0.95 * busy and not frame.startswith("process ")]   # py-spy's per-process root
    leaves: Counter = Counter()
    for frames, count in in_request:
        leaves[package_of(frames[-1])] += count
    lines = [f"  profile: {total} samples; in {request} {busy} ({100 * busy / total:.0f} %), gunicorn lingering "
             f"after answers (close_graceful) {lingering} ({100 * lingering / total:.0f} %)",
             f"  by the deepest app function on the stack, share of the {busy} request samples "
             "(driver: in a database call, PostgreSQL round trips and lock waits included):"]
    lines += [f"    {100 * n / busy:5.1f} %  {'driver' if driver else 'Python'}  {frame}"
              for (frame, driver), n in by_app_function(in_request).most_common(top // 2)]
    lines.append("  by inclusive share of the request samples:")
    lines += [f"    {100 * n / busy:5.1f} %  {frame}" for frame, n in shares[:top]]
    lines.append("  self time by package: " + ", ".join(f"{name} {100 * n / busy:.0f} %"
                                                        for name, n in leaves.most_common(12)))
    return "\n".join(lines)
