"""What each person may see of tickets and counts: the one place that decides, for pages and the API.

Counting teams are blind (DOMAIN.md, Rules): they never see the book quantity, nor another round's
count or state, nor the agreed/recount decision (which would tell whether they matched the other
round). Managers, centralisers and auditors see everything.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone
from decimal import Decimal

import sqlalchemy as sa

from tickets import numbering
from tickets.errors import CountappError, Forbidden, N_, NotFound
from tickets.quantities import unit_allows_decimals

from ..extensions import db
from ..models import (BookLine, Campaign, CampaignStatus, Count, Item, Location, Role, Team, Ticket, TicketStatus,
                      User, Zone, team_member, zone_storekeeper)
from . import campaigns as campaign_service
from . import count_dates, counting

STAFF_ROLES = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
TEAM_ROLES = counting.TEAM_ROLES
# Ticket statuses in which a round's count is in.
ROUND_DONE = counting.ROUND_DONE
_STATUS_RANK = {CampaignStatus.COUNTING: 0, CampaignStatus.RECONCILING: 1, CampaignStatus.PLANNING: 2,
                CampaignStatus.CLOSED: 3}


@dataclass
class Viewer:
    user: User
    team: Team | None

    @property
    def staff(self) -> bool:
        return self.user.role in STAFF_ROLES

    @property
    def round(self) -> int | None:
        return self.team.round if self.team is not None else None


def qty_text(value: Decimal | None) -> str | None:
    """A quantity as plain digits (no exponent, no trailing zeros) for JSON."""
    if value is None:
        return None
    text = format(Decimal(value).normalize(), "f")
    return text


def campaigns_of_member(user: User) -> list[Campaign]:
    """Campaigns where the user is in a team, the ones counting first, then the newest."""
    member = sa.select(team_member.c.team_id).where(team_member.c.user_id == user.id)
    teams = sa.select(Team.campaign_id).where(sa.or_(Team.leader_id == user.id, Team.id.in_(member)))
    campaigns = db.session.scalars(sa.select(Campaign).where(Campaign.id.in_(teams))).all()
    return sorted(campaigns, key=lambda c: (_STATUS_RANK[c.status], -c.fiscal_year, -c.id))


def _member_campaigns(user_id) -> sa.Select:
    """The ids of the campaigns where ``user_id`` (a parameter or a column) is in a team, leader or member."""
    members = sa.select(team_member.c.team_id).where(team_member.c.user_id == user_id)
    teams = sa.select(Team.campaign_id)
    if isinstance(user_id, sa.Column):   # a column of the query two levels up: correlated by name
        members, teams = members.correlate(user_id.table), teams.correlate(user_id.table)
    return teams.where(sa.or_(Team.leader_id == user_id, Team.id.in_(members)))


# Built once (parameter: user_id).
_MEMBER_CODES = sa.select(Campaign.code).where(Campaign.id.in_(_member_campaigns(sa.bindparam("user_id"))))


def member_codes_of(user_id: sa.ColumnElement, separator: str) -> sa.ScalarSelect:
    """``campaign_codes_of_member`` as one string (codes joined by ``separator``, NULL for none), a scalar
    subquery correlated on ``user_id``: the session user's load reads it (web.security)."""
    return (sa.select(sa.func.aggregate_strings(Campaign.code, separator))
            .where(Campaign.id.in_(_member_campaigns(user_id))).scalar_subquery())


def campaign_codes_of_member(user: User) -> list[str]:
    """Codes of the campaigns where the user is in a team (codes only: the campaign scope asks on every request)."""
    return list(db.session.connection().execute(_MEMBER_CODES, {"user_id": user.id}).scalars())


def kept_zones(user: User, campaign: Campaign | None = None) -> list[tuple[str, str]]:
    """(campaign code, zone code) of the zones the user keeps as storekeeper, so never counts."""
    query = (sa.select(Campaign.code, Zone.code).join(zone_storekeeper, zone_storekeeper.c.zone_id == Zone.id)
             .join(Campaign, Campaign.id == Zone.campaign_id).where(zone_storekeeper.c.user_id == user.id))
    if campaign is not None:
        query = query.where(Zone.campaign_id == campaign.id)
    return [(code, zone) for code, zone in db.session.execute(query.order_by(Campaign.code, Zone.code))]


def resolve_campaign(user: User, code: str | None = None, ticket_text=None) -> Campaign:
    """The campaign a request is about: named, the caller's team's, or the only one counting."""
    if code:
        if not isinstance(code, str):
            raise CountappError(N_("Unknown campaign %(code)s."), field="campaign", code=str(code)[:40])
        return campaign_service.get(code.strip())
    if user.role in TEAM_ROLES:
        mine = campaigns_of_member(user)
        if mine:
            return mine[0]
    query = sa.select(Campaign).where(Campaign.status.in_([CampaignStatus.COUNTING, CampaignStatus.RECONCILING]))
    if isinstance(ticket_text, str) and "/" in ticket_text:
        year = ticket_text.rsplit("/", 1)[1].strip()
        if year.isdigit() and len(year) == 4:
            query = query.where(Campaign.fiscal_year == int(year))
    found = db.session.scalars(query.limit(2)).all()
    if not found:
        raise NotFound(N_("No campaign is counting at the moment."), field="campaign")
    if len(found) > 1:
        raise CountappError(N_("Several campaigns are counting: say which one (campaign=CODE)."), field="campaign")
    return found[0]


def viewer(campaign: Campaign, user: User) -> Viewer:
    return Viewer(user, counting.team_of(user, campaign) if user.role in TEAM_ROLES else None)


def viewer_round(ticket: Ticket, who: Viewer) -> int | None:
    """The round the viewer counts this ticket in: 3 on a recount sheet of theirs, else their team's."""
    if who.staff:
        return None
    # A leader entering a third count sees it blind, even for a ticket their own team counted.
    if who.user.role == Role.LEADER and counting.on_recount_sheet_of(ticket, who.user):
        return 3
    if who.team is not None:
        issued = ticket.team1_id if who.team.round == 1 else ticket.team2_id
        if issued == who.team.id:
            return who.team.round
    return None


def visible_ticket(campaign: Campaign, text, who: Viewer) -> tuple[Ticket, int | None]:
    """The ticket if the viewer may see it (staff: all; teams: issued to them), and the viewer's round."""
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise CountappError(N_("A ticket number is required."), field="ticket")
    ticket = counting.find_ticket(campaign, text)
    if who.staff:
        return ticket, None
    round_ = viewer_round(ticket, who)
    if round_ is None:
        label = numbering.format_number(ticket.sequence, campaign.fiscal_year)
        if who.team is None:
            raise Forbidden(N_("You are not in a counting team of campaign %(code)s."), field="ticket",
                            code=campaign.code)
        raise Forbidden(N_("Ticket %(ticket)s was not issued to your team for round %(round)s."), field="ticket",
                        ticket=label, round=who.team.round)
    return ticket, round_


def blind_status(status: TicketStatus, round_: int) -> str:
    """What a team of that round may know of a ticket's status: to count, counted, waiting, voided."""
    if status == TicketStatus.VOIDED:
        return "voided"
    if status == TicketStatus.CREATED:
        return "not_issued"
    if round_ == 3:
        return "counted" if status == TicketStatus.FINAL else ("to_count" if status == TicketStatus.RECOUNT
                                                               else "not_needed")
    if status in ROUND_DONE[round_]:
        return "counted"
    if round_ == 2 and status == TicketStatus.ISSUED:
        return "waiting"
    return "to_count"


def _iso(moment) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite gives back naive datetimes; they were written in UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


_LOOK_UP = object()


def count_view(count: Count, campaign: Campaign, *, team_number=_LOOK_UP) -> dict:
    """A count as the API shows it. ``team_number``: its team's number when the caller has it (the count
    writer read its users' teams in bulk); else the team is looked up."""
    if team_number is _LOOK_UP:
        team = db.session.get(Team, count.team_id) if count.team_id else None
        team_number = team.number if team else None
    return {
        "id": count.id, "ticket": numbering.format_number(count.ticket.sequence, campaign.fiscal_year),
        "round": count.round, "quantity": qty_text(count.quantity), "state": count.state.value,
        "method": count.method.value, "packaging": count.packaging, "team": team_number,
        "counted_by": count.counted_by_name, "counted_at": _iso(count.counted_at),
        "recorded_at": _iso(count.recorded_at),
        "source": count.source.value, "client_id": count.client_id, "supersedes": count.supersedes_id,
        "correction_reason": count.correction_reason or None,
    }


def _what(ticket: Ticket) -> dict:
    line = ticket.book_line
    item = line.item if line is not None else ticket.item
    location = line.location if line is not None else ticket.location
    lot = line.lot if line is not None else ticket.lot
    return {
        "blank": ticket.is_blank, "needs_reference": ticket.is_blank and ticket.item_id is None,
        "reference": item.reference if item else None, "designation": item.designation if item else None,
        "unit": item.unit if item else None, "decimals": unit_allows_decimals(item.unit) if item else None,
        "location": location.code if location else None,
        "zone": location.zone.code if location else None, "lot": lot or "",
        "owner": line.owner.value if line is not None else "own",
    }


def _round_counts(ticket: Ticket, round_: int, campaign: Campaign) -> tuple[Count | None, list[dict]]:
    entries = counting.history(ticket.id, round_)
    superseded = {c.supersedes_id for c in entries if c.supersedes_id}
    current = next((c for c in reversed(entries) if c.id not in superseded), None)
    return current, [count_view(c, campaign) for c in entries if c is not current]


def ticket_view(campaign: Campaign, ticket: Ticket, who: Viewer, round_: int | None) -> dict:
    """A ticket as the viewer may see it (see the module's docstring)."""
    label = numbering.format_number(ticket.sequence, campaign.fiscal_year)
    view = {"ticket": label, "sequence": ticket.sequence, "campaign": campaign.code, **_what(ticket)}
    if not who.staff:
        current, earlier = _round_counts(ticket, round_, campaign)
        if round_ == 3:
            status = "voided" if ticket.status == TicketStatus.VOIDED else (
                "counted" if current is not None else blind_status(ticket.status, 3))
        else:
            status = blind_status(ticket.status, round_)
        view.update(round=round_, team=who.team.number if who.team and round_ != 3 else None, status=status,
                    count=count_view(current, campaign) if current else None, history=earlier,
                    can_correct=counting.may_correct(campaign, ticket, current, who.user, who.team))
        return view
    line = ticket.book_line
    counts = {}
    for r in (1, 2, 3):
        current, earlier = _round_counts(ticket, r, campaign)
        counts[str(r)] = {"count": count_view(current, campaign) if current else None, "history": earlier}
    view.update(
        status=ticket.status.value,
        book_qty=qty_text(count_dates.book_at_count_date(campaign, line.item_id, line.location_id, line.lot,
                                                         line.book_qty)) if line is not None else None,
        unit_cost=qty_text(line.unit_cost) if line is not None else None, final_qty=qty_text(ticket.final_qty),
        recount_reasons=[r for r in (ticket.recount_reasons or "").split(",") if r],
        teams={"1": ticket.team1.number if ticket.team1 else None, "2": ticket.team2.number if ticket.team2 else None},
        counts=counts,
        void={"reason": ticket.void.reason, "at": ticket.void.voided_at.isoformat(),
              "by": ticket.void.voided_by.login if ticket.void.voided_by else None} if ticket.void else None,
    )
    return view


def _ticket_rows(campaign: Campaign):
    line_item, line_location, line_zone = sa.orm.aliased(Item), sa.orm.aliased(Location), sa.orm.aliased(Zone)
    blank_zone = sa.orm.aliased(Zone)
    return (
        sa.select(Ticket.sequence, Ticket.status, Ticket.is_blank, Ticket.item_id,
                  sa.func.coalesce(line_item.reference, Item.reference),
                  sa.func.coalesce(line_item.designation, Item.designation),
                  sa.func.coalesce(line_item.unit, Item.unit),
                  sa.func.coalesce(line_location.code, Location.code),
                  sa.func.coalesce(line_zone.code, blank_zone.code),
                  sa.func.coalesce(BookLine.lot, Ticket.lot), BookLine.owner)
        .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
        .outerjoin(line_item, line_item.id == BookLine.item_id)
        .outerjoin(line_location, line_location.id == BookLine.location_id)
        .outerjoin(line_zone, line_zone.id == line_location.zone_id)
        .outerjoin(Item, Item.id == Ticket.item_id).outerjoin(Location, Location.id == Ticket.location_id)
        .outerjoin(blank_zone, blank_zone.id == Location.zone_id)
        .where(Ticket.campaign_id == campaign.id))


def team_tickets(campaign: Campaign, team: Team) -> list[dict]:
    """The tickets issued to the team for its round, as the team may see them (blind), in number order."""
    column = Ticket.team1_id if team.round == 1 else Ticket.team2_id
    rows = db.session.execute(_ticket_rows(campaign).where(column == team.id).order_by(Ticket.sequence))
    result = []
    for sequence, status, is_blank, item_id, reference, designation, unit, location, zone, lot, owner in rows:
        result.append({
            "ticket": numbering.format_number(sequence, campaign.fiscal_year), "sequence": sequence,
            "status": blind_status(TicketStatus(status), team.round), "blank": bool(is_blank),
            "needs_reference": bool(is_blank) and item_id is None, "reference": reference,
            "designation": designation, "unit": unit, "decimals": unit_allows_decimals(unit) if unit else None,
            "location": location, "zone": zone, "lot": lot or "",
            "owner": getattr(owner, "value", owner) or "own",
        })
    return result


def team_counts(campaign: Campaign, team: Team, *, limit: int = 30) -> list[dict]:
    """The team's own entries of its round, newest first, with whether each may still be corrected."""
    later = sa.orm.aliased(Count)
    newer_exists = sa.select(later.id).where(later.supersedes_id == Count.id).exists()
    counts = db.session.scalars(sa.select(Count).join(Ticket, Ticket.id == Count.ticket_id).where(
        Ticket.campaign_id == campaign.id, Count.team_id == team.id, Count.round == team.round, ~newer_exists)
        .order_by(Count.id.desc()).limit(limit)).all()
    return [count_view(c, campaign) for c in counts]


def all_counts(campaign: Campaign, *, limit: int, offset: int) -> list[dict]:
    counts = db.session.scalars(sa.select(Count).join(Ticket, Ticket.id == Count.ticket_id)
                                .where(Ticket.campaign_id == campaign.id).order_by(Count.id)
                                .limit(limit).offset(offset)).all()
    return [count_view(c, campaign) for c in counts]


def _like(column, text: str):
    return sa.func.lower(column).contains(text.lower(), autoescape=True)


def search_items(campaign: Campaign, q: str, *, limit: int = 20) -> list[dict]:
    """Items whose reference or designation contains ``q`` (for blank tickets)."""
    query = sa.select(Item).where(Item.campaign_id == campaign.id)
    if q:
        query = query.where(sa.or_(_like(Item.reference, q), _like(Item.designation, q)))
    items = db.session.scalars(query.order_by(Item.reference).limit(limit)).all()
    return [{"reference": i.reference, "designation": i.designation, "unit": i.unit,
             "decimals": unit_allows_decimals(i.unit)} for i in items]


def search_locations(campaign: Campaign, q: str, *, team: Team | None = None, limit: int = 20) -> list[dict]:
    """Locations whose code contains ``q``; the team's own zones first."""
    query = sa.select(Location.code, Zone.code, Zone.id).join(Zone, Zone.id == Location.zone_id).where(
        Location.campaign_id == campaign.id)
    if q:
        query = query.where(_like(Location.code, q))
    own = {z.id for z in team.zones} if team is not None else set()
    if own:
        query = query.order_by(sa.case((Zone.id.in_(own), 0), else_=1), Location.code)
    else:
        query = query.order_by(Location.code)
    return [{"location": code, "zone": zone, "own_zone": zone_id in own}
            for code, zone, zone_id in db.session.execute(query.limit(limit))]


def search_lots(campaign: Campaign, reference: str, location: str = "", *, limit: int = 50) -> list[str]:
    """Lots the book knows for an item (at a location when given)."""
    query = (sa.select(BookLine.lot).join(Item, Item.id == BookLine.item_id)
             .where(BookLine.campaign_id == campaign.id, Item.campaign_id == campaign.id, Item.reference == reference,
                    BookLine.lot != ""))
    if location:
        query = query.join(Location, Location.id == BookLine.location_id).where(Location.code == location)
    return list(db.session.scalars(query.distinct().order_by(BookLine.lot).limit(limit)))
