"""Third counts: recount sheets, the blind entry by the two leaders, and decisions without recount.

A recount sheet groups tickets that need a third count for a pair of team leaders (one of a
round-1 team, one of a round-2 team) under a supervisor (usually the centraliser). The leaders
recount together and enter the result; the third count is final (DOMAIN.md, Third count). What
the leaders see — the printed sheet, the entry page — is blind: what identifies the goods, never
count 1, count 2, the book, nor why the ticket is recounted.

A centraliser (or the manager) may instead accept a difference without recount (e.g. the book is
known wrong): that decision needs a written reason, is kept for ever (ticket_decision is
append-only) and logged; the ticket becomes final with the chosen quantity.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, BinaryIO, TextIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from reports import csv_out
from tickets import numbering
from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound
from tickets.quantities import unit_allows_decimals

from ..extensions import db
from ..models import (BookLine, Campaign, CampaignStatus, Count, CountSource, Item, Location, RecountSheet, Role,
                      Team, Ticket, TicketDecision, TicketStatus, User, Zone, recount_sheet_ticket,
                      zone_storekeeper)
from ..models.users import SessionUser
from . import audit, count_dates
from . import campaigns as campaign_service
from . import centralisation
from . import counting

if TYPE_CHECKING:   # tickets.recount_pdf loads reportlab: imported where a sheet is printed
    from tickets.recount_pdf import RecountSheetView

SUPERVISOR_ROLES = (Role.CENTRALISER, Role.MANAGER)
SETTLERS = (Role.CENTRALISER, Role.MANAGER)
MAX_SHEET_TICKETS = 500
REASON_LENGTH = 1000
CSV_COLUMNS = ("ticket", "reference", "designation", "location", "zone", "lot", "unit", "category", "owner",
               "team_round1", "team_round2", "count_1", "count_2", "book_qty", "reasons", "sheet")


def label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


def _qty_text(value: Decimal | None) -> str:
    return "" if value is None else format(Decimal(value).normalize(), "f")


# --- tickets that need a third count -------------------------------------------------------------

def recount_rows(campaign: Campaign, *, batch: int = 1000) -> Iterator[dict]:
    """Every ticket still needing a third count, in number order, with its counts, book and reasons."""
    after = 0
    filters = centralisation.Filters(state="recount")
    while True:
        page = centralisation.page(campaign, filters, after=after or None, size=batch)
        yield from page.rows
        if page.next is None:
            return
        after = page.next


def write_recounts_csv(campaign: Campaign, out: TextIO, *, excel: bool = False) -> int:
    """``countapp recounts``: the tickets that need a third count and why, as CSV; returns how many."""
    writer = csv_out.Writer(out, csv_out.dialect(excel), campaign.language)
    writer.header(CSV_COLUMNS)
    # Plain: quantities as SPEC.md's normalised text; Excel: numbers, written with a decimal comma.
    _qty = _qty_text if not excel else (lambda v: None if v is None else Decimal(v).normalize())
    n = 0
    for row in recount_rows(campaign):
        writer.dict_row(CSV_COLUMNS, {
            "ticket": row["ticket"], "reference": row["reference"], "designation": row["designation"],
            "location": row["location"], "zone": row["zone"], "lot": row["lot"], "unit": row["unit"],
            "category": row["category"], "owner": row["owner"], "team_round1": row["team_round1"] or "",
            "team_round2": row["team_round2"] or "", "count_1": _qty(row["count1"]),
            "count_2": _qty(row["count2"]), "book_qty": _qty(row["book_qty"]),
            "reasons": " ".join(row["reasons"]), "sheet": row["sheet"] or ""})
        n += 1
    return n


# --- people --------------------------------------------------------------------------------------

@dataclass
class People:
    """Who may recount and supervise in a campaign."""

    round1: list[tuple[User, list[int]]]     # leaders of round-1 teams, with their team numbers
    round2: list[tuple[User, list[int]]]
    supervisors: list[User]


def people(campaign: Campaign) -> People:
    by_round: dict[int, dict[int, tuple[User, list[int]]]] = {1: {}, 2: {}}
    for team in db.session.scalars(sa.select(Team).where(Team.campaign_id == campaign.id).order_by(Team.number)):
        entry = by_round[team.round].setdefault(team.leader_id, (team.leader, []))
        entry[1].append(team.number)
    supervisors = list(db.session.scalars(sa.select(User).where(User.role.in_(SUPERVISOR_ROLES), User.active)
                                          .order_by(User.login)))
    return People(list(by_round[1].values()), list(by_round[2].values()), supervisors)


CHOOSE = {"leader_round1": N_("Choose the leader of a 1st-count team."),
          "leader_round2": N_("Choose the leader of a 2nd-count team."),
          "supervisor": N_("Choose the supervisor of the recount.")}


def _user(login_or_id, what: str) -> User:
    """A user given as a User, an id or a login."""
    if isinstance(login_or_id, User):
        return login_or_id
    user = None
    if isinstance(login_or_id, SessionUser):
        login_or_id = login_or_id.id
    if isinstance(login_or_id, int) and not isinstance(login_or_id, bool):
        user = db.session.get(User, login_or_id)
    elif isinstance(login_or_id, str) and login_or_id.strip():
        text = login_or_id.strip()
        user = db.session.scalar(sa.select(User).where(User.login == text))
        if user is None and text.isdigit() and len(text) < 10:
            user = db.session.get(User, int(text))
    if user is None:
        raise CountappError(CHOOSE[what], field=what)
    return user


def _leads_round(campaign: Campaign, user: User, round_: int) -> bool:
    return db.session.scalar(sa.select(Team.id).where(Team.campaign_id == campaign.id, Team.round == round_,
                                                      Team.leader_id == user.id).limit(1)) is not None


# --- recount sheets ------------------------------------------------------------------------------

def _tickets(campaign: Campaign, numbers: Iterable) -> list[Ticket]:
    """The tickets named (as printed or by sequence), locked on PostgreSQL until the sheet is written."""
    sequences: list[int] = []
    for text in numbers:
        text = str(text).strip()
        if text:
            sequence = numbering.parse_number(text, campaign.fiscal_year)
            if sequence not in sequences:
                sequences.append(sequence)
    if len(sequences) > MAX_SHEET_TICKETS:
        raise CountappError(N_("A recount sheet holds at most %(n)s tickets."), field="tickets", n=MAX_SHEET_TICKETS)
    query = sa.select(Ticket).where(Ticket.campaign_id == campaign.id, Ticket.sequence.in_(sequences))
    if db.engine.dialect.name == "postgresql":
        query = query.order_by(Ticket.id).with_for_update()
    found = {t.sequence: t for t in db.session.scalars(query)}
    for sequence in sequences:
        if sequence not in found:
            raise NotFound(N_("Ticket %(ticket)s does not exist in campaign %(code)s."), field="tickets",
                           ticket=label(campaign, sequence), code=campaign.code)
    return [found[s] for s in sequences]


def create_sheet(code: str, *, tickets: Iterable, leader1, leader2, supervisor, by: User | None = None
                 ) -> RecountSheet:
    """Group tickets that need a third count on a new sheet for two leaders under a supervisor (one transaction)."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if campaign.status == CampaignStatus.PLANNING:
        raise CountappError(N_("Campaign %(code)s is not counting yet."), field="tickets", code=campaign.code)
    first, second, boss = (_user(leader1, "leader_round1"), _user(leader2, "leader_round2"),
                           _user(supervisor, "supervisor"))
    if not _leads_round(campaign, first, 1):
        raise CountappError(N_("%(login)s does not lead a team of the 1st count."), field="leader_round1",
                            login=first.login)
    if not _leads_round(campaign, second, 2):
        raise CountappError(N_("%(login)s does not lead a team of the 2nd count."), field="leader_round2",
                            login=second.login)
    if first.id == second.id:
        raise CountappError(N_("The two leaders must be two different people."), field="leader_round2")
    if boss.role not in SUPERVISOR_ROLES or not boss.active:
        raise CountappError(N_("The supervisor must be a centraliser or the inventory manager."), field="supervisor")
    chosen = _tickets(campaign, tickets)
    if not chosen:
        raise CountappError(N_("Choose at least one ticket to recount."), field="tickets")
    ids = [t.id for t in chosen]
    on_sheet = dict(db.session.execute(
        sa.select(recount_sheet_ticket.c.ticket_id, RecountSheet.number)
        .join(RecountSheet, RecountSheet.id == recount_sheet_ticket.c.sheet_id)
        .where(recount_sheet_ticket.c.ticket_id.in_(ids))).all())
    for ticket in chosen:
        if ticket.status != TicketStatus.RECOUNT:
            raise CountappError(N_("Ticket %(ticket)s does not need a third count."), field="tickets",
                                ticket=label(campaign, ticket.sequence))
        if ticket.id in on_sheet:
            raise CountappError(N_("Ticket %(ticket)s is already on recount sheet %(sheet)s."), field="tickets",
                                ticket=label(campaign, ticket.sequence), sheet=on_sheet[ticket.id])
    _check_storekeepers(campaign, chosen, (first, second))
    number = (db.session.scalar(sa.select(sa.func.max(RecountSheet.number))
                                .where(RecountSheet.campaign_id == campaign.id)) or 0) + 1
    sheet = RecountSheet(campaign_id=campaign.id, number=number, leader1_id=first.id, leader2_id=second.id,
                         supervisor_id=boss.id, created_by_id=by.id if by is not None else None)
    db.session.add(sheet)
    try:
        db.session.flush()
        db.session.execute(sa.insert(recount_sheet_ticket), [{"sheet_id": sheet.id, "ticket_id": i} for i in ids])
        audit.record("recount.sheet", campaign=campaign, entity="recount_sheet", entity_id=number, user=by,
                     after={"number": number, "leader_round1": first.login, "leader_round2": second.login,
                            "supervisor": boss.login,
                            "tickets": [label(campaign, t.sequence) for t in sorted(chosen, key=lambda t: t.sequence)]})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("Someone else made a recount sheet at the same time: look again."), field="tickets") from None
    return sheet


def _check_storekeepers(campaign: Campaign, chosen: list[Ticket], leaders: tuple[User, User]) -> None:
    """A storekeeper never counts the stock of their own zone, a third count no more than the others."""
    location_ids = {t.location_id for t in chosen if t.location_id} | set(db.session.scalars(
        sa.select(BookLine.location_id).where(BookLine.id.in_([t.book_line_id for t in chosen if t.book_line_id]))))
    if not location_ids:
        return
    clash = db.session.execute(
        sa.select(User.login, Zone.code).join(zone_storekeeper, zone_storekeeper.c.user_id == User.id)
        .join(Zone, Zone.id == zone_storekeeper.c.zone_id)
        .join(Location, Location.zone_id == Zone.id)
        .where(Location.id.in_(location_ids), User.id.in_([u.id for u in leaders])).limit(1)).first()
    if clash:
        raise CountappError(N_("%(login)s keeps the stock of zone %(zone)s and may not count it: storekeepers only "
                               "answer questions."), field="tickets", login=clash[0], zone=clash[1])


def candidates(campaign: Campaign, filters: centralisation.Filters, *, limit: int = MAX_SHEET_TICKETS
               ) -> tuple[list[dict], int]:
    """Tickets needing a third count and on no sheet yet (under the filters): the first ``limit``, and how many."""
    on_sheet = sa.select(recount_sheet_ticket.c.ticket_id).where(recount_sheet_ticket.c.ticket_id == Ticket.id)
    where = [*centralisation.conditions(campaign, filters), Ticket.status == TicketStatus.RECOUNT, ~on_sheet.exists()]
    ids = list(db.session.scalars(sa.select(Ticket.id).where(*where).order_by(Ticket.sequence).limit(limit)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(*where))
    return centralisation.rows_for(campaign, ids), total


def suggested_leaders(campaign: Campaign, rows: list[dict]) -> tuple[str | None, str | None]:
    """The leaders of the teams that counted the most of these tickets, one per round (logins)."""
    tally: dict[tuple, int] = {}
    for row in rows:
        key = (row["team_round1"], row["team_round2"])
        tally[key] = tally.get(key, 0) + 1
    if not tally:
        return None, None
    team1, team2 = max(tally, key=lambda k: tally[k])
    leaders = dict(db.session.execute(sa.select(Team.number, User.login).join(User, User.id == Team.leader_id)
                                      .where(Team.campaign_id == campaign.id)).all())
    return leaders.get(team1), leaders.get(team2)


@dataclass
class SheetSummary:
    sheet: RecountSheet
    tickets: int
    entered: int       # third counts in
    settled: int       # tickets no longer waiting (third count, decision or void)

    @property
    def done(self) -> bool:
        return self.settled >= self.tickets


def _progress(sheet_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    if not sheet_ids:
        return {}
    third = sa.select(Count.id).where(Count.ticket_id == recount_sheet_ticket.c.ticket_id, Count.round == 3).exists()
    rows = db.session.execute(
        sa.select(recount_sheet_ticket.c.sheet_id, sa.func.count(),
                  sa.func.sum(sa.case((third, 1), else_=0)),
                  sa.func.sum(sa.case((Ticket.status != TicketStatus.RECOUNT, 1), else_=0)))
        .join(Ticket, Ticket.id == recount_sheet_ticket.c.ticket_id)
        .where(recount_sheet_ticket.c.sheet_id.in_(sheet_ids)).group_by(recount_sheet_ticket.c.sheet_id))
    return {sheet_id: (n, int(entered or 0), int(settled or 0)) for sheet_id, n, entered, settled in rows}


def sheets(campaign: Campaign, *, user: User | None = None) -> list[SheetSummary]:
    """The campaign's recount sheets, newest first; a leader's own only when ``user`` is a leader."""
    query = sa.select(RecountSheet).where(RecountSheet.campaign_id == campaign.id)
    if user is not None and user.role == Role.LEADER:
        query = query.where(sa.or_(RecountSheet.leader1_id == user.id, RecountSheet.leader2_id == user.id))
    found = list(db.session.scalars(query.order_by(RecountSheet.number.desc())))
    progress = _progress([s.id for s in found])
    return [SheetSummary(s, *progress.get(s.id, (0, 0, 0))) for s in found]


def get_sheet(campaign: Campaign, number: int | str) -> RecountSheet:
    try:
        number = int(str(number).strip())
    except ValueError:
        number = 0
    sheet = db.session.scalar(sa.select(RecountSheet).where(RecountSheet.campaign_id == campaign.id,
                                                            RecountSheet.number == number))
    if sheet is None:
        raise NotFound(N_("Recount sheet %(number)s does not exist in campaign %(code)s."), field="sheet",
                       number=number, code=campaign.code)
    return sheet


def sheet_ticket_ids(sheet: RecountSheet) -> list[int]:
    return list(db.session.scalars(sa.select(recount_sheet_ticket.c.ticket_id)
                                   .where(recount_sheet_ticket.c.sheet_id == sheet.id)))


def sheet_rows(campaign: Campaign, sheet: RecountSheet) -> list[dict]:
    """The sheet's tickets as the centraliser sees them (counts side by side)."""
    return centralisation.rows_for(campaign, sheet_ticket_ids(sheet))


def _person(user: User) -> str:
    return user.display_name


def sheet_view(campaign: Campaign, sheet: RecountSheet, *, date_text: str | None = None) -> RecountSheetView:
    """What the printed sheet carries: who, and which goods — never a quantity (blind)."""
    from tickets.recount_pdf import RecountLineView, RecountSheetView

    lines = [RecountLineView(ticket=line["ticket"], reference=line["reference"], designation=line["designation"],
                             location=line["location"], lot=line["lot"] or None, unit=line["unit"])
             for line in blind_lines(campaign, sheet)]
    name = f"{campaign.code} · {campaign.name}" if campaign.name else campaign.code
    return RecountSheetView(number=str(sheet.number), campaign=name, leader_round1=_person(sheet.leader1),
                            leader_round2=_person(sheet.leader2), supervisor=_person(sheet.supervisor), lines=lines,
                            date=date_text)


def write_sheet_pdf(campaign: Campaign, sheet: RecountSheet, out: BinaryIO, *, language: str | None = None,
                    date_text: str | None = None) -> int:
    """The printable recount sheet (PDF); returns its number of pages."""
    from tickets.recount_pdf import write_recount_sheet

    return write_recount_sheet(sheet_view(campaign, sheet, date_text=date_text), out,
                               language or campaign.language or "fr")


# --- the leaders' blind entry --------------------------------------------------------------------

def may_enter(sheet: RecountSheet, user: User) -> bool:
    """The two leaders of the sheet, its supervisor, and the people who settle may enter third counts."""
    if user.role in SETTLERS:
        return True
    return user.role == Role.LEADER and user.id in (sheet.leader1_id, sheet.leader2_id)


def check_may_enter(sheet: RecountSheet, user: User) -> None:
    if not may_enter(sheet, user):
        raise Forbidden(N_("Recount sheet %(number)s is not one of yours."), field="sheet", number=sheet.number)


def blind_lines(campaign: Campaign, sheet: RecountSheet) -> list[dict]:
    """The sheet's tickets as the recounting leaders may see them: the goods, and only the third count.

    Status is one of ``to_count``, ``counted`` (the third count is in: its own quantity is shown),
    ``not_needed`` (settled otherwise, or voided). Nothing about counts 1 and 2, the book or the reasons.
    """
    ids = sheet_ticket_ids(sheet)
    if not ids:
        return []
    line_item, item = sa.orm.aliased(Item), sa.orm.aliased(Item)
    line_location, location = sa.orm.aliased(Location), sa.orm.aliased(Location)
    zone = sa.orm.aliased(Zone)
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.sequence, Ticket.status,
                  sa.func.coalesce(line_item.reference, item.reference),
                  sa.func.coalesce(line_item.designation, item.designation),
                  sa.func.coalesce(line_item.unit, item.unit),
                  sa.func.coalesce(line_location.code, location.code), zone.code,
                  sa.func.coalesce(BookLine.lot, Ticket.lot))
        .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
        .outerjoin(line_item, line_item.id == BookLine.item_id)
        .outerjoin(line_location, line_location.id == BookLine.location_id)
        .outerjoin(item, item.id == Ticket.item_id)
        .outerjoin(location, location.id == Ticket.location_id)
        .outerjoin(zone, zone.id == sa.func.coalesce(line_location.zone_id, location.zone_id))
        .where(Ticket.id.in_(ids)).order_by(Ticket.sequence)).all()
    third = {c.ticket_id: c for c in db.session.scalars(sa.select(Count).where(Count.ticket_id.in_(ids),
                                                                              Count.round == 3))}
    out = []
    for ticket_id, sequence, status, reference, designation, unit, location_code, zone_code, lot in rows:
        count = third.get(ticket_id)
        if count is not None:
            state = "counted"
        elif TicketStatus(status) == TicketStatus.RECOUNT:
            state = "to_count"
        else:
            state = "not_needed"
        out.append({"ticket": label(campaign, sequence), "sequence": sequence, "reference": reference or "",
                    "designation": designation or "", "unit": unit or "", "location": location_code or "",
                    "zone": zone_code or "", "lot": lot or "", "status": state,
                    "decimals": unit_allows_decimals(unit) if unit else True,
                    "quantity": count.quantity if count is not None else None,
                    "physical_state": count.state.value if count is not None else None,
                    "counted_by": count.counted_by_name if count is not None else None})
    return out


def enter_third_count(code: str, sheet_number: int | str, ticket: str, *, quantity, state: str = "good",
                      method: str = "counted", client_id: str | None = None, by: User) -> counting.CountResult:
    """Record a third count from the recount sheet's entry page; it is final. Refusals stay blind."""
    campaign = campaign_service.get(code)
    sheet = get_sheet(campaign, sheet_number)
    check_may_enter(sheet, by)
    target = counting.find_ticket(campaign, ticket)
    if target.id not in set(sheet_ticket_ids(sheet)):
        raise CountappError(N_("Ticket %(ticket)s is not on recount sheet %(number)s."), field="ticket",
                            ticket=label(campaign, target.sequence), number=sheet.number)
    data = counting.CountInput(ticket=str(target.sequence), round=3, quantity=quantity, state=state, method=method,
                               client_id=client_id)
    return counting.submit_count(code, data, user=by, source=CountSource.TABLET)


# --- decisions without recount -------------------------------------------------------------------

def decide(code: str, ticket: str | int, *, kind: str, reason: str, by: User | None) -> TicketDecision:
    """Accept a difference without a third count: final at count 1, count 2 or the book, with a written reason."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if by is not None and by.role not in SETTLERS:
        raise Forbidden(N_("Only a centraliser or the inventory manager settles a difference."), field="kind")
    if kind not in centralisation.DECISION_KINDS:
        raise CountappError(N_("Choose what to accept: count 1, count 2 or the book quantity."), field="kind")
    reason = " ".join(str(reason or "").split()) if isinstance(reason, str) else ""
    if not reason:
        raise CountappError(N_("A decision without recount needs a written reason."), field="reason")
    if len(reason) > REASON_LENGTH:
        raise CountappError(N_("The reason is too long (at most %(n)s characters)."), field="reason",
                            n=REASON_LENGTH)
    if isinstance(ticket, bool) or not isinstance(ticket, (str, int)):
        raise CountappError(N_("A ticket number is required."), field="ticket")
    target = counting.find_ticket(campaign, ticket, lock=True)
    name = label(campaign, target.sequence)
    if target.status != TicketStatus.RECOUNT:
        raise CountappError(N_("Ticket %(ticket)s does not need a third count."), field="ticket", ticket=name)
    if counting.current_count(target.id, 3) is not None:
        raise CountappError(N_("Ticket %(ticket)s already has its third count, which is final."), field="ticket",
                            ticket=name)
    count1, count2 = counting.current_count(target.id, 1), counting.current_count(target.id, 2)
    book_qty = _book_qty(target)
    quantity = {"accept_count_1": count1.quantity if count1 else None,
                "accept_count_2": count2.quantity if count2 else None, "accept_book": book_qty}[kind]
    if quantity is None:
        raise CountappError(N_("Ticket %(ticket)s has no such quantity to accept."), field="kind", ticket=name)
    decision = TicketDecision(ticket_id=target.id, kind=kind, reason=reason,
                              decided_by_id=by.id if by is not None else None)
    db.session.add(decision)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("Ticket %(ticket)s was settled by someone else at the same time: look again."),
                       field="ticket", ticket=name) from None
    before = {"status": target.status, "reasons": centralisation.reasons_of(target.recount_reasons),
              "count_1": _qty_text(count1.quantity) if count1 else None,
              "count_2": _qty_text(count2.quantity) if count2 else None, "book_qty": _qty_text(book_qty)}
    target.status, target.final_qty = TicketStatus.FINAL, quantity
    audit.record("ticket.decide", campaign=campaign, entity="ticket", entity_id=name, user=by, before=before,
                 after={"status": target.status, "kind": kind, "final_qty": _qty_text(quantity), "reason": reason})
    db.session.commit()
    return decision


def _book_qty(ticket: Ticket) -> Decimal:
    """The book quantity the ticket is held against: its line's at the line's count date (issue 18),
    0 for a blank ticket (DOMAIN.md, Rules)."""
    if ticket.book_line_id is not None:
        line = db.session.get(BookLine, ticket.book_line_id)
        campaign = db.session.get(Campaign, ticket.campaign_id)
        return count_dates.book_at_count_date(campaign, line.item_id, line.location_id, line.lot, line.book_qty)
    return Decimal(0)
