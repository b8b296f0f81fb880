"""Counts: one row per entry, never overwritten. A correction is a new row that supersedes."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import QTY, created_at, enum_type
from .enums import CountMethod, CountSource, PhysicalState
from .tickets import Ticket
from .users import User


class Count(db.Model):
    __tablename__ = "count"
    __table_args__ = (
        sa.CheckConstraint("round IN (1, 2, 3)", name="round"),
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint(
            "supersedes_id IS NULL OR length(correction_reason) > 0", name="correction_has_reason"
        ),
        # One original entry per ticket and round: a second device gets a conflict, not a double.
        sa.Index("uq_count_ticket_round_original", "ticket_id", "round", unique=True,
                 sqlite_where=sa.text("supersedes_id IS NULL"),
                 postgresql_where=sa.text("supersedes_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("ticket.id"), index=True)
    round: Mapped[int]
    quantity: Mapped[Decimal] = mapped_column(QTY)
    state: Mapped[PhysicalState] = mapped_column(enum_type(PhysicalState, "physical_state"), default=PhysicalState.GOOD)
    method: Mapped[CountMethod] = mapped_column(enum_type(CountMethod, "count_method"), default=CountMethod.COUNTED)
    # Counting by packaging: pallets × cartons per pallet × units per carton + loose units.
    packaging: Mapped[dict | None] = mapped_column(sa.JSON)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id"))
    counted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    counted_by_name: Mapped[str] = mapped_column(sa.String(200), default="")
    counted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    # A blank ticket's first count names what was found.
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("item.id"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    lot: Mapped[str | None] = mapped_column(sa.String(80))
    source: Mapped[CountSource] = mapped_column(enum_type(CountSource, "count_source"), default=CountSource.TABLET)
    client_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    supersedes_id: Mapped[int | None] = mapped_column(sa.ForeignKey("count.id"), unique=True)
    correction_reason: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_at: Mapped[datetime] = created_at()

    ticket: Mapped[Ticket] = relationship()
    counted_by: Mapped[User | None] = relationship()
