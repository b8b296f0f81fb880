"""How far counting has gone: by zone, team and round, what is left, and what looks wrong.

Only numbers of tickets and where they are: no quantity, so team leaders may read it too. The
status breakdown (agreed, third count needed) is for managers, centralisers and auditors.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from tickets import numbering

from ..extensions import db
from ..models import BookLine, Campaign, Item, Location, Owner, Team, Ticket, TicketStatus, Zone
from .count_views import ROUND_DONE

NO_ZONE = ""   # blank tickets not counted yet: nobody knows where they will be used
REMAINING_SHOWN = 300


@dataclass
class Tally:
    issued: int = 0
    counted: int = 0
    voided: int = 0

    @property
    def remaining(self) -> int:
        return self.issued - self.counted - self.voided

    @property
    def percent(self) -> int:
        live = self.issued - self.voided
        return 100 if live <= 0 else int(100 * self.counted / live)

    def add(self, status: TicketStatus, round_: int, n: int) -> None:
        self.issued += n
        if status == TicketStatus.VOIDED:
            self.voided += n
        elif status in ROUND_DONE[round_]:
            self.counted += n

    def as_dict(self) -> dict:
        return {"issued": self.issued, "counted": self.counted, "voided": self.voided, "remaining": self.remaining,
                "percent": self.percent}


@dataclass
class Progress:
    campaign: str
    tickets: int = 0
    not_issued: int = 0
    rounds: dict[int, Tally] = field(default_factory=lambda: {1: Tally(), 2: Tally()})
    zones: dict[str, dict[int, Tally]] = field(default_factory=dict)
    teams: list[dict] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    remaining: dict[str, list[dict]] = field(default_factory=dict)
    remaining_total: int = 0
    empty_locations: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)

    def as_dict(self, *, full: bool, count_date: date | None = None, zone_dates: dict[str, date] | None = None
                ) -> dict:
        """The progress as JSON; with ``count_date`` and ``zone_dates`` (zone code → its count date, issue 18)
        the campaign's count date and each zone's are given too (ISO dates)."""
        zone_dates = zone_dates or {}

        def zone_entry(z: str, by_round: dict[int, Tally]) -> dict:
            entry = {"zone": z or None, "rounds": {str(r): t.as_dict() for r, t in by_round.items()}}
            if count_date is not None:
                entry["count_date"] = (zone_dates.get(z) or count_date).isoformat()
            return entry

        data = {
            "campaign": self.campaign, "tickets": self.tickets, "not_issued": self.not_issued,
            "rounds": {str(r): t.as_dict() for r, t in self.rounds.items()},
            "zones": [zone_entry(z, by_round) for z, by_round in sorted(self.zones.items())],
            "teams": self.teams,
            "remaining": [{"zone": z or None, "tickets": rows} for z, rows in sorted(self.remaining.items())],
            "remaining_total": self.remaining_total,
            "alerts": {"locations_without_ticket": self.empty_locations, "counted_twice": self.duplicates},
        }
        if count_date is not None:
            data["count_date"] = count_date.isoformat()
        if full:
            data["statuses"] = self.statuses
        return data


def _zone_of_ticket():
    """(ticket id → zone code) through the book line's location, or the location a blank ticket was counted at."""
    line_location, line_zone = sa.orm.aliased(Location), sa.orm.aliased(Zone)
    blank_location, blank_zone = sa.orm.aliased(Location), sa.orm.aliased(Zone)
    zone = sa.func.coalesce(line_zone.code, blank_zone.code, NO_ZONE)
    joins = lambda q: (q.outerjoin(BookLine, BookLine.id == Ticket.book_line_id)  # noqa: E731
                       .outerjoin(line_location, line_location.id == BookLine.location_id)
                       .outerjoin(line_zone, line_zone.id == line_location.zone_id)
                       .outerjoin(blank_location, blank_location.id == Ticket.location_id)
                       .outerjoin(blank_zone, blank_zone.id == blank_location.zone_id))
    return zone, joins


def compute(campaign: Campaign, *, remaining_limit: int = REMAINING_SHOWN) -> Progress:
    """The campaign's progress in a handful of grouped queries (fine for 100,000 tickets)."""
    progress = Progress(campaign.code)
    zone, joins = _zone_of_ticket()
    has1, has2 = Ticket.team1_id.is_not(None), Ticket.team2_id.is_not(None)
    grouped = db.session.execute(joins(
        sa.select(zone, Ticket.status, has1, has2, sa.func.count()).select_from(Ticket))
        .where(Ticket.campaign_id == campaign.id).group_by(zone, Ticket.status, has1, has2))
    for zone_code, status, issued1, issued2, n in grouped:
        status = TicketStatus(status)
        progress.tickets += n
        progress.statuses[status.value] = progress.statuses.get(status.value, 0) + n
        by_round = progress.zones.setdefault(zone_code, {1: Tally(), 2: Tally()})
        if not issued1 and not issued2:
            progress.not_issued += n
        for round_, issued in ((1, issued1), (2, issued2)):
            if issued:
                progress.rounds[round_].add(status, round_, n)
                by_round[round_].add(status, round_, n)
    _teams(campaign, progress)
    _remaining(campaign, progress, remaining_limit)
    progress.empty_locations = locations_without_ticket(campaign)
    progress.duplicates = counted_twice(campaign)
    return progress


def _teams(campaign: Campaign, progress: Progress) -> None:
    teams = db.session.scalars(sa.select(Team).where(Team.campaign_id == campaign.id).order_by(Team.number)).all()
    tallies = {t.id: Tally() for t in teams}
    for round_, column in ((1, Ticket.team1_id), (2, Ticket.team2_id)):
        rows = db.session.execute(sa.select(column, Ticket.status, sa.func.count())
                                  .where(Ticket.campaign_id == campaign.id, column.is_not(None))
                                  .group_by(column, Ticket.status))
        for team_id, status, n in rows:
            team = next((t for t in teams if t.id == team_id), None)
            if team is not None and team.round == round_:
                tallies[team_id].add(TicketStatus(status), round_, n)
    progress.teams = [{"team": t.number, "round": t.round, "leader": t.leader.display_name,
                       "zones": sorted(z.code for z in t.zones), **tallies[t.id].as_dict()} for t in teams]


def _remaining(campaign: Campaign, progress: Progress, limit: int) -> None:
    """Tickets still to count per zone (issued for a round whose count is not in), in number order."""
    zone, joins = _zone_of_ticket()
    line_item, line_location = sa.orm.aliased(Item), sa.orm.aliased(Location)
    team1, team2 = sa.orm.aliased(Team), sa.orm.aliased(Team)
    done1, done2 = list(ROUND_DONE[1]), list(ROUND_DONE[2])
    missing1 = sa.and_(Ticket.team1_id.is_not(None), Ticket.status.not_in(done1))
    missing2 = sa.and_(Ticket.team2_id.is_not(None), Ticket.status.not_in(done2))
    where = sa.and_(Ticket.campaign_id == campaign.id, Ticket.status.not_in(
        [TicketStatus.VOIDED, TicketStatus.CREATED]), sa.or_(missing1, missing2))
    progress.remaining_total = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(where))
    query = joins(sa.select(zone, Ticket.sequence, Ticket.status, line_item.reference, line_item.designation,
                            line_location.code, BookLine.lot, team1.number, team2.number).select_from(Ticket))
    query = (query.outerjoin(line_item, line_item.id == BookLine.item_id)
             .outerjoin(line_location, line_location.id == BookLine.location_id)
             .outerjoin(team1, team1.id == Ticket.team1_id).outerjoin(team2, team2.id == Ticket.team2_id)
             .where(where).order_by(zone, Ticket.sequence).limit(limit))
    for zone_code, sequence, status, reference, designation, location, lot, t1, t2 in db.session.execute(query):
        status = TicketStatus(status)
        rounds = [r for r, team in ((1, t1), (2, t2)) if team is not None and status not in ROUND_DONE[r]]
        progress.remaining.setdefault(zone_code, []).append({
            "ticket": numbering.format_number(sequence, campaign.fiscal_year), "reference": reference,
            "designation": designation, "location": location, "lot": lot or "", "blank": reference is None,
            "rounds": rounds, "teams": {"1": t1, "2": t2},
        })


def locations_without_ticket(campaign: Campaign) -> list[dict]:
    """Places with no live ticket at all (forgetting a place is the classic failure).

    Places whose every book line is held elsewhere (``at_third_party``: not counted on site) are left out.
    """
    live = sa.and_(Ticket.campaign_id == campaign.id, Ticket.status != TicketStatus.VOIDED)
    through_line = (sa.select(BookLine.location_id).join(Ticket, Ticket.book_line_id == BookLine.id).where(live))
    through_blank = sa.select(Ticket.location_id).where(live, Ticket.location_id.is_not(None))
    elsewhere_only = (sa.select(BookLine.location_id).where(BookLine.campaign_id == campaign.id)
                      .group_by(BookLine.location_id)
                      .having(sa.func.min(sa.case((BookLine.owner == Owner.AT_THIRD_PARTY, 1), else_=0)) == 1))
    rows = db.session.execute(
        sa.select(Location.code, Zone.code, Location.added_by_hand).join(Zone, Zone.id == Location.zone_id)
        .where(Location.campaign_id == campaign.id, Location.id.not_in(through_line),
               Location.id.not_in(through_blank), Location.id.not_in(elsewhere_only))
        .order_by(Zone.code, Location.code))
    return [{"location": code, "zone": zone, "added_by_hand": bool(by_hand)} for code, zone, by_hand in rows]


def counted_twice(campaign: Campaign) -> list[dict]:
    """The same item, location and lot counted on two or more live tickets (a stack counted twice)."""
    item_id = sa.func.coalesce(BookLine.item_id, Ticket.item_id)
    location_id = sa.func.coalesce(BookLine.location_id, Ticket.location_id)
    lot = sa.func.coalesce(BookLine.lot, Ticket.lot, "")
    counted = list(ROUND_DONE[1])
    base = (sa.select(Ticket.sequence, item_id.label("item_id"), location_id.label("location_id"), lot.label("lot"))
            .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
            .where(Ticket.campaign_id == campaign.id, Ticket.status.in_(counted))).subquery()
    groups = (sa.select(base.c.item_id, base.c.location_id, base.c.lot)
              .where(base.c.item_id.is_not(None), base.c.location_id.is_not(None))
              .group_by(base.c.item_id, base.c.location_id, base.c.lot).having(sa.func.count() > 1)).subquery()
    rows = db.session.execute(
        sa.select(Item.reference, Item.designation, Location.code, base.c.lot, base.c.sequence)
        .join(groups, sa.and_(groups.c.item_id == base.c.item_id, groups.c.location_id == base.c.location_id,
                              groups.c.lot == base.c.lot))
        .join(Item, Item.id == base.c.item_id).join(Location, Location.id == base.c.location_id)
        .order_by(Location.code, Item.reference, base.c.lot, base.c.sequence))
    found: dict[tuple, dict] = {}
    for reference, designation, location, lot_code, sequence in rows:
        entry = found.setdefault((reference, location, lot_code), {
            "reference": reference, "designation": designation, "location": location, "lot": lot_code or "",
            "tickets": []})
        entry["tickets"].append(numbering.format_number(sequence, campaign.fiscal_year))
    return list(found.values())


def zones_summary(progress: Progress) -> list[tuple[str, dict[int, Tally]]]:
    return sorted(progress.zones.items(), key=lambda kv: (kv[0] == NO_ZONE, kv[0]))


def by_zone_remaining(progress: Progress) -> list[tuple[str, list[dict]]]:
    grouped = defaultdict(list)
    for zone_code, rows in progress.remaining.items():
        grouped[zone_code].extend(rows)
    return sorted(grouped.items(), key=lambda kv: (kv[0] == NO_ZONE, kv[0]))
