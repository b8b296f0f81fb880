"""The plan: every line's counts of the year spread over the working days, aisle by aisle.

Lines of one frequency ``f`` are taken in walking order (site, zone, location, reference, lot) and spread
over the first period (``N / f`` working days of the ``N`` in the span); their later counts follow one
period apart, so each line's counts are evenly spaced. All lines of a location start on the same day, so
a counter walks one aisle. The load of a day is then about the year's counts / ``N`` whatever the mix of
classes. With a daily capacity, a day over it passes its last lines (in walking order) to the next day.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple


def working_days(start: dt.date, end: dt.date, weekdays: Iterable[int] = (0, 1, 2, 3, 4),
                 holidays: Iterable[dt.date] = ()) -> list[dt.date]:
    """The days from ``start`` to ``end`` (both in) that fall on a working weekday and are not holidays."""
    open_days, closed = set(weekdays), set(holidays)
    out, day, step = [], start, dt.timedelta(days=1)
    while day <= end:
        if day.weekday() in open_days and day not in closed:
            out.append(day)
        day += step
    return out


class PlanLine(NamedTuple):
    """A line to plan: its id, its place (what is walked together), its rank in walking order, its counts a year.

    A tuple: a large programme has hundreds of thousands of lines."""

    line_id: int
    place: tuple
    walk_order: int
    frequency: int


@dataclass(frozen=True)
class Plan:
    entries: list[tuple[int, int, int]]   # (line_id, pass_no, day index), by day then walking order
    loads: list[int]      # lines a day, per working day
    needed_per_day: int   # the year's counts / working days, rounded up

    def overloaded(self, capacity: int) -> int:
        """Days with more lines than the capacity (0: no capacity, none)."""
        return sum(1 for load in self.loads if capacity and load > capacity)


def plan(lines: Sequence[PlanLine], n_days: int, capacity: int = 0) -> Plan:
    """Spread every line's counts over ``n_days`` working days (see the module's docstring)."""
    if n_days <= 0:
        return Plan([], [], 0)
    by_frequency: dict[int, list[PlanLine]] = {}
    for line in lines:
        by_frequency.setdefault(max(1, line.frequency), []).append(line)
    days: list[list[tuple[int, int, int]]] = [[] for _ in range(n_days)]   # (walk_order, line_id, pass_no)
    total = 0
    for frequency, group in sorted(by_frequency.items(), reverse=True):
        group.sort(key=lambda line: line.walk_order)
        frequency = min(frequency, n_days)   # more counts than days: one a day at most
        period = n_days / frequency
        size = len(group)
        start_of_place, place = 0, None
        for i, line in enumerate(group):
            if line.place != place:
                place, start_of_place = line.place, i
            offset = start_of_place * period / size
            for k in range(frequency):
                day = min(int(offset + k * period), n_days - 1)
                days[day].append((line.walk_order, line.line_id, k + 1))
            total += frequency
    if capacity:
        _spill(days, capacity)
    entries = []
    for index, on_day in enumerate(days):
        on_day.sort()
        entries.extend([(line_id, pass_no, index) for _, line_id, pass_no in on_day])
    return Plan(entries, [len(d) for d in days], -(-total // n_days))


def _spill(days: list[list[tuple[int, int, int]]], capacity: int) -> None:
    """Days over capacity pass their last lines in walking order to the next day; the last day keeps the rest."""
    carry: list[tuple[int, int, int]] = []
    for index, on_day in enumerate(days):
        if carry:
            on_day.extend(carry)
            carry = []
        if len(on_day) > capacity and index < len(days) - 1:
            on_day.sort()
            carry = on_day[capacity:]
            del on_day[capacity:]


def replan(missed: Sequence[tuple[int, int]], n_days: int, loads: Sequence[int], capacity: int) -> dict[int, int]:
    """Missed entries ``(plan id, walk order)`` onto the working days ``0..n_days-1`` from today, in walking
    order, each day filled up to ``capacity`` over its ``loads``; returns plan id → day index.

    Without a capacity (0) they all go to the first day. What no day has room for goes to the last day.
    """
    out: dict[int, int] = {}
    if n_days <= 0:
        return out
    day, room = 0, (capacity - loads[0]) if capacity else len(missed)
    for plan_id, _ in sorted(missed, key=lambda m: m[1]):
        while capacity and room <= 0 and day < n_days - 1:
            day += 1
            room = capacity - loads[day]
        out[plan_id] = day
        room -= 1
    return out
