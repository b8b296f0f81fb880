"""A book line's quantity at its own count date (issue 18; DOMAIN.md, Count dates).

The stock file's quantities are at one date ``D`` (``import stock --as-of``, default the campaign's
count date); a line whose zone (or site) counts on another day ``t`` holds, for its tolerance
against book, ``book(D) + Σ movements(D < date ≤ t)``, or ``book(D) − Σ movements(t < date ≤ D)``
when ``t`` comes first — the same rule the reconciliation engine applies to every line at once.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from .. import campaign_settings
from ..extensions import db
from ..models import Campaign, Location, Movement, Site, Zone


def stock_date(campaign: Campaign) -> date:
    """The date the book stock's quantities are at."""
    return campaign.stock_date or campaign.count_date


def dates_differ(campaign: Campaign) -> bool:
    """Whether any line may be counted on another day than the stock file's date."""
    return bool(campaign_settings.count_dates(campaign.settings)) or stock_date(campaign) != campaign.count_date


def location_count_date(campaign: Campaign, location_id: int | None) -> date:
    """The count date of a location: its zone's, else its site's, else the campaign's."""
    if location_id is None or not campaign_settings.count_dates(campaign.settings):
        return campaign.count_date
    found = db.session.execute(sa.select(Zone.code, Site.code).join(Location, Location.zone_id == Zone.id)
                               .join(Site, Site.id == Zone.site_id).where(Location.id == location_id)).first()
    from .campaigns import count_date_of

    return count_date_of(campaign, *found) if found else campaign.count_date


def book_at_count_date(campaign: Campaign, item_id: int, location_id: int, lot: str, book_qty: Decimal) -> Decimal:
    """The book quantity of one place at its count date (``book_qty`` is at the stock date)."""
    if not dates_differ(campaign):
        return book_qty
    start, end = stock_date(campaign), location_count_date(campaign, location_id)
    if start == end:
        return book_qty
    from .imports import movement_window

    first, last = movement_window(campaign)
    low, high = min(start, end), max(start, end)
    moved = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Movement.quantity), 0)).where(
        Movement.campaign_id == campaign.id, Movement.item_id == item_id, Movement.location_id == location_id,
        Movement.lot == (lot or ""), Movement.date > low, Movement.date <= high,
        sa.or_(Movement.kind == "opening", sa.and_(Movement.date >= first, Movement.date <= last))))
    moved = Decimal(moved or 0)
    return book_qty + moved if end > start else book_qty - moved


def book_shifts(campaign: Campaign) -> dict[tuple[str, str, str], Decimal]:
    """For every place whose count date differs from the stock date: (reference, location code, lot)
    -> what to add to its stored book quantity to have it at its count date. Empty when no place
    counts on another day than the stock file's date (the common case: no query)."""
    if not dates_differ(campaign):
        return {}
    from ..models import Item
    from .campaigns import count_date_of
    from .imports import movement_window

    start = stock_date(campaign)
    first, last = movement_window(campaign)
    rows = db.session.execute(
        sa.select(Item.reference, Location.code, Movement.lot, Movement.date, Movement.quantity, Movement.kind,
                  Zone.code, Site.code)
        .join(Item, Item.id == Movement.item_id).join(Location, Location.id == Movement.location_id)
        .join(Zone, Zone.id == Location.zone_id).join(Site, Site.id == Zone.site_id)
        .where(Movement.campaign_id == campaign.id)).all()
    out: dict[tuple[str, str, str], Decimal] = {}
    for reference, location, lot, day, quantity, kind, zone, site in rows:
        if getattr(kind, "value", kind) != "opening" and not first <= day <= last:
            continue
        end = count_date_of(campaign, zone, site)
        if start < day <= end:
            sign = 1
        elif end < day <= start:
            sign = -1
        else:
            continue
        key = (reference, location, lot or "")
        out[key] = out.get(key, Decimal(0)) + sign * quantity
    return out
