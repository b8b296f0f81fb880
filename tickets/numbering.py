"""Ticket numbers and the order tickets are generated in.

A number is printed as on paper, ``000123/2025`` (sequence / fiscal year). Numbers come from one
sequence per campaign and are never reused: a voided ticket keeps its number for ever, so new
tickets always continue after the highest number ever generated.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from .errors import CountappError, N_, NotFound

DIGITS = 6
# The database stores the sequence as a 32-bit integer; anything above is a typing slip.
MAX_SEQUENCE = 2_147_483_647
# Goods of ours held elsewhere are not counted on site: they get no ticket.
NOT_COUNTED_OWNERS = frozenset({"at_third_party"})

_NUMBER = re.compile(r"(?:ticket\s*)?(?:n[°o]\.?\s*)?([0-9]+)(?:\s*/\s*([0-9]+))?", re.ASCII | re.IGNORECASE)
_CHUNKS = re.compile(r"[0-9]+|[^0-9]+")


def format_number(sequence: int, fiscal_year: int) -> str:
    """The number as printed on the ticket: six digits at least, then the fiscal year."""
    if sequence <= 0:
        raise ValueError(f"ticket sequences start at 1, not {sequence}")
    return f"{sequence:0{DIGITS}d}/{fiscal_year}"


def number_parts(text) -> tuple[int, int | None] | None:
    """``(sequence, year or None)`` of a well-formed ticket number of any year, else None (then
    ``parse_number`` with the campaign's year says what is wrong)."""
    match = _NUMBER.fullmatch("" if text is None else str(text).strip()[:40])
    if match is None:
        return None
    digits, year = match.groups()
    sequence = int(digits)
    if not 0 < sequence <= MAX_SEQUENCE:
        return None
    return sequence, (int(year) if year is not None else None)


def parse_number(text: str, fiscal_year: int) -> int:
    """The sequence of a ticket typed or scanned as ``000123/2025``, ``123/2025``, ``000123`` or ``123``."""
    raw = "" if text is None else str(text)
    shown = raw.strip()[:40]
    if not shown:
        raise CountappError(N_("A ticket number is required."), field="ticket")
    match = _NUMBER.fullmatch(shown)
    if match is None:
        raise CountappError(N_("%(ticket)s is not a ticket number: type it as printed, e.g. 000123/%(year)s."),
                            field="ticket", ticket=shown, year=fiscal_year)
    digits, year = match.groups()
    if year is not None and int(year) != fiscal_year:
        # A well-formed number of another fiscal year names no ticket of this campaign (404, not bad input).
        kind = NotFound if len(year) == 4 else CountappError
        raise kind(N_("Ticket %(ticket)s belongs to fiscal year %(found)s, not to %(year)s."),
                            field="ticket", ticket=shown, found=year, year=fiscal_year)
    sequence = int(digits)
    if sequence == 0:
        raise CountappError(N_("Ticket numbers start at 1: %(ticket)s is not one."), field="ticket", ticket=shown)
    if sequence > MAX_SEQUENCE:
        raise CountappError(N_("%(ticket)s is too large to be a ticket number: check for a typing slip."),
                            field="ticket", ticket=shown)
    return sequence


def _natural(text: str | None) -> tuple:
    # Digits compare as numbers (A2 before A10); letters ignore case. The tags keep ints and strings apart.
    return tuple((0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk.casefold())
                 for chunk in _CHUNKS.findall(text or ""))


def route_order_key(site: str | None, zone: str | None, location: str | None, reference: str | None,
                    lot: str | None) -> tuple:
    """Sort key that walks site, zone, location, then reference and lot, in natural order."""
    fields = (site, zone, location, reference, lot)
    # The raw texts break ties between spellings the natural key treats alike (A02 / A2, a / A).
    return tuple(_natural(f) for f in fields) + tuple(f or "" for f in fields)


@dataclass(frozen=True)
class BookLineRef:
    """What ticket generation needs to know of a book line."""

    id: int
    site: str | None
    zone: str | None
    location: str | None
    reference: str | None
    lot: str | None
    owner: str = "own"


def plan_generation(lines: Iterable[BookLineRef], existing_live_keys: Collection[int], next_sequence: int,
                    blank: int) -> list[tuple[int, int | None]]:
    """The (sequence, book line id or None) to create: book lines lacking a live ticket in route order, then blanks."""
    if next_sequence < 1:
        raise ValueError(f"sequences start at 1, not {next_sequence}")
    if blank < 0:
        raise CountappError(N_("The number of blank tickets cannot be negative."), field="blank")
    live = set(existing_live_keys)
    wanted: dict[int, BookLineRef] = {}
    for line in lines:
        owner = getattr(line.owner, "value", line.owner) or "own"
        if owner not in NOT_COUNTED_OWNERS and line.id not in live:
            wanted[line.id] = line
    # Sites, zones, locations and references repeat from line to line: each text is cut up once.
    natural: dict[str | None, tuple] = {}

    def part(text: str | None) -> tuple:
        key = natural.get(text)
        if key is None:
            key = natural[text] = _natural(text)
        return key

    def route(l: BookLineRef) -> tuple:
        fields = (l.site, l.zone, l.location, l.reference, l.lot)
        return (*(part(f) for f in fields), *(f or "" for f in fields), l.id)

    ordered = sorted(wanted.values(), key=route)
    plan: list[tuple[int, int | None]] = [(next_sequence + i, line.id) for i, line in enumerate(ordered)]
    start = next_sequence + len(plan)
    plan.extend((start + i, None) for i in range(blank))
    if plan and plan[-1][0] > MAX_SEQUENCE:
        raise CountappError(N_("Ticket numbers would pass %(max)s: that is more tickets than a campaign can hold."),
                            field="blank", max=MAX_SEQUENCE)
    return plan
