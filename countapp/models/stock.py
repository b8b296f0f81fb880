"""Where stock lies and what the books say: sites, zones, locations, items, book lines, movements."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import COST, QTY, enum_type
from .enums import Category, MovementKind, Owner


class Site(db.Model):
    __tablename__ = "site"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "code"),
                      sa.CheckConstraint("length(code) > 0", name="code_not_empty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(80))
    name: Mapped[str] = mapped_column(sa.String(200), default="")


zone_storekeeper = sa.Table(
    "zone_storekeeper",
    db.metadata,
    sa.Column("zone_id", sa.ForeignKey("zone.id"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user_account.id"), primary_key=True),
)


class Zone(db.Model):
    __tablename__ = "zone"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "code"),
                      sa.CheckConstraint("length(code) > 0", name="code_not_empty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(80))

    site: Mapped[Site] = relationship()
    storekeepers: Mapped[list["User"]] = relationship(secondary=zone_storekeeper)  # noqa: F821


class Location(db.Model):
    __tablename__ = "location"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "code"),
                      # What a book line's (campaign_id, location_id) points at (pgimport0001).
                      sa.Index("uq_location_campaign_id_id", "campaign_id", "id", unique=True),
                      sa.CheckConstraint("length(code) > 0", name="code_not_empty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: both unique indexes start with campaign_id (pgimport0001).
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    zone_id: Mapped[int] = mapped_column(sa.ForeignKey("zone.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(120))
    # Places added by hand for the instructions (no book stock there yet).
    added_by_hand: Mapped[bool] = mapped_column(default=False)

    zone: Mapped[Zone] = relationship()


class Item(db.Model):
    __tablename__ = "item"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "reference"),
                      # What a book line's (campaign_id, item_id) points at (pgimport0001).
                      sa.Index("uq_item_campaign_id_id", "campaign_id", "id", unique=True),
                      sa.CheckConstraint("length(reference) > 0", name="reference_not_empty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: both unique indexes start with campaign_id (pgimport0001).
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    reference: Mapped[str] = mapped_column(sa.String(120))
    designation: Mapped[str] = mapped_column(sa.String(300), default="")
    unit: Mapped[str] = mapped_column(sa.String(20))
    category: Mapped[Category] = mapped_column(enum_type(Category, "item_category"))


class BookLine(db.Model):
    """The perpetual inventory's quantity for an item at a location (and lot), at the count date."""

    __tablename__ = "book_line"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "item_id", "location_id", "lot"),
        # A line's item and place are of its own campaign; the campaign is reached through them
        # (pgimport0001: one key check per line fewer than a key per column, and stricter).
        sa.ForeignKeyConstraint(["campaign_id", "item_id"], ["item.campaign_id", "item.id"]),
        sa.ForeignKeyConstraint(["campaign_id", "location_id"], ["location.campaign_id", "location.id"]),
        sa.CheckConstraint("book_qty >= 0", name="book_qty_not_negative"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("market_price IS NULL OR market_price >= 0", name="market_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique constraint's index starts with campaign_id (perfimport0001).
    campaign_id: Mapped[int]
    # No index of its own either: every query on it names the campaign, and the unique constraint's
    # index (campaign_id, item_id, ...) serves it (stockimport0001).
    item_id: Mapped[int]
    location_id: Mapped[int] = mapped_column(index=True)
    lot: Mapped[str] = mapped_column(sa.String(80), default="")
    book_qty: Mapped[Decimal] = mapped_column(QTY)
    unit_cost: Mapped[Decimal] = mapped_column(COST)
    owner: Mapped[Owner] = mapped_column(enum_type(Owner, "owner"), default=Owner.OWN)
    holder: Mapped[str] = mapped_column(sa.String(200), default="")
    last_movement_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    market_price: Mapped[Decimal | None] = mapped_column(COST)

    # Read-only: the composite keys share campaign_id, which the line sets itself.
    item: Mapped[Item] = relationship(primaryjoin="Item.id == foreign(BookLine.item_id)", viewonly=True)
    location: Mapped[Location] = relationship(primaryjoin="Location.id == foreign(BookLine.location_id)",
                                              viewonly=True)


class Movement(db.Model):
    """A dated stock movement: valuation layers (opening, receipts) and cut-off roll-forward."""

    __tablename__ = "movement"
    __table_args__ = (
        sa.CheckConstraint("unit_cost IS NULL OR unit_cost >= 0", name="unit_cost_not_negative"),
        sa.Index("ix_movement_campaign_item_date", "campaign_id", "item_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    location_id: Mapped[int | None] = mapped_column(sa.ForeignKey("location.id"))
    lot: Mapped[str] = mapped_column(sa.String(80), default="")
    date: Mapped[dt.date] = mapped_column(sa.Date)
    quantity: Mapped[Decimal] = mapped_column(QTY)
    unit_cost: Mapped[Decimal | None] = mapped_column(COST)
    kind: Mapped[MovementKind] = mapped_column(enum_type(MovementKind, "movement_kind"))
    document: Mapped[str] = mapped_column(sa.String(80), default="")
