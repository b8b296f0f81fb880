"""Tablets' counts written a batch at a time: one transaction, a few statements, one commit (issue 20).

``countapp serve`` runs one count writer (``countapp.count_writer``) beside its web workers. A worker
checks the session and the CSRF token as for any request, then hands the count to the writer and waits
for its answer; the writer takes every count that arrived while it was writing the last batch and
writes them together with ``submit_counts``. A count is answered only once its batch is committed: a
201 still means the count is stored.

The rules are the tablets' own: each count goes through ``counting.check_count`` against its ticket as
the batch leaves it, the way the counts-file import does (``count_import``: tickets read and, on
PostgreSQL, locked in one statement, a 2nd count's decision read in bulk). What the batch writes is what
``counting.submit_count`` writes, count for count: the same rows, the same ``count.add`` events on the
same audit sub-chains, in arrival order. Two cases leave the batch and are sent one by one through
``submit_count`` after it, so that each gets exactly the tablet path's answer:

* a count of a ticket that an earlier count of the same batch touched (its answer depends on that one
  being committed: a replay, an "already counted");
* every count of a batch whose writing failed (a count from elsewhere got in first and a unique index
  refused the batch, a deadlock, a fault): the batch is rolled back and nothing of it is kept.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import sqlalchemy as sa

from tickets import numbering
from tickets.errors import CountappError

from .. import campaign_settings
from ..database import dialect, shared_alias
from ..extensions import db
from ..models import (BookLine, Campaign, Count, CountSource, Item, RecountSheet, SessionUser, Team, Ticket, TicketStatus,
                      recount_sheet_ticket, team_member)
from . import audit, count_views, counting
from . import campaigns as campaign_service

log = logging.getLogger("countapp.counts")

_INSERT_COUNTS = (sa.insert(Count.__table__)
                  .returning(Count.__table__.c.id, sort_by_parameter_order=True))


@dataclass
class CountRequest:
    """One tablet's count as its web worker hands it over: who (checked by the worker), where, what."""

    code: str
    data: counting.CountInput
    user: SessionUser
    source: CountSource = CountSource.TABLET


@dataclass
class Outcome:
    """A count's answer: the count written (``created``) or replayed, as ``count_views.count_view`` shows it,
    or the error that refused it; neither after a fault (logged by the writer)."""

    view: dict | None = None
    created: bool = False
    error: CountappError | None = None


def submit_counts(requests: list[CountRequest]) -> list[Outcome]:
    """Write the batch's counts in one transaction; each request's outcome, in order. Counts the batch
    cannot answer by itself (module docstring) go one by one through ``counting.submit_count``."""
    session = db.session()
    session.expire_on_commit = False   # the answers are built from what was written
    try:
        outcomes = _in_one_transaction(requests)
        db.session.commit()
    except Exception:   # noqa: BLE001 - whatever it was, each count gets its own try below
        db.session.rollback()
        log.warning("a batch of %d counts was refused as a whole: each is tried alone", len(requests),
                    exc_info=True)
        outcomes = [None] * len(requests)
    finally:
        db.session.remove()   # the next batch reads its tickets afresh
    return [outcome if outcome is not None else submit_one(request)
            for outcome, request in zip(outcomes, requests)]


def submit_one(request: CountRequest) -> Outcome:
    """One count through the tablet path (``counting.submit_count``), its own transaction."""
    db.session().expire_on_commit = False
    try:
        result = counting.submit_count(request.code, request.data, user=request.user, source=request.source)
        return Outcome(count_views.count_view(result.count, result.campaign), result.created)
    except CountappError as error:
        db.session.rollback()
        return Outcome(error=error)
    except Exception:   # noqa: BLE001 - a fault: this count's tablet gets a 500 and sends it again later
        db.session.rollback()
        log.exception("the count writer could not write a count of ticket %r", request.data.ticket)
        return Outcome()
    finally:
        db.session.remove()


def _in_one_transaction(requests: list[CountRequest]) -> list[Outcome | None]:
    """Check every count and write those that pass, uncommitted; None for a count left to ``submit_one``."""
    if dialect() == "sqlite":
        # The write lock first (waiting on the busy timeout): what the rules read stays true until the commit.
        db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    outcomes: list[Outcome | None] = [None] * len(requests)
    written: list[tuple[int, dict, object, object]] = []   # (request index, count values, ticket, campaign)
    events: list[dict] = []
    changes: dict[int, dict] = {}
    by_code: dict[str, list[int]] = {}
    for index, request in enumerate(requests):
        by_code.setdefault(request.code, []).append(index)
    for code, indexes in by_code.items():
        try:
            campaign = campaign_service.get(code)
        except CountappError as error:
            for index in indexes:
                outcomes[index] = Outcome(error=error)
            continue
        checked = []
        for index in indexes:
            try:
                client_id = counting.check_client_id(requests[index].data.client_id)   # in submit_count's order
                counting.check_ticket_given(requests[index].data.ticket)
                checked.append((index, client_id))
            except CountappError as error:
                outcomes[index] = Outcome(error=error)
        tickets = _Tickets(campaign, [requests[index].data for index, _ in checked])
        teams = _teams_of(campaign, {requests[index].user.id for index, _ in checked})
        leaders = tickets.sheet_leaders([requests[index].data for index, _ in checked
                                         if counting.round_of(requests[index].data.round) == 3])
        touched: set[int] = set()
        for index, client_id in checked:
            request = requests[index]
            data, user = request.data, request.user
            try:
                ticket, unit = tickets.find(data.ticket)
            except CountappError as error:
                outcomes[index] = Outcome(error=error)
                continue
            if ticket.id in touched:
                continue   # left to submit_one, once this batch is in
            round_ = counting.round_of(data.round)
            sheet = {"on_sheet": user.id in leaders.get(ticket.id, ())} if round_ == 3 else {}
            try:
                count = counting.check_count(campaign, ticket, unit, data, user=user, source=request.source,
                                             client_id=client_id, users_team=teams.get(user.id),
                                             decision=tickets.decision if round_ == 2 else None, **sheet)
            except CountappError as error:
                outcomes[index] = _refused(error, campaign, client_id, ticket, data, unit, user)
                continue
            touched.add(ticket.id)
            counting.keep_in_step(ticket, count.change)
            changes.setdefault(ticket.id, {}).update(count.change)
            written.append((index, count.values, ticket, campaign))
            events.append(count.event)
    if written:
        ids = db.session.connection().execute(_INSERT_COUNTS, [values for _, values, _, _ in written]).scalars().all()
        audit.record_many(events)
        counting.write_tickets(changes)
        for count_id, (index, values, ticket, campaign) in zip(ids, written):
            outcomes[index] = Outcome(count_views.count_view(_Written(id=count_id, ticket=ticket, **values),
                                                             campaign), True)
    return outcomes


class _Written(SimpleNamespace):
    """A count just written, as ``count_views.count_view`` reads it (attributes only): the values sent and
    the id given. An ORM ``Count`` built for the answer alone cost the writer a tenth of its CPU."""


_LINE_ITEM = shared_alias(Item, "line_item")


@functools.cache
def _tickets_statement(postgresql: bool) -> sa.Select:
    """A batch's tickets of one campaign (parameters: campaign, sequences), locked on PostgreSQL, with their
    unit and the book line's basis (``counting.BOOK_BASIS_COLUMNS``, for a 2nd count's decision); on SQLite
    also the 1st count's quantity. Built once: building it cost more than running it."""
    line_item = _LINE_ITEM
    query = (sa.select(Ticket, sa.func.coalesce(Item.unit, line_item.unit), BookLine.book_qty, BookLine.unit_cost,
                       line_item.category, BookLine.item_id, BookLine.location_id, BookLine.lot)
             .outerjoin(Item, Item.id == Ticket.item_id)
             .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
             .outerjoin(line_item, line_item.id == BookLine.item_id)
             .where(Ticket.campaign_id == sa.bindparam("campaign"),
                    Ticket.sequence.in_(sa.bindparam("sequences", expanding=True)))
             .order_by(Ticket.id))   # locks taken in one order
    if postgresql:
        return query.with_for_update(of=Ticket)
    return query.add_columns(counting.current_quantity_query(Ticket.id, 1).scalar_subquery())


# PostgreSQL: the 1st counts of locked tickets, read after the lock (parameter: tickets).
_LATER = shared_alias(Count, "later_count")
_FIRST_COUNTS = (sa.select(Count.ticket_id, Count.quantity)
                 .where(Count.ticket_id.in_(sa.bindparam("tickets", expanding=True)), Count.round == 1,
                        ~sa.select(_LATER.id).where(_LATER.supersedes_id == Count.id).exists())
                 .order_by(Count.id))

# The users' teams in a campaign, as leader or member (parameters: campaign, users), lowest number first
# as ``counting.team_of`` chooses.
_MEMBERS = sa.union_all(
    sa.select(team_member.c.user_id.label("user_id"), team_member.c.team_id.label("team_id"))
    .where(team_member.c.user_id.in_(sa.bindparam("users", expanding=True))),
    sa.select(Team.leader_id.label("user_id"), Team.id.label("team_id"))
    .where(Team.leader_id.in_(sa.bindparam("users", expanding=True)))).subquery()
_TEAMS = (sa.select(_MEMBERS.c.user_id, Team).join(Team, Team.id == _MEMBERS.c.team_id)
          .where(Team.campaign_id == sa.bindparam("campaign")).order_by(Team.number))


# The two leaders of the recount sheets that hold the tickets (parameter: tickets), for third counts.
_SHEET_LEADERS = (sa.select(recount_sheet_ticket.c.ticket_id, RecountSheet.leader1_id, RecountSheet.leader2_id)
                  .join(RecountSheet, RecountSheet.id == recount_sheet_ticket.c.sheet_id)
                  .where(recount_sheet_ticket.c.ticket_id.in_(sa.bindparam("tickets", expanding=True))))


def _teams_of(campaign: Campaign, user_ids: set[int]) -> dict[int, Team]:
    """Each user's team in the campaign (users in none are left out)."""
    teams: dict[int, Team] = {}
    for user_id, team in db.session.execute(_TEAMS, {"campaign": campaign.id, "users": sorted(user_ids)}):
        teams.setdefault(user_id, team)
    return teams


class _Tickets:
    """A batch's tickets of one campaign, read (and locked on PostgreSQL) in one statement, with their unit
    and what a 2nd count's decision needs."""

    def __init__(self, campaign: Campaign, inputs: list[counting.CountInput]) -> None:
        self.campaign = campaign
        self.by_sequence: dict[int, tuple[Ticket, str | None]] = {}
        self.first: dict[int, Decimal] = {}    # ticket id -> its 1st count's quantity
        self.bases: dict[int, tuple] = {}      # ticket id -> its book line's basis
        self.tolerances = None
        sequences = sorted({parts[0] for parts in map(numbering.number_parts, (i.ticket for i in inputs))
                            if parts is not None})
        if not sequences:
            return
        postgresql = dialect() == "postgresql"
        rows = db.session.execute(_tickets_statement(postgresql), {"campaign": campaign.id, "sequences": sequences})
        for row in rows:
            ticket = row[0]
            self.by_sequence[ticket.sequence] = (ticket, row[1])
            if ticket.book_line_id is not None:
                self.bases[ticket.id] = tuple(row[2:8])
            if not postgresql and row[8] is not None:
                self.first[ticket.id] = row[8]
        if postgresql:
            second = [ticket.id for ticket, _ in self.by_sequence.values()
                      if ticket.status not in (TicketStatus.CREATED, TicketStatus.ISSUED)]
            if second:
                self.first.update(db.session.execute(_FIRST_COUNTS, {"tickets": second}).all())

    def sheet_leaders(self, inputs: list[counting.CountInput]) -> dict[int, set[int]]:
        """Ticket id -> the leaders of its recount sheets (``counting.on_recount_sheet_of``), for the tickets
        ``inputs`` name, in one statement (third counts: one statement each cost a tenth of the writer)."""
        ids = set()
        for data in inputs:
            parts = numbering.number_parts(data.ticket)
            found = self.by_sequence.get(parts[0]) if parts is not None else None
            if found is not None:
                ids.add(found[0].id)
        leaders: dict[int, set[int]] = {}
        if ids:
            for ticket_id, first, second in db.session.execute(_SHEET_LEADERS, {"tickets": sorted(ids)}):
                leaders.setdefault(ticket_id, set()).update((first, second))
        return leaders

    def find(self, text) -> tuple[Ticket, str | None]:
        """The ticket a count names and its unit; what is wrong is named as for a tablet's count."""
        return counting.loaded_ticket(self.by_sequence, self.campaign, text)

    def decision(self, campaign: Campaign, ticket: Ticket, known: dict) -> dict | None:
        """``counting.ticket_decision`` from what was read with the ticket."""
        quantity1 = self.first.get(ticket.id)
        if quantity1 is None or ticket.id not in self.bases:   # a blank ticket: its basis as for a tablet's count
            return counting.ticket_decision(campaign, ticket, known if quantity1 is None else {**known, 1: quantity1})
        if self.tolerances is None:
            self.tolerances = campaign_settings.tolerance_settings(campaign.settings)
        basis = counting.line_basis(campaign, self.bases[ticket.id])
        return counting.decision_for(campaign, quantity1, known[2], basis, self.tolerances)


def _refused(error: CountappError, campaign, client_id, ticket, data, unit, user) -> Outcome:
    """A count the rules refused, unless it is a replay of a count already in (``counting.submit_count``
    looks it up the same way, and answers the same)."""
    if client_id and ticket.status not in (TicketStatus.CREATED, TicketStatus.ISSUED):
        try:
            replayed = counting.replayed_count(campaign, client_id, ticket, data, unit, user)
        except CountappError as conflict:
            return Outcome(error=conflict)
        if replayed is not None:
            return Outcome(count_views.count_view(replayed.count, campaign), False)
    return Outcome(error=error)
