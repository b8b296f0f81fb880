"""What a cycle count's rounds settle, with the campaign's tolerances (tickets.tolerance).

Round 1 within tolerance of book: counted. Out of it: a second count by another person. Round 2
agreeing with round 1 (between-counts tolerance) confirms round 2; disagreeing: a third count, final.
A confirmed count far from book is a difference to accept, not a fourth count: two people found it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tickets.tolerance import Tolerance, is_significant


@dataclass(frozen=True)
class Step:
    """After a round: the next round needed (2 or 3), or the final quantity."""

    next_round: int | None
    final_qty: Decimal | None

    @property
    def done(self) -> bool:
        return self.next_round is None


def after_round(round_: int, counts: dict[int, Decimal], book_qty: Decimal, unit_cost: Decimal,
                between: Tolerance, vs_book: Tolerance) -> Step:
    """The step after ``round_`` given the counts so far (round → quantity)."""
    if round_ == 1:
        first = counts[1]
        if is_significant(first - book_qty, book_qty, unit_cost, vs_book):
            return Step(2, None)
        return Step(None, first)
    if round_ == 2:
        first, second = counts[1], counts[2]
        if is_significant(second - first, max(first, second), unit_cost, between):
            return Step(3, None)
        return Step(None, second)
    return Step(None, counts[3])


def within(first: Decimal, book_qty: Decimal, unit_cost: Decimal, vs_book: Tolerance) -> bool:
    """Round 1 within the tolerance against book: what count accuracy measures."""
    return not is_significant(first - book_qty, book_qty, unit_cost, vs_book)
