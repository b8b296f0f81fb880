"""Tag control as auditors read it: per team, and against the numbers they saw on the floor.

The ticket control (``tickets.control``) sorts every issued number into counted, voided,
returned or missing, range by range. Auditors attending the count also write down, per team,
the first and last ticket numbers they saw in use; after the count those are compared with the
records: a number seen that was never issued to the team, numbers counted beyond the last one
seen (used after the auditor's visit), or numbers up to the last one seen that are unaccounted
for, are the exceptions to follow up.

Pure: no Flask, no database.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from tickets.control import ControlReport, Span, compact

NOTE_CODES = ("first_not_issued", "last_not_issued", "first_differs", "last_differs", "used_after_last_seen",
              "missing_up_to_last_seen", "seen_in_wrong_order")


def _numbers(spans: Iterable[Span]) -> list[int]:
    return [n for first, last in spans for n in range(first, last + 1)]


@dataclass(frozen=True)
class TeamTags:
    """One team's tickets: ranges issued, numbers counted (used), voided with reasons, returned, missing."""

    team: int
    round: int
    ranges: tuple[Span, ...]
    counted: tuple[Span, ...]
    voided: tuple[tuple[int, str], ...]
    returned: tuple[Span, ...]
    missing: tuple[Span, ...]

    @property
    def issued_count(self) -> int:
        return sum(b - a + 1 for a, b in self.ranges)

    @property
    def counted_count(self) -> int:
        return sum(b - a + 1 for a, b in self.counted)

    @property
    def returned_count(self) -> int:
        return sum(b - a + 1 for a, b in self.returned)

    @property
    def missing_count(self) -> int:
        return sum(b - a + 1 for a, b in self.missing)

    @property
    def first_issued(self) -> int | None:
        return self.ranges[0][0] if self.ranges else None

    @property
    def last_issued(self) -> int | None:
        return self.ranges[-1][1] if self.ranges else None

    @property
    def first_used(self) -> int | None:
        return self.counted[0][0] if self.counted else None

    @property
    def last_used(self) -> int | None:
        return self.counted[-1][1] if self.counted else None

    def issued_here(self, n: int) -> bool:
        return any(a <= n <= b for a, b in self.ranges)


def team_tags(report: ControlReport) -> list[TeamTags]:
    """The control's ranges gathered per team (a team may hold several ranges), in round and team order."""
    grouped = defaultdict(list)
    for r in report.ranges:
        grouped[(r.round, r.team)].append(r)
    teams = []
    for (round_, team), ranges in sorted(grouped.items()):
        ranges.sort(key=lambda r: r.first)
        counted = []
        for r in ranges:
            others = {n for n, _ in r.voided} | set(_numbers(r.returned)) | set(_numbers(r.missing))
            counted.extend(n for n in range(r.first, r.last + 1) if n not in others)
        teams.append(TeamTags(
            team=team, round=round_, ranges=tuple((r.first, r.last) for r in ranges), counted=compact(counted),
            voided=tuple(v for r in ranges for v in r.voided),
            returned=tuple(s for r in ranges for s in r.returned), missing=tuple(s for r in ranges for s in r.missing)))
    return teams


@dataclass(frozen=True)
class FloorSeen:
    """The first and last numbers an auditor saw a team using on the floor."""

    first: int
    last: int


@dataclass(frozen=True)
class Note:
    code: str                 # one of NOTE_CODES
    seen: int | None = None
    recorded: int | None = None
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Comparison:
    team: TeamTags
    seen: FloorSeen | None
    notes: tuple[Note, ...]

    @property
    def recorded(self) -> bool:
        return self.seen is not None

    @property
    def agrees(self) -> bool:
        return self.seen is not None and not self.notes


def compare(tags: TeamTags, seen: FloorSeen | None) -> Comparison:
    """What the records say against what the auditor saw on the floor (no notes: they agree)."""
    if seen is None:
        return Comparison(tags, None, ())
    notes: list[Note] = []
    if seen.last < seen.first:
        notes.append(Note("seen_in_wrong_order", seen.last, seen.first))
    if not tags.issued_here(seen.first):
        notes.append(Note("first_not_issued", seen.first))
    if not tags.issued_here(seen.last):
        notes.append(Note("last_not_issued", seen.last))
    if tags.first_used is not None and seen.first != tags.first_used:
        notes.append(Note("first_differs", seen.first, tags.first_used))
    if seen.last != tags.last_used:
        notes.append(Note("last_differs", seen.last, tags.last_used))
    after = compact(n for n in _numbers(tags.counted) if n > seen.last)
    if after:
        notes.append(Note("used_after_last_seen", seen.last, spans=after))
    before = compact(n for n in _numbers(tags.missing) if n <= seen.last)
    if before:
        notes.append(Note("missing_up_to_last_seen", seen.last, spans=before))
    return Comparison(tags, seen, tuple(notes))
