"""The auditor's own work: test count samples and the audit round, floor records of ticket numbers,
confirmations from third parties holding our goods, and seals of the audit log.

All of it is evidence: rows are only ever added (database triggers refuse UPDATE and DELETE).
A correction is a new row; the newest one is the answer. Nothing here ever touches the counts of
rounds 1 to 3, the tickets or the book.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import COST, MONEY, QTY, created_at, enum_type
from .enums import PhysicalState
from .stock import BookLine, Item, Location
from .teams import Team
from .tickets import Ticket
from .users import User


class AuditSample(db.Model):
    """A sample drawn by an auditor, reproducible from its seed."""

    __tablename__ = "audit_sample"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "number"),
        sa.CheckConstraint("direction IN ('sheet_to_floor', 'floor_to_sheet')", name="direction"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("key_count >= 0 AND random_count >= 0", name="sizes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    number: Mapped[int]
    direction: Mapped[str] = mapped_column(sa.String(20))
    seed: Mapped[int] = mapped_column(sa.BigInteger)
    key_count: Mapped[int] = mapped_column(default=0)
    key_threshold: Mapped[Decimal | None] = mapped_column(MONEY)
    random_count: Mapped[int] = mapped_column(default=0)
    # The population at the draw, which the random part's errors are projected to.
    population_count: Mapped[int] = mapped_column(default=0)
    population_value: Mapped[Decimal] = mapped_column(MONEY, default=0)
    random_population_count: Mapped[int] = mapped_column(default=0)
    random_population_value: Mapped[Decimal] = mapped_column(MONEY, default=0)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = created_at()

    created_by: Mapped[User | None] = relationship()
    lines: Mapped[list["AuditSampleLine"]] = relationship(back_populates="sample",
                                                          order_by="AuditSampleLine.position")


class AuditSampleLine(db.Model):
    """One thing to count: a book line (sheet to floor), a ticket or goods found on the floor (floor to sheet).

    Book quantity and unit cost are copied at the draw: the book snapshot is frozen once counting
    starts, and the copy keeps the sample readable on its own in the evidence file.
    """

    __tablename__ = "audit_sample_line"
    __table_args__ = (
        sa.UniqueConstraint("sample_id", "position"),
        sa.UniqueConstraint("sample_id", "ticket_id"),
        sa.UniqueConstraint("sample_id", "book_line_id"),
        sa.CheckConstraint("stratum IN ('key', 'random', 'chosen')", name="stratum"),
        sa.CheckConstraint("position > 0", name="position_positive"),
        sa.CheckConstraint("ticket_id IS NOT NULL OR book_line_id IS NOT NULL OR "
                           "(item_id IS NOT NULL AND location_id IS NOT NULL)", name="names_what"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_sample.id"), index=True)
    position: Mapped[int]
    stratum: Mapped[str] = mapped_column(sa.String(10))
    ticket_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ticket.id"))
    book_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("book_line.id"))
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(sa.String(80), default="")
    book_qty: Mapped[Decimal | None] = mapped_column(QTY)
    unit_cost: Mapped[Decimal] = mapped_column(COST, default=0)
    value: Mapped[Decimal] = mapped_column(MONEY, default=0)
    rank: Mapped[str] = mapped_column(sa.String(64), default="")
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    added_at: Mapped[dt.datetime] = created_at()

    sample: Mapped[AuditSample] = relationship(back_populates="lines")
    ticket: Mapped[Ticket | None] = relationship()
    book_line: Mapped[BookLine | None] = relationship()
    item: Mapped[Item | None] = relationship()
    location: Mapped[Location | None] = relationship()


class AuditCount(db.Model):
    """The audit round: the auditor's own count of a sample line. Rounds 1 to 3 live in ``count``, never here."""

    __tablename__ = "audit_count"
    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint("supersedes_id IS NULL OR length(correction_reason) > 0", name="correction_has_reason"),
        sa.Index("uq_audit_count_line_original", "line_id", unique=True,
                 sqlite_where=sa.text("supersedes_id IS NULL"), postgresql_where=sa.text("supersedes_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("audit_sample_line.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(QTY)
    state: Mapped[PhysicalState] = mapped_column(enum_type(PhysicalState, "audit_count_state"),
                                                 default=PhysicalState.GOOD)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    counted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    counted_at: Mapped[dt.datetime] = created_at()
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("audit_count.id"), unique=True)
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")

    line: Mapped[AuditSampleLine] = relationship()
    counted_by: Mapped[User | None] = relationship()


class AuditFloorRecord(db.Model):
    """The first and last ticket numbers an auditor saw a team using on the floor (newest per team wins)."""

    __tablename__ = "audit_floor_record"
    __table_args__ = (sa.CheckConstraint("first_seen > 0 AND last_seen > 0", name="numbers_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id"))
    first_seen: Mapped[int]
    last_seen: Mapped[int]
    seen_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[dt.datetime] = created_at()

    team: Mapped[Team] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class AuditConfirmation(db.Model):
    """A holder's answer for one of our book lines it holds (newest per line wins)."""

    __tablename__ = "audit_confirmation"
    __table_args__ = (sa.CheckConstraint("confirmed_qty >= 0", name="quantity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    book_line_id: Mapped[int] = mapped_column(sa.ForeignKey("book_line.id"), index=True)
    holder: Mapped[str] = mapped_column(sa.String(200), default="")
    confirmed_qty: Mapped[Decimal] = mapped_column(QTY)
    answered_on: Mapped[dt.date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[dt.datetime] = created_at()

    book_line: Mapped[BookLine] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class AuditSeal(db.Model):
    """An auditor notes the head of the audit log: the chain can no longer be cut short before it unseen."""

    __tablename__ = "audit_seal"
    __table_args__ = (sa.CheckConstraint("seq > 0", name="seq_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))
    sealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    sealed_at: Mapped[dt.datetime] = created_at()

    sealed_by: Mapped[User | None] = relationship()


AUDITOR_TABLES = ("audit_sample", "audit_sample_line", "audit_count", "audit_floor_record", "audit_confirmation",
                  "audit_seal")
