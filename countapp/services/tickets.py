"""Tickets: generate, issue ranges to teams, return unused ranges, void, list, control, print.

Numbers come from one sequence per campaign and are never reused; the database's unique key
(campaign, sequence) is the guarantee, and generation locks the campaign row on PostgreSQL so
that two managers generating at once wait for each other instead of colliding.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import sqlalchemy as sa

from tickets import numbering
from tickets.errors import Conflict, CountappError, N_

from ..extensions import db
from ..models import (BookLine, Campaign, CampaignStatus, Count, Item, Location, Owner, Site, Team, Ticket,
                      TicketRange, TicketReturn, TicketStatus, TicketVoid, User, Zone)
from . import audit
from . import campaigns as campaign_service
from . import teams as team_service

LIVE = sa.and_(Ticket.status != TicketStatus.VOIDED)


def _lock_campaign(campaign: Campaign) -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())


def generate(code: str, *, blank: int = 0, by: User | None = None) -> dict:
    """One ticket per book line without a live ticket (not goods held elsewhere), in route order, then blanks."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if blank < 0 or blank > 100_000:
        raise CountappError(N_("The number of blank tickets must be between 0 and 100000."), field="blank")
    _lock_campaign(campaign)
    rows = db.session.execute(
        sa.select(BookLine.id, Site.code, Zone.code, Location.code, Item.reference, BookLine.lot, BookLine.owner)
        .join(Item, Item.id == BookLine.item_id).join(Location, Location.id == BookLine.location_id)
        .join(Zone, Zone.id == Location.zone_id).join(Site, Site.id == Zone.site_id)
        .where(BookLine.campaign_id == campaign.id))
    lines = [numbering.BookLineRef(id=r[0], site=r[1], zone=r[2], location=r[3], reference=r[4], lot=r[5],
                                   owner=r[6].value if hasattr(r[6], "value") else r[6]) for r in rows]
    live = set(db.session.scalars(sa.select(Ticket.book_line_id).where(
        Ticket.campaign_id == campaign.id, Ticket.book_line_id.is_not(None), LIVE)))
    next_sequence = (db.session.scalar(sa.select(sa.func.max(Ticket.sequence))
                                       .where(Ticket.campaign_id == campaign.id)) or 0) + 1
    plan = numbering.plan_generation(lines, live, next_sequence, blank)
    for start in range(0, len(plan), 20_000):
        db.session.execute(sa.insert(Ticket), [
            {"campaign_id": campaign.id, "sequence": sequence, "book_line_id": line_id, "is_blank": line_id is None,
             "lot": "", "status": TicketStatus.CREATED.value}
            for sequence, line_id in plan[start:start + 20_000]])
    pre = sum(1 for _, line_id in plan if line_id is not None)
    result = {"pre_referenced": pre, "blank": len(plan) - pre,
              "first": plan[0][0] if plan else None, "last": plan[-1][0] if plan else None}
    if plan:
        audit.record("tickets.generate", campaign=campaign, entity="tickets", user=by, after=result)
    db.session.commit()
    return result


def label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


def issue(code: str, *, team: int, first: int, last: int, by: User | None = None) -> TicketRange:
    """Hand the numbers first..last to a team for its round (ranges never overlap within a round)."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if first <= 0 or last < first:
        raise CountappError(N_("A range goes from a first number to a last number not below it."), field="first")
    target = team_service.get_team(campaign, team)
    _lock_campaign(campaign)
    overlap = db.session.scalar(sa.select(TicketRange).where(
        TicketRange.campaign_id == campaign.id, TicketRange.round == target.round,
        TicketRange.first <= last, TicketRange.last >= first).limit(1))
    if overlap is not None:
        raise Conflict(N_("Numbers %(first)s to %(last)s overlap the range %(other_first)s to %(other_last)s already "
                          "issued to team %(team)s for round %(round)s."), field="first",
                       first=label(campaign, first), last=label(campaign, last),
                       other_first=label(campaign, overlap.first), other_last=label(campaign, overlap.last),
                       team=overlap.team.number, round=target.round)
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last)))
    if existing != last - first + 1:
        raise CountappError(N_("Some numbers between %(first)s and %(last)s have not been generated: generate tickets "
                               "first."), field="last", first=label(campaign, first), last=label(campaign, last))
    issued = TicketRange(campaign_id=campaign.id, team_id=target.id, round=target.round, first=first, last=last,
                         issued_by_id=by.id if by else None)
    db.session.add(issued)
    column = Ticket.team1_id if target.round == 1 else Ticket.team2_id
    db.session.execute(sa.update(Ticket).where(Ticket.campaign_id == campaign.id,
                                               Ticket.sequence.between(first, last)).values({column: target.id}))
    db.session.execute(sa.update(Ticket).where(Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last),
                                               Ticket.status == TicketStatus.CREATED)
                       .values(status=TicketStatus.ISSUED))
    audit.record("tickets.issue", campaign=campaign, entity="team", entity_id=team, user=by,
                 after={"round": target.round, "first": first, "last": last})
    db.session.commit()
    return issued


def return_unused(code: str, *, team: int, first: int, last: int, by: User | None = None) -> TicketReturn:
    """The team hands back numbers it did not use; none of them may carry a count of its round."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    target = team_service.get_team(campaign, team)
    issued = db.session.scalar(sa.select(TicketRange).where(
        TicketRange.campaign_id == campaign.id, TicketRange.team_id == target.id, TicketRange.first <= first,
        TicketRange.last >= last))
    if issued is None or last < first:
        raise CountappError(N_("Numbers %(first)s to %(last)s are not within a range issued to team %(team)s."),
                            field="first", first=label(campaign, first), last=label(campaign, last), team=team)
    counted = db.session.scalar(
        sa.select(Ticket.sequence).join(Count, Count.ticket_id == Ticket.id)
        .where(Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last), Count.round == target.round)
        .order_by(Ticket.sequence).limit(1))
    if counted is not None:
        raise CountappError(N_("Ticket %(ticket)s has been counted: it cannot be returned unused."), field="first",
                            ticket=label(campaign, counted))
    returned = TicketReturn(range_id=issued.id, first=first, last=last, returned_by_id=by.id if by else None)
    db.session.add(returned)
    audit.record("tickets.return", campaign=campaign, entity="team", entity_id=team, user=by,
                 after={"first": first, "last": last})
    db.session.commit()
    return returned


def void(code: str, number: str, *, reason: str, by: User | None = None) -> TicketVoid:
    """Void a ticket with a reason; it is kept for ever and can no longer be counted."""
    from .counting import find_ticket

    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if not (reason or "").strip():
        raise CountappError(N_("Voiding a ticket needs a reason."), field="reason")
    ticket = find_ticket(campaign, number, lock=True)
    text = label(campaign, ticket.sequence)
    if ticket.status == TicketStatus.VOIDED:
        raise Conflict(N_("Ticket %(ticket)s is already voided."), field="ticket", ticket=text)
    if ticket.status == TicketStatus.FINAL:
        raise CountappError(N_("Ticket %(ticket)s is final: it can no longer be voided."), field="ticket", ticket=text)
    before = ticket.status
    record = TicketVoid(ticket_id=ticket.id, reason=reason.strip(), voided_by_id=by.id if by else None)
    ticket.status = TicketStatus.VOIDED
    db.session.add(record)
    audit.record("ticket.void", campaign=campaign, entity="ticket", entity_id=text, user=by,
                 before={"status": before}, after={"status": TicketStatus.VOIDED, "reason": reason.strip()})
    db.session.commit()
    return record


LIST_COLUMNS = ("ticket", "reference", "designation", "location", "lot", "unit", "owner", "status", "team_round1",
                "team_round2")


def rows(campaign: Campaign, *, first: int | None = None, last: int | None = None) -> Iterator[dict]:
    """Every ticket with what is printed on it, in number order (streamed)."""
    team1, team2 = sa.orm.aliased(Team), sa.orm.aliased(Team)
    line_item, line_location = sa.orm.aliased(Item), sa.orm.aliased(Location)
    query = (
        sa.select(Ticket.sequence, Ticket.is_blank, Ticket.status, Ticket.lot,
                  sa.func.coalesce(line_item.reference, Item.reference), sa.func.coalesce(line_item.designation,
                                                                                           Item.designation),
                  sa.func.coalesce(line_item.unit, Item.unit), sa.func.coalesce(line_location.code, Location.code),
                  BookLine.lot, BookLine.owner, team1.number, team2.number)
        .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
        .outerjoin(line_item, line_item.id == BookLine.item_id)
        .outerjoin(line_location, line_location.id == BookLine.location_id)
        .outerjoin(Item, Item.id == Ticket.item_id).outerjoin(Location, Location.id == Ticket.location_id)
        .outerjoin(team1, team1.id == Ticket.team1_id).outerjoin(team2, team2.id == Ticket.team2_id)
        .where(Ticket.campaign_id == campaign.id).order_by(Ticket.sequence))
    if first is not None:
        query = query.where(Ticket.sequence >= first)
    if last is not None:
        query = query.where(Ticket.sequence <= last)
    for r in db.session.execute(query.execution_options(yield_per=5000)):
        owner = r[9].value if hasattr(r[9], "value") else (r[9] or "")
        yield {"ticket": label(campaign, r[0]), "sequence": r[0], "blank": r[1] and r[4] is None,
               "reference": r[4] or "", "designation": r[5] or "", "location": r[7] or "",
               "lot": (r[8] if r[8] is not None else r[3]) or "", "unit": r[6] or "", "owner": owner,
               "status": r[2].value if hasattr(r[2], "value") else r[2],
               "team_round1": r[10] or "", "team_round2": r[11] or ""}


def list_csv(campaign: Campaign, out: io.TextIOBase) -> int:
    writer = csv.DictWriter(out, fieldnames=LIST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows(campaign):
        writer.writerow(row)
        n += 1
    return n


def start_counting(code: str, *, by: User | None = None) -> None:
    """Counting starts: the book snapshot is frozen from now on."""
    campaign = campaign_service.get(code)
    if campaign.status != CampaignStatus.PLANNING:
        raise CountappError(N_("Campaign %(code)s is not in planning."), field="status", code=code)
    campaign_service.set_status(campaign, CampaignStatus.COUNTING, by=by)
