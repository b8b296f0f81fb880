"""Cycle counting (inventaire tournant, issue 21): a programme per fiscal year, its items and places, the
plan of counts over the working days, the counts (append-only) and the accepted adjustments (append-only).

A programme has its own items and lines (from a stock file, like a campaign's) so that it lives the whole
year without a campaign; in combined mode it names the year-end campaign that counts its chosen items.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cycles.settings import CLASSES  # noqa: F401  (the classes A, B, C: re-exported for the services)

from ..extensions import db
from .base import COST, QTY, created_at, enum_type
from .enums import Category, PhysicalState
from .users import User

# A planned count's life: planned → (round2 → (recount →)) counted → settled or adjusted.
PLAN_STATUSES = ("planned", "round2", "recount", "difference", "settled", "adjusted")
OPEN_STATUSES = ("planned", "round2", "recount")


class CycleProgramme(db.Model):
    __tablename__ = "cycle_programme"
    __table_args__ = (
        sa.CheckConstraint("length(code) > 0", name="code_not_empty"),
        sa.CheckConstraint("fiscal_year BETWEEN 1900 AND 2999", name="fiscal_year"),
        sa.CheckConstraint("start_date <= end_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    fiscal_year: Mapped[int]
    start_date: Mapped[dt.date]          # first day of the fiscal year
    end_date: Mapped[dt.date]            # its closing date
    # Combined mode: the year-end campaign that counts the items chosen for year-end.
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign.id"))
    # The date the imported book quantities are at (None: no stock imported yet).
    stock_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    # abc, frequency, daily_lines, holidays, year_end, tolerance (cycles.settings validates them).
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[dt.datetime] = created_at()

    campaign: Mapped["Campaign | None"] = relationship()  # noqa: F821


class CycleItem(db.Model):
    __tablename__ = "cycle_item"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "reference"),
        sa.CheckConstraint("length(reference) > 0", name="reference_not_empty"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("abc_class IN ('A', 'B', 'C')", name="abc_class"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_programme.id"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(120))
    designation: Mapped[str] = mapped_column(sa.String(300), default="")
    unit: Mapped[str] = mapped_column(sa.String(20))
    category: Mapped[Category] = mapped_column(enum_type(Category, "cycle_item_category"))
    unit_cost: Mapped[Decimal] = mapped_column(COST)
    # Annual consumption value in cents (issues × unit cost; stock value when no issue is known).
    consumption_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    abc_class: Mapped[str] = mapped_column(sa.String(1), default="C")
    class_by_hand: Mapped[bool] = mapped_column(default=False)
    # Combined mode: counted by the year-end campaign, not in cycles.
    year_end: Mapped[bool] = mapped_column(default=False)


class CycleLine(db.Model):
    """An item at a place (and lot): what one count covers; its book quantity at the programme's stock date."""

    __tablename__ = "cycle_line"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "item_id", "location", "lot"),
        # What a plan entry's (line, programme) key refers to.
        sa.UniqueConstraint("id", "programme_id"),
        sa.CheckConstraint("book_qty >= 0", name="book_qty_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_programme.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_item.id"), index=True)
    site: Mapped[str] = mapped_column(sa.String(80), default="")
    zone: Mapped[str] = mapped_column(sa.String(80), default="")
    location: Mapped[str] = mapped_column(sa.String(120))
    lot: Mapped[str] = mapped_column(sa.String(80), default="")
    book_qty: Mapped[Decimal] = mapped_column(QTY)

    item: Mapped[CycleItem] = relationship()


class CycleMovement(db.Model):
    """A movement after (or before) the stock date: moves the book quantity at the moment of counting."""

    __tablename__ = "cycle_movement"
    __table_args__ = (sa.Index("ix_cycle_movement_line_date", "line_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_programme.id"), index=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_line.id"))
    date: Mapped[dt.date]
    quantity: Mapped[Decimal] = mapped_column(QTY)
    kind: Mapped[str] = mapped_column(sa.String(20), default="receipt")
    document: Mapped[str] = mapped_column(sa.String(80), default="")


class CyclePlan(db.Model):
    """One planned count of a line (its ``pass_no``-th of the year) and where it stands.

    Not a count: its date moves when a missed count is re-planned, and its status follows the counts.
    """

    __tablename__ = "cycle_plan"
    __table_args__ = (
        sa.UniqueConstraint("line_id", "pass_no"),
        # One key checks both: the line exists and is the programme's (one check per row of a large plan).
        sa.ForeignKeyConstraint(["line_id", "programme_id"], ["cycle_line.id", "cycle_line.programme_id"]),
        sa.CheckConstraint(f"status IN ({', '.join(repr(s) for s in PLAN_STATUSES)})", name="status"),
        # The due list of a day: programme, date, open statuses, in walking order.
        sa.Index("ix_cycle_plan_due", "programme_id", "due_date", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int]
    # (line, pass) is unique: that index also finds a line's entries.
    line_id: Mapped[int]
    pass_no: Mapped[int]
    planned_date: Mapped[dt.date]        # as first planned
    due_date: Mapped[dt.date]            # after re-planning
    walk_order: Mapped[int] = mapped_column(default=0)   # the place order of the day (site, zone, location)
    status: Mapped[str] = mapped_column(sa.String(12), default="planned")
    counted_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    # Book quantity at the moment of counting (stock date ± movements to the cut-off of counted_on).
    book_qty: Mapped[Decimal | None] = mapped_column(QTY)
    final_qty: Mapped[Decimal | None] = mapped_column(QTY)
    first_within: Mapped[bool | None] = mapped_column()   # round 1 within tolerance of book (accuracy)

    line: Mapped[CycleLine] = relationship()


class CycleCount(db.Model):
    """One entry of a round of a planned count; never changed nor deleted."""

    __tablename__ = "cycle_count"
    __table_args__ = (
        sa.UniqueConstraint("plan_id", "round"),
        sa.CheckConstraint("round IN (1, 2, 3)", name="round"),
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_programme.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_plan.id"), index=True)
    round: Mapped[int]
    quantity: Mapped[Decimal] = mapped_column(QTY)
    state: Mapped[PhysicalState] = mapped_column(enum_type(PhysicalState, "cycle_physical_state"),
                                                 default=PhysicalState.GOOD)
    counted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    counted_by_name: Mapped[str] = mapped_column(sa.String(200), default="")
    counted_on: Mapped[dt.date]
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    recorded_at: Mapped[dt.datetime] = created_at()

    counted_by: Mapped[User | None] = relationship()


class CycleAdjustment(db.Model):
    """An accepted difference of a planned count: a line for the ERP and the accounts; never changed."""

    __tablename__ = "cycle_adjustment"
    __table_args__ = (sa.UniqueConstraint("plan_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_programme.id"), index=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_plan.id"))
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("cycle_line.id"))
    counted_on: Mapped[dt.date]
    book_qty: Mapped[Decimal] = mapped_column(QTY)
    counted_qty: Mapped[Decimal] = mapped_column(QTY)
    difference: Mapped[Decimal] = mapped_column(QTY)       # counted − book
    unit_cost: Mapped[Decimal] = mapped_column(COST)
    value_cents: Mapped[int] = mapped_column(sa.BigInteger)  # difference × unit cost, to the cent, signed
    cause: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    accepted_at: Mapped[dt.datetime] = created_at()

    line: Mapped[CycleLine] = relationship()
