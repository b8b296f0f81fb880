"""Cycle counts (issue 21): rounds with the campaign's tolerances, differences, adjustments and entries.

The same rules as a campaign's count: blind (nothing a counter reaches tells the book quantity or another
round's count), a second count by another person when round 1 is out of tolerance against book, a third
when the first two disagree; idempotent on ``client_id`` like the tablet. The book quantity is taken at
round 1: the programme's stock-date quantity with the line's movements up to the cut-off of that day.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cycles import adjustments as adjustment_rules
from cycles import book, rounds
from cycles.money import cents
from reports import csv_out
from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound
from tickets.quantities import parse_quantity

from .. import tabular
from ..database import dialect
from ..extensions import db
from ..filecheck import ImportRefused
from ..imports_check import FileCheck, FileError
from ..models import PhysicalState, Role, User
from ..models.cycles import CycleAdjustment, CycleCount, CycleItem, CycleLine, CycleMovement, CyclePlan
from . import cycles as programmes
from .reconciliation import CAUSES

STATES = tuple(s.value for s in PhysicalState)
SOURCES = ("tablet", "api", "import")
ROUND_STATUS = {1: "planned", 2: "round2", 3: "recount"}
COUNTERS = (Role.COUNTER, Role.LEADER)
THIRD = (Role.LEADER, Role.MANAGER, Role.CENTRALISER)
ENTERING = (Role.MANAGER, Role.CENTRALISER)
ACCEPTING = (Role.MANAGER, Role.CENTRALISER)
SEEING = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


@dataclass
class CycleCountInput:
    plan_id: int
    round: int
    quantity: object
    state: str = "good"
    counted_on: dt.date | None = None
    client_id: str | None = None
    counted_by: str = ""


@dataclass
class CountOutcome:
    plan_id: int
    round: int
    created: bool
    status: str
    next_round: int | None


def _plan_locked(programme, plan_id) -> CyclePlan:
    if isinstance(plan_id, bool) or not isinstance(plan_id, int):
        try:
            plan_id = int(str(plan_id).strip())
        except ValueError:
            raise CountappError(N_("%(value)s is not a planned count's number."), field="plan",
                                value=str(plan_id)[:40]) from None
    query = sa.select(CyclePlan).where(CyclePlan.id == plan_id, CyclePlan.programme_id == programme.id)
    if dialect() == "postgresql":
        query = query.with_for_update()
    entry = db.session.scalar(query)
    if entry is None:
        raise NotFound(N_("Count %(plan)s is not planned in programme %(code)s."), field="plan", plan=plan_id,
                       code=programme.code)
    return entry


def _replay(programme, given: CycleCountInput) -> CountOutcome | None:
    """The outcome of a count already recorded under this client id (a tablet sending again), else None."""
    if not given.client_id:
        return None
    if not _CLIENT_ID.fullmatch(given.client_id):
        raise CountappError(N_("The client id must be 1 to 64 letters, digits or . _ : -"), field="client_id")
    done = db.session.scalar(sa.select(CycleCount).where(CycleCount.client_id == given.client_id))
    if done is None:
        return None
    if done.plan_id != given.plan_id or done.round != given.round or done.programme_id != programme.id:
        raise Conflict(N_("This client id was already used for another count."), field="client_id")
    entry = db.session.get(CyclePlan, done.plan_id)
    return CountOutcome(entry.id, done.round, False, entry.status, programmes.NEXT_ROUND.get(entry.status))


def _check_person(entry: CyclePlan, round_: int, by: User | None, name: str, source: str) -> None:
    """Who may count this round: teams for rounds 1 and 2, a leader or the office for round 3, never twice."""
    if source == "import":
        programmes.require(by, ENTERING, N_("Only a manager or a centraliser enters counts from paper sheets."))
        if not name:
            raise CountappError(N_("Say who counted (the name written on the sheet)."), field="counted_by")
    elif by is None:
        raise Forbidden(N_("A count is entered by the person who counted."), field="counted_by")
    elif by.role not in (COUNTERS if round_ < 3 else THIRD):
        raise Forbidden(N_("Only counting teams enter counts of rounds 1 and 2.") if round_ < 3 else
                        N_("A third count is entered by a leader, a manager or a centraliser."), field="round")
    if round_ == 1:
        return
    before = db.session.execute(sa.select(CycleCount.counted_by_id, CycleCount.counted_by_name)
                                .where(CycleCount.plan_id == entry.id, CycleCount.round < round_)).all()
    me_id, me_name = (by.id if by is not None and source != "import" else None), name.strip().lower()
    for other_id, other_name in before:
        if (me_id is not None and other_id == me_id) or (me_name and other_name.strip().lower() == me_name):
            raise Forbidden(N_("Round %(round)s is counted by another person than the earlier rounds."),
                            field="counted_by", round=round_)


def countable(lines: list[programmes.DueLine], user: User) -> list[programmes.DueLine]:
    """The due lines ``user`` may count (what ``_check_person`` accepts): rounds 1 and 2 by the counting teams,
    round 3 by a leader or the office, never a later round of one's own 1st count."""
    return [line for line in lines
            if user.role in (COUNTERS if line.round < 3 else THIRD)
            and not (line.round > 1 and line.counted_by_round1 == user.id)]


def book_at_count(line: CycleLine, stock_date: dt.date, day: dt.date) -> Decimal:
    """The line's book quantity at the cut-off of ``day``."""
    moves = db.session.execute(sa.select(CycleMovement.date, CycleMovement.quantity)
                               .where(CycleMovement.line_id == line.id)).all()
    return book.book_at(line.book_qty, stock_date, moves, day)


def record_count(code: str, given: CycleCountInput, *, by: User | None, source: str = "tablet") -> CountOutcome:
    """Record one round of a planned count and settle what it decides; one transaction."""
    try:
        outcome = _record_count(programmes.get(code), given, by=by, source=source)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


def _record_count(programme, given: CycleCountInput, *, by: User | None, source: str) -> CountOutcome:
    if source not in SOURCES:
        raise CountappError(N_("Unknown source %(value)s."), field="source", value=str(source)[:20])
    replayed = _replay(programme, given)
    if replayed is not None:
        return replayed
    entry = _plan_locked(programme, given.plan_id)
    round_ = given.round
    if isinstance(round_, str) and round_.strip().isdigit():
        round_ = int(round_)
    if round_ not in (1, 2, 3):
        raise CountappError(N_("The round must be 1, 2 or 3, not '%(value)s'."), field="round", value=str(round_))
    expected = programmes.NEXT_ROUND.get(entry.status)
    if expected != round_:
        # Says neither the counts nor the book: only that this round is not the one to count.
        raise Conflict(N_("Count %(plan)s does not need a round %(round)s count now."), field="round",
                       plan=entry.id, round=round_)
    name = (given.counted_by or (by.display_name if by is not None else "")).strip()[:200]
    _check_person(entry, round_, by, name, source)
    state = (given.state or "good").strip().lower()
    if state not in STATES:
        raise CountappError(N_("Unknown state '%(value)s': use good (bon), damaged (abîmé), obsolete (obsolète) or "
                               "expired (périmé)."), field="state", value=state[:20])
    line = entry.line
    item = line.item
    quantity = parse_quantity(given.quantity, unit=item.unit)
    today = dt.date.today()
    counted_on = programmes._date(given.counted_on, "counted_on") or today
    if counted_on > today:
        raise CountappError(N_("The count date %(date)s is in the future."), field="counted_on",
                            date=counted_on.isoformat())
    if counted_on < programme.start_date:
        raise CountappError(N_("The count date %(date)s is before the programme's year (%(start)s)."),
                            field="counted_on", date=counted_on.isoformat(), start=programme.start_date.isoformat())
    if programme.stock_date is None:
        raise CountappError(N_("Import the programme's stock before counting."), field="plan")
    settings = programmes.settings_of(programme)
    between, vs_book = settings.tolerance.for_category(item.category.value)
    if round_ == 1:
        entry.book_qty = book_at_count(line, programme.stock_date, counted_on)
        entry.counted_on = counted_on
        entry.first_within = rounds.within(quantity, entry.book_qty, item.unit_cost, vs_book)
    counts = dict(db.session.execute(sa.select(CycleCount.round, CycleCount.quantity)
                                     .where(CycleCount.plan_id == entry.id)).all())
    counts[round_] = quantity
    step = rounds.after_round(round_, counts, entry.book_qty, item.unit_cost, between, vs_book)
    if step.done:
        entry.final_qty = step.final_qty
        entry.status = "settled" if step.final_qty == entry.book_qty else "difference"
    else:
        entry.status = ROUND_STATUS[step.next_round]
    try:
        with db.session.begin_nested():
            db.session.add(CycleCount(programme_id=programme.id, plan_id=entry.id, round=round_, quantity=quantity,
                                      state=state, counted_by_id=by.id if by is not None and source != "import"
                                      else None, counted_by_name=name, counted_on=counted_on,
                                      client_id=given.client_id or None))
    except IntegrityError:
        raise Conflict(N_("Count %(plan)s already has a round %(round)s count."), field="round", plan=entry.id,
                       round=round_) from None
    programmes.record("cycle.count", programme, by=by, entity="cycle_plan", entity_id=entry.id,
                      after={"round": round_, "quantity": quantity, "counted_on": counted_on, "status": entry.status,
                             "counted_by": name, "source": source})
    return CountOutcome(entry.id, round_, True, entry.status, step.next_round)


# --- counts from a file ---------------------------------------------------------------------------

COUNT_COLUMNS = {"plan": ("plan", "planned count", "comptage planifié", "n°"),
                 "round": ("round", "comptage", "n° comptage", "tour", "passage"),
                 "quantity": ("quantity", "quantité", "qté", "qty"), "state": ("state", "état"),
                 "counted_by": ("counted_by", "compté par", "compteur"),
                 "counted_on": ("counted_on", "compté le", "date")}


def _column_map(headers) -> dict[str, str]:
    folded = {tabular.normalize_header(h): h for h in headers}
    out = {}
    for name, aliases in COUNT_COLUMNS.items():
        for alias in aliases:
            if tabular.normalize_header(alias) in folded:
                out[name] = folded[tabular.normalize_header(alias)]
                break
    return out


def import_counts(code: str, path, *, filename: str | None = None, by: User | None = None) -> dict:
    """Counts transcribed from count sheets (plan, round, quantity, state, counted_by, counted_on), checked
    whole first, then entered in file order (a round 2 line after its round 1 line), all or nothing."""
    programme = programmes.get(code)
    programmes.require(by, ENTERING, N_("Only a manager or a centraliser enters counts from paper sheets."))
    filename = filename or Path(str(path)).name
    check = FileCheck(filename)
    rows = []
    from .imports import file_limits

    with tabular.read_table(path, filename, limits=file_limits()) as table:
        columns = _column_map(table.headers)
        missing = [c for c in ("plan", "round", "quantity", "counted_by") if c not in columns]
        for column in missing:
            check.errors.append(FileError(filename, None, column, N_("The required column %(column)s is missing."),
                                          {"column": column}))
        if not missing:
            for line, record in table.rows():
                values = {name: (record.get(header) or "").strip() for name, header in columns.items()}
                try:
                    quantity = parse_quantity(values["quantity"])
                    day = programmes._date(values.get("counted_on"), "counted_on")
                except CountappError as error:
                    check.errors.append(FileError(filename, line, error.field, error.message, error.params))
                    continue
                if not values["plan"].isdigit() or values["round"] not in ("1", "2", "3") or not values["counted_by"]:
                    check.errors.append(FileError(filename, line, "plan", N_(
                        "A line needs the count's number, its round (1, 2 or 3) and who counted."), {}))
                    continue
                rows.append((line, CycleCountInput(int(values["plan"]), int(values["round"]), quantity,
                                                   values.get("state") or "good", day, None, values["counted_by"])))
    check.error_count = len(check.errors)
    if not rows and not check.errors:
        check.errors.append(FileError(filename, None, None, N_("%(file)s: the file has no lines under its header."),
                                      {"file": filename}))
        check.error_count = 1
    if check.error_count:
        raise ImportRefused(check)
    result = {"counts": 0, "round2": 0, "recount": 0, "settled": 0, "difference": 0}
    try:
        for line, given in rows:
            try:
                outcome = _record_count(programme, given, by=by, source="import")
            except CountappError as error:
                check.errors.append(FileError(filename, line, error.field, error.message, error.params))
                check.error_count = 1
                raise ImportRefused(check) from None
            result["counts"] += 1
            result[outcome.status] = result.get(outcome.status, 0) + 1
        programmes.record("cycle.import.counts", programme, by=by, after={"file": filename, **result})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# --- differences and adjustments ------------------------------------------------------------------

@dataclass
class Difference:
    plan_id: int
    reference: str
    designation: str
    category: str
    site: str
    zone: str
    location: str
    lot: str
    counted_on: dt.date
    book_qty: Decimal
    final_qty: Decimal
    difference: Decimal
    unit_cost: Decimal
    value_cents: int


def differences(code: str, *, by: User | None = None) -> list[Difference]:
    """Counts done with a difference to book not accepted yet, in walking order."""
    programme = programmes.get(code)
    programmes.require(by, SEEING, N_("You may not see the book quantities."))
    rows = db.session.execute(
        sa.select(CyclePlan, CycleLine, CycleItem).join(CycleLine, CycleLine.id == CyclePlan.line_id)
        .join(CycleItem, CycleItem.id == CycleLine.item_id)
        .where(CyclePlan.programme_id == programme.id, CyclePlan.status == "difference")
        .order_by(CyclePlan.counted_on, CyclePlan.walk_order)).all()
    out = []
    for entry, line, item in rows:
        diff = entry.final_qty - entry.book_qty
        out.append(Difference(entry.id, item.reference, item.designation, item.category.value, line.site, line.zone,
                              line.location, line.lot, entry.counted_on, entry.book_qty, entry.final_qty, diff,
                              item.unit_cost, cents(diff, item.unit_cost)))
    return out


def accept(code: str, plan_ids: list[int], *, cause: str, note: str = "", by: User | None = None) -> int:
    """Accept the differences of these counts with a cause: one adjustment each; returns how many."""
    programme = programmes.get(code)
    programmes.require(by, ACCEPTING, N_("Only a manager or a centraliser accepts a difference."))
    cause = (cause or "").strip()
    if cause not in CAUSES:
        raise CountappError(N_("Unknown cause %(cause)s: choose one of %(choices)s."), field="cause",
                            cause=cause[:40], choices=", ".join(CAUSES))
    if not plan_ids:
        raise CountappError(N_("Name the counts whose difference is accepted."), field="plan")
    written = 0
    for plan_id in plan_ids:
        entry = _plan_locked(programme, plan_id)
        if entry.status != "difference":
            raise Conflict(N_("Count %(plan)s has no difference waiting to be accepted."), field="plan",
                           plan=entry.id)
        item = entry.line.item
        diff = entry.final_qty - entry.book_qty
        value = cents(diff, item.unit_cost)
        db.session.add(CycleAdjustment(programme_id=programme.id, plan_id=entry.id, line_id=entry.line_id,
                                       counted_on=entry.counted_on, book_qty=entry.book_qty,
                                       counted_qty=entry.final_qty, difference=diff, unit_cost=item.unit_cost,
                                       value_cents=value, cause=cause, note=(note or "").strip()[:4000],
                                       accepted_by_id=by.id if by is not None else None))
        entry.status = "adjusted"
        programmes.record("cycle.accept", programme, by=by, entity="cycle_plan", entity_id=entry.id,
                          after={"cause": cause, "difference": diff, "value_cents": value})
        written += 1
    db.session.commit()
    return written


def adjustment_lines(code: str, *, start=None, end=None) -> list[adjustment_rules.AdjustmentLine]:
    """Accepted adjustments counted in the span, one per item × place × lot."""
    programme = programmes.get(code)
    start, end = programmes._date(start, "start"), programmes._date(end, "end")
    query = (sa.select(CycleAdjustment, CycleLine, CycleItem).join(CycleLine, CycleLine.id == CycleAdjustment.line_id)
             .join(CycleItem, CycleItem.id == CycleLine.item_id)
             .where(CycleAdjustment.programme_id == programme.id))
    if start:
        query = query.where(CycleAdjustment.counted_on >= start)
    if end:
        query = query.where(CycleAdjustment.counted_on <= end)
    return adjustment_rules.merged(
        adjustment_rules.AdjustmentLine(item.reference, item.designation, line.site, line.zone, line.location,
                                        line.lot, item.unit, item.category.value, adj.counted_on, adj.book_qty,
                                        adj.counted_qty, adj.difference, adj.unit_cost, adj.value_cents, adj.cause)
        for adj, line, item in db.session.execute(query))


def _writer(code: str, stream, excel: bool) -> csv_out.Writer:
    """The project's CSV writer (formula guard, Excel dialect with the headers in the campaign's language)."""
    campaign = programmes.get(code).campaign
    return csv_out.Writer(stream, csv_out.dialect(excel), campaign.language if campaign is not None else "en")


def write_adjustments_csv(code: str, stream, *, start=None, end=None, excel: bool = False) -> int:
    """The adjustment lines as CSV for the ERP; returns how many lines."""
    lines = adjustment_lines(code, start=start, end=end)
    out = _writer(code, stream, excel)
    out.header(adjustment_rules.ADJUSTMENT_COLUMNS)
    out.rows(adjustment_rules.csv_row(line) for line in lines)
    return len(lines)


def entries(code: str, *, start=None, end=None, language: str | None = None) -> list[dict]:
    """The accounting entries of the accepted adjustments of the span (journal INV, dated its last day)."""
    programme = programmes.get(code)
    lines = adjustment_lines(code, start=start, end=end)
    by_category: dict[str, int] = {}
    for line in lines:
        by_category[line.category] = by_category.get(line.category, 0) + line.value_cents
    day = programmes._date(end, "end") or max((l.counted_on for l in lines), default=programme.end_date)
    if language is None:
        language = programme.campaign.language if programme.campaign is not None else "en"
    return adjustment_rules.entries(by_category, day, language)


ENTRY_COLUMNS = ("journal", "date", "account", "label", "debit", "credit", "entry")


def write_entries_csv(code: str, stream, *, start=None, end=None, excel: bool = False) -> int:
    rows = entries(code, start=start, end=end)
    out = _writer(code, stream, excel)
    out.header(ENTRY_COLUMNS)
    for row in rows:
        out.dict_row(ENTRY_COLUMNS, row)
    return len(rows)
