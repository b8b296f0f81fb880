"""Tickets: generate, issue ranges to teams, return unused numbers, void, list, print.

Numbers come from one sequence per campaign and are never reused; the database's unique key
(campaign, sequence) is the guarantee. Every action that reads the sequence or the ranges and
then writes takes the campaign's write lock first (a row lock on PostgreSQL, the database's
write lock on SQLite), so two managers acting at once wait for each other instead of colliding.
Each action is one transaction with its audit event. Reading (the list page, a ticket's
history, ticket control) lives in ``ticket_control``.
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError, OperationalError

from reports import csv_out
from tickets import lifecycle, numbering
from tickets.errors import Conflict, CountappError, N_, NotFound

from ..extensions import db
from ..models import (BookLine, Campaign, CampaignStatus, Count, Item, Location, Site, Team, Ticket, TicketRange,
                      TicketReturn, TicketStatus, TicketVoid, User, Zone)
from . import audit
from . import campaigns as campaign_service
from . import teams as team_service

if TYPE_CHECKING:   # tickets.pdf loads reportlab: imported where tickets are printed
    from tickets.pdf import TicketView

MAX_BLANK = 100_000
REASON_LENGTH = 500
INSERT_BATCH = 20_000


def _lock_campaign(campaign: Campaign) -> None:
    """Serialise the writers of a campaign's tickets until the transaction ends."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    elif db.engine.dialect.name == "sqlite":
        # A write opens the transaction and takes SQLite's write lock now (waiting for another
        # writer if need be), so what is read next is up to date and stays so until commit.
        db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id).values(code=Campaign.code)
                           .execution_options(synchronize_session=False))


def label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


def sequence_of(campaign: Campaign, value: str | int, field: str = "ticket") -> int:
    """A ticket number typed as printed (``000123/2025``) or bare (``123``), as its sequence."""
    try:
        return numbering.parse_number(str(value), campaign.fiscal_year)
    except CountappError as error:
        error.field = field
        raise


def _clash() -> Conflict:
    return Conflict(N_("Someone else changed the tickets of this campaign at the same time: nothing was written. "
                       "Try again."))


def _commit_or_conflict() -> None:
    """Commit; a clash with a concurrent writer (unique key, busy database) leaves nothing written."""
    try:
        db.session.commit()
    except (IntegrityError, OperationalError) as error:
        db.session.rollback()
        if isinstance(error, OperationalError) and "locked" not in str(error.orig).lower():
            raise
        raise _clash() from None


# --- generate -----------------------------------------------------------------------------------

def generate(code: str, *, blank: int = 0, by: User | None = None,
             progress: Callable[..., None] | None = None) -> dict:
    """One ticket per book line without a live ticket (not goods held elsewhere), in route order, then blanks.

    ``progress(done, total=...)`` hears how many tickets are written (a background job's bar).
    """
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    if not isinstance(blank, int) or blank < 0 or blank > MAX_BLANK:
        raise CountappError(N_("The number of blank tickets must be between 0 and %(max)s."), field="blank",
                            max=MAX_BLANK)
    try:
        _lock_campaign(campaign)
        rows = db.session.execute(
            sa.select(BookLine.id, Site.code, Zone.code, Location.code, Item.reference, BookLine.lot, BookLine.owner)
            .join(Item, Item.id == BookLine.item_id).join(Location, Location.id == BookLine.location_id)
            .join(Zone, Zone.id == Location.zone_id).join(Site, Site.id == Zone.site_id)
            .where(BookLine.campaign_id == campaign.id))
        lines = [numbering.BookLineRef(id=r[0], site=r[1], zone=r[2], location=r[3], reference=r[4], lot=r[5],
                                       owner=getattr(r[6], "value", r[6])) for r in rows]
        # A voided ticket no longer stands for its book line: the line gets a new number.
        live = set(db.session.scalars(sa.select(Ticket.book_line_id).where(
            Ticket.campaign_id == campaign.id, Ticket.book_line_id.is_not(None),
            Ticket.status != TicketStatus.VOIDED)))
        highest = db.session.scalar(sa.select(sa.func.max(Ticket.sequence)).where(Ticket.campaign_id == campaign.id))
        plan = numbering.plan_generation(lines, live, (highest or 0) + 1, blank)
        if progress is not None:
            progress(0, total=len(plan))
        for start in range(0, len(plan), INSERT_BATCH):
            db.session.execute(sa.insert(Ticket), [
                {"campaign_id": campaign.id, "sequence": sequence, "book_line_id": line_id,
                 "is_blank": line_id is None, "lot": "", "status": TicketStatus.CREATED}
                for sequence, line_id in plan[start:start + INSERT_BATCH]])
            if progress is not None:
                progress(min(start + INSERT_BATCH, len(plan)))
        pre = sum(1 for _, line_id in plan if line_id is not None)
        result = {"pre_referenced": pre, "blank": len(plan) - pre,
                  "first": plan[0][0] if plan else None, "last": plan[-1][0] if plan else None}
        if plan:
            audit.record("tickets.generate", campaign=campaign, entity="tickets",
                         entity_id=f"{label(campaign, plan[0][0])}-{label(campaign, plan[-1][0])}", user=by,
                         after=result)
    except IntegrityError:
        db.session.rollback()
        raise _clash() from None
    _commit_or_conflict()
    return result


def start_generate_job(code: str, *, blank: int = 0, by: User | None = None) -> str:
    """Generate in the background: 100,000 book lines take longer than a web request should."""
    from . import jobs

    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    return jobs.start("tickets.generate", campaign, run_generate, {"code": campaign.code, "blank": blank}, by=by)


def run_generate(progress, *, code: str, blank: int) -> dict:
    """The generation job's task (services.jobs)."""
    made = generate(code, blank=blank, by=progress.user, progress=progress)
    campaign = campaign_service.get(code)
    return {**made, "first_label": label(campaign, made["first"]) if made["first"] else None,
            "last_label": label(campaign, made["last"]) if made["last"] else None}


# --- ranges -------------------------------------------------------------------------------------

def _returned_spans(range_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    spans: dict[int, list[tuple[int, int]]] = {}
    if range_ids:
        for range_id, first, last in db.session.execute(
                sa.select(TicketReturn.range_id, TicketReturn.first, TicketReturn.last)
                .where(TicketReturn.range_id.in_(range_ids))):
            spans.setdefault(range_id, []).append((first, last))
    return spans


def _uncovered(first: int, last: int, covered: list[tuple[int, int]]) -> int | None:
    """The lowest number of first..last not inside any of the ``covered`` spans, or None."""
    n = first
    for a, b in sorted(covered):
        if a > n:
            break
        n = max(n, b + 1)
    return n if n <= last else None


def issue(code: str, *, team: int, first: str | int, last: str | int, by: User | None = None) -> TicketRange:
    """Hand the numbers first..last to a team for its round (ranges never overlap within a round).

    Numbers another team of the same round returned unused may be handed out again.
    """
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    first, last = sequence_of(campaign, first, "first"), sequence_of(campaign, last, "last")
    if last < first:
        raise CountappError(N_("A range goes from a first number to a last number not below it."), field="last")
    target = team_service.get_team(campaign, team)
    _lock_campaign(campaign)
    overlapping = list(db.session.scalars(sa.select(TicketRange).where(
        TicketRange.campaign_id == campaign.id, TicketRange.round == target.round,
        TicketRange.first <= last, TicketRange.last >= first).order_by(TicketRange.first)))
    returned = _returned_spans([r.id for r in overlapping])
    for other in overlapping:
        lo, hi = max(first, other.first), min(last, other.last)
        clash = _uncovered(lo, hi, returned.get(other.id, []))
        if clash is not None:
            raise Conflict(N_("Numbers %(first)s to %(last)s overlap the range %(other_first)s to %(other_last)s "
                              "already issued to team %(team)s for round %(round)s."), field="first",
                           first=label(campaign, first), last=label(campaign, last),
                           other_first=label(campaign, other.first), other_last=label(campaign, other.last),
                           team=other.team.number, round=target.round)
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Ticket).where(
        Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last)))
    if existing != last - first + 1:
        raise CountappError(N_("Some numbers between %(first)s and %(last)s have not been generated: generate tickets "
                               "first."), field="last", first=label(campaign, first), last=label(campaign, last))
    issued = TicketRange(campaign_id=campaign.id, team_id=target.id, round=target.round, first=first, last=last,
                         issued_by_id=by.id if by else None)
    db.session.add(issued)
    in_range = (Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last))
    column = Ticket.team1_id if target.round == 1 else Ticket.team2_id
    db.session.execute(sa.update(Ticket).where(*in_range).values({column: target.id})
                       .execution_options(synchronize_session=False))
    db.session.execute(sa.update(Ticket).where(*in_range, Ticket.status == TicketStatus.CREATED)
                       .values(status=TicketStatus(lifecycle.transition(lifecycle.CREATED, lifecycle.ISSUE)))
                       .execution_options(synchronize_session=False))
    audit.record("tickets.issue", campaign=campaign, entity="team", entity_id=team, user=by,
                 after={"round": target.round, "first": label(campaign, first), "last": label(campaign, last),
                        "tickets": last - first + 1})
    _commit_or_conflict()
    return issued


def return_unused(code: str, *, team: int, first: str | int, last: str | int,
                  by: User | None = None) -> TicketReturn:
    """The team hands back numbers it did not use; none of them may carry a count of its round."""
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    first, last = sequence_of(campaign, first, "first"), sequence_of(campaign, last, "last")
    if last < first:
        raise CountappError(N_("A range goes from a first number to a last number not below it."), field="last")
    target = team_service.get_team(campaign, team)
    _lock_campaign(campaign)
    issued = db.session.scalar(sa.select(TicketRange).where(
        TicketRange.campaign_id == campaign.id, TicketRange.team_id == target.id, TicketRange.first <= first,
        TicketRange.last >= last).order_by(TicketRange.id).limit(1))
    if issued is None:
        raise CountappError(N_("Numbers %(first)s to %(last)s are not within a range issued to team %(team)s."),
                            field="first", first=label(campaign, first), last=label(campaign, last), team=team)
    for a, b in _returned_spans([issued.id]).get(issued.id, []):
        if a <= last and b >= first:
            raise Conflict(N_("Team %(team)s already returned numbers %(first)s to %(last)s."), field="first",
                           team=team, first=label(campaign, max(a, first)), last=label(campaign, min(b, last)))
    counted = db.session.scalar(
        sa.select(Ticket.sequence).join(Count, Count.ticket_id == Ticket.id)
        .where(Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last), Count.round == target.round)
        .order_by(Ticket.sequence).limit(1))
    if counted is not None:
        raise CountappError(N_("Ticket %(ticket)s has been counted: it cannot be returned unused."), field="first",
                            ticket=label(campaign, counted))
    returned = TicketReturn(range_id=issued.id, first=first, last=last, returned_by_id=by.id if by else None)
    db.session.add(returned)
    # The team no longer holds these numbers: nobody may count them for this round until they are issued again.
    column = Ticket.team1_id if target.round == 1 else Ticket.team2_id
    db.session.execute(sa.update(Ticket).where(Ticket.campaign_id == campaign.id, Ticket.sequence.between(first, last),
                                               column == target.id).values({column: None})
                       .execution_options(synchronize_session=False))
    audit.record("tickets.return", campaign=campaign, entity="team", entity_id=team, user=by,
                 after={"round": target.round, "first": label(campaign, first), "last": label(campaign, last),
                        "tickets": last - first + 1})
    _commit_or_conflict()
    return returned


# --- void ---------------------------------------------------------------------------------------

def void(code: str, number: str | int, *, reason: str, by: User | None = None) -> TicketVoid:
    """Void a ticket with a reason; it is kept for ever and can no longer be counted."""
    from .counting import find_ticket

    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    reason = " ".join((reason or "").split())
    if not reason:
        raise CountappError(N_("Voiding a ticket needs a reason."), field="reason")
    if len(reason) > REASON_LENGTH:
        raise CountappError(N_("The reason is too long (at most %(n)s characters)."), field="reason", n=REASON_LENGTH)
    _lock_campaign(campaign)
    ticket = find_ticket(campaign, str(number), lock=True)
    text = label(campaign, ticket.sequence)
    before = ticket.status
    ticket.status = TicketStatus(lifecycle.transition(before, lifecycle.VOID, ticket=text))
    record = TicketVoid(ticket_id=ticket.id, reason=reason, voided_by_id=by.id if by else None)
    db.session.add(record)
    audit.record("ticket.void", campaign=campaign, entity="ticket", entity_id=text, user=by,
                 before={"status": before}, after={"status": ticket.status, "reason": reason})
    _commit_or_conflict()
    return record


def start_counting(code: str, *, by: User | None = None) -> None:
    """Counting starts: the book snapshot is frozen from now on."""
    campaign = campaign_service.get(code)
    if campaign.status != CampaignStatus.PLANNING:
        raise CountappError(N_("Campaign %(code)s is not in planning."), field="status", code=code)
    campaign_service.set_status(campaign, CampaignStatus.COUNTING, by=by)


# --- list ---------------------------------------------------------------------------------------

LIST_COLUMNS = ("ticket", "reference", "designation", "location", "lot", "unit", "owner", "status", "team_round1",
                "team_round2")


def rows(campaign: Campaign, *, first: int | None = None, last: int | None = None) -> Iterator[dict]:
    """Every ticket with what is printed on it, in number order (streamed)."""
    team1, team2 = sa.orm.aliased(Team), sa.orm.aliased(Team)
    line_item, line_location = sa.orm.aliased(Item), sa.orm.aliased(Location)
    query = (
        sa.select(Ticket.sequence, Ticket.is_blank, Ticket.status, Ticket.lot,
                  sa.func.coalesce(line_item.reference, Item.reference),
                  sa.func.coalesce(line_item.designation, Item.designation),
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
        owner = getattr(r[9], "value", r[9]) or ""
        yield {"ticket": label(campaign, r[0]), "sequence": r[0], "blank": bool(r[1]) and r[4] is None,
               "reference": r[4] or "", "designation": r[5] or "", "location": r[7] or "",
               "lot": (r[8] if r[8] is not None else r[3]) or "", "unit": r[6] or "", "owner": owner,
               "status": getattr(r[2], "value", r[2]),
               "team_round1": r[10] or "", "team_round2": r[11] or ""}


def ticket_words(language: str) -> dict:
    """The words of the tickets list's coded values (status, owner) for the Excel CSV."""
    from reports.xlsx_texts import TICKET_WORDS

    return TICKET_WORDS.get(language, TICKET_WORDS["en"])


def list_csv(campaign: Campaign, out: io.TextIOBase, *, excel: bool = False) -> int:
    """Every ticket as CSV (LIST_COLUMNS, SPEC.md; ``excel``: the spreadsheet dialect); return how many rows."""
    writer = csv_out.Writer(out, csv_out.dialect(excel), campaign.language, ticket_words(campaign.language))
    writer.header(LIST_COLUMNS)
    n = 0
    for row in rows(campaign):
        writer.dict_row(LIST_COLUMNS, row)
        n += 1
    return n


# --- print --------------------------------------------------------------------------------------

def print_bounds(campaign: Campaign, first: str | int | None, last: str | int | None) -> tuple[int, int, int]:
    """The numbers to print (a range, or all) and how many tickets that is; refused when there are none."""
    lo = sequence_of(campaign, first, "first") if first not in (None, "") else None
    hi = sequence_of(campaign, last, "last") if last not in (None, "") else None
    if lo is not None and hi is not None and hi < lo:
        raise CountappError(N_("A range goes from a first number to a last number not below it."), field="last")
    query = sa.select(sa.func.count(), sa.func.min(Ticket.sequence), sa.func.max(Ticket.sequence)).where(
        Ticket.campaign_id == campaign.id)
    if lo is not None:
        query = query.where(Ticket.sequence >= lo)
    if hi is not None:
        query = query.where(Ticket.sequence <= hi)
    total, low, high = db.session.execute(query).one()
    if not total:
        raise NotFound(N_("There is no ticket to print in campaign %(code)s between these numbers."), field="first",
                       code=campaign.code)
    return low, high, total


def ticket_views(campaign: Campaign, first: int, last: int) -> Iterator[TicketView]:
    """What each ticket prints, streamed in number order (voided tickets are printed too: reprints match)."""
    from tickets.pdf import TicketView

    for row in rows(campaign, first=first, last=last):
        yield TicketView(row["ticket"], team_round1=str(row["team_round1"]) or None,
                         team_round2=str(row["team_round2"]) or None, reference=row["reference"] or None,
                         designation=row["designation"] or None, unit=row["unit"] or None, lot=row["lot"] or None,
                         location=row["location"] or None, blank=row["blank"])


def default_workers() -> int:
    """Drawing processes for a print: ``COUNTAPP_PRINT_WORKERS``, else up to two (one under tests)."""
    configured = os.environ.get("COUNTAPP_PRINT_WORKERS")
    if configured and configured.isdigit() and int(configured) > 0:
        return int(configured)
    if has_app_context() and current_app.config.get("TESTING"):
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def print_pdf(code: str, out, *, first: str | int | None = None, last: str | int | None = None, per_page: int = 3,
              language: str | None = None, workers: int | None = None,
              progress: Callable[[int, int], None] | None = None, by: User | None = None) -> dict:
    """Print the three-part tickets first..last (or all) into the binary stream ``out``; memory stays bounded."""
    from tickets.pdf import PER_PAGE, write_tickets

    campaign = campaign_service.get(code)
    if per_page not in PER_PAGE:
        raise CountappError(N_("Tickets print 1, 2 or 3 to a page, not %(per_page)s."), field="per_page",
                            per_page=per_page)
    lo, hi, total = print_bounds(campaign, first, last)
    language = language or campaign.language
    name = " · ".join(p for p in (campaign.code, campaign.name) if p)
    report = (lambda done: progress(done, total)) if progress else None
    pages = write_tickets(ticket_views(campaign, lo, hi), out, language=language, per_page=per_page, campaign=name,
                          progress=report, workers=workers or default_workers())
    result = {"first": label(campaign, lo), "last": label(campaign, hi), "tickets": total, "pages": pages,
              "per_page": per_page, "language": language}
    # Printing changes no ticket, but who printed which numbers when is evidence for tag control.
    audit.record("tickets.print", campaign=campaign, entity="tickets", entity_id=f"{result['first']}-{result['last']}",
                 user=by, after=result)
    db.session.commit()
    return result


PRINT_KEEP_SECONDS = 2 * 24 * 3600


def start_print_job(code: str, *, first=None, last=None, per_page: int = 3, language: str | None = None,
                    by: User | None = None) -> str:
    """Print in the background (services.jobs); the PDF is kept with the job, for any server to send."""
    from tickets.pdf import PER_PAGE

    from . import jobs

    campaign = campaign_service.get(code)
    lo, hi, total = print_bounds(campaign, first, last)   # refuse at once, not in the job
    if per_page not in PER_PAGE:
        raise CountappError(N_("Tickets print 1, 2 or 3 to a page, not %(per_page)s."), field="per_page",
                            per_page=per_page)
    jobs.forget_outputs_older_than(PRINT_KEEP_SECONDS, "tickets.print")   # prints are kept two days
    return jobs.start("tickets.print", campaign, run_print,
                      {"code": campaign.code, "lo": lo, "hi": hi, "total": total, "per_page": per_page,
                       "language": language, "workers": default_workers()}, by=by)


PRINT_FILE = "tickets.pdf"


def run_print(progress, *, code: str, lo: int, hi: int, total: int, per_page: int, language: str | None,
              workers: int) -> dict:
    """The print job's task (services.jobs): draws to a temporary file, then keeps the PDF with the job."""
    import tempfile

    progress(0, total=total)
    with tempfile.TemporaryFile() as handle:
        result = print_pdf(code, handle, first=lo, last=hi, per_page=per_page, language=language,
                           workers=workers, progress=lambda done, _total: progress(done), by=progress.user)
        handle.seek(0)
        progress.save(PRINT_FILE, handle.read())
    progress(total)
    return {**result, "file": PRINT_FILE}
