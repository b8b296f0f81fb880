"""Centralisation: recount sheets for third counts, and decisions to accept a difference."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at
from .tickets import Ticket
from .users import User

recount_sheet_ticket = sa.Table(
    "recount_sheet_ticket",
    db.metadata,
    sa.Column("sheet_id", sa.ForeignKey("recount_sheet.id"), primary_key=True),
    sa.Column("ticket_id", sa.ForeignKey("ticket.id"), primary_key=True, unique=True),
)


class RecountSheet(db.Model):
    """Tickets grouped for a third count by two team leaders under a supervisor."""

    __tablename__ = "recount_sheet"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "number"),
                      sa.CheckConstraint("leader1_id <> leader2_id", name="two_leaders"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    number: Mapped[int]
    leader1_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    leader2_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    supervisor_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at()

    leader1: Mapped[User] = relationship(foreign_keys=[leader1_id])
    leader2: Mapped[User] = relationship(foreign_keys=[leader2_id])
    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    tickets: Mapped[list[Ticket]] = relationship(secondary=recount_sheet_ticket, order_by=Ticket.sequence)


class TicketDecision(db.Model):
    """The centraliser accepts a difference without a third count (e.g. the book is known wrong)."""

    __tablename__ = "ticket_decision"
    __table_args__ = (sa.CheckConstraint("length(reason) > 0", name="reason_not_empty"),
                      sa.CheckConstraint("kind IN ('accept_count_1', 'accept_count_2', 'accept_book')", name="kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = created_at()

    decided_by: Mapped[User | None] = relationship()
