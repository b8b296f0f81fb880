"""Reading tickets back: the list with filters, a ticket's history, the issued ranges, tag control.

Nothing here writes. The list pages through the campaign by number (keyset, never OFFSET) and
counts with the few joins a filter needs, so a page stays quick with 100,000 tickets.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from reports import csv_out
from tickets import numbering
from tickets import control as control_rules
# range_verdict and verdict are used by the control view through this module.
from tickets.control import (CONTROL_COLUMNS, ControlReport, IssuedRange, ReturnedRange, TicketFact, compact,
                             control, format_spans, range_verdict, to_csv_rows, verdict)  # noqa: F401 - the pages use verdict and range_verdict from here
from tickets.errors import CountappError

from ..extensions import db
from ..models import (BookLine, Campaign, Count, Item, Location, Owner, Team, Ticket, TicketRange, TicketReturn,
                      TicketStatus, TicketVoid, User, Zone)
from .ticket_pages import Page, ticket_page

PAGE_SIZE = 100


def _label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


# --- the list -----------------------------------------------------------------------------------

@dataclass
class Filters:
    """What the list page filters on; every field optional."""

    status: str = ""
    team: int | None = None
    zone: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        status = args.get("status", "")
        team = args.get("team", "")
        return cls(status=status if status in {s.value for s in TicketStatus} else "",
                   team=int(team) if team.isdigit() and int(team) < 100_000 else None,
                   zone=(args.get("zone") or "")[:80], q=" ".join((args.get("q") or "").split())[:80])

    def args(self) -> dict:
        return {k: v for k, v in (("status", self.status), ("team", self.team), ("zone", self.zone), ("q", self.q))
                if v not in ("", None)}


def _item_id():
    return sa.func.coalesce(BookLine.item_id, Ticket.item_id)


def _location_id():
    return sa.func.coalesce(BookLine.location_id, Ticket.location_id)


def _conditions(campaign: Campaign, filters: Filters) -> list:
    """The WHERE clauses of the filters, on the ticket table alone (sub-selects, no join), so that a
    filtered page walks the tickets in number order and a count needs no join."""
    where: list = [Ticket.campaign_id == campaign.id]
    if filters.status:
        where.append(Ticket.status == TicketStatus(filters.status))
    if filters.team is not None:
        team_ids = sa.select(Team.id).where(Team.campaign_id == campaign.id, Team.number == filters.team)
        where.append(sa.or_(Ticket.team1_id.in_(team_ids), Ticket.team2_id.in_(team_ids)))
    if filters.zone:
        places = (sa.select(Location.id).join(Zone, Zone.id == Location.zone_id)
                  .where(Zone.campaign_id == campaign.id, Zone.code == filters.zone))
        where.append(_at(campaign, sa.false(), places))
    if filters.q:
        text = filters.q.casefold()
        items = sa.select(Item.id).where(Item.campaign_id == campaign.id, sa.or_(
            sa.func.lower(Item.reference).contains(text, autoescape=True),
            sa.func.lower(Item.designation).contains(text, autoescape=True)))
        places = sa.select(Location.id).where(Location.campaign_id == campaign.id,
                                              sa.func.lower(Location.code).contains(text, autoescape=True))
        matches = _at(campaign, Ticket.item_id.in_(items), places, BookLine.item_id.in_(items))
        try:
            matches = sa.or_(matches, Ticket.sequence == numbering.parse_number(filters.q, campaign.fiscal_year))
        except CountappError:
            pass
        where.append(matches)
    return where


def _at(campaign: Campaign, ticket_condition, places, line_condition=sa.false()):
    """Tickets whose book line, or (blank tickets) own item or place, meets the conditions."""
    lines = sa.select(BookLine.id).where(BookLine.campaign_id == campaign.id,
                                         sa.or_(line_condition, BookLine.location_id.in_(places)))
    return sa.or_(Ticket.book_line_id.in_(lines), ticket_condition, Ticket.location_id.in_(places))


def page(campaign: Campaign, filters: Filters, *, after: int | None = None, before: int | None = None,
         size: int = PAGE_SIZE) -> Page:
    """One page of tickets in number order: after ``after``, or the page ending before ``before``."""
    team1, team2, zone = sa.orm.aliased(Team), sa.orm.aliased(Team), sa.orm.aliased(Zone)

    def details(keys):
        return (sa.select(Ticket.sequence, Ticket.status, Ticket.is_blank, Item.reference, Item.designation,
                          Item.unit, Location.code, zone.code, sa.func.coalesce(BookLine.lot, Ticket.lot),
                          BookLine.owner, team1.number, team2.number)
                .select_from(Ticket).join(keys, keys.c.id == Ticket.id)
                .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
                .outerjoin(Item, Item.id == _item_id()).outerjoin(Location, Location.id == _location_id())
                .outerjoin(zone, zone.id == Location.zone_id)
                .outerjoin(team1, team1.id == Ticket.team1_id).outerjoin(team2, team2.id == Ticket.team2_id))

    def rows_of(found):
        return [{"sequence": r[0], "ticket": _label(campaign, r[0]), "status": getattr(r[1], "value", r[1]),
                 "blank": bool(r[2]), "reference": r[3] or "", "designation": r[4] or "", "unit": r[5] or "",
                 "location": r[6] or "", "zone": r[7] or "", "lot": r[8] or "",
                 "owner": getattr(r[9], "value", r[9]) or "", "team_round1": r[10], "team_round2": r[11]}
                for r in found]

    return ticket_page(_conditions(campaign, filters), details, rows_of, after=after, before=before, size=size)


def summary(campaign: Campaign) -> dict:
    """Totals for the ticket pages: how many, highest number, blanks, per status, book lines lacking a ticket."""
    statuses = {s.value: 0 for s in TicketStatus}
    total = highest = blanks = live_pre_referenced = 0
    # One pass over the campaign's tickets, grouped by what the page shows.
    for status, blank, n, top in db.session.execute(
            sa.select(Ticket.status, Ticket.is_blank, sa.func.count(), sa.func.max(Ticket.sequence))
            .where(Ticket.campaign_id == campaign.id).group_by(Ticket.status, Ticket.is_blank)):
        status = getattr(status, "value", status)
        statuses[status] += n
        total, highest = total + n, max(highest, top or 0)
        blanks += n if blank else 0
        live_pre_referenced += n if not blank and status != TicketStatus.VOIDED.value else 0
    lines = db.session.scalar(sa.select(sa.func.count()).select_from(BookLine).where(
        BookLine.campaign_id == campaign.id, BookLine.owner != Owner.AT_THIRD_PARTY))
    # Generation keeps one live pre-referenced ticket per book line, so no join is needed to tell
    # how many lines still lack one (after a void or a book change).
    return {"total": total, "highest": highest, "blank": blanks, "statuses": statuses,
            "lines_to_ticket": max(0, (lines or 0) - live_pre_referenced)}


def zones(campaign: Campaign) -> list[str]:
    return list(db.session.scalars(sa.select(Zone.code).where(Zone.campaign_id == campaign.id).order_by(Zone.code)))


# --- one ticket ---------------------------------------------------------------------------------

@dataclass
class TicketHistory:
    ticket: Ticket
    number: str
    reference: str
    designation: str
    unit: str
    location: str
    lot: str
    owner: str
    void: TicketVoid | None
    counts: list[Count]
    ranges: list[dict]


def ticket_history(campaign: Campaign, number: str | int) -> TicketHistory:
    """A ticket with its void, every count entry (corrections included) and the ranges it was issued in."""
    from .counting import find_ticket

    ticket = find_ticket(campaign, str(number))
    line = ticket.book_line
    item = line.item if line else ticket.item
    location = line.location if line else ticket.location
    counts = list(db.session.scalars(sa.select(Count).where(Count.ticket_id == ticket.id)
                                     .order_by(Count.round, Count.id)))
    ranges = []
    for r, team_number in db.session.execute(
            sa.select(TicketRange, Team.number).join(Team, Team.id == TicketRange.team_id)
            .where(TicketRange.campaign_id == campaign.id, TicketRange.first <= ticket.sequence,
                   TicketRange.last >= ticket.sequence).order_by(TicketRange.round, TicketRange.id)):
        returned = db.session.scalar(sa.select(TicketReturn).where(
            TicketReturn.range_id == r.id, TicketReturn.first <= ticket.sequence, TicketReturn.last >= ticket.sequence))
        ranges.append({"team": team_number, "round": r.round, "first": _label(campaign, r.first),
                       "last": _label(campaign, r.last), "issued_at": r.issued_at,
                       "returned_at": returned.returned_at if returned else None})
    return TicketHistory(ticket, _label(campaign, ticket.sequence), item.reference if item else "",
                         item.designation if item else "", item.unit if item else "",
                         location.code if location else "", (line.lot if line else ticket.lot) or "",
                         getattr(line.owner, "value", "") if line else "", ticket.void, counts, ranges)


# --- ranges -------------------------------------------------------------------------------------

@dataclass
class RangeView:
    team: int
    round: int
    first: str
    last: str
    tickets: int
    issued_at: datetime
    issued_by: str
    returns: list[dict] = field(default_factory=list)


def ranges(campaign: Campaign) -> list[RangeView]:
    """Every range issued, by round and first number, with what was returned of it."""
    returns: dict[int, list[dict]] = {}
    for ret, login in db.session.execute(
            sa.select(TicketReturn, User.login).join(TicketRange, TicketRange.id == TicketReturn.range_id)
            .outerjoin(User, User.id == TicketReturn.returned_by_id)
            .where(TicketRange.campaign_id == campaign.id).order_by(TicketReturn.first)):
        returns.setdefault(ret.range_id, []).append(
            {"first": _label(campaign, ret.first), "last": _label(campaign, ret.last),
             "tickets": ret.last - ret.first + 1, "at": ret.returned_at, "by": login or "system"})
    views = []
    for r, number, login in db.session.execute(
            sa.select(TicketRange, Team.number, User.login).join(Team, Team.id == TicketRange.team_id)
            .outerjoin(User, User.id == TicketRange.issued_by_id)
            .where(TicketRange.campaign_id == campaign.id).order_by(TicketRange.round, TicketRange.first)):
        views.append(RangeView(number, r.round, _label(campaign, r.first), _label(campaign, r.last),
                               r.last - r.first + 1, r.issued_at, login or "system", returns.get(r.id, [])))
    return views


# --- tag control --------------------------------------------------------------------------------

def control_report(campaign: Campaign) -> ControlReport:
    """Every issued number accounted for (tickets.control) from the ranges, returns, counts and voids."""
    issued = [IssuedRange(team=r.number, round=r.round, first=r.first, last=r.last) for r in db.session.execute(
        sa.select(Team.number, TicketRange.round, TicketRange.first, TicketRange.last)
        .join(Team, Team.id == TicketRange.team_id).where(TicketRange.campaign_id == campaign.id))]
    returned = [ReturnedRange(team=r.number, first=r.first, last=r.last) for r in db.session.execute(
        sa.select(Team.number, TicketReturn.first, TicketReturn.last)
        .join(TicketRange, TicketRange.id == TicketReturn.range_id).join(Team, Team.id == TicketRange.team_id)
        .where(TicketRange.campaign_id == campaign.id))]
    rounds: dict[int, set[int]] = {}
    for sequence, round_ in db.session.execute(
            sa.select(Ticket.sequence, Count.round).join(Count, Count.ticket_id == Ticket.id)
            .where(Ticket.campaign_id == campaign.id).distinct()):
        rounds.setdefault(sequence, set()).add(round_)
    reasons = dict(db.session.execute(sa.select(Ticket.sequence, TicketVoid.reason)
                                      .join(TicketVoid, TicketVoid.ticket_id == Ticket.id)
                                      .where(Ticket.campaign_id == campaign.id)).all())
    # Only counted or voided tickets need a fact; the others are known by their runs of numbers.
    facts = [TicketFact(n, frozenset(rounds.get(n, ())), reasons.get(n)) for n in sorted({*rounds, *reasons})]
    total, highest = db.session.execute(sa.select(sa.func.count(), sa.func.max(Ticket.sequence))
                                        .where(Ticket.campaign_id == campaign.id)).one()
    if total == (highest or 0):
        generated = [(1, highest)] if highest else []   # numbers are unique and start at 1: no hole
    else:
        generated = compact(db.session.scalars(sa.select(Ticket.sequence).where(Ticket.campaign_id == campaign.id)
                                               .order_by(Ticket.sequence)))
    return control(issued, returned, facts, highest or 0, generated)


def still_counting(campaign: Campaign) -> bool:
    """True while the campaign's teams may still count (tickets.control.still_counting)."""
    return control_rules.still_counting(campaign.status)


@dataclass
class VoidView:
    sequence: int
    ticket: str
    reason: str
    by: str
    at: datetime


def voids(campaign: Campaign) -> list[VoidView]:
    """Every voided ticket with who voided it, when and why, in number order."""
    return [VoidView(sequence, _label(campaign, sequence), reason, login or "system", at) for sequence, reason, login, at in
            db.session.execute(sa.select(Ticket.sequence, TicketVoid.reason, User.login, TicketVoid.voided_at)
                               .join(TicketVoid, TicketVoid.ticket_id == Ticket.id)
                               .outerjoin(User, User.id == TicketVoid.voided_by_id)
                               .where(Ticket.campaign_id == campaign.id).order_by(Ticket.sequence))]


def control_csv(campaign: Campaign, report: ControlReport | None = None, out: io.TextIOBase | None = None, *,
                excel: bool = False) -> str | None:
    """The control as CSV (``tickets.control.CONTROL_COLUMNS``); a string when no stream is given."""
    target = out if out is not None else io.StringIO()
    writer = csv_out.Writer(target, csv_out.dialect(excel), campaign.language)
    writer.header(CONTROL_COLUMNS)
    for row in to_csv_rows(report or control_report(campaign), campaign.fiscal_year):
        writer.dict_row(CONTROL_COLUMNS, row)
    return target.getvalue() if out is None else None


def describe(campaign: Campaign, report: ControlReport) -> Iterable[str]:
    """The control in plain English lines, for the terminal."""
    yield (f"Ticket control of {campaign.code}: highest number {_label(campaign, report.highest)}."
           if report.highest else f"Ticket control of {campaign.code}: no ticket generated yet.")
    if not report.ranges:
        yield "No range has been issued to a team yet."
    for r in report.ranges:
        yield (f"Team {r.team}, round {r.round}, {_label(campaign, r.first)} to {_label(campaign, r.last)}: "
               f"{r.issued} issued, {r.counted} counted, {len(r.voided)} voided, {r.returned_count} returned unused, "
               f"{r.missing_count} missing.")
        for n, reason in r.voided:
            yield f"  voided {_label(campaign, n)}: {reason}"
        if r.returned:
            yield f"  returned: {format_spans(r.returned)}"
        if r.missing:
            yield f"  MISSING: {format_spans(r.missing)}"
    if report.gaps:
        yield f"Gaps in the sequence (never generated): {format_spans(report.gaps)}."
    if report.not_issued:
        yield f"Generated but never issued: {format_spans(report.not_issued)}."
    voided_outside = [(n, reason) for n, reason in report.voided if not any(r.first <= n <= r.last for r in report.ranges)]
    for n, reason in voided_outside:
        yield f"Voided before issue {_label(campaign, n)}: {reason}"
    if report.ok:
        yield "Every issued number is accounted for."
        return
    if report.missing_count:
        n = report.missing_count
        yield f"{n} issued number{'s are' if n != 1 else ' is'} missing."
    if report.gaps:
        n = sum(b - a + 1 for a, b in report.gaps)
        yield f"{n} number{'s are' if n != 1 else ' is'} missing from the sequence."
