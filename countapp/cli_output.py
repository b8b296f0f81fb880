"""What the commands print while they work: a bar on a terminal, plain lines in a log.

A progress bar redraws one line with carriage returns: fine on a terminal, noise in a cron mail,
a CI log or a file. Without a terminal each finished step is one line ("printing: 200/1000 tickets").
"""
from __future__ import annotations

from typing import IO

import click


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """``1 ticket``, ``2 tickets``, ``0 tickets``: the command line speaks English."""
    noun = singular if number == 1 else (plural or singular + "s")
    return f"{number:,} {noun}"


class Progress:
    """``update(done)`` with the running total; a click bar on a terminal, one line per step otherwise.

    A step is a call to ``update`` that moves the count on; lines are at most one per ``every`` items
    (and the last one), so a long import writes tens of lines, not thousands.
    """

    def __init__(self, total: int | None, label: str, unit: tuple[str, str], *, file: IO | None = None,
                 lines: int = 20) -> None:
        self.file = file or click.get_text_stream("stderr")
        self.total, self.label, self.unit = total, label, unit
        self.done = 0
        self.printed = -1
        self.every = max(1, (total or 0) // lines)
        self.bar = None
        if _is_terminal(self.file) and total:
            self.bar = click.progressbar(length=total, label=label, file=self.file, show_pos=True)
            self.bar.__enter__()

    def update(self, done: int) -> None:
        done = max(done, self.done)
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done
        if self.bar is None and done != self.printed and (done - max(self.printed, 0) >= self.every
                                                          or (self.total and done >= self.total)):
            self._line()

    def _line(self) -> None:
        noun = self.unit[0] if (self.total if self.total else self.done) == 1 else self.unit[1]
        of = f"/{self.total:,}" if self.total else ""
        click.echo(f"{self.label}: {self.done:,}{of} {noun}", file=self.file)
        self.printed = self.done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
        elif self.done != self.printed and self.done:
            self._line()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream: IO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
