"""Cycle-count programmes (issue 21): create, import stock and movements, classify, plan, the due list.

The rules are in the plain package ``cycles``; this module loads, calls them and writes, one transaction
per action. Counts, differences and adjustments are in ``cycle_counts``; coverage in ``cycle_reports``.
"""
from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from cycles import abc, planning
from cycles.money import cents
from cycles.settings import ProgrammeSettings, date_value
from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound

from .. import filecheck
from ..database import shared_alias
from ..extensions import db
from ..models import Campaign, Item, Role, User
from ..models.cycles import (CLASSES, OPEN_STATUSES, CycleCount, CycleItem, CycleLine, CycleMovement, CyclePlan,
                             CycleProgramme)
from . import audit, cycle_stock
from .stock_writer import bulk_writes
from . import campaigns as campaign_service

PLANNERS = (Role.MANAGER,)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR, Role.LEADER, Role.COUNTER)
BATCH = 20_000


# --- finding and checking -----------------------------------------------------------------------

def get(code: str) -> CycleProgramme:
    programme = db.session.scalar(sa.select(CycleProgramme).where(CycleProgramme.code == (code or "").strip()))
    if programme is None:
        raise NotFound(N_("Unknown cycle-count programme %(code)s."), field="programme", code=code)
    return programme


def programmes() -> list[CycleProgramme]:
    return list(db.session.scalars(sa.select(CycleProgramme).order_by(CycleProgramme.fiscal_year.desc(),
                                                                      CycleProgramme.code)))


def programme_for_year(fiscal_year: int) -> CycleProgramme | None:
    return db.session.scalar(sa.select(CycleProgramme).where(CycleProgramme.fiscal_year == fiscal_year)
                             .order_by(CycleProgramme.id).limit(1))


def programme_for_campaign(campaign: Campaign) -> CycleProgramme | None:
    """The programme linked to the campaign (combined mode), else one of the same fiscal year."""
    linked = db.session.scalar(sa.select(CycleProgramme).where(CycleProgramme.campaign_id == campaign.id).limit(1))
    return linked or programme_for_year(campaign.fiscal_year)


def require(by: User | None, roles, message: str) -> None:
    """Refuse a user whose role is not among ``roles`` (None: the command line's system user, allowed)."""
    if by is not None and by.role not in roles:
        raise Forbidden(message, field="role")


def settings_of(programme: CycleProgramme) -> ProgrammeSettings:
    return ProgrammeSettings.from_dict(programme.settings or {})


def record(action: str, programme: CycleProgramme, *, by: User | None, entity: str = "cycle_programme",
           entity_id: object = None, before: dict | None = None, after: dict | None = None) -> None:
    """An audit event in the linked campaign's chain (combined mode), else the chain outside campaigns."""
    audit.record(action, campaign=programme.campaign, entity=entity,
                 entity_id=programme.code if entity_id is None else entity_id, before=before, after=after, user=by)


def _date(value, key: str) -> dt.date | None:
    return None if value in (None, "") else date_value(value, key)


# --- the programme --------------------------------------------------------------------------------

def create(code: str, *, year: int, start: dt.date | None = None, end: dt.date | None = None, name: str = "",
           campaign_code: str | None = None, by: User | None = None) -> CycleProgramme:
    """A programme for a fiscal year (default 1 January to 31 December); with a campaign, combined mode:
    the campaign's fiscal year and tolerances."""
    require(by, PLANNERS, N_("Only a manager creates a cycle-count programme."))
    code = (code or "").strip()
    if not code or len(code) > 40 or any(c.isspace() or c in "/?#%" for c in code):
        raise CountappError(N_("A programme code is a short name without spaces or slashes, like CC2026."),
                            field="code")
    if db.session.scalar(sa.select(CycleProgramme.id).where(CycleProgramme.code == code)) is not None:
        raise Conflict(N_("A cycle-count programme %(code)s already exists."), field="code", code=code)
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2999:
        raise CountappError(N_("The fiscal year %(year)s is not a plausible year."), field="year", year=year)
    settings = ProgrammeSettings()
    campaign = None
    if campaign_code:
        from .imports import fiscal_year

        campaign = campaign_service.get(campaign_code)
        if db.session.scalar(sa.select(CycleProgramme.id).where(CycleProgramme.campaign_id == campaign.id)):
            raise Conflict(N_("Campaign %(campaign)s already has a cycle-count programme."), field="campaign",
                           campaign=campaign.code)
        if year != campaign.fiscal_year:
            raise CountappError(N_("Campaign %(campaign)s counts fiscal year %(campaign_year)s: a programme combined "
                                   "with it is for that year too, not %(year)s."), field="year",
                                campaign=campaign.code, campaign_year=campaign.fiscal_year, year=year)
        first, last = fiscal_year(campaign)
        start, end = start or first, end or last
        settings = settings.merged({"tolerance": (campaign.settings or {}).get("tolerance", {})})
    start = _date(start, "start") or dt.date(year, 1, 1)
    end = _date(end, "end") or dt.date(year, 12, 31)
    if not start <= end or (end - start).days > 371:
        raise CountappError(N_("A programme covers one fiscal year: %(start)s to %(end)s is not one."),
                            field="end", start=start.isoformat(), end=end.isoformat())
    programme = CycleProgramme(code=code, name=name or "", fiscal_year=year, start_date=start, end_date=end,
                               campaign=campaign, settings=settings.to_dict())
    db.session.add(programme)
    db.session.flush()
    record("cycle.create", programme, by=by, after={"fiscal_year": year, "start": start, "end": end,
                                                    "campaign": campaign.code if campaign else None})
    db.session.commit()
    return programme


def configure(code: str, given: dict, *, by: User | None = None) -> CycleProgramme:
    """Apply settings (``cycles.settings`` keys; keys not given keep their value)."""
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager changes a programme's settings."))
    before = programme.settings
    programme.settings = settings_of(programme).merged(given).to_dict()
    record("cycle.configure", programme, by=by, before=before, after=programme.settings)
    db.session.commit()
    return programme


# --- imports --------------------------------------------------------------------------------------

@dataclass
class StockImported:
    lines: int = 0
    items: int = 0
    places: int = 0
    inserted: int = 0
    updated: int = 0
    zeroed: int = 0
    skipped: int = 0          # lines of third parties or held elsewhere: not counted in cycles
    as_of: dt.date | None = None


def _limits():
    from .imports import file_limits

    return file_limits()


def import_stock(code: str, path, *, filename: str | None = None, as_of=None, by: User | None = None
                 ) -> StockImported:
    """A stock file (the campaign's format) into the programme's items and lines, at ``as_of`` (default today).

    Checked and written in one pass, chunk by chunk, in one transaction: a bad line anywhere writes nothing.
    Again later: book quantities and their date are replaced; lines missing from the new file go to 0 (their
    plan and counts stay). Only own stock on site is counted in cycles.
    """
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager imports a programme's stock."))
    as_of = _date(as_of, "as_of") or dt.date.today()
    filename = filename or Path(str(path)).name
    result = StockImported(as_of=as_of)
    writer = cycle_stock.ProgrammeStockWriter(programme, result)
    try:
        with bulk_writes():
            checked = filecheck.check_file("stock", path, filename=filename, limits=_limits(), keep_rows=False,
                                           on_rows=writer.write, chunk=cycle_stock.CHUNK)
            checked.raise_for_errors()      # the chunks already written are rolled back below
            writer.finish()
    except Exception:
        db.session.rollback()
        raise
    programme.stock_date = as_of
    record("cycle.import.stock", programme, by=by, after={"file": filename, "as_of": as_of, "lines": result.lines,
                                                         "inserted": result.inserted, "updated": result.updated,
                                                         "zeroed": result.zeroed, "skipped": result.skipped})
    db.session.commit()
    return result


def import_movements(code: str, path, *, filename: str | None = None, by: User | None = None) -> int:
    """A movements file (the campaign's format): replaces the programme's movements.

    A movement at an item's place (and lot) with no line yet makes the line, at book 0 (goods received in a
    new bin), in the site and zone of that place's other lines: ``plan`` then plans it.
    """
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager imports a programme's movements."))
    filename = filename or Path(str(path)).name
    items = dict(db.session.execute(sa.select(CycleItem.reference, CycleItem.id)
                                    .where(CycleItem.programme_id == programme.id)).all())
    if not items:
        raise CountappError(N_("Import the programme's stock before its movements."), field="file")
    checked = filecheck.check_file("movements", path, filename=filename, limits=_limits(), known_items=set(items),
                                   fiscal_year_start=programme.start_date, fiscal_year_end=programme.end_date)
    checked.raise_for_errors()
    lines, places = {}, {}
    for line_id, item_id, location, lot, site, zone in db.session.execute(
            sa.select(CycleLine.id, CycleLine.item_id, CycleLine.location, CycleLine.lot, CycleLine.site,
                      CycleLine.zone).where(CycleLine.programme_id == programme.id)):
        lines[item_id, location, lot] = line_id
        if site or zone:
            places.setdefault(location, (site, zone))
    db.session.execute(sa.delete(CycleMovement).where(CycleMovement.programme_id == programme.id))
    batch, written = [], 0
    for row in checked.rows:
        key = (items[row.reference], row.location, row.lot or "")
        line_id = lines.get(key)
        if line_id is None:
            # A new bin at a known place takes that place's site and zone, so that it shows in its zone's
            # due list and coverage (a place never seen in the stock file stays without).
            site, zone = places.get(row.location, ("", ""))
            line = CycleLine(programme_id=programme.id, item_id=key[0], site=site, zone=zone, location=row.location,
                             lot=row.lot or "", book_qty=Decimal(0))
            db.session.add(line)
            db.session.flush([line])
            line_id = lines[key] = line.id
        batch.append({"programme_id": programme.id, "line_id": line_id, "date": row.date, "quantity": row.quantity,
                      "kind": getattr(row.kind, "value", row.kind) or "", "document": row.document or ""})
        written += 1
        if len(batch) >= BATCH:
            db.session.execute(sa.insert(CycleMovement), batch)
            batch.clear()
    if batch:
        db.session.execute(sa.insert(CycleMovement), batch)
    record("cycle.import.movements", programme, by=by, after={"file": filename, "movements": written})
    db.session.commit()
    return written


# --- classes --------------------------------------------------------------------------------------

@dataclass
class ClassSummary:
    items: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    value_cents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    by_hand: int = 0
    year_end: int = 0
    basis: str = "consumption"      # "consumption" (issues × cost) or "stock" (no issue imported)


def _consumption(programme: CycleProgramme) -> tuple[dict[str, int], dict[str, int], str]:
    """Per item: annual consumption value (issues × unit cost) and stock value, in cents; and the basis used."""
    items = db.session.execute(sa.select(CycleItem.id, CycleItem.reference, CycleItem.unit_cost)
                               .where(CycleItem.programme_id == programme.id)).all()
    stock = dict(db.session.execute(
        sa.select(CycleLine.item_id, sa.func.sum(CycleLine.book_qty)).where(CycleLine.programme_id == programme.id)
        .group_by(CycleLine.item_id)).all())
    issued = dict(db.session.execute(
        sa.select(CycleLine.item_id, sa.func.sum(-CycleMovement.quantity))
        .join(CycleLine, CycleLine.id == CycleMovement.line_id)
        .where(CycleMovement.programme_id == programme.id, CycleMovement.quantity < 0,
               CycleMovement.kind.in_(("issue", "")))
        .group_by(CycleLine.item_id)).all())
    stock_cents = {ref: cents(Decimal(stock.get(i) or 0), cost) for i, ref, cost in items}
    if not issued:
        return dict(stock_cents), stock_cents, "stock"
    return {ref: cents(Decimal(issued.get(i) or 0), cost) for i, ref, cost in items}, stock_cents, "consumption"


def classify(code: str, *, by: User | None = None) -> ClassSummary:
    """Classes A, B, C by share of annual consumption value (items set by hand keep theirs); in combined
    mode, marks the items the year-end campaign counts."""
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager classifies a programme's items."))
    settings = settings_of(programme)
    values, stock_cents, basis = _consumption(programme)
    classes = abc.classify(values, settings.class_a, settings.class_b)
    summary = ClassSummary(basis=basis)
    items = db.session.execute(sa.select(CycleItem.id, CycleItem.reference, CycleItem.abc_class,
                                         CycleItem.class_by_hand)
                               .where(CycleItem.programme_id == programme.id)).all()
    final = {}
    for item in items:
        if item.class_by_hand:
            summary.by_hand += 1
        final[item.reference] = item.abc_class if item.class_by_hand else classes.get(item.reference, "C")
    chosen = set()
    if programme.campaign_id is not None:
        chosen = abc.year_end_items(final, stock_cents, settings.year_end_classes,
                                    cents(settings.year_end_value, Decimal(1)))
    changes = []
    for item in items:
        value = values.get(item.reference, 0)
        changes.append({"b_id": item.id, "b_class": final[item.reference], "b_value": value,
                        "b_year_end": item.reference in chosen})
        summary.items[final[item.reference]] += 1
        summary.value_cents[final[item.reference]] += value
    table = CycleItem.__table__
    if changes:   # one statement run for every item (executemany), not an ORM flush of each
        db.session.connection().execute(
            sa.update(table).where(table.c.id == sa.bindparam("b_id"))
            .values(abc_class=sa.bindparam("b_class"), consumption_cents=sa.bindparam("b_value"),
                    year_end=sa.bindparam("b_year_end")), changes)
    summary.year_end = len(chosen)
    record("cycle.classify", programme, by=by, after={"items": summary.items, "value_cents": summary.value_cents,
                                                     "by_hand": summary.by_hand, "year_end": summary.year_end,
                                                     "basis": basis})
    db.session.commit()
    return summary


def set_class(code: str, reference: str, abc_class: str, *, by: User | None = None) -> CycleItem:
    """Set an item's class by hand (``classify`` then keeps it); planned counts already there stay."""
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager sets an item's class."))
    abc_class = (abc_class or "").strip().upper()
    if abc_class not in CLASSES:
        raise CountappError(N_("The class must be A, B or C, not %(value)s."), field="abc_class",
                            value=abc_class[:10])
    item = db.session.scalar(sa.select(CycleItem).where(CycleItem.programme_id == programme.id,
                                                        CycleItem.reference == (reference or "").strip()))
    if item is None:
        raise NotFound(N_("Item %(reference)s is not in programme %(code)s."), field="reference",
                       reference=reference, code=programme.code)
    before = {"abc_class": item.abc_class, "by_hand": item.class_by_hand}
    item.abc_class, item.class_by_hand = abc_class, True
    record("cycle.set_class", programme, by=by, entity="cycle_item", entity_id=item.reference, before=before,
           after={"abc_class": abc_class, "by_hand": True})
    db.session.commit()
    return item


# --- the plan -------------------------------------------------------------------------------------

@dataclass
class PlanSummary:
    entries: int = 0
    lines: int = 0
    working_days: int = 0
    needed_per_day: int = 0
    capacity: int = 0
    busiest_day: int = 0
    overloaded_days: int = 0
    dropped: int = 0            # entries of a former plan dropped (replace)


def days_of(programme: CycleProgramme, start: dt.date | None = None) -> list[dt.date]:
    """The programme's working days from ``start`` (default its first day) to its last."""
    settings = settings_of(programme)
    return planning.working_days(max(start or programme.start_date, programme.start_date), programme.end_date,
                                 settings.weekdays, settings.holidays)


def _walk_rows(programme: CycleProgramme):
    """The programme's cycle lines (year-end items left out) in walking order: site, zone, location, reference, lot."""
    rows = db.session.execute(
        sa.select(CycleLine.id, CycleLine.site, CycleLine.zone, CycleLine.location, CycleItem.reference,
                  CycleLine.lot, CycleItem.abc_class)
        .join(CycleItem, CycleItem.id == CycleLine.item_id)
        .where(CycleLine.programme_id == programme.id, CycleItem.year_end.is_(False))).all()
    rows.sort(key=operator.itemgetter(1, 2, 3, 4, 5))   # site, zone, location, reference, lot
    return rows


PLAN_COLUMNS = ("programme_id", "line_id", "pass_no", "planned_date", "due_date", "walk_order", "status")


def _insert_plan(programme_id: int, entries, days: list[dt.date], orders: dict[int, int]) -> None:
    """Write plan entries fast (a year of a large programme is hundreds of thousands): COPY on PostgreSQL,
    the driver's executemany on SQLite; the ORM's bookkeeping would cost more than the plan itself."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    # In (line, pass) order the unique index grows at its end; the due index has one place per day.
    entries = sorted(entries)
    texts = [d.isoformat() for d in days]
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY cycle_plan ({', '.join(PLAN_COLUMNS)}) FROM STDIN") as copy:
                # COPY's text format, written in blocks: a row at a time costs more than the server's work.
                for start in range(0, len(entries), 50_000):
                    copy.write("".join(
                        f"{programme_id}\t{line_id}\t{pass_no}\t{texts[day]}\t{texts[day]}\t{orders[line_id]}\tplanned\n"
                        for line_id, pass_no, day in entries[start:start + 50_000]))
        return
    marks = ", ".join("?" for _ in PLAN_COLUMNS)
    cursor = raw.cursor()
    try:
        # A bigger page cache for this write: the due index takes its rows at one place per day.
        size = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
        cursor.executemany(f"INSERT INTO cycle_plan ({', '.join(PLAN_COLUMNS)}) VALUES ({marks})",
                           [(programme_id, line_id, pass_no, texts[day], texts[day], orders[line_id], "planned")
                            for line_id, pass_no, day in entries])
        cursor.execute(f"PRAGMA cache_size = {int(size)}")
    finally:
        cursor.close()


def plan(code: str, *, start: dt.date | None = None, replace: bool = False, by: User | None = None) -> PlanSummary:
    """Plan the counts of every cycle line that has none yet, over the working days from ``start``.

    ``replace`` first drops the entries nothing was counted on, so that those lines are planned again
    (after a change of classes or settings). Items counted at year end (combined mode) get no entry.
    """
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager plans a programme."))
    start = _date(start, "start")
    settings = settings_of(programme)
    summary = PlanSummary(capacity=settings.daily_lines)
    if replace:
        counted = sa.select(CycleCount.plan_id).where(CycleCount.programme_id == programme.id)
        summary.dropped = db.session.execute(
            sa.delete(CyclePlan).where(CyclePlan.programme_id == programme.id, CyclePlan.status == "planned",
                                       CyclePlan.id.not_in(counted))).rowcount or 0
    days = days_of(programme, start)
    if not days:
        raise CountappError(N_("Programme %(code)s has no working day left from %(start)s to %(end)s."),
                            field="start", code=programme.code, start=(start or programme.start_date).isoformat(),
                            end=programme.end_date.isoformat())
    rows = _walk_rows(programme)
    if not rows:
        raise CountappError(N_("Programme %(code)s has no line to count in cycles yet: import its stock file first."),
                            field="file", code=programme.code)
    planned = set(db.session.scalars(sa.select(CyclePlan.line_id).distinct()
                                     .where(CyclePlan.programme_id == programme.id)))
    frequency = settings.frequency
    make = planning.PlanLine
    lines = [make(r[0], (r[1], r[2], r[3]), rank, frequency[r[6]]) for rank, r in enumerate(rows) if r[0] not in planned]
    result = planning.plan(lines, len(days), settings.daily_lines)
    _insert_plan(programme.id, result.entries, days, {line.line_id: line.walk_order for line in lines})
    summary.entries, summary.lines, summary.working_days = len(result.entries), len(lines), len(days)
    summary.needed_per_day = result.needed_per_day
    summary.busiest_day = max(result.loads, default=0)
    summary.overloaded_days = result.overloaded(settings.daily_lines)
    record("cycle.plan", programme, by=by, after={"entries": summary.entries, "lines": summary.lines,
                                                 "start": days[0], "dropped": summary.dropped,
                                                 "needed_per_day": summary.needed_per_day})
    db.session.commit()
    return summary


def replan(code: str, *, today: dt.date | None = None, by: User | None = None) -> int:
    """Move the open entries due before ``today`` onto the working days from ``today``, in walking order,
    within the daily capacity (without one: the average planned load); returns how many moved."""
    programme = get(code)
    require(by, PLANNERS, N_("Only a manager re-plans a programme."))
    today = _date(today, "date") or dt.date.today()
    missed = db.session.execute(sa.select(CyclePlan.id, CyclePlan.walk_order).where(
        CyclePlan.programme_id == programme.id, CyclePlan.due_date < today,
        CyclePlan.status.in_(OPEN_STATUSES))).all()
    if not missed:
        return 0
    days = days_of(programme, today)
    if not days:
        raise CountappError(N_("Programme %(code)s has no working day left from %(start)s to %(end)s."),
                            field="date", code=programme.code, start=today.isoformat(),
                            end=programme.end_date.isoformat())
    loads_by_day = dict(db.session.execute(
        sa.select(CyclePlan.due_date, sa.func.count()).where(CyclePlan.programme_id == programme.id,
                                                             CyclePlan.due_date >= today,
                                                             CyclePlan.status.in_(OPEN_STATUSES))
        .group_by(CyclePlan.due_date)).all())
    capacity = settings_of(programme).daily_lines
    if not capacity:
        total = db.session.scalar(sa.select(sa.func.count()).select_from(CyclePlan)
                                  .where(CyclePlan.programme_id == programme.id)) or 0
        capacity = max(1, -(-total // max(1, len(days_of(programme)))))
    moved = planning.replan([(m.id, m.walk_order) for m in missed], len(days),
                            [loads_by_day.get(d, 0) for d in days], capacity)
    by_day: dict[int, list[int]] = {}
    for plan_id, index in moved.items():
        by_day.setdefault(index, []).append(plan_id)
    for index, ids in by_day.items():
        for chunk in range(0, len(ids), 500):
            db.session.execute(sa.update(CyclePlan).where(CyclePlan.id.in_(ids[chunk:chunk + 500]))
                               .values(due_date=days[index]))
    record("cycle.replan", programme, by=by, after={"today": today, "moved": len(moved)})
    db.session.commit()
    return len(moved)


# --- the due list and the calendar ----------------------------------------------------------------

@dataclass
class DueLine:
    plan_id: int
    round: int
    due_date: dt.date
    overdue: bool
    reference: str
    designation: str
    unit: str
    site: str
    zone: str
    location: str
    lot: str
    abc_class: str
    counted_by_round1: int | None = None


NEXT_ROUND = {"planned": 1, "round2": 2, "recount": 3}
_ROUND1 = shared_alias(CycleCount, "round1")


def due(code: str, day: dt.date | None = None, *, overdue: bool = True, place: str | None = None,
        user: User | None = None, limit: int | None = None) -> list[DueLine]:
    """The open entries due on ``day`` (and, with ``overdue``, still open from before), in walking order.

    Blind: nothing here tells a book quantity or a count. ``place`` keeps one site, zone or location;
    ``limit`` the first lines (a tablet's page: a programme far behind has a long overdue list).
    """
    programme = get(code)
    require(user, READERS, N_("You may not see this programme's due list."))
    day = _date(day, "date") or dt.date.today()
    when = CyclePlan.due_date <= day if overdue else CyclePlan.due_date == day
    query = (sa.select(CyclePlan.id, CyclePlan.status, CyclePlan.due_date, CycleItem.reference,
                       CycleItem.designation, CycleItem.unit, CycleLine.site, CycleLine.zone, CycleLine.location,
                       CycleLine.lot, CycleItem.abc_class, _ROUND1.counted_by_id)
             .join(CycleLine, CycleLine.id == CyclePlan.line_id)
             .join(CycleItem, CycleItem.id == CycleLine.item_id)
             .outerjoin(_ROUND1, sa.and_(_ROUND1.plan_id == CyclePlan.id, _ROUND1.round == 1,
                                         CyclePlan.status != "planned"))
             .where(CyclePlan.programme_id == programme.id, when, CyclePlan.status.in_(OPEN_STATUSES))
             .order_by(CyclePlan.walk_order, CyclePlan.pass_no))
    if place:
        query = query.where(sa.or_(CycleLine.site == place, CycleLine.zone == place, CycleLine.location == place))
    if limit:
        query = query.limit(limit)
    return [DueLine(r.id, NEXT_ROUND[r.status], r.due_date, r.due_date < day, r.reference, r.designation, r.unit,
                    r.site, r.zone, r.location, r.lot, r.abc_class, r.counted_by_id)
            for r in db.session.execute(query)]


@dataclass
class DayLoad:
    day: dt.date
    planned: int = 0
    open: int = 0
    done: int = 0

    def missed(self, today: dt.date) -> int:
        """The entries of this day still open once it is past: what ``replan`` moves."""
        return self.open if self.day < today else 0


def calendar(code: str, start: dt.date | None = None, end: dt.date | None = None) -> list[DayLoad]:
    """Every working day of the span (default the programme's year) with its entries: all, open, done."""
    programme = get(code)
    start, end = _date(start, "start") or programme.start_date, _date(end, "end") or programme.end_date
    settings = settings_of(programme)
    days = {d: DayLoad(d) for d in planning.working_days(start, end, settings.weekdays, settings.holidays)}
    rows = db.session.execute(
        sa.select(CyclePlan.due_date, CyclePlan.status, sa.func.count())
        .where(CyclePlan.programme_id == programme.id, CyclePlan.due_date >= start, CyclePlan.due_date <= end)
        .group_by(CyclePlan.due_date, CyclePlan.status)).all()
    for day, status, n in rows:
        load = days.setdefault(day, DayLoad(day))
        load.planned += n
        if status in OPEN_STATUSES:
            load.open += n
        else:
            load.done += n
    return [days[d] for d in sorted(days)]


# --- combined mode --------------------------------------------------------------------------------

@dataclass
class CombinedCheck:
    combined: bool = False
    missing_from_campaign: list[str] = field(default_factory=list)
    not_planned: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Nothing counted by neither the year-end campaign nor the cycles."""
        return not self.missing_from_campaign and not self.not_planned


def year_end_missing(campaign: Campaign) -> list[str]:
    """The items a programme linked to ``campaign`` leaves to year end that the campaign's stock lacks."""
    programme = db.session.scalar(sa.select(CycleProgramme).where(CycleProgramme.campaign_id == campaign.id))
    if programme is None:
        return []
    return combined_check(programme.code).missing_from_campaign


def combined_check(code: str) -> CombinedCheck:
    """Items counted by neither part: year-end items the campaign's stock does not hold, cycle lines with no
    planned count."""
    programme = get(code)
    check = CombinedCheck(combined=programme.campaign_id is not None)
    if check.combined:
        in_campaign = sa.select(Item.reference).where(Item.campaign_id == programme.campaign_id)
        check.missing_from_campaign = list(db.session.scalars(
            sa.select(CycleItem.reference).where(CycleItem.programme_id == programme.id,
                                                 CycleItem.year_end.is_(True),
                                                 CycleItem.reference.not_in(in_campaign))
            .order_by(CycleItem.reference)))
    check.not_planned = list(db.session.scalars(
        sa.select(CycleItem.reference).join(CycleLine, CycleLine.item_id == CycleItem.id)
        .where(CycleItem.programme_id == programme.id, CycleItem.year_end.is_(False),
               ~sa.exists().where(CyclePlan.line_id == CycleLine.id))
        .group_by(CycleItem.reference).order_by(CycleItem.reference)))
    return check
