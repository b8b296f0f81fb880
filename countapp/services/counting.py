"""Counts from tablets, the API and transcribed paper parts: one set of rules for all.

Blind counting is enforced here: nothing a counter can reach tells the book quantity or another
round's count, including error messages. Submissions are idempotent on ``client_id``; two devices
counting the same ticket and round get one count and one conflict (the database's partial unique
index decides, under a row lock on the ticket).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tickets import numbering
from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound
from tickets.quantities import parse_packaging, parse_quantity
from tickets.tolerance import decide

from .. import campaign_settings
from ..extensions import db
from ..models import (BookLine, Campaign, CampaignStatus, Count, CountMethod, CountSource, Item, Location,
                      PhysicalState, Role, Team, Ticket, TicketStatus, User, recount_sheet_ticket)
from ..models.decisions import RecountSheet
from . import audit
from . import campaigns as campaign_service
from . import teams as team_service

STATES = tuple(s.value for s in PhysicalState)
METHODS = tuple(m.value for m in CountMethod)


@dataclass
class CountInput:
    ticket: str
    round: int
    quantity: object = None
    state: str = "good"
    method: str = "counted"
    packaging: dict | None = None
    counted_at: datetime | None = None
    client_id: str | None = None
    # blank tickets: what the first count found
    reference: str | None = None
    location: str | None = None
    lot: str | None = None
    team: int | None = None          # the number written on a paper part (import)
    counted_by: str = ""             # the name written on a paper part (import)
    line: int | None = None          # line of the import file, for messages
    extra: dict = field(default_factory=dict)


@dataclass
class CountResult:
    count: Count
    created: bool
    ticket: Ticket


def find_ticket(campaign: Campaign, text: str, *, lock: bool = False) -> Ticket:
    sequence = numbering.parse_number(str(text), campaign.fiscal_year)
    query = sa.select(Ticket).where(Ticket.campaign_id == campaign.id, Ticket.sequence == sequence)
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    ticket = db.session.scalar(query)
    if ticket is None:
        raise NotFound(N_("Ticket %(ticket)s does not exist in campaign %(code)s."), field="ticket",
                       ticket=numbering.format_number(sequence, campaign.fiscal_year), code=campaign.code)
    return ticket


def current_count(ticket_id: int, round_: int) -> Count | None:
    """The newest entry of a round: the original or its latest correction."""
    superseded = sa.select(Count.supersedes_id).where(Count.supersedes_id.is_not(None)).scalar_subquery()
    return db.session.scalar(sa.select(Count).where(Count.ticket_id == ticket_id, Count.round == round_,
                                                    Count.id.not_in(superseded)).order_by(Count.id.desc()).limit(1))


def _label(ticket: Ticket, campaign: Campaign) -> str:
    return numbering.format_number(ticket.sequence, campaign.fiscal_year)


def _check_choice(value: str, allowed: tuple[str, ...], field_name: str, message: str) -> str:
    value = (value or allowed[0]).strip().lower()
    if value not in allowed:
        raise CountappError(message, field=field_name, value=value[:40])
    return value


def _check_who(campaign: Campaign, ticket: Ticket, round_: int, user: User, source: CountSource,
               team_number: int | None) -> Team | None:
    """The team entitled to count this ticket in this round; refusals say why, blind."""
    label = _label(ticket, campaign)
    if round_ == 3:
        if user.role in (Role.MANAGER, Role.CENTRALISER):
            return None
        on_sheet = db.session.scalar(
            sa.select(RecountSheet.id).join(recount_sheet_ticket, recount_sheet_ticket.c.sheet_id == RecountSheet.id)
            .where(recount_sheet_ticket.c.ticket_id == ticket.id,
                   sa.or_(RecountSheet.leader1_id == user.id, RecountSheet.leader2_id == user.id)))
        if on_sheet is None:
            raise Forbidden(N_("Ticket %(ticket)s is not on a recount sheet of yours."), field="ticket", ticket=label)
        return None
    issued_to = ticket.team1 if round_ == 1 else ticket.team2
    if source == CountSource.IMPORT and user.role in (Role.MANAGER, Role.CENTRALISER):
        if issued_to is None:
            raise CountappError(N_("Ticket %(ticket)s was not issued to a team for round %(round)s."), field="ticket",
                                ticket=label, round=round_)
        if team_number is not None and team_number != issued_to.number:
            raise CountappError(N_("Ticket %(ticket)s was issued to team %(issued)s for round %(round)s, not to "
                                   "team %(team)s."), field="team", ticket=label, issued=issued_to.number,
                                round=round_, team=team_number)
        return issued_to
    if user.role not in (Role.COUNTER, Role.LEADER):
        raise Forbidden(N_("Only counting teams enter counts of rounds 1 and 2."), field="round")
    team = team_service.team_of(user, campaign)
    if team is None:
        raise Forbidden(N_("You are not in a counting team of campaign %(code)s."), field="ticket", code=campaign.code)
    if team.round != round_:
        raise Forbidden(N_("Your team counts round %(team_round)s, not round %(round)s."), field="round",
                        team_round=team.round, round=round_)
    if issued_to is None or issued_to.id != team.id:
        raise Forbidden(N_("Ticket %(ticket)s was not issued to your team for round %(round)s."), field="ticket",
                        ticket=label, round=round_)
    return team


def _check_order(ticket: Ticket, round_: int, label: str) -> None:
    if ticket.status == TicketStatus.VOIDED:
        raise CountappError(N_("Ticket %(ticket)s is voided: it cannot be counted."), field="ticket", ticket=label)
    if ticket.status == TicketStatus.CREATED:
        raise CountappError(N_("Ticket %(ticket)s has not been issued to a team yet."), field="ticket", ticket=label)
    if round_ == 2 and current_count(ticket.id, 1) is None:
        raise CountappError(N_("Ticket %(ticket)s needs its 1st count before the 2nd."), field="round", ticket=label)
    if round_ == 3 and ticket.status != TicketStatus.RECOUNT:
        raise CountappError(N_("Ticket %(ticket)s does not need a third count."), field="round", ticket=label)


def _blank_target(campaign: Campaign, ticket: Ticket, data: CountInput) -> tuple[int | None, int | None, str | None]:
    """A blank ticket's first count names the item and location it found."""
    if not ticket.is_blank or ticket.item_id is not None:
        return None, None, None
    if not data.reference or not data.location:
        raise CountappError(N_("Ticket %(ticket)s is blank: give the reference and the location counted."),
                            field="reference" if not data.reference else "location", ticket=_label(ticket, campaign))
    item_id = db.session.scalar(sa.select(Item.id).where(Item.campaign_id == campaign.id,
                                                         Item.reference == data.reference.strip()))
    if item_id is None:
        raise CountappError(N_("Unknown reference %(reference)s."), field="reference", reference=data.reference[:60])
    location_id = db.session.scalar(sa.select(Location.id).where(Location.campaign_id == campaign.id,
                                                                 Location.code == data.location.strip()))
    if location_id is None:
        raise CountappError(N_("Unknown location %(location)s."), field="location", location=data.location[:60])
    return item_id, location_id, (data.lot or "").strip()


def ticket_unit(ticket: Ticket) -> str | None:
    item = ticket.item or (ticket.book_line.item if ticket.book_line else None)
    return item.unit if item else None


def _book_basis(campaign: Campaign, ticket: Ticket) -> tuple[Decimal, Decimal, str | None]:
    """Book quantity, unit cost and category the tolerances compare with (0 for blank or unknown lines)."""
    if ticket.book_line is not None:
        line = ticket.book_line
        return line.book_qty, line.unit_cost, line.item.category.value
    if ticket.item_id is None:
        return Decimal(0), Decimal(0), None
    line = db.session.scalar(sa.select(BookLine).where(
        BookLine.campaign_id == campaign.id, BookLine.item_id == ticket.item_id,
        BookLine.location_id == ticket.location_id, BookLine.lot == (ticket.lot or "")))
    cost = db.session.scalar(sa.select(sa.func.max(BookLine.unit_cost)).where(BookLine.item_id == ticket.item_id))
    category = ticket.item.category.value if ticket.item else None
    return (line.book_qty if line else Decimal(0)), (line.unit_cost if line else (cost or Decimal(0))), category


def decide_ticket(campaign: Campaign, ticket: Ticket) -> None:
    """Once both counts are in: agreed (final quantity) or third count needed, with the reasons."""
    count1, count2 = current_count(ticket.id, 1), current_count(ticket.id, 2)
    if count1 is None or count2 is None:
        return
    book_qty, unit_cost, category = _book_basis(campaign, ticket)
    between, vs_book = campaign_settings.tolerance_settings(campaign.settings).for_category(category)
    decision = decide(count1.quantity, count2.quantity, book_qty, unit_cost, between, vs_book)
    if decision.outcome == "agreed":
        ticket.status, ticket.final_qty, ticket.recount_reasons = TicketStatus.FINAL, decision.agreed_qty, ""
    else:
        ticket.status, ticket.final_qty = TicketStatus.RECOUNT, None
        ticket.recount_reasons = ",".join(decision.reasons)


def submit_count(code: str, data: CountInput, *, user: User, source: CountSource = CountSource.TABLET
                 ) -> CountResult:
    """Record one count (one transaction); a replayed ``client_id`` returns the stored count."""
    campaign = campaign_service.get(code)
    if data.client_id:
        existing = db.session.scalar(sa.select(Count).where(Count.client_id == data.client_id))
        if existing is not None:
            if existing.ticket.campaign_id != campaign.id or existing.round != data.round \
                    or existing.counted_by_id != user.id:
                raise Conflict(N_("This client_id was already used for another count."), field="client_id")
            return CountResult(existing, False, existing.ticket)
    campaign_service.check_not_closed(campaign)
    if campaign.status not in (CampaignStatus.COUNTING, CampaignStatus.RECONCILING) and source != CountSource.IMPORT:
        raise CountappError(N_("Campaign %(code)s is not counting yet."), field="ticket", code=campaign.code)
    try:
        round_ = int(data.round)
    except (TypeError, ValueError):
        round_ = 0
    if round_ not in (1, 2, 3):
        raise CountappError(N_("The round must be 1, 2 or 3."), field="round")
    ticket = find_ticket(campaign, data.ticket, lock=True)
    label = _label(ticket, campaign)
    _check_order(ticket, round_, label)
    team = _check_who(campaign, ticket, round_, user, source, data.team)
    item_id, location_id, lot = _blank_target(campaign, ticket, data) if round_ == 1 else (None, None, None)
    unit = ticket_unit(ticket) if item_id is None else db.session.get(Item, item_id).unit
    packaging = parse_packaging(data.packaging, unit=unit)
    quantity = packaging.total if packaging is not None and data.quantity in (None, "") else \
        parse_quantity(data.quantity, unit=unit)
    if packaging is not None and quantity != packaging.total:
        raise CountappError(N_("The quantity %(quantity)s does not match the packaging, which makes %(total)s."),
                            field="quantity", quantity=str(quantity), total=str(packaging.total))
    state = _check_choice(data.state, STATES, "state",
                          N_("Unknown state %(value)s: choose good, damaged, obsolete or expired."))
    method = _check_choice(data.method, METHODS, "method",
                           N_("Unknown method %(value)s: choose counted, weighed, measured or estimated."))
    earlier = current_count(ticket.id, round_)
    if earlier is not None:
        raise Conflict(N_("Ticket %(ticket)s already has its count for round %(round)s, entered by %(who)s at "
                          "%(when)s."), field="ticket", ticket=label, round=round_,
                       who=earlier.counted_by_name or (earlier.counted_by.login if earlier.counted_by else "?"),
                       when=earlier.counted_at.strftime("%Y-%m-%d %H:%M"))
    counted_at = data.counted_at or datetime.now(timezone.utc)
    if counted_at.tzinfo is None:
        counted_at = counted_at.replace(tzinfo=timezone.utc)
    count = Count(ticket_id=ticket.id, round=round_, quantity=quantity, state=state, method=method,
                  packaging=packaging.as_dict() if packaging else None, team_id=team.id if team else None,
                  counted_by_id=user.id, counted_by_name=data.counted_by or user.display_name, counted_at=counted_at,
                  item_id=item_id, location_id=location_id, lot=lot, source=source, client_id=data.client_id or None)
    db.session.add(count)
    try:
        db.session.flush()
    except IntegrityError:
        # Another device won the race for this ticket and round, or replayed the same client_id.
        db.session.rollback()
        if data.client_id:
            existing = db.session.scalar(sa.select(Count).where(Count.client_id == data.client_id))
            if existing is not None:
                return CountResult(existing, False, existing.ticket)
        campaign = campaign_service.get(code)
        ticket = find_ticket(campaign, data.ticket)
        earlier = current_count(ticket.id, round_)
        raise Conflict(N_("Ticket %(ticket)s already has its count for round %(round)s, entered by %(who)s at "
                          "%(when)s."), field="ticket", ticket=label, round=round_,
                       who=earlier.counted_by_name if earlier else "?",
                       when=earlier.counted_at.strftime("%Y-%m-%d %H:%M") if earlier else "?") from None
    if item_id is not None:
        ticket.item_id, ticket.location_id, ticket.lot = item_id, location_id, lot
    before = ticket.status
    if round_ == 1:
        ticket.status = TicketStatus.COUNTED_1
    elif round_ == 2:
        ticket.status = TicketStatus.COUNTED_2
        decide_ticket(campaign, ticket)
    else:
        ticket.status, ticket.final_qty = TicketStatus.FINAL, quantity
    audit.record("count.add", campaign=campaign, entity="ticket", entity_id=label, user=user,
                 before={"status": before},
                 after={"round": round_, "quantity": quantity, "state": state, "method": method, "source": source,
                        "status": ticket.status, "client_id": data.client_id})
    db.session.commit()
    return CountResult(count, True, ticket)


def correct_count(code: str, ticket_text: str, round_: int, *, quantity, state: str | None = None,
                  reason: str, user: User) -> Count:
    """A new entry that supersedes the team's own earlier one, while the ticket has not moved on."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    ticket = find_ticket(campaign, ticket_text, lock=True)
    label = _label(ticket, campaign)
    if not (reason or "").strip():
        raise CountappError(N_("A correction needs a reason."), field="reason")
    earlier = current_count(ticket.id, round_)
    if earlier is None:
        raise CountappError(N_("Ticket %(ticket)s has no count for round %(round)s to correct."), field="ticket",
                            ticket=label, round=round_)
    team = team_service.team_of(user, campaign)
    if user.role not in (Role.MANAGER, Role.CENTRALISER) and (team is None or earlier.team_id != team.id):
        raise Forbidden(N_("Only the team that entered a count may correct it."), field="ticket")
    moved_on = (round_ == 1 and current_count(ticket.id, 2) is not None) or \
        (round_ == 2 and (current_count(ticket.id, 3) is not None or db.session.scalar(
            sa.select(recount_sheet_ticket.c.sheet_id).where(recount_sheet_ticket.c.ticket_id == ticket.id)))) or \
        round_ == 3 or campaign.status not in (CampaignStatus.COUNTING,)
    if moved_on:
        raise CountappError(N_("Ticket %(ticket)s has moved on: its round %(round)s count can no longer be "
                               "corrected."), field="ticket", ticket=label, round=round_)
    new_quantity = parse_quantity(quantity, unit=ticket_unit(ticket))
    new_state = _check_choice(state or earlier.state.value, STATES, "state",
                              N_("Unknown state %(value)s: choose good, damaged, obsolete or expired."))
    correction = Count(ticket_id=ticket.id, round=round_, quantity=new_quantity, state=new_state,
                       method=earlier.method, team_id=earlier.team_id, counted_by_id=user.id,
                       counted_by_name=user.display_name, counted_at=datetime.now(timezone.utc),
                       source=earlier.source, supersedes_id=earlier.id, correction_reason=reason.strip())
    db.session.add(correction)
    db.session.flush()
    if round_ == 2:
        decide_ticket(campaign, ticket)
    audit.record("count.correct", campaign=campaign, entity="ticket", entity_id=label, user=user,
                 before={"round": round_, "quantity": earlier.quantity, "state": earlier.state},
                 after={"round": round_, "quantity": new_quantity, "state": new_state, "reason": reason.strip(),
                        "status": ticket.status})
    db.session.commit()
    return correction
