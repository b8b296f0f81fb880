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
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from tickets import numbering
from tickets.errors import CountappError

from .. import bulk, campaign_settings
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
    postgresql = dialect() == "postgresql"
    if not postgresql:
        # The write lock first (waiting on the busy timeout): what the rules read stays true until the commit.
        db.session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    outcomes: list[Outcome | None] = [None] * len(requests)
    written: list[tuple[int, dict, object, object, int | None]] = []   # (request index, count values, ticket,
    events: list[dict] = []                                             # campaign, team number)
    changes: dict[int, dict] = {}
    heads: dict = {}   # the audit sub-chains' heads, read (and locked) with the tickets' other reads
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
        teams, leaders = tickets.read_the_rest(
            {requests[index].user.id for index, _ in checked},
            [requests[index].data for index, _ in checked if counting.round_of(requests[index].data.round) == 3],
            heads)
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
            written.append((index, count.values, ticket, campaign, count.team.number if count.team else None))
            events.append(count.event)
    if written:
        ids = (_write_and_commit if postgresql else _write)(written, events, changes, heads)
        for count_id, (index, values, ticket, campaign, team_number) in zip(ids, written):
            outcomes[index] = Outcome(count_views.count_view(_Written(id=count_id, ticket=ticket, **values),
                                                             campaign, team_number=team_number), True)
    return outcomes


def _write(written: list[tuple], events: list[dict], changes: dict[int, dict], heads: dict) -> list[int]:
    """SQLite: the batch's counts, events and tickets' changes, uncommitted; the counts' ids in order."""
    ids = db.session.connection().execute(_INSERT_COUNTS, [values for _, values, *_ in written]).scalars().all()
    audit.record_many(events)   # SQLite: ``heads`` is empty, each chain is read here
    counting.write_tickets(changes)
    return ids


def _write_and_commit(written: list[tuple], events: list[dict], changes: dict[int, dict], heads: dict) -> list[int]:
    """PostgreSQL: the batch's counts, events and tickets' changes, and the commit, in one round trip (the
    driver's pipeline); the counts' ids in order. What refuses a row (a unique index: a count from elsewhere
    got in first) is raised by the commit, and nothing of the batch is kept. The session's commit that
    follows finds the transaction over and sends nothing."""
    rows = audit.chained_rows(events, heads)   # every chain's head is in ``heads``: nothing is read
    connection = db.session.connection()
    sa_dialect, raw = connection.dialect, connection.connection.driver_connection
    columns = tuple(written[0][1])
    counts = bulk.converted_rows(sa_dialect, Count.__table__, columns,
                                 ([values[name] for name in columns] for _, values, *_ in written))
    event_values = audit.insert_values(sa_dialect, rows)
    updates = [(names, bulk.converted_updates(sa_dialect, Ticket.__table__, names, values))
               for names, values in counting.ticket_rows(changes).items()]
    with raw.pipeline():
        inserted = bulk.unnest_insert(raw, sa_dialect, Count.__table__, columns, counts, returning=("ticket_id", "id"))
        audit.write_values(raw, sa_dialect, event_values, pipelined=True)
        for names, values in updates:
            bulk.write_updates(raw, sa_dialect, Ticket.__table__, names, values)
        raw.commit()
        by_ticket = dict(inserted.fetchall())   # a batch counts a ticket once
    return [by_ticket[values["ticket_id"]] for _, values, *_ in written]


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


def _any_or_in(column, name: str, postgresql: bool):
    """``column`` among the list parameter ``name``: ``= ANY(array)`` on PostgreSQL (one statement whatever
    the list's length, sent on the driver), an expanding IN on SQLite."""
    if postgresql:
        return column == sa.any_(sa.bindparam(name, type_=ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


class _Team(NamedTuple):
    id: int
    round: int
    number: int


@functools.cache
def _reads(postgresql: bool) -> SimpleNamespace:
    """The batch's reads after its tickets' lock, built once per database (on PostgreSQL compiled for the
    driver, to go together in one round trip):

    * ``first`` (PostgreSQL only: on SQLite the tickets' statement brings them): the 1st counts of locked
      tickets (parameter: tickets), read after the lock;
    * ``teams``: the users' teams in a campaign, as leader or member (parameters: campaign, users), lowest
      number first as ``counting.team_of`` chooses;
    * ``leaders``: the two leaders of the recount sheets that hold the tickets (parameter: tickets), for
      third counts.
    """
    later = _LATER
    first = (sa.select(Count.ticket_id, Count.quantity)
             .where(_any_or_in(Count.ticket_id, "tickets", postgresql), Count.round == 1,
                    ~sa.select(later.id).where(later.supersedes_id == Count.id).exists())
             .order_by(Count.id))
    members = sa.union_all(
        sa.select(team_member.c.user_id.label("user_id"), team_member.c.team_id.label("team_id"))
        .where(_any_or_in(team_member.c.user_id, "users", postgresql)),
        sa.select(Team.leader_id.label("user_id"), Team.id.label("team_id"))
        .where(_any_or_in(Team.leader_id, "users", postgresql))).subquery()
    teams = (sa.select(members.c.user_id, Team.id, Team.round, Team.number).join(Team, Team.id == members.c.team_id)
             .where(Team.campaign_id == sa.bindparam("campaign", type_=sa.Integer)).order_by(Team.number))
    leaders = (sa.select(recount_sheet_ticket.c.ticket_id, RecountSheet.leader1_id, RecountSheet.leader2_id)
               .join(RecountSheet, RecountSheet.id == recount_sheet_ticket.c.sheet_id)
               .where(_any_or_in(recount_sheet_ticket.c.ticket_id, "tickets", postgresql)))
    if postgresql:
        return SimpleNamespace(first=bulk.DriverStatement(first), teams=bulk.DriverStatement(teams),
                               leaders=bulk.DriverStatement(leaders))
    return SimpleNamespace(first=None, teams=teams, leaders=leaders)


_LATER = shared_alias(Count, "later_count")


def _sent(raw, sql: str, parameters: dict | None):
    """``sql`` sent on the driver's connection ``raw`` (in a pipeline: its rows come at the next fetch); None,
    and nothing sent, without parameters (nothing to read)."""
    if parameters is None:
        return None
    cursor = raw.cursor()
    cursor.execute(sql, parameters)
    return cursor


class _Tickets:
    """A batch's tickets of one campaign, read (and locked on PostgreSQL) in one statement, with their unit
    and what a 2nd count's decision needs."""

    def __init__(self, campaign: Campaign, inputs: list[counting.CountInput]) -> None:
        self.campaign = campaign
        self.by_sequence: dict[int, tuple[Ticket, str | None]] = {}
        self.first: dict[int, Decimal] = {}    # ticket id -> its 1st count's quantity
        self.bases: dict[int, tuple] = {}      # ticket id -> its book line's basis
        self.tolerances = None
        self.postgresql = postgresql = dialect() == "postgresql"
        sequences = sorted({parts[0] for parts in map(numbering.number_parts, (i.ticket for i in inputs))
                            if parts is not None})
        if not sequences:
            return
        rows = db.session.execute(_tickets_statement(postgresql), {"campaign": campaign.id, "sequences": sequences})
        for row in rows:
            ticket = row[0]
            self.by_sequence[ticket.sequence] = (ticket, row[1])
            if ticket.book_line_id is not None:
                self.bases[ticket.id] = tuple(row[2:8])
            if not postgresql and row[8] is not None:
                self.first[ticket.id] = row[8]

    def read_the_rest(self, user_ids: set[int], thirds: list[counting.CountInput], heads: dict
                      ) -> tuple[dict[int, _Team], dict[int, set[int]]]:
        """What the rules read besides the tickets: each user's team in the campaign (users in none are left
        out) and, for the tickets that ``thirds`` (third counts) name, the leaders of their recount sheets
        (``counting.on_recount_sheet_of``), each in one statement, not one per count. On PostgreSQL the 1st
        counts of tickets past issue (read after their lock) and the users' audit sub-chains (locked, their
        heads put in ``heads`` for ``audit.chained_rows``) come too, all in one round trip (the driver's
        pipeline): a batch's round trips, each a wait on a busy server, were most of its time."""
        on_sheets = set()
        for data in thirds:
            parts = numbering.number_parts(data.ticket)
            found = self.by_sequence.get(parts[0]) if parts is not None else None
            if found is not None:
                on_sheets.add(found[0].id)
        reads = _reads(self.postgresql)
        users = sorted(user_ids)
        if self.postgresql:
            second = [ticket.id for ticket, _ in self.by_sequence.values()
                      if ticket.status not in (TicketStatus.CREATED, TicketStatus.ISSUED)]
            chains = sorted(audit.user_chain(user_id) for user_id in users)   # audit.chained_rows's order
            heads_sql, heads_parameters = audit.sub_chain_heads_pg(self.campaign.id, chains)
            raw = db.session.connection().connection.driver_connection
            with raw.pipeline():
                cursors = [_sent(raw, sql, parameters) for sql, parameters in (
                    (reads.first.sql, reads.first.parameters({"tickets": second}) if second else None),
                    (reads.teams.sql, reads.teams.parameters({"campaign": self.campaign.id, "users": users})
                     if users else None),
                    (reads.leaders.sql, reads.leaders.parameters({"tickets": sorted(on_sheets)}) if on_sheets else None),
                    (heads_sql, heads_parameters if chains else None))]
                first, teams, leaders, chain_heads = (cursor.fetchall() if cursor else [] for cursor in cursors)
            self.first.update(first)
            heads.update(audit.heads_of(self.campaign.id, chain_heads))
        else:
            teams = db.session.execute(reads.teams, {"campaign": self.campaign.id, "users": users}).all() if users else []
            leaders = (db.session.execute(reads.leaders, {"tickets": sorted(on_sheets)}).all() if on_sheets else [])
        users_teams: dict[int, _Team] = {}
        for user_id, *team in teams:
            users_teams.setdefault(user_id, _Team(*team))
        sheets: dict[int, set[int]] = {}
        for ticket_id, leader1, leader2 in leaders:
            sheets.setdefault(ticket_id, set()).update((leader1, leader2))
        return users_teams, sheets

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
