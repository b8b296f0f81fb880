"""A campaign: one stock-take for one fiscal year, with its settings."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import MONEY, created_at, enum_type
from .enums import CampaignStatus, Category, Valuation


class Campaign(db.Model):
    __tablename__ = "campaign"
    __table_args__ = (
        sa.CheckConstraint("length(code) > 0", name="code_not_empty"),
        sa.CheckConstraint("fiscal_year BETWEEN 1900 AND 2999", name="fiscal_year"),
        sa.CheckConstraint("language IN ('fr', 'en')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    company: Mapped[str] = mapped_column(sa.String(200), default="")
    fiscal_year: Mapped[int]
    count_date: Mapped[date]
    closing_date: Mapped[date]   # may come before count_date: the count then rolls back (issue 18)
    # The date the imported stock file's quantities are at (import stock --as-of); None: count_date.
    stock_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    status: Mapped[CampaignStatus] = mapped_column(
        enum_type(CampaignStatus, "campaign_status"), default=CampaignStatus.PLANNING
    )
    valuation: Mapped[Valuation] = mapped_column(enum_type(Valuation, "valuation"), default=Valuation.WAC)
    language: Mapped[str] = mapped_column(sa.String(2), default="fr")
    person_in_charge: Mapped[str] = mapped_column(sa.String(200), default="")
    # Tolerances and depreciation rates, as the TOML of SPEC.md (validated by the settings module).
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = created_at()

    openings: Mapped[list["OpeningBalance"]] = relationship(back_populates="campaign")

    def __repr__(self) -> str:
        return f"<Campaign {self.code}>"


class OpeningBalance(db.Model):
    """Last year's closing value and depreciation for one category."""

    __tablename__ = "opening_balance"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "category"),
        sa.CheckConstraint("opening_value >= 0", name="value_not_negative"),
        sa.CheckConstraint("opening_depreciation >= 0", name="depreciation_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    category: Mapped[Category] = mapped_column(enum_type(Category, "opening_category"))
    opening_value: Mapped[Decimal] = mapped_column(MONEY)
    opening_depreciation: Mapped[Decimal] = mapped_column(MONEY, default=0)
    purchases: Mapped[Decimal | None] = mapped_column(MONEY)

    campaign: Mapped[Campaign] = relationship(back_populates="openings")
