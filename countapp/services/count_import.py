"""``countapp import counts``: counts transcribed from the paper parts, under the tablets' rules.

The whole file is checked first and every error is listed with its file, line and column;
nothing is written unless every line is good, and then in one transaction.

1. Shape (``filecheck.check_counts``): columns, ticket numbers, rounds, quantities, states, dates,
   one count per ticket and round in the file.
2. Rules: each line goes through ``counting.submit_count`` — the very code the tablets use — so the
   rules cannot drift apart: round order, the team the range was issued to, voided tickets, blank
   tickets naming their reference, location and lot, round 3 only for a ticket that needs a third
   count. Lines are applied in round order (all 1st counts, then 2nd, then 3rd), so a file may carry
   both counts of a ticket and its third count when the first two disagree. The counting service
   commits each count; here its commits are held back (flushed only) until the whole file has been
   checked, then the file is committed or rolled back as one.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa

from tickets.errors import CountappError, Forbidden, N_

from .. import filecheck
from ..extensions import db
from ..filecheck import CountCheck, FileError, ImportRefused
from ..models import CountSource, Role, Ticket, TicketStatus, User
from . import audit
from . import campaigns as campaign_service
from . import counting
from .imports import file_limits

IMPORTERS = (Role.MANAGER, Role.CENTRALISER)
E_INTERRUPTED = N_("Counts of these tickets arrived from elsewhere while the file was being imported: nothing was "
                   "imported. Import the file again.")


def _operator(by: User | None) -> User:
    """Who the counts are entered by: the given manager or centraliser, or the command line itself."""
    if by is None:
        # Not saved: the command line acts with a manager's rights, and the log says "system".
        return User(login="system", name="", role=Role.MANAGER)
    if by.role not in IMPORTERS:
        raise Forbidden(N_("Only a centraliser or the inventory manager imports transcribed counts."), field="file")
    return by


@contextlib.contextmanager
def _held_commits() -> Iterator[list]:
    """Inside, ``db.session.commit()`` only flushes; a rollback by the counting service is noted in the list."""
    session = db.session()
    rollbacks: list = []

    def note(*_args) -> None:
        rollbacks.append(True)

    sa.event.listen(session, "after_soft_rollback", note)
    session.commit = session.flush  # type: ignore[method-assign]
    try:
        yield rollbacks
    finally:
        del session.commit
        sa.event.remove(session, "after_soft_rollback", note)


def _input(row) -> counting.CountInput:
    return counting.CountInput(ticket=row.ticket, round=row.round, quantity=row.quantity, state=row.state,
                               method=row.method, counted_at=row.counted_at, reference=row.reference or None,
                               location=row.location or None, lot=row.lot or None, team=row.team,
                               counted_by=row.counted_by, line=row.line)


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
    rows = sorted(checked.rows, key=lambda r: (r.round, r.line))
    errors: list[FileError] = []
    failed: set[int] = set()       # tickets with an error: their later rounds would only repeat it
    per_round = {1: 0, 2: 0, 3: 0}
    touched: set[int] = set()
    try:
        with _held_commits() as rollbacks:
            for done, row in enumerate(rows, 1):
                key = filecheck.ticket_key(row.ticket)
                if key is not None and key[0] in failed:
                    continue
                try:
                    result = counting.submit_count(code, _input(row), user=operator, source=CountSource.IMPORT)
                except CountappError as error:
                    if rollbacks:
                        raise CountappError(E_INTERRUPTED, field="ticket") from None
                    errors.append(FileError(filename, row.line, error.field or "ticket", error.message,
                                            dict(error.params)))
                    if key is not None:
                        failed.add(key[0])
                    continue
                per_round[row.round] += 1
                touched.add(result.ticket.id)
                if progress and done % 500 == 0:
                    progress(done)
            if rollbacks:
                raise CountappError(E_INTERRUPTED, field="ticket")
        if errors:
            errors.sort(key=lambda e: (e.line or 0, e.column or ""))
            refused = CountCheck(filename, errors=errors, lines=checked.lines, error_count=len(errors))
            raise ImportRefused(refused)
        outcome = _outcome(list(touched))
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


def _outcome(ticket_ids: list[int]) -> dict:
    """How the imported tickets stand: final (agreed, or after a third count), or needing a third count."""
    out = {"recount": 0, "final": 0}
    for start in range(0, len(ticket_ids), 5000):
        chunk = ticket_ids[start:start + 5000]
        for status, n in db.session.execute(sa.select(Ticket.status, sa.func.count()).where(Ticket.id.in_(chunk))
                                            .group_by(Ticket.status)):
            status = TicketStatus(status)
            if status == TicketStatus.RECOUNT:
                out["recount"] += n
            elif status == TicketStatus.FINAL:
                out["final"] += n
    return out


def describe(result: dict) -> str:
    """One line for the command line (English, like the other import summaries)."""
    rounds = result["rounds"]
    return (f"{sum(rounds.values())} counts imported (round 1: {rounds[1]}, round 2: {rounds[2]}, "
            f"round 3: {rounds[3]}); tickets now final: {result['final']}, needing a third count: "
            f"{result['recount']}.")
