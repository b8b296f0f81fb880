"""Coverage and accuracy of a programme, per class and place (site, zone) and in total.

Coverage: the share of lines counted at least once in the year (a count is in once its rounds are done,
its difference accepted or not). Overdue: entries still open whose due day has passed. Accuracy: the
share of counts whose first round was within the tolerance against book; the value of differences in
cents, in size (Σ|value|) and net.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class LineFacts:
    """What the coverage needs of one line: where it is, its class, and what its counts gave."""

    item: str
    abc_class: str
    site: str
    zone: str
    counted: int = 0          # counts done (rounds finished)
    overdue: int = 0          # open entries due before today
    within: int = 0           # of the counts done, round 1 within tolerance
    difference_cents: int = 0  # Σ |value of the difference| of the counts done
    net_cents: int = 0         # Σ value of the difference


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class CoverageRow:
    abc_class: str
    site: str = ""
    zone: str = ""
    lines: int = 0
    counted_once: int = 0
    overdue: int = 0
    counts: int = 0
    within: int = 0
    difference_cents: int = 0
    net_cents: int = 0
    _items: set = field(default_factory=set, repr=False)

    @property
    def items(self) -> int:
        return len(self._items)

    @property
    def coverage_pct(self) -> Decimal | None:
        return _pct(self.counted_once, self.lines)

    @property
    def accuracy_pct(self) -> Decimal | None:
        return _pct(self.within, self.counts)

    def add(self, line: LineFacts) -> None:
        self._items.add(line.item)
        self.lines += 1
        self.counted_once += 1 if line.counted else 0
        self.overdue += line.overdue
        self.counts += line.counted
        self.within += line.within
        self.difference_cents += line.difference_cents
        self.net_cents += line.net_cents


@dataclass
class CoverageFigures:
    rows: list[CoverageRow]          # per class × site × zone
    by_class: list[CoverageRow]      # per class
    total: CoverageRow
    items_counted: int               # items whose every line was counted at least once
    items_total: int


def coverage(lines: Iterable[LineFacts]) -> CoverageFigures:
    """Sum the lines' facts per class and place, per class, and in total."""
    rows: dict[tuple, CoverageRow] = {}
    classes: dict[str, CoverageRow] = {}
    total = CoverageRow("")
    uncounted: set[str] = set()
    items: set[str] = set()
    for line in lines:
        rows.setdefault((line.abc_class, line.site, line.zone),
                        CoverageRow(line.abc_class, line.site, line.zone)).add(line)
        classes.setdefault(line.abc_class, CoverageRow(line.abc_class)).add(line)
        total.add(line)
        items.add(line.item)
        if not line.counted:
            uncounted.add(line.item)
    return CoverageFigures([rows[k] for k in sorted(rows)], [classes[k] for k in sorted(classes)], total,
                           len(items - uncounted), len(items))
