"""Counting teams: a number, a round, a leader, members and zones."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .stock import Zone
from .users import User

team_member = sa.Table(
    "team_member",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user_account.id"), primary_key=True),
    sa.Index("ix_team_member_user_id", "user_id"),   # a user's teams: read on every request (web.security)
)

team_zone = sa.Table(
    "team_zone",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id"), primary_key=True),
    sa.Column("zone_id", sa.ForeignKey("zone.id"), primary_key=True),
)


class Team(db.Model):
    __tablename__ = "team"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "number"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("round IN (1, 2)", name="round"),
        sa.CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at", name="times_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    number: Mapped[int]
    round: Mapped[int]
    leader_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    starts_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=False))
    ends_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=False))

    leader: Mapped[User] = relationship(foreign_keys=[leader_id])
    members: Mapped[list[User]] = relationship(secondary=team_member)
    zones: Mapped[list[Zone]] = relationship(secondary=team_zone)

    @property
    def people(self) -> list[User]:
        return [self.leader, *[m for m in self.members if m.id != self.leader_id]]
