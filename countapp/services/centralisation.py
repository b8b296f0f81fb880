"""Centralisation: every ticket by state, with all its counts side by side, for those who settle.

Nothing here writes. Only managers, centralisers and auditors reach it (they see everything,
DOMAIN.md, Rules: Blind); counting teams never do. The list pages through the campaign by
ticket number (keyset, never OFFSET) with filters written on the ticket table alone (sub-selects),
then joins the details of one page: a page stays quick at 100,000 tickets.

States, from a ticket's status and what settled it:
not_counted (created, issued), count_1 (1st count in), agreed (final from counts 1 and 2),
recount (third count needed), recounted (final from a third count), decided (final by a
centraliser's decision to accept a difference), voided.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from tickets import numbering
from tickets.errors import CountappError
from tickets.tolerance import COUNTS_DISAGREE, FAR_FROM_BOOK

from ..extensions import db
from ..models import (AuditEvent, BookLine, Campaign, Category, Count, Item, Location, RecountSheet, Team, Ticket,
                      TicketDecision, TicketStatus, Zone, recount_sheet_ticket)
from . import count_dates
from .ticket_pages import Page, ticket_page

PAGE_SIZE = 100
STATES = ("not_counted", "count_1", "agreed", "recount", "recounted", "decided", "voided")
REASONS = (COUNTS_DISAGREE, FAR_FROM_BOOK)
CATEGORIES = tuple(c.value for c in Category)
DECISION_KINDS = ("accept_count_1", "accept_count_2", "accept_book")


def label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


def reasons_of(text: str | None) -> list[str]:
    return [r for r in (text or "").split(",") if r]


# --- what a state is, in SQL ---------------------------------------------------------------------
#
# A final ticket keeps the reasons it was recounted for (counting.decide_ticket clears them only when
# counts 1 and 2 agree near book), and a third count or a decision is only ever taken on a ticket in
# recount. So a final ticket without reasons is agreed, and one with reasons was recounted or decided:
# the states are told apart on the ticket table alone, without looking through the counts.

def _decided_ids():
    return sa.select(TicketDecision.ticket_id)


def state_condition(state: str):
    """The WHERE clause of one state."""
    final = Ticket.status == TicketStatus.FINAL
    return {
        "not_counted": Ticket.status.in_([TicketStatus.CREATED, TicketStatus.ISSUED]),
        "count_1": Ticket.status.in_([TicketStatus.COUNTED_1, TicketStatus.COUNTED_2]),
        "agreed": sa.and_(final, Ticket.recount_reasons == ""),
        "recount": Ticket.status == TicketStatus.RECOUNT,
        "recounted": sa.and_(final, Ticket.recount_reasons != "", Ticket.id.not_in(_decided_ids())),
        "decided": sa.and_(final, Ticket.id.in_(_decided_ids())),
        "voided": Ticket.status == TicketStatus.VOIDED,
    }[state]


def state_of(status: TicketStatus | str, has_count3: bool, decided: bool) -> str:
    status = TicketStatus(status)
    if status in (TicketStatus.CREATED, TicketStatus.ISSUED):
        return "not_counted"
    if status in (TicketStatus.COUNTED_1, TicketStatus.COUNTED_2):
        return "count_1"
    if status == TicketStatus.RECOUNT:
        return "recount"
    if status == TicketStatus.VOIDED:
        return "voided"
    return "decided" if decided else ("recounted" if has_count3 else "agreed")


# --- filters -------------------------------------------------------------------------------------

ALL = "all"                 # the state filter's value for every state, said in the URL
FILTER_KEYS = ("state", "zone", "team", "category", "reason", "q")
OPENING_STATE = "recount"   # what the page opens on, when any ticket is in it


@dataclass
class Filters:
    """What the page filters on; every field optional."""

    state: str = ""
    zone: str = ""
    team: int | None = None
    category: str = ""
    reason: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping) -> Filters:
        def pick(name: str, allowed) -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else ""

        team = (args.get("team") or "").strip()
        return cls(state=pick("state", STATES), zone=(args.get("zone") or "").strip()[:80],
                   team=int(team) if team.isdigit() and int(team) < 100_000 else None,
                   category=pick("category", CATEGORIES), reason=pick("reason", REASONS),
                   q=" ".join((args.get("q") or "").split())[:80])

    def args(self, **changes) -> dict:
        """The query string of these filters; "every state" is written ``state=all``, so that a link
        from a page showing every state never falls back to the page's opening filter."""
        values = {"state": self.state or ALL, "zone": self.zone, "team": self.team, "category": self.category,
                  "reason": self.reason, "q": self.q, **changes}
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def narrowed(self) -> bool:
        """True when any filter other than the state is set."""
        return bool(self.without_state().args(state=None))

    def without_state(self) -> Filters:
        return Filters(zone=self.zone, team=self.team, category=self.category, reason=self.reason, q=self.q)


def opening_state(args: Mapping, summary: dict[str, int]) -> str:
    """The state a bare page opens on: third count needed when any ticket needs one, else every state.

    Any filter in the query string (a shared link, a link of the page itself) is taken as written.
    """
    if any(key in args for key in FILTER_KEYS):
        return ""
    return OPENING_STATE if summary.get(OPENING_STATE) else ""


def _at(campaign: Campaign, *, places=None, items=None):
    """Tickets whose book line, or (blank tickets) own item and place, are among ``places`` / ``items``."""
    line_where = [BookLine.campaign_id == campaign.id]
    ticket_where = []
    if places is not None:
        line_where.append(BookLine.location_id.in_(places))
        ticket_where.append(Ticket.location_id.in_(places))
    if items is not None:
        line_where.append(BookLine.item_id.in_(items))
        ticket_where.append(Ticket.item_id.in_(items))
    lines = sa.select(BookLine.id).where(*line_where)
    return sa.or_(Ticket.book_line_id.in_(lines), sa.and_(Ticket.book_line_id.is_(None), *ticket_where))


def conditions(campaign: Campaign, filters: Filters) -> list:
    """The WHERE clauses of the filters, on the ticket table alone."""
    where: list = [Ticket.campaign_id == campaign.id]
    if filters.state:
        where.append(state_condition(filters.state))
    if filters.team is not None:
        team_ids = sa.select(Team.id).where(Team.campaign_id == campaign.id, Team.number == filters.team)
        where.append(sa.or_(Ticket.team1_id.in_(team_ids), Ticket.team2_id.in_(team_ids)))
    if filters.zone:
        places = (sa.select(Location.id).join(Zone, Zone.id == Location.zone_id)
                  .where(Zone.campaign_id == campaign.id, Zone.code == filters.zone))
        where.append(_at(campaign, places=places))
    if filters.category:
        items = sa.select(Item.id).where(Item.campaign_id == campaign.id, Item.category == Category(filters.category))
        where.append(_at(campaign, items=items))
    if filters.reason:
        where.append(Ticket.recount_reasons.contains(filters.reason, autoescape=True))
    if filters.q:
        text = filters.q.casefold()
        items = sa.select(Item.id).where(Item.campaign_id == campaign.id, sa.or_(
            sa.func.lower(Item.reference).contains(text, autoescape=True),
            sa.func.lower(Item.designation).contains(text, autoescape=True)))
        places = sa.select(Location.id).where(Location.campaign_id == campaign.id,
                                              sa.func.lower(Location.code).contains(text, autoescape=True))
        matches = sa.or_(_at(campaign, items=items), _at(campaign, places=places))
        try:
            matches = sa.or_(matches, Ticket.sequence == numbering.parse_number(filters.q, campaign.fiscal_year))
        except CountappError:
            pass
        where.append(matches)
    return where


# --- the summary by state --------------------------------------------------------------------------

def summary(campaign: Campaign, filters: Filters | None = None) -> dict[str, int]:
    """How many tickets are in each state (under the filters other than the state itself).

    The statuses are counted on the (campaign, status) index alone; only final tickets are looked at
    further (those with reasons were recounted or decided), then the decisions: three small queries.
    """
    where = conditions(campaign, (filters or Filters()).without_state())
    out = dict.fromkeys(STATES, 0)
    final = settled = 0
    # Filters read the ticket rows anyway: then one pass tells the settled final tickets too.
    filtered = len(where) > 1
    keys = (Ticket.status, Ticket.recount_reasons != "") if filtered else (Ticket.status, sa.false())
    for status, was_recounted, n in db.session.execute(sa.select(*keys, sa.func.count()).where(*where)
                                                       .group_by(*keys[:1 + filtered])):
        status = TicketStatus(status)
        if status == TicketStatus.FINAL:
            final += n
            settled += n if was_recounted else 0
        else:
            out[state_of(status, False, False)] += n
    if final:
        final_where = [*where, Ticket.status == TicketStatus.FINAL]
        if not filtered:
            settled = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)
                                        .where(*final_where, Ticket.recount_reasons != "")) or 0
        decided = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).join(
            TicketDecision, TicketDecision.ticket_id == Ticket.id).where(*final_where)) or 0 if settled else 0
        out.update(agreed=final - settled, recounted=settled - decided, decided=decided)
    return out


# --- one page of tickets with their counts side by side --------------------------------------------

@dataclass(frozen=True, slots=True)
class Entry:
    """The current entry of one round of a ticket: what the page shows of it."""

    quantity: Decimal
    state: str


def current_counts(ticket_ids: list[int]) -> dict[int, dict[int, Entry]]:
    """The newest entry of each round (the original or its latest correction) of each ticket, in one query."""
    if not ticket_ids:
        return {}
    later = sa.orm.aliased(Count)
    newer_exists = sa.select(later.id).where(later.supersedes_id == Count.id).exists()
    found: dict[int, dict[int, Entry]] = {}
    for ticket_id, round_, quantity, state in db.session.execute(
            sa.select(Count.ticket_id, Count.round, Count.quantity, Count.state)
            .where(Count.ticket_id.in_(ticket_ids), ~newer_exists).order_by(Count.id)):
        found.setdefault(ticket_id, {})[round_] = Entry(quantity, getattr(state, "value", state))
    return found


def _details_query(keys=None):
    """The page's columns. Started from ``keys`` (the page's ticket ids) when given: PostgreSQL keeps the
    written order of so many joins, and the page must be cut before the details are joined, not after."""
    line_item, item = sa.orm.aliased(Item), sa.orm.aliased(Item)
    line_location, location = sa.orm.aliased(Location), sa.orm.aliased(Location)
    zone = sa.orm.aliased(Zone)
    team1, team2 = sa.orm.aliased(Team), sa.orm.aliased(Team)
    return (
        sa.select(Ticket.id, Ticket.sequence, Ticket.status, Ticket.is_blank, Ticket.final_qty, Ticket.recount_reasons,
                  sa.func.coalesce(line_item.reference, item.reference),
                  sa.func.coalesce(line_item.designation, item.designation),
                  sa.func.coalesce(line_item.unit, item.unit),
                  sa.func.coalesce(line_item.category, item.category),
                  sa.func.coalesce(line_location.code, location.code), zone.code,
                  sa.func.coalesce(BookLine.lot, Ticket.lot), BookLine.book_qty, BookLine.unit_cost, BookLine.owner,
                  team1.number, team2.number)
        .select_from(Ticket if keys is None else keys.join(Ticket, Ticket.id == keys.c.id))
        .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
        .outerjoin(line_item, line_item.id == BookLine.item_id)
        .outerjoin(line_location, line_location.id == BookLine.location_id)
        .outerjoin(item, item.id == Ticket.item_id)
        .outerjoin(location, location.id == Ticket.location_id)
        .outerjoin(zone, zone.id == sa.func.coalesce(line_location.zone_id, location.zone_id))
        .outerjoin(team1, team1.id == Ticket.team1_id).outerjoin(team2, team2.id == Ticket.team2_id))


def _rows(campaign: Campaign, found) -> list[dict]:
    ids = [r[0] for r in found]
    counts = current_counts(ids)
    decisions = dict(db.session.execute(sa.select(TicketDecision.ticket_id, TicketDecision.kind)
                                        .where(TicketDecision.ticket_id.in_(ids))).all()) if ids else {}
    sheets = dict(db.session.execute(
        sa.select(recount_sheet_ticket.c.ticket_id, RecountSheet.number)
        .join(RecountSheet, RecountSheet.id == recount_sheet_ticket.c.sheet_id)
        .where(recount_sheet_ticket.c.ticket_id.in_(ids))).all()) if ids else {}
    rows = []
    shifts = count_dates.book_shifts(campaign)   # the book at each line's own count date (issue 18)
    for (ticket_id, sequence, status, blank, final_qty, reasons, reference, designation, unit, category, location,
         zone, lot, book_qty, unit_cost, owner, team1, team2) in found:
        if shifts and book_qty is not None:
            book_qty = book_qty + shifts.get((reference, location, lot or ""), 0)
        by_round = counts.get(ticket_id, {})
        c1, c2, c3 = (by_round.get(r) for r in (1, 2, 3))
        # A blank ticket (or a line unknown to book) is held against a book of 0 once it names its goods.
        book = book_qty if book_qty is not None else (Decimal(0) if reference else None)
        rows.append({
            "id": ticket_id, "sequence": sequence, "ticket": label(campaign, sequence),
            "state": state_of(status, c3 is not None, ticket_id in decisions), "status": TicketStatus(status).value,
            "blank": bool(blank), "reference": reference or "", "designation": designation or "", "unit": unit or "",
            "category": getattr(category, "value", category) or "", "location": location or "", "zone": zone or "",
            "lot": lot or "", "owner": getattr(owner, "value", owner) or ("own" if blank else ""),
            "team_round1": team1, "team_round2": team2,
            "book_qty": book, "in_book": book_qty is not None, "unit_cost": unit_cost,
            "count1": c1.quantity if c1 else None, "count2": c2.quantity if c2 else None,
            "count3": c3.quantity if c3 else None,
            "state1": c1.state if c1 else None, "state2": c2.state if c2 else None,
            "state3": c3.state if c3 else None,
            "diff_counts": (c2.quantity - c1.quantity) if c1 and c2 else None,
            "diff_book_counts": [(c.quantity - book) if c is not None and book is not None else None
                                 for c in (c1, c2, c3)],
            "final_qty": final_qty, "diff_book": (final_qty - book) if final_qty is not None and book is not None
            else None,
            "reasons": reasons_of(reasons), "decision": decisions.get(ticket_id), "sheet": sheets.get(ticket_id),
        })
    return rows


def page(campaign: Campaign, filters: Filters, *, after: int | None = None, before: int | None = None,
         size: int = PAGE_SIZE) -> Page:
    """One page of tickets in number order, after ``after`` or ending before ``before``, counts side by side."""
    return ticket_page(conditions(campaign, filters), _details_query, lambda found: _rows(campaign, found),
                       after=after, before=before, size=size)


def rows_for(campaign: Campaign, ticket_ids: list[int]) -> list[dict]:
    """The same rows as the list, for chosen tickets (a recount sheet), in number order."""
    if not ticket_ids:
        return []
    keys = sa.select(Ticket.id).where(Ticket.id.in_(ticket_ids)).subquery()
    found = db.session.execute(_details_query(keys).order_by(Ticket.sequence)).all()
    return _rows(campaign, found)


def zones(campaign: Campaign) -> list[str]:
    return list(db.session.scalars(sa.select(Zone.code).where(Zone.campaign_id == campaign.id).order_by(Zone.code)))


def teams(campaign: Campaign) -> list[Team]:
    return list(db.session.scalars(sa.select(Team).where(Team.campaign_id == campaign.id).order_by(Team.number)))


# --- one ticket ----------------------------------------------------------------------------------

@dataclass
class TicketFile:
    """A ticket as the centraliser sees it: every entry of every round, the book, the decision, the log."""

    row: dict
    ticket: Ticket
    history: dict[int, list[Count]] = field(default_factory=dict)
    decision: TicketDecision | None = None
    sheet: RecountSheet | None = None
    events: list[AuditEvent] = field(default_factory=list)
    tolerances: tuple = ()


def ticket_file(campaign: Campaign, number: str | int) -> TicketFile:
    from tickets.tolerance import category_name

    from .. import campaign_settings
    from .counting import find_ticket

    ticket = find_ticket(campaign, str(number))
    row = rows_for(campaign, [ticket.id])[0]
    history: dict[int, list[Count]] = {1: [], 2: [], 3: []}
    for count in db.session.scalars(sa.select(Count).where(Count.ticket_id == ticket.id).order_by(Count.id)):
        history[count.round].append(count)
    decision = db.session.scalar(sa.select(TicketDecision).where(TicketDecision.ticket_id == ticket.id))
    sheet = db.session.scalar(sa.select(RecountSheet).join(
        recount_sheet_ticket, recount_sheet_ticket.c.sheet_id == RecountSheet.id)
        .where(recount_sheet_ticket.c.ticket_id == ticket.id))
    events = list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.campaign_id == campaign.id, AuditEvent.entity == "ticket", AuditEvent.entity_id == row["ticket"])
        .order_by(AuditEvent.id)))   # across chains (count events are in their users' sub-chains)
    between, vs_book = campaign_settings.tolerance_settings(campaign.settings).for_category(
        category_name(row["category"] or None))
    return TicketFile(row, ticket, history, decision, sheet, events, (between, vs_book))
