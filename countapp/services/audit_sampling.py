"""Auditor test counts: draw a sample, count it in the audit round, compare and project.

The draw itself is pure (``reports.audit_sample``); this module gives it the population and keeps
the result. Candidates are named by what anyone can find again in the evidence file (a book line
as ``reference|location|lot``, a ticket by its printed number), so the same seed over the same
book stock gives the same sample, on this server or in a spreadsheet.

The audit round lives in ``audit_count`` only: nothing here writes to counts, tickets or the book.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from reports.audit_sample import (DIRECTIONS, MAX_SAMPLE, Candidate, Finding, Projection, draw_floor_to_sheet,
                                  draw_sheet_to_floor, project)
from tickets import numbering
from tickets.errors import Conflict, CountappError, N_, NotFound
from tickets.quantities import parse_quantity

from ..extensions import db
from ..models import (BookLine, Campaign, CampaignStatus, Count, Item, Location, Owner, PhysicalState, Ticket,
                      TicketStatus, User)
from ..models.audit_work import AuditCount, AuditSample, AuditSampleLine
from . import audit
from . import campaigns as campaign_service

MAX_SEED = 2**63 - 1
STATES = tuple(s.value for s in PhysicalState)


def _cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def book_key(reference: str, location: str, lot: str) -> str:
    return f"{reference}|{location}|{lot or ''}"


def _lock(campaign: Campaign) -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())


def _check_open(campaign: Campaign) -> None:
    campaign_service.check_not_closed(campaign)
    if campaign.status == CampaignStatus.PLANNING:
        raise CountappError(N_("Campaign %(code)s is still in planning: test counts start with the count, once the "
                               "book stock is frozen."), field="campaign", code=campaign.code)


def _book_population(campaign: Campaign) -> tuple[list[Candidate], dict[str, tuple]]:
    """Own book lines on site, valued at book: third parties' goods and ours held elsewhere are not in it."""
    rows = db.session.execute(
        sa.select(BookLine.id, Item.reference, Location.code, BookLine.lot, BookLine.book_qty, BookLine.unit_cost,
                  BookLine.item_id, BookLine.location_id)
        .join(Item, Item.id == BookLine.item_id).join(Location, Location.id == BookLine.location_id)
        .where(BookLine.campaign_id == campaign.id, BookLine.owner == Owner.OWN))
    candidates, facts = [], {}
    for r in rows:
        key = book_key(r.reference, r.code, r.lot)
        value = _cents(r.book_qty * r.unit_cost)
        candidates.append(Candidate(key, value))
        facts[key] = (r.id, r.item_id, r.location_id, r.lot, r.book_qty, r.unit_cost, value, None)
    return candidates, facts


def _ticket_population(campaign: Campaign) -> tuple[list[Candidate], dict[str, tuple]]:
    """Issued, live tickets of goods on site: what an auditor can find on the floor by its stub."""
    rows = db.session.execute(
        sa.select(Ticket.id, Ticket.sequence, Ticket.lot, Ticket.item_id, Ticket.location_id, BookLine.id,
                  BookLine.item_id, BookLine.location_id, BookLine.lot, BookLine.book_qty, BookLine.unit_cost,
                  BookLine.owner)
        .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
        .where(Ticket.campaign_id == campaign.id, Ticket.status.not_in([TicketStatus.VOIDED, TicketStatus.CREATED])))
    candidates, facts = [], {}
    for (ticket_id, sequence, ticket_lot, t_item, t_location, line_id, l_item, l_location, l_lot, book_qty, cost,
         owner) in rows:
        item_id, location_id = l_item or t_item, l_location or t_location
        if item_id is None or location_id is None:
            continue  # a blank ticket nobody has used yet: nothing on the floor carries it
        key = numbering.format_number(sequence, campaign.fiscal_year)
        value = _cents(book_qty * cost) if line_id is not None and owner == Owner.OWN else Decimal(0)
        candidates.append(Candidate(key, value))
        facts[key] = (None, item_id, location_id, l_lot if line_id else ticket_lot, book_qty, cost or Decimal(0),
                      value, ticket_id)
    return candidates, facts


def draw(code: str, *, direction: str, seed: int | None = None, key_count: int = 0,
         key_threshold: Decimal | None = None, random_count: int = 0, note: str = "", by: User) -> AuditSample:
    """Draw and keep a sample; without a seed one is chosen and kept, so the draw can be re-performed."""
    campaign = campaign_service.get(code)
    _check_open(campaign)
    if direction not in DIRECTIONS:
        raise CountappError(N_("Choose the direction: sheet to floor or floor to sheet."), field="direction")
    if seed is None:
        seed = secrets.randbelow(10**9)
    if isinstance(seed, bool) or not 0 <= int(seed) <= MAX_SEED:
        raise CountappError(N_("The seed is a whole number from 0 to %(max)s."), field="seed", max=MAX_SEED)
    for name, value in (("key_count", key_count), ("random_count", random_count)):
        if not 0 <= int(value or 0) <= MAX_SAMPLE:
            raise CountappError(N_("A sample takes from 0 to %(max)s lines."), field=name, max=MAX_SAMPLE)
    if key_threshold is not None and Decimal(key_threshold) < 0:
        raise CountappError(N_("The value threshold cannot be negative."), field="key_threshold")
    if direction == "sheet_to_floor":
        candidates, facts = _book_population(campaign)
        result = draw_sheet_to_floor(candidates, int(seed), key_count=int(key_count or 0),
                                     key_threshold=key_threshold, random_count=int(random_count or 0))
    else:
        key_count, key_threshold = 0, None
        candidates, facts = _ticket_population(campaign)
        result = draw_floor_to_sheet(candidates, int(seed), size=int(random_count or 0))
    if not result.lines:
        raise CountappError(N_("The sample is empty: ask for at least one line, from a population that has some."),
                            field="random_count")
    _lock(campaign)
    number = (db.session.scalar(sa.select(sa.func.max(AuditSample.number))
                                .where(AuditSample.campaign_id == campaign.id)) or 0) + 1
    sample = AuditSample(campaign_id=campaign.id, number=number, direction=direction, seed=int(seed),
                         key_count=int(key_count or 0), key_threshold=key_threshold,
                         random_count=int(random_count or 0),
                         population_count=result.population_count, population_value=result.population_value,
                         random_population_count=result.random_population_count,
                         random_population_value=result.random_population_value, note=(note or "").strip()[:2000],
                         created_by_id=by.id)
    db.session.add(sample)
    db.session.flush()
    rows = []
    for position, drawn in enumerate(result.lines, start=1):
        line_id, item_id, location_id, lot, book_qty, cost, value, ticket_id = facts[drawn.key]
        rows.append({"sample_id": sample.id, "position": position, "stratum": drawn.stratum, "ticket_id": ticket_id,
                     "book_line_id": line_id, "item_id": item_id, "location_id": location_id, "lot": lot or "",
                     "book_qty": book_qty, "unit_cost": cost, "value": value, "rank": drawn.rank,
                     "added_by_id": by.id, "added_at": datetime.now(timezone.utc)})
    db.session.execute(sa.insert(AuditSampleLine), rows)
    audit.record("audit.sample", campaign=campaign, entity="audit_sample", entity_id=number, user=by,
                 after={"direction": direction, "seed": int(seed), "key_count": sample.key_count,
                        "key_threshold": key_threshold, "random_count": sample.random_count, "lines": len(rows),
                        "population_count": result.population_count,
                        "population_value": result.population_value})
    db.session.commit()
    return sample


def get_sample(campaign: Campaign, number: int) -> AuditSample:
    sample = db.session.scalar(sa.select(AuditSample).where(AuditSample.campaign_id == campaign.id,
                                                            AuditSample.number == number))
    if sample is None:
        raise NotFound(N_("Campaign %(code)s has no sample %(number)s."), field="sample", code=campaign.code,
                       number=number)
    return sample


def samples(campaign: Campaign) -> list[AuditSample]:
    return list(db.session.scalars(sa.select(AuditSample).where(AuditSample.campaign_id == campaign.id)
                                   .order_by(AuditSample.number)))


def add_chosen_line(code: str, number: int, *, ticket: str = "", reference: str = "", location: str = "",
                    lot: str = "", by: User) -> AuditSampleLine:
    """Floor to sheet: goods the auditor picks on the spot, by the ticket on them or, with none, by what they are."""
    campaign = campaign_service.get(code)
    _check_open(campaign)
    sample = get_sample(campaign, number)
    if sample.direction != "floor_to_sheet":
        raise CountappError(N_("Only a floor to sheet sample takes lines chosen on the floor."), field="ticket")
    values: dict = {"ticket_id": None, "book_line_id": None, "lot": (lot or "").strip()[:80]}
    if (ticket or "").strip():
        sequence = numbering.parse_number(ticket, campaign.fiscal_year)
        found = db.session.scalar(sa.select(Ticket).where(Ticket.campaign_id == campaign.id,
                                                          Ticket.sequence == sequence))
        if found is None:
            raise NotFound(N_("Ticket %(ticket)s does not exist in campaign %(code)s."), field="ticket",
                           ticket=numbering.format_number(sequence, campaign.fiscal_year), code=campaign.code)
        line = found.book_line
        values.update(ticket_id=found.id, item_id=line.item_id if line else found.item_id,
                      location_id=line.location_id if line else found.location_id,
                      lot=line.lot if line else found.lot or "")
        label = numbering.format_number(found.sequence, campaign.fiscal_year)
    else:
        item = db.session.scalar(sa.select(Item).where(Item.campaign_id == campaign.id,
                                                       Item.reference == (reference or "").strip()))
        if item is None:
            raise CountappError(N_("Give the ticket number found on the goods, or the reference and the location of "
                                   "goods that carry none."), field="reference")
        place = db.session.scalar(sa.select(Location).where(Location.campaign_id == campaign.id,
                                                            Location.code == (location or "").strip()))
        if place is None:
            raise CountappError(N_("Unknown location %(location)s."), field="location", location=(location or "")[:60])
        line = db.session.scalar(sa.select(BookLine).where(BookLine.campaign_id == campaign.id,
                                                           BookLine.item_id == item.id,
                                                           BookLine.location_id == place.id,
                                                           BookLine.lot == values["lot"]))
        values.update(item_id=item.id, location_id=place.id, book_line_id=line.id if line else None)
        label = book_key(item.reference, place.code, values["lot"])
    book_qty = line.book_qty if line else None
    cost = line.unit_cost if line else (db.session.scalar(sa.select(sa.func.max(BookLine.unit_cost)).where(
        BookLine.campaign_id == campaign.id, BookLine.item_id == values["item_id"])) or Decimal(0))
    _lock(campaign)
    position = (db.session.scalar(sa.select(sa.func.max(AuditSampleLine.position))
                                  .where(AuditSampleLine.sample_id == sample.id)) or 0) + 1
    row = AuditSampleLine(sample_id=sample.id, position=position, stratum="chosen", book_qty=book_qty, unit_cost=cost,
                          value=_cents((book_qty or 0) * cost) if line and line.owner == Owner.OWN else Decimal(0),
                          rank="", added_by_id=by.id, **values)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("%(what)s is already in sample %(number)s."), field="ticket", what=label,
                       number=number) from None
    audit.record("audit.sample_line", campaign=campaign, entity="audit_sample", entity_id=number, user=by,
                 after={"position": position, "stratum": "chosen", "what": label})
    db.session.commit()
    return row


# --- the audit round ------------------------------------------------------------------------------------

def current_audit_counts(line_ids) -> dict[int, AuditCount]:
    """The newest entry of each line: the original or its latest correction."""
    ids = list(line_ids)
    if not ids:
        return {}
    later = sa.orm.aliased(AuditCount)
    newer = sa.select(later.id).where(later.supersedes_id == AuditCount.id).exists()
    return {c.line_id: c for c in db.session.scalars(sa.select(AuditCount).where(AuditCount.line_id.in_(ids), ~newer))}


def record_count(code: str, number: int, position: int, *, quantity, state: str = "good", note: str = "",
                 reason: str = "", by: User) -> AuditCount:
    """The auditor's count of one sample line; a second entry supersedes the first and needs a reason."""
    campaign = campaign_service.get(code)
    _check_open(campaign)
    sample = get_sample(campaign, number)
    line = db.session.scalar(sa.select(AuditSampleLine).where(AuditSampleLine.sample_id == sample.id,
                                                              AuditSampleLine.position == position))
    if line is None:
        raise NotFound(N_("Sample %(number)s has no line %(position)s."), field="line", number=number,
                       position=position)
    unit = line.item.unit if line.item else None
    value = parse_quantity(quantity, unit=unit)
    state = (state or "good").strip().lower()
    if state not in STATES:
        raise CountappError(N_("Unknown state %(value)s: choose good, damaged, obsolete or expired."), field="state",
                            value=state[:40])
    earlier = current_audit_counts([line.id]).get(line.id)
    reason = (reason or "").strip()[:2000]
    if earlier is not None and not reason:
        raise CountappError(N_("Line %(position)s already has your count (%(quantity)s): give a reason to correct "
                               "it."), field="reason", position=position, quantity=str(earlier.quantity.normalize()))
    entry = AuditCount(line_id=line.id, quantity=value, state=state, note=(note or "").strip()[:2000],
                       counted_by_id=by.id, counted_at=datetime.now(timezone.utc),
                       supersedes_id=earlier.id if earlier else None, correction_reason=reason if earlier else "")
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(N_("Line %(position)s was counted in the meantime: reload the page."), field="line",
                       position=position) from None
    audit.record("audit.count", campaign=campaign, entity="audit_sample", entity_id=f"{number}/{position}", user=by,
                 before={"quantity": earlier.quantity} if earlier else None,
                 after={"quantity": value, "state": state, "reason": entry.correction_reason})
    db.session.commit()
    return entry


# --- comparison and projection ------------------------------------------------------------------------

@dataclass
class SampleRow:
    line: AuditSampleLine
    label: str                    # ticket number, else reference|location|lot
    tickets: list[str]            # the tickets that carry these goods (to find them on the floor)
    reference: str
    designation: str
    location: str
    unit: str
    recorded_qty: Decimal | None  # the teams' count (final, else the latest round in)
    recorded_final: bool
    audited: AuditCount | None
    vs_records: Finding
    vs_book: Finding


@dataclass
class SampleResult:
    sample: AuditSample
    rows: list[SampleRow]
    vs_records: Projection
    vs_book: Projection

    @property
    def counted(self) -> int:
        return sum(1 for r in self.rows if r.audited is not None)

    @property
    def differences(self) -> list[SampleRow]:
        return [r for r in self.rows if r.vs_records.diff_qty not in (None, Decimal(0))]


def _recorded(campaign: Campaign, tickets: list[int]) -> dict[int, tuple[Decimal | None, bool]]:
    """Per ticket: the final quantity, else the latest count of the highest round in (provisional)."""
    if not tickets:
        return {}
    later = sa.orm.aliased(Count)
    newer = sa.select(later.id).where(later.supersedes_id == Count.id).exists()
    latest: dict[int, tuple[int, Decimal]] = {}
    for ticket_id, round_, quantity in db.session.execute(
            sa.select(Count.ticket_id, Count.round, Count.quantity).where(Count.ticket_id.in_(tickets), ~newer)):
        if ticket_id not in latest or round_ > latest[ticket_id][0]:
            latest[ticket_id] = (round_, quantity)
    result = {}
    for ticket_id, status, final_qty in db.session.execute(
            sa.select(Ticket.id, Ticket.status, Ticket.final_qty).where(Ticket.id.in_(tickets))):
        if status == TicketStatus.FINAL and final_qty is not None:
            result[ticket_id] = (final_qty, True)
        elif status == TicketStatus.VOIDED:
            result[ticket_id] = (None, False)
        else:
            result[ticket_id] = (latest[ticket_id][1] if ticket_id in latest else None, False)
    return result


def _tickets_at(campaign: Campaign, places: set[tuple[int, int, str]]) -> dict[tuple, list[tuple[int, int]]]:
    """Live tickets per (item, location, lot): pre-referenced through their book line, blank ones as named."""
    if not places:
        return {}
    found: dict[tuple, list[int]] = {}
    items = {p[0] for p in places}
    query = (sa.select(Ticket.id, Ticket.sequence, sa.func.coalesce(BookLine.item_id, Ticket.item_id),
                       sa.func.coalesce(BookLine.location_id, Ticket.location_id),
                       sa.case((BookLine.id.is_not(None), BookLine.lot), else_=Ticket.lot))
             .outerjoin(BookLine, BookLine.id == Ticket.book_line_id)
             .where(Ticket.campaign_id == campaign.id, Ticket.status != TicketStatus.VOIDED,
                    sa.func.coalesce(BookLine.item_id, Ticket.item_id).in_(items)))
    for ticket_id, sequence, item_id, location_id, lot in db.session.execute(query.order_by(Ticket.sequence)):
        key = (item_id, location_id, lot or "")
        if key in places:
            found.setdefault(key, []).append((ticket_id, sequence))
    return found


def result(campaign: Campaign, sample: AuditSample) -> SampleResult:
    """Every line with the teams' count, the book and the auditor's count; differences projected."""
    lines = list(db.session.scalars(sa.select(AuditSampleLine).where(AuditSampleLine.sample_id == sample.id)
                                    .order_by(AuditSampleLine.position)
                                    .options(sa.orm.selectinload(AuditSampleLine.item),
                                             sa.orm.selectinload(AuditSampleLine.location),
                                             sa.orm.selectinload(AuditSampleLine.ticket))))
    audited = current_audit_counts(line.id for line in lines)
    places = {(l.item_id, l.location_id, l.lot or "") for l in lines if l.ticket_id is None}
    by_place = _tickets_at(campaign, places)
    ticket_ids = {l.ticket_id for l in lines if l.ticket_id} | {t for ts in by_place.values() for t, _ in ts}
    recorded = _recorded(campaign, sorted(ticket_ids))
    rows = []
    for line in lines:
        if line.ticket_id is not None:
            qty, final = recorded.get(line.ticket_id, (None, False))
            label = numbering.format_number(line.ticket.sequence, campaign.fiscal_year)
            carried = [label]
        else:
            tickets = by_place.get((line.item_id, line.location_id, line.lot or ""), [])
            carried = [numbering.format_number(sequence, campaign.fiscal_year) for _, sequence in tickets]
            values = [recorded.get(t, (None, False)) for t, _ in tickets]
            if not tickets:
                # Goods on the floor that no ticket covers: the records hold nothing for them.
                qty, final = Decimal(0), True
            elif any(v[0] is None for v in values):
                qty, final = None, False
            else:
                qty, final = sum((v[0] for v in values), Decimal(0)), all(v[1] for v in values)
            label = book_key(line.item.reference if line.item else "?", line.location.code if line.location else "?",
                             line.lot)
        count = audited.get(line.id)
        mine = count.quantity if count else None
        base = dict(key=label, stratum=line.stratum, audited_qty=mine, unit_cost=line.unit_cost, book_value=line.value)
        book = line.book_qty if line.book_qty is not None else (Decimal(0) if line.ticket_id is None else None)
        rows.append(SampleRow(
            line, label, carried, line.item.reference if line.item else "", line.item.designation if line.item else "",
            line.location.code if line.location else "", line.item.unit if line.item else "", qty, final, count,
            Finding(recorded_qty=qty, **base), Finding(recorded_qty=book, **base)))
    population = dict(population_count=sample.random_population_count,
                      population_value=sample.random_population_value)
    return SampleResult(sample, rows, project([r.vs_records for r in rows], **population),
                        project([r.vs_book for r in rows], **population))


def count_rows(campaign: Campaign):
    """Every entry of the audit round (corrections included), for the evidence file."""
    return db.session.execute(
        sa.select(AuditSample.number, AuditSampleLine.position, AuditSampleLine.stratum, AuditCount.id,
                  AuditCount.quantity, AuditCount.state, AuditCount.note, AuditCount.counted_at,
                  AuditCount.supersedes_id, AuditCount.correction_reason, User.login)
        .join(AuditSampleLine, AuditSampleLine.id == AuditCount.line_id)
        .join(AuditSample, AuditSample.id == AuditSampleLine.sample_id)
        .outerjoin(User, User.id == AuditCount.counted_by_id)
        .where(AuditSample.campaign_id == campaign.id).order_by(AuditCount.id)).all()
