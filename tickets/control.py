"""Tag control: every number of every issued range is accounted for (DOMAIN.md, three-part tickets).

For each range handed to a team, each number is exactly one of: voided (with its reason),
counted in that range's round, returned unused, or missing, the exception auditors look for.
Across the whole sequence the control also shows gaps (numbers below the highest one that were
never generated) and numbers generated but never issued to any team.

Pure and linear in the number of tickets: 100,000 tickets take well under a second.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .numbering import format_number


@dataclass(frozen=True)
class IssuedRange:
    """Numbers first..last handed to a team for its round."""

    team: int
    round: int
    first: int
    last: int

    def __post_init__(self) -> None:
        if self.first < 1 or self.last < self.first:
            raise ValueError(f"a range runs from a number >= 1 to one not below it, not {self.first}..{self.last}")


@dataclass(frozen=True)
class ReturnedRange:
    """Numbers first..last a team handed back unused."""

    team: int
    first: int
    last: int


@dataclass(frozen=True)
class TicketFact:
    """What the control needs of a generated ticket: the rounds it was counted in and, if voided, why."""

    sequence: int
    counted_rounds: frozenset[int] | set[int] = frozenset()
    voided_reason: str | None = None


Span = tuple[int, int]


@dataclass(frozen=True)
class RangeControl:
    """One issued range, its numbers sorted into counted, voided, returned and missing."""

    team: int
    round: int
    first: int
    last: int
    counted: int
    voided: tuple[tuple[int, str], ...]       # (sequence, reason)
    returned: tuple[Span, ...]
    missing: tuple[Span, ...]

    @property
    def issued(self) -> int:
        return self.last - self.first + 1

    @property
    def returned_count(self) -> int:
        return _size(self.returned)

    @property
    def missing_count(self) -> int:
        return _size(self.missing)

    @property
    def ok(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class ControlReport:
    """The control of a campaign's tickets: per range, then over the whole sequence."""

    ranges: tuple[RangeControl, ...]
    highest: int                              # the highest number generated (0 when none)
    gaps: tuple[Span, ...]                    # in 1..highest, never generated
    not_issued: tuple[Span, ...]              # generated, in no issued range of any round
    voided: tuple[tuple[int, str], ...] = field(default=())   # every voided ticket, issued or not

    @property
    def missing_count(self) -> int:
        return sum(r.missing_count for r in self.ranges)

    @property
    def ok(self) -> bool:
        """True when no issued number is unaccounted for and the sequence has no gap."""
        return not self.gaps and all(r.ok for r in self.ranges)


def _size(spans: Iterable[Span]) -> int:
    return sum(last - first + 1 for first, last in spans)


def compact(numbers: Iterable[int]) -> tuple[Span, ...]:
    """Sorted numbers as runs: 12, 13, 14, 15, 40 → (12, 15), (40, 40)."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        elif not spans or n > spans[-1][1]:
            spans.append([n, n])
    return tuple((a, b) for a, b in spans)


def format_spans(spans: Iterable[Span]) -> str:
    """Runs as people write them: ``12-15, 40``."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return [(a, b) for a, b in merged]


def control(issued: Iterable[IssuedRange], returned: Iterable[ReturnedRange | tuple[int, int, int]],
            facts: Iterable[TicketFact], highest: int, generated: Iterable[Span] | None = None) -> ControlReport:
    """Account for every issued number (voided, counted in its round, returned, else missing), gaps and unissued.

    ``generated`` lists the numbers that exist as runs; when given, ``facts`` need only name the
    tickets that were counted or voided (a campaign of 100,000 tickets then loads a few facts,
    not 100,000). Without it, the generated numbers are those of ``facts``.
    """
    by_sequence = {fact.sequence: fact for fact in facts}
    ranges = sorted(issued, key=lambda r: (r.round, r.first, r.team))
    returns_by_team: dict[int, list[Span]] = defaultdict(list)
    for item in returned:
        team, first, last = (item.team, item.first, item.last) if isinstance(item, ReturnedRange) else item
        returns_by_team[team].append((first, last))
    merged_returns = {team: _merge(spans) for team, spans in returns_by_team.items()}

    controls = [_control_range(r, by_sequence, merged_returns.get(r.team, [])) for r in ranges]

    spans = _merge(generated) if generated is not None else list(compact(sorted(by_sequence)))
    top = max([highest, *(last for _, last in spans[-1:]), *(r.last for r in ranges)], default=0)
    gaps = _missing_from_spans(spans, top)
    not_issued = _subtract(spans, _merge((r.first, r.last) for r in ranges))
    voided = tuple((n, by_sequence[n].voided_reason or "") for n in sorted(by_sequence)
                   if by_sequence[n].voided_reason is not None)
    return ControlReport(tuple(controls), top, gaps, not_issued, voided)


def _missing_from_spans(present: list[Span], top: int) -> tuple[Span, ...]:
    """The runs of 1..top outside the sorted, merged ``present`` runs."""
    gaps, expected = [], 1
    for first, last in present:
        if first > expected:
            gaps.append((expected, min(first - 1, top)))
        expected = max(expected, last + 1)
    if expected <= top:
        gaps.append((expected, top))
    return tuple((a, b) for a, b in gaps if a <= b)


def _subtract(spans: list[Span], minus: list[Span]) -> tuple[Span, ...]:
    """The parts of the sorted, merged ``spans`` outside the sorted, merged ``minus`` runs."""
    out, j = [], 0
    for first, last in spans:
        n = first
        while j < len(minus) and minus[j][1] < n:
            j += 1
        k = j
        while n <= last:
            if k < len(minus) and minus[k][0] <= last:
                a, b = minus[k]
                if a > n:
                    out.append((n, a - 1))
                n = max(n, b + 1)
                k += 1
            else:
                out.append((n, last))
                break
    return tuple(out)


def _control_range(issued: IssuedRange, facts: dict[int, TicketFact], returns: list[Span]) -> RangeControl:
    counted, voided, back, missing = 0, [], [], []
    # The team's returns that fall in this range, expanded once: bounded by the range's size.
    returned_here: set[int] = set()
    for first, last in returns:
        lo, hi = max(first, issued.first), min(last, issued.last)
        if lo <= hi:
            returned_here.update(range(lo, hi + 1))
    round_ = issued.round
    for n in range(issued.first, issued.last + 1):
        fact = facts.get(n)
        # One verdict per number, strongest evidence first: a voided ticket is voided whatever
        # else happened to it, so that issued = counted + voided + returned + missing.
        if fact is not None and fact.voided_reason is not None:
            voided.append((n, fact.voided_reason))
        elif fact is not None and round_ in fact.counted_rounds:
            counted += 1
        elif n in returned_here:
            back.append(n)
        else:
            missing.append(n)
    return RangeControl(issued.team, round_, issued.first, issued.last, counted, tuple(voided), compact(back),
                        compact(missing))


# Campaign statuses in which teams may still count. An issued number without its count is then
# "not counted yet", a neutral fact of work in progress; once counting is over (reconciling,
# closed) the same number is "missing", the exception auditors look for.
STILL_COUNTING = ("planning", "counting")


def still_counting(campaign_status) -> bool:
    """True while teams may still count: an issued number without its count is not missing yet."""
    return str(getattr(campaign_status, "value", campaign_status)) in STILL_COUNTING


def range_verdict(r: RangeControl, *, counting: bool) -> str:
    """``ok`` (every number accounted for), ``pending`` (numbers not counted yet, while counting) or ``missing``."""
    if r.ok:
        return "ok"
    return "pending" if counting else "missing"


def verdict(report: ControlReport, *, counting: bool) -> str:
    """The whole control in one word: ``empty``, ``ok``, ``pending`` or ``bad``.

    Gaps in the sequence are never pending: a number that was never generated will not be counted.
    """
    if not report.highest:
        return "empty"
    if report.gaps or (report.missing_count and not counting):
        return "bad"
    return "pending" if report.missing_count else "ok"


CONTROL_COLUMNS = ("kind", "team", "round", "first", "last", "issued", "counted", "voided", "returned", "missing",
                   "missing_numbers", "voided_numbers", "returned_numbers")


def to_csv_rows(report: ControlReport, fiscal_year: int | None = None) -> Iterator[dict[str, object]]:
    """Rows for ``countapp tickets control --out`` (columns CONTROL_COLUMNS): ranges, gaps, unissued, total.

    ``first``/``last`` are printed as on the tickets when ``fiscal_year`` is given; the lists of
    numbers stay as bare sequences (``12-15, 40``) to remain readable.
    """
    def label(n: int) -> object:
        return format_number(n, fiscal_year) if fiscal_year is not None else n

    def row(**values) -> dict[str, object]:
        return {column: values.get(column, "") for column in CONTROL_COLUMNS}

    for r in report.ranges:
        yield row(kind="range", team=r.team, round=r.round, first=label(r.first), last=label(r.last),
                  issued=r.issued, counted=r.counted, voided=len(r.voided), returned=r.returned_count,
                  missing=r.missing_count, missing_numbers=format_spans(r.missing),
                  voided_numbers=_voided_text(r.voided), returned_numbers=format_spans(r.returned))
    for first, last in report.gaps:
        yield row(kind="gap", first=label(first), last=label(last), missing=last - first + 1,
                  missing_numbers=format_spans([(first, last)]))
    voided_reasons = dict(report.voided)
    for first, last in report.not_issued:
        voided_here = tuple((n, voided_reasons[n]) for n in range(first, last + 1) if n in voided_reasons)
        yield row(kind="not_issued", first=label(first), last=label(last), issued=0, voided=len(voided_here),
                  voided_numbers=_voided_text(voided_here))
    yield row(kind="total", issued=sum(r.issued for r in report.ranges),
              counted=sum(r.counted for r in report.ranges), voided=sum(len(r.voided) for r in report.ranges),
              returned=sum(r.returned_count for r in report.ranges),
              missing=report.missing_count)


def _voided_text(voided: Iterable[tuple[int, str]]) -> str:
    return "; ".join(f"{n} ({reason})" if reason else str(n) for n, reason in voided)
