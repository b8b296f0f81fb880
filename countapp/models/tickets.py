"""Pre-numbered three-part tickets, the ranges issued to teams, returns and voids.

A ticket, a void and a count are never deleted; the database refuses it (triggers in the
migrations). A ticket's identity (campaign, sequence, book line) never changes; its status is
the cached state of its life cycle, changed only by the ticket services.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import QTY, created_at, enum_type
from .enums import TicketStatus
from .stock import BookLine, Item, Location
from .teams import Team
from .users import User


class Ticket(db.Model):
    __tablename__ = "ticket"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "sequence"),
        sa.CheckConstraint("sequence > 0", name="sequence_positive"),
        sa.Index("ix_ticket_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    sequence: Mapped[int]
    # Null for a blank ticket until its first count names the item and location.
    book_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("book_line.id"), index=True)
    is_blank: Mapped[bool] = mapped_column(default=False)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(sa.String(80), default="")
    status: Mapped[TicketStatus] = mapped_column(enum_type(TicketStatus, "ticket_status"), default=TicketStatus.CREATED)
    team1_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    team2_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    # Decided once both counts are in (tickets.tolerance.decide): the agreed quantity and why a recount.
    final_qty: Mapped[Decimal | None] = mapped_column(QTY)
    recount_reasons: Mapped[str] = mapped_column(sa.String(80), default="")
    created_at: Mapped[datetime] = created_at()

    book_line: Mapped[BookLine | None] = relationship()
    item: Mapped[Item | None] = relationship()
    location: Mapped[Location | None] = relationship()
    team1: Mapped[Team | None] = relationship(foreign_keys=[team1_id])
    team2: Mapped[Team | None] = relationship(foreign_keys=[team2_id])
    void: Mapped["TicketVoid | None"] = relationship(back_populates="ticket", uselist=False)


class TicketRange(db.Model):
    """Numbers first..last handed to a team for its round."""

    __tablename__ = "ticket_range"
    __table_args__ = (
        sa.CheckConstraint("first > 0 AND last >= first", name="bounds"),
        sa.CheckConstraint("round IN (1, 2)", name="round"),
        sa.Index("ix_ticket_range_campaign_round", "campaign_id", "round", "first"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id"), index=True)
    round: Mapped[int]
    first: Mapped[int]
    last: Mapped[int]
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = created_at()

    team: Mapped[Team] = relationship()


class TicketReturn(db.Model):
    """Numbers of an issued range handed back unused."""

    __tablename__ = "ticket_return"
    __table_args__ = (sa.CheckConstraint("first > 0 AND last >= first", name="bounds"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    range_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket_range.id"), index=True)
    first: Mapped[int]
    last: Mapped[int]
    returned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    returned_at: Mapped[datetime] = created_at()


class TicketVoid(db.Model):
    """A spoiled or cancelled ticket: kept for ever, with who, when and why."""

    __tablename__ = "ticket_void"
    __table_args__ = (sa.CheckConstraint("length(reason) > 0", name="reason_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    voided_at: Mapped[datetime] = created_at()

    ticket: Mapped[Ticket] = relationship(back_populates="void")
    voided_by: Mapped[User | None] = relationship()
