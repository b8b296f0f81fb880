"""Coverage and accuracy of a cycle-count programme, and the auditor's test counts drawn from it."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa

from cycles import coverage as coverage_rules
from cycles.coverage import CoverageRow
from cycles.money import cents
from tickets.errors import CountappError, N_

from ..extensions import db
from ..models import Role, User
from ..models.cycles import OPEN_STATUSES, CycleAdjustment, CycleItem, CycleLine, CyclePlan
from . import cycles as programmes

if TYPE_CHECKING:
    from reports.annual_data import CycleCoverage

DONE = ("difference", "settled", "adjusted")
SAMPLERS = (Role.AUDITOR, Role.MANAGER)
MAX_SAMPLE = 1000


@dataclass
class Coverage:
    rows: list[CoverageRow]
    by_class: list[CoverageRow]
    total: CoverageRow
    items_counted: int
    items_total: int
    year_end_items: int
    combined: programmes.CombinedCheck = field(default_factory=programmes.CombinedCheck)

    @property
    def items_pct(self) -> Decimal | None:
        return coverage_rules._pct(self.items_counted, self.items_total)


def coverage(code: str, *, today: dt.date | None = None) -> Coverage:
    """Per class × site × zone, per class and in total: lines counted at least once, overdue entries,
    counts within tolerance, value of differences. Items counted at year end are left out (combined)."""
    programme = programmes.get(code)
    today = programmes._date(today, "date") or dt.date.today()
    done = CyclePlan.status.in_(DONE)
    diff = sa.case((done, CyclePlan.final_qty - CyclePlan.book_qty), else_=0)
    rows = db.session.execute(
        sa.select(CycleLine.id, CycleItem.reference, CycleItem.abc_class, CycleLine.site, CycleLine.zone,
                  CycleItem.unit_cost,
                  sa.func.count(CyclePlan.id).filter(done),
                  sa.func.count(CyclePlan.id).filter(CyclePlan.status.in_(OPEN_STATUSES),
                                                     CyclePlan.due_date < today),
                  sa.func.count(CyclePlan.id).filter(done, CyclePlan.first_within.is_(True)))
        .join(CycleItem, CycleItem.id == CycleLine.item_id)
        .outerjoin(CyclePlan, CyclePlan.line_id == CycleLine.id)
        .where(CycleLine.programme_id == programme.id, CycleItem.year_end.is_(False))
        .group_by(CycleLine.id, CycleItem.reference, CycleItem.abc_class, CycleLine.site, CycleLine.zone,
                  CycleItem.unit_cost)).all()
    # Differences per line, valued line by count (each rounded to the cent once).
    values: dict[int, list[int]] = {}
    for line_id, difference, unit_cost in db.session.execute(
            sa.select(CyclePlan.line_id, diff, CycleItem.unit_cost)
            .join(CycleLine, CycleLine.id == CyclePlan.line_id).join(CycleItem, CycleItem.id == CycleLine.item_id)
            .where(CyclePlan.programme_id == programme.id, done, CyclePlan.final_qty != CyclePlan.book_qty)):
        values.setdefault(line_id, []).append(cents(Decimal(difference), unit_cost))
    facts = [coverage_rules.LineFacts(r[1], r[2], r[3], r[4], r[6], r[7], r[8],
                                      sum(abs(v) for v in values.get(r[0], ())), sum(values.get(r[0], ())))
             for r in rows]
    figures = coverage_rules.coverage(facts)
    year_end = db.session.scalar(sa.select(sa.func.count()).select_from(CycleItem).where(
        CycleItem.programme_id == programme.id, CycleItem.year_end.is_(True))) or 0
    return Coverage(figures.rows, figures.by_class, figures.total, figures.items_counted, figures.items_total,
                    year_end, programmes.combined_check(code))


@dataclass
class SampleLine:
    line_id: int
    reference: str
    designation: str
    site: str
    zone: str
    location: str
    lot: str
    unit: str
    abc_class: str
    last_counted_on: dt.date | None
    last_final_qty: Decimal | None
    book_qty: Decimal


def draw_test_sample(code: str, *, size: int, seed: int | None = None, by: User | None = None) -> list[SampleLine]:
    """Lines for the auditor's own test counts: at random, class A first (half the sample when it has that
    many), then the rest; each with its last cycle count and its book quantity at the stock date."""
    programme = programmes.get(code)
    programmes.require(by, SAMPLERS, N_("Only an auditor or a manager draws test counts."))
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SAMPLE:
        raise CountappError(N_("The sample size must be a whole number from 1 to %(max)s."), field="size",
                            max=MAX_SAMPLE)
    rows = db.session.execute(
        sa.select(CycleLine.id, CycleItem.reference, CycleItem.designation, CycleLine.site, CycleLine.zone,
                  CycleLine.location, CycleLine.lot, CycleItem.unit, CycleItem.abc_class, CycleLine.book_qty)
        .join(CycleItem, CycleItem.id == CycleLine.item_id)
        .where(CycleLine.programme_id == programme.id, CycleItem.year_end.is_(False))
        .order_by(CycleLine.id)).all()
    chooser = random.Random(seed)
    class_a = [r for r in rows if r.abc_class == "A"]
    others = [r for r in rows if r.abc_class != "A"]
    first = chooser.sample(class_a, min(len(class_a), (size + 1) // 2))
    rest = chooser.sample(others, min(len(others), size - len(first)))
    if len(first) + len(rest) < size:
        left = [r for r in class_a if r not in first]
        first += chooser.sample(left, min(len(left), size - len(first) - len(rest)))
    chosen = sorted(first + rest, key=lambda r: (r.site, r.zone, r.location, r.reference, r.lot))
    last = {}
    if chosen:
        for line_id, day, qty in db.session.execute(
                sa.select(CyclePlan.line_id, CyclePlan.counted_on, CyclePlan.final_qty)
                .where(CyclePlan.line_id.in_([r.id for r in chosen]), CyclePlan.status.in_(DONE))
                .order_by(CyclePlan.counted_on)):
            last[line_id] = (day, qty)
    out = [SampleLine(r.id, r.reference, r.designation, r.site, r.zone, r.location, r.lot, r.unit, r.abc_class,
                      *last.get(r.id, (None, None)), r.book_qty) for r in chosen]
    programmes.record("cycle.sample", programme, by=by, after={"size": size, "seed": seed,
                                                              "lines": [s.line_id for s in out]})
    db.session.commit()
    return out


def annual_section(campaign) -> "CycleCoverage | None":
    """The annual report's cycle-count section for the campaign's fiscal year (None: no programme then).

    The programme linked to the campaign (combined mode), else one of the same fiscal year; overdue as of
    the closing date.
    """
    from reports.annual_data import CycleClassRow, CycleCoverage

    programme = programmes.programme_for_campaign(campaign)
    if programme is None:
        return None
    figures = coverage(programme.code, today=campaign.closing_date)

    def money(amount_cents: int) -> Decimal:
        return Decimal(amount_cents).scaleb(-2).quantize(Decimal("0.01"))

    def fraction(pct: Decimal | None) -> Decimal | None:
        return None if pct is None else pct / 100

    rows = [CycleClassRow(r.abc_class, r.lines, r.counted_once, fraction(r.coverage_pct), r.overdue, r.counts,
                          r.within, fraction(r.accuracy_pct), money(r.difference_cents), money(r.net_cents))
            for r in [*figures.by_class, figures.total]]
    adjusted = db.session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(CycleAdjustment.value_cents), 0))
                                  .where(CycleAdjustment.programme_id == programme.id)).one()
    check = figures.combined
    return CycleCoverage(programme.code, rows, figures.items_counted, figures.items_total, figures.year_end_items,
                         int(adjusted[0]), money(int(adjusted[1])),
                         check.missing_from_campaign + check.not_planned)
