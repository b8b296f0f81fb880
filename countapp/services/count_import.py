"""``countapp import counts``: counts transcribed from the paper parts, under the tablets' rules.

The whole file is checked first and every error is listed with its file, line and column;
nothing is written unless every line is good, and then in one transaction.

1. Shape (``filecheck.check_counts``): columns, ticket numbers, rounds, quantities, states, dates,
   one count per ticket and round in the file.
2. Rules: each line goes through ``counting.check_count`` — the very rules the tablets' counts pass —
   so they cannot drift apart: round order, the team the range was issued to, voided tickets, blank
   tickets naming their reference, location and lot, round 3 only for a ticket that needs a third
   count. Lines are applied in round order (all 1st counts, then 2nd, then 3rd), so a file may carry
   both counts of a ticket and its third count when the first two disagree.
3. Writes, in bulk: the file's tickets are read (and locked on PostgreSQL) a few thousand at a time,
   with what a 2nd count's decision needs; each ticket's status follows its counts in memory; counts and
   their audit events (``audit.record_many``: the same ``count.add`` events as the tablets', chained in the
   same order) go in ``BATCH`` at a time straight to the driver (``bulk``: COPY on PostgreSQL, executemany
   on SQLite), and each ticket's change once, with the batch of its last line in the file, in one statement
   per set of columns.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from operator import attrgetter, itemgetter
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm.attributes import set_committed_value

from tickets import numbering
from tickets.errors import CountappError, Forbidden, N_

from .. import bulk, campaign_settings, filecheck
from ..database import dialect
from ..extensions import db
from ..filecheck import CountCheck, FileError, ImportRefused
from ..imports_check import paused_gc
from ..models import BookLine, Count, CountSource, Item, Role, Team, Ticket, TicketStatus, User
from . import audit
from . import campaigns as campaign_service
from . import counting
from .imports import file_limits
from .stock_writer import bulk_writes

IMPORTERS = (Role.MANAGER, Role.CENTRALISER)
E_INTERRUPTED = N_("Counts of these tickets arrived from elsewhere while the file was being imported: nothing was "
                   "imported. Import the file again.")
BATCH = 5000


def _operator(by: User | None) -> User:
    """Who the counts are entered by: the given manager or centraliser, or the command line itself."""
    if by is None:
        # Not saved: the command line acts with a manager's rights, and the log says "system".
        return User(login="system", name="", role=Role.MANAGER)
    if by.role not in IMPORTERS:
        raise Forbidden(N_("Only a centraliser or the inventory manager imports transcribed counts."), field="file")
    return by


def _input(row) -> counting.CountInput:
    return counting.CountInput(ticket=row.ticket, round=row.round, quantity=row.quantity, state=row.state,
                               method=row.method, counted_at=row.counted_at, reference=row.reference or None,
                               location=row.location or None, lot=row.lot or None, team=row.team,
                               counted_by=row.counted_by, line=row.line)


class _TolerancesByCategory:
    """A campaign's tolerance settings with each category's thresholds worked out once, not once per ticket."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.by_category: dict = {}

    def for_category(self, category):
        found = self.by_category.get(category)
        if found is None:
            found = self.by_category[category] = self.settings.for_category(category)
        return found


class _Tickets:
    """The file's tickets with their unit (on PostgreSQL in one statement, locked in ticket id order, as a
    tablet's count locks its ticket; on SQLite a few thousand at a time); and what a 2nd count's decision
    reads, read in bulk too."""

    def __init__(self, campaign, rows) -> None:
        self.campaign = campaign
        # Held here: the session keeps loaded objects only while something refers to them.
        self.teams = list(db.session.scalars(sa.select(Team).where(Team.campaign_id == campaign.id)))
        teams = {team.id: team for team in self.teams}
        self.by_sequence: dict[int, tuple[Ticket, str | None]] = {}
        self.quantities: dict[tuple[int, int], Decimal] = {}   # (ticket id, round) -> current quantity
        self.bases: dict[int, tuple] = {}                       # ticket id -> book basis
        sequences = sorted({parts[0] for parts in map(numbering.number_parts, (r.ticket for r in rows))
                            if parts is not None})
        line_item = sa.orm.aliased(Item)
        query = (sa.select(Ticket, sa.func.coalesce(Item.unit, line_item.unit))
                 .outerjoin(Item, Item.id == Ticket.item_id)
                 .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
                 .outerjoin(line_item, line_item.id == BookLine.item_id))
        if dialect() == "postgresql":
            # One statement, its locks taken in ticket id order, the order of every other path that locks
            # several tickets (a batch of tablets' counts, recount sheets). Locked as the rows came (a
            # bitmap scan gives them in the table's physical order), an import and a batch of tablets'
            # counts on the same tickets could each hold one the other waits for: a deadlock.
            chunks = [query.where(Ticket.campaign_id == campaign.id,
                                  Ticket.sequence == sa.any_(sa.bindparam("sequences", sequences,
                                                                          type_=ARRAY(sa.Integer))))
                      .order_by(Ticket.id).with_for_update(of=Ticket)] if sequences else []
        else:   # SQLite: a few thousand at a time (its limit on a statement's parameters); nothing to lock
            chunks = [query.where(Ticket.campaign_id == campaign.id,
                                  Ticket.sequence.in_(sequences[start:start + BATCH]))
                      for start in range(0, len(sequences), BATCH)]
        for chunk in chunks:
            for ticket, unit in db.session.execute(chunk):
                # The teams are loaded: the rules read a ticket's teams without a query each.
                set_committed_value(ticket, "team1", teams.get(ticket.team1_id))
                set_committed_value(ticket, "team2", teams.get(ticket.team2_id))
                self.by_sequence[ticket.sequence] = (ticket, unit)
        self.tolerances = _TolerancesByCategory(campaign_settings.tolerance_settings(campaign.settings))
        self._read_for_decisions(rows)

    def _read_for_decisions(self, rows) -> None:
        """Round-1 quantities already in and book bases of the tickets the file gives a 2nd count."""
        second = [self.by_sequence[parts[0]][0] for parts in
                  (numbering.number_parts(r.ticket) for r in rows if r.round == 2)
                  if parts is not None and parts[0] in self.by_sequence]
        ids = [t.id for t in second if t.status not in (TicketStatus.CREATED, TicketStatus.ISSUED)]
        connection = db.session.connection()   # plain rows, not through the ORM: a hundred thousand of them
        later = sa.orm.aliased(Count)
        newer = sa.select(later.id).where(later.supersedes_id == Count.id).exists()
        for start in range(0, len(ids), BATCH):
            for ticket_id, quantity in connection.execute(
                    sa.select(Count.ticket_id, Count.quantity).where(Count.ticket_id.in_(ids[start:start + BATCH]),
                                                                     Count.round == 1, ~newer)
                    .order_by(Count.id)):
                self.quantities[(ticket_id, 1)] = quantity
        lines = {t.book_line_id: t.id for t in second if t.book_line_id is not None}
        keys = sorted(lines)
        for start in range(0, len(keys), BATCH):
            for line_id, *basis in connection.execute(
                    sa.select(BookLine.id, *counting.BOOK_BASIS_COLUMNS).join(Item, Item.id == BookLine.item_id)
                    .where(BookLine.id.in_(keys[start:start + BATCH]))):
                self.bases[lines[line_id]] = counting.line_basis(self.campaign, basis)

    def find(self, text) -> tuple[Ticket, str | None]:
        """The ticket a line names and its unit; what is wrong is named as for a tablet's count."""
        return counting.loaded_ticket(self.by_sequence, self.campaign, text)

    def decision(self, campaign, ticket: Ticket, known: dict) -> dict | None:
        """``counting.ticket_decision`` from what was read in bulk (and this file's 1st counts)."""
        quantity1 = self.quantities.get((ticket.id, 1))
        if quantity1 is None or ticket.id not in self.bases:   # a blank ticket: its basis as for a tablet's count
            return counting.ticket_decision(campaign, ticket, known if quantity1 is None else {**known, 1: quantity1})
        return counting.decision_for(campaign, quantity1, known[2], self.bases[ticket.id], self.tolerances)


_COUNT_COLUMNS = tuple(column.name for column in Count.__table__.c if column.name != "id")
_COUNT_VALUES = itemgetter(*_COUNT_COLUMNS)


class _Writer:
    """Writes the counts, their events and the changes of the tickets done with a batch at a time, each batch
    in a thread (``bulk.InBackground``) while the next lines are checked: the database's work overlaps the
    checks instead of following them. Each batch is converted and its events chained and hashed here, in the
    caller's thread; the thread only sends them (COPY on PostgreSQL, an executemany on SQLite:
    ``bulk.write_rows``; the tickets' UPDATE: ``bulk.write_updates``)."""

    def __init__(self) -> None:
        connection = db.session.connection()
        self.dialect = connection.dialect
        self.raw = connection.connection.driver_connection
        self.refused = self.dialect.loaded_dbapi.IntegrityError
        self.heads: dict = {}   # each audit chain's last event, read once for the whole file
        self.background = bulk.InBackground()

    def write(self, counts: list[dict], events: list[dict], finished: dict[int, dict]) -> None:
        """Start writing a batch of counts, their events and the changes of tickets with no line left in the file
        (ticket id -> columns), and empty them (inside the import's transaction)."""
        if not counts and not finished:
            return
        values = bulk.converted_rows(self.dialect, Count.__table__, _COUNT_COLUMNS, map(_COUNT_VALUES, counts))
        # Reads the chains' heads for the first batch only (no batch is being written then); later ones
        # follow ``heads``. The session has nothing to flush: the tickets are kept in step, not changed.
        events_values = audit.insert_values(self.dialect, audit.chained_rows(events, self.heads))
        tickets = [(columns, bulk.converted_updates(self.dialect, Ticket.__table__, columns, rows))
                   for columns, rows in counting.ticket_rows(finished).items()]
        try:
            self.background.start(self._send, values, events_values, tickets)
        except self.refused:
            raise CountappError(E_INTERRUPTED, field="ticket") from None
        counts.clear()
        events.clear()
        finished.clear()

    def _send(self, values: list[tuple], events_values: list[tuple], tickets: list[tuple]) -> None:
        bulk.write_rows(self.raw, self.dialect, Count.__table__, _COUNT_COLUMNS, values)
        audit.write_values(self.raw, self.dialect, events_values)
        for columns, ticket_values in tickets:
            bulk.write_updates(self.raw, self.dialect, Ticket.__table__, columns, ticket_values)

    def wait(self) -> None:
        """Wait for the batch being written; a tablet's count of one of its tickets and rounds got in first
        when the database refuses it."""
        try:
            self.background.wait()
        except self.refused:
            raise CountappError(E_INTERRUPTED, field="ticket") from None


def import_counts(code: str, path, *, filename: str | None = None, by: User | None = None,
                  progress: Callable[[int], None] | None = None) -> dict:
    """Check the whole file, then write it in one transaction; raise ``ImportRefused`` listing every error.

    Returns how many counts were imported per round, and how the tickets stand afterwards.
    """
    campaign = campaign_service.get(code)
    campaign_service.check_not_closed(campaign)
    operator = _operator(by)
    filename = filename or Path(str(path)).name
    checked = filecheck.check_file("counts", path, filename=filename, limits=file_limits())
    checked.raise_for_errors()
    rows = sorted(checked.rows, key=attrgetter("round", "line"))
    try:
        with bulk_writes():
            per_round, outcome = _apply(campaign, rows, operator, filename, checked.lines, progress)
        audit.record("import.counts", campaign=campaign, entity="file", entity_id=filename[:60],
                     user=by, after={"file": filename, "lines": checked.lines,
                                     "rounds": {str(k): v for k, v in per_round.items()}, **outcome})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if progress:
        progress(len(rows))
    return {"lines": checked.lines, "rounds": per_round, **outcome}


@paused_gc   # tens of thousands of loaded tickets: the collector's passes over them cost more than the work
def _apply(campaign, rows, operator: User, filename: str, lines: int, progress) -> tuple[dict, dict]:
    """Check every line under the tablets' rules and write the good ones' counts and events ``BATCH`` at a
    time while no line has failed (the caller rolls back when one does), and each ticket's change once, with
    the batch of its last line; raise ``ImportRefused`` listing every error. Returns the counts per round and
    ``_outcome``.

    The loaded tickets are let go on return: expiring a hundred thousand of them at the commit cost seconds."""
    errors: list[FileError] = []
    failed: set[int] = set()       # tickets with an error: their later rounds would only repeat it
    per_round = {1: 0, 2: 0, 3: 0}
    counts: list[dict] = []
    events: list[dict] = []
    # Ticket id -> its columns changed by the file's lines so far: written once, when the ticket has no line
    # left in the file (``finished``, sent with the next batch), not once per round.
    changes: dict[int, dict] = {}
    finished: dict[int, dict] = {}
    keys = [filecheck.ticket_key(row.ticket) for row in rows]
    left = Counter(key[0] for key in keys if key is not None)   # lines still to come per ticket number
    touched: dict[int, Ticket] = {}
    tickets = _Tickets(campaign, rows)
    writer = _Writer()
    try:
        for done, (row, key) in enumerate(zip(rows, keys), 1):
            if key is not None:
                left[key[0]] -= 1
                if key[0] in failed:
                    continue
            try:
                ticket, unit = tickets.find(row.ticket)
                count = counting.check_count(campaign, ticket, unit, _input(row), user=operator,
                                             source=CountSource.IMPORT, decision=tickets.decision)
            except CountappError as error:
                errors.append(FileError(filename, row.line, error.field or "ticket", error.message,
                                        dict(error.params)))
                if key is not None:
                    failed.add(key[0])
                continue
            # The ticket moves on in memory, so that its next round in the file is checked against it.
            counting.keep_in_step(ticket, count.change)
            touched[ticket.id] = ticket
            tickets.quantities[(ticket.id, row.round)] = count.values["quantity"]
            per_round[row.round] += 1
            if errors:
                continue   # nothing more is written: the file will be refused
            changes.setdefault(ticket.id, {}).update(count.change)
            if key is not None and not left[key[0]]:
                finished[ticket.id] = changes.pop(ticket.id)
            counts.append(count.values)
            events.append(count.event)
            if len(counts) >= BATCH:
                writer.write(counts, events, finished)
            if progress and done % BATCH == 0:
                progress(done)
        # The tickets whose lines the file names otherwise (none in a well-formed file) go with the last batch.
        finished.update(changes)
        writer.write(counts, events, finished)
    finally:
        # Nothing else uses the connection, nor is rolled back, while a batch is being written.
        writer.wait()
    if errors:
        errors.sort(key=lambda e: (e.line or 0, e.column or ""))
        raise ImportRefused(CountCheck(filename, errors=errors, lines=lines, error_count=len(errors)))
    return per_round, _outcome(touched.values())


def _outcome(touched: Iterable[Ticket]) -> dict:
    """How the imported tickets stand: final (agreed, or after a third count), or needing a third count
    (their statuses as just written, kept in step in memory: not read again)."""
    statuses = [ticket.status for ticket in touched]
    return {"recount": statuses.count(TicketStatus.RECOUNT), "final": statuses.count(TicketStatus.FINAL)}


def describe(result: dict) -> str:
    """One line for the command line (English, like the other import summaries)."""
    rounds = result["rounds"]
    return (f"{sum(rounds.values())} counts imported (round 1: {rounds[1]}, round 2: {rounds[2]}, "
            f"round 3: {rounds[3]}); tickets now final: {result['final']}, needing a third count: "
            f"{result['recount']}.")
