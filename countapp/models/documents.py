"""The campaign's documents: instructions (draft, issued versions, acknowledgements), the
reconciliation's causes and sign-offs, and the frozen annual report."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at
from .users import User


class InstructionsDraft(db.Model):
    """What the manager fills in for the written count instructions (one per campaign)."""

    __tablename__ = "instructions_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), unique=True)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = created_at()


class InstructionsVersion(db.Model):
    """An issued version, kept for ever: what was communicated when."""

    __tablename__ = "instructions_version"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "version"),
                      sa.CheckConstraint("version > 0", name="version_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(sa.JSON)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    issued_at: Mapped[datetime] = created_at()

    issued_by: Mapped[User | None] = relationship()


class InstructionsAck(db.Model):
    """A team leader or auditor confirms having read an issued version."""

    __tablename__ = "instructions_ack"
    __table_args__ = (sa.UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("instructions_version.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime] = created_at()

    user: Mapped[User] = relationship()


class LineCause(db.Model):
    """The cause of a residual difference, set by the centraliser; the newest row for a line wins."""

    __tablename__ = "line_cause"
    __table_args__ = (
        sa.CheckConstraint(
            "cause IN ('unbilled_delivery', 'supplier_error', 'unit_error', 'mislocation', 'breakage', 'shrinkage', "
            "'counting_error', 'book_error', 'other', '')", name="cause"),
        sa.Index("ix_line_cause_campaign_key", "campaign_id", "line_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    # "b<book line id>" or "t<ticket id>" for a counted ticket unknown to book.
    line_key: Mapped[str] = mapped_column(sa.String(40))
    cause: Mapped[str] = mapped_column(sa.String(30))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    set_at: Mapped[datetime] = created_at()


class SignOff(db.Model):
    """Sign-offs, closings and reopenings, in order: the newest of a kind tells the state."""

    __tablename__ = "sign_off"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('reconciliation_signed', 'reconciliation_reopened', 'campaign_closed', "
                           "'campaign_reopened')", name="kind"),
        sa.CheckConstraint("kind NOT LIKE '%reopened' OR length(reason) > 0", name="reopen_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = created_at()

    by: Mapped[User | None] = relationship()


class CampaignText(db.Model):
    """Texts the manager writes for the annual report (difficulties, solutions, proposals...)."""

    __tablename__ = "campaign_text"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    key: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text, default="")


class ReportArchive(db.Model):
    """The annual report frozen at closing, with its SHA-256."""

    __tablename__ = "report_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary)
    xlsx: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = created_at()
