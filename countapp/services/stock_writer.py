"""Write a checked stock snapshot into the database fast: bulk inserts in batches, one transaction.

Rows come from ``countapp.filecheck.check_stock`` (already valid). Sites, zones, locations and
items are created as they first appear; book lines are inserted in batches (COPY on PostgreSQL).
Re-importing replaces the snapshot: matching lines are updated, new ones added, and lines no
longer in the file are removed, or set to a book quantity of 0 when a ticket already names them
(a ticket is never orphaned).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import BookLine, Campaign, Item, Location, Site, Ticket, Zone

BATCH = 20_000
DEFAULT_SITE = "MAIN"
DEFAULT_ZONE = "MAIN"


@dataclass
class StockWriteResult:
    lines: int = 0
    inserted: int = 0
    updated: int = 0
    removed: int = 0
    zeroed: int = 0
    items: int = 0
    locations: int = 0


class _Places:
    """Site/zone/location and item ids, created on first sight."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign_id = campaign.id
        c = campaign.id
        self.sites = dict(db.session.execute(sa.select(Site.code, Site.id).where(Site.campaign_id == c)).all())
        self.zones = dict(db.session.execute(sa.select(Zone.code, Zone.id).where(Zone.campaign_id == c)).all())
        self.locations = dict(db.session.execute(sa.select(Location.code, Location.id)
                                                 .where(Location.campaign_id == c)).all())
        self.items = {r: (i, d, u, cat) for r, i, d, u, cat in db.session.execute(
            sa.select(Item.reference, Item.id, Item.designation, Item.unit, Item.category)
            .where(Item.campaign_id == c)).all()}
        self.new_items = 0

    def _insert(self, model, values: dict) -> int:
        return db.session.execute(sa.insert(model).values(campaign_id=self.campaign_id, **values)
                                  .returning(model.id)).scalar_one()

    def location_id(self, site: str, zone: str, location: str) -> int:
        found = self.locations.get(location)
        if found is not None:
            return found
        site, zone = site or DEFAULT_SITE, zone or DEFAULT_ZONE
        if site not in self.sites:
            self.sites[site] = self._insert(Site, {"code": site, "name": ""})
        if zone not in self.zones:
            self.zones[zone] = self._insert(Zone, {"code": zone, "site_id": self.sites[site]})
        self.locations[location] = self._insert(Location, {"code": location, "zone_id": self.zones[zone],
                                                           "added_by_hand": False})
        return self.locations[location]

    def item_id(self, row) -> int:
        found = self.items.get(row.reference)
        category = getattr(row.category, "value", row.category)
        if found is not None:
            item_id, designation, unit, old_category = found
            if (designation, unit, getattr(old_category, "value", old_category)) != (row.designation, row.unit, category):
                db.session.execute(sa.update(Item).where(Item.id == item_id).values(
                    designation=row.designation, unit=row.unit, category=category))
                self.items[row.reference] = (item_id, row.designation, row.unit, category)
            return item_id
        item_id = self._insert(Item, {"reference": row.reference, "designation": row.designation, "unit": row.unit,
                                      "category": category})
        self.items[row.reference] = (item_id, row.designation, row.unit, category)
        self.new_items += 1
        return item_id


def _values(campaign_id: int, item_id: int, location_id: int, row) -> dict:
    return {"campaign_id": campaign_id, "item_id": item_id, "location_id": location_id, "lot": row.lot or "",
            "book_qty": row.book_qty, "unit_cost": row.unit_cost, "owner": getattr(row.owner, "value", row.owner),
            "holder": getattr(row, "holder", "") or "", "last_movement_date": row.last_movement_date,
            "market_price": row.market_price}


COLUMNS = ("campaign_id", "item_id", "location_id", "lot", "book_qty", "unit_cost", "owner", "holder",
           "last_movement_date", "market_price")


def _flush_inserts(batch: list[dict]) -> None:
    if not batch:
        return
    if db.engine.dialect.name == "postgresql":
        # COPY is several times faster than multi-row INSERT for large snapshots.
        raw = db.session.connection().connection.dbapi_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY book_line ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for values in batch:
                    copy.write_row([values[c] for c in COLUMNS])
    else:
        db.session.execute(sa.insert(BookLine), batch)
    batch.clear()


def write_stock(campaign: Campaign, rows: Iterable, *, progress: Callable[[int], None] | None = None
                ) -> StockWriteResult:
    """Replace the campaign's book snapshot with ``rows`` (inside the caller's transaction)."""
    result = StockWriteResult()
    places = _Places(campaign)
    existing = {
        (item_id, location_id, lot): line_id
        for line_id, item_id, location_id, lot in db.session.execute(
            sa.select(BookLine.id, BookLine.item_id, BookLine.location_id, BookLine.lot)
            .where(BookLine.campaign_id == campaign.id))
    }
    seen: set[int] = set()
    inserts: list[dict] = []
    updates: list[dict] = []
    for row in rows:
        item_id = places.item_id(row)
        location_id = places.location_id(row.site, row.zone, row.location)
        values = _values(campaign.id, item_id, location_id, row)
        line_id = existing.get((item_id, location_id, values["lot"])) if existing else None
        if line_id is None:
            inserts.append(values)
            result.inserted += 1
        else:
            seen.add(line_id)
            updates.append({"b_id": line_id, **{k: values[k] for k in ("book_qty", "unit_cost", "owner", "holder",
                                                                        "last_movement_date", "market_price")}})
            result.updated += 1
        result.lines += 1
        if len(inserts) >= BATCH:
            _flush_inserts(inserts)
        if len(updates) >= BATCH:
            _flush_updates(updates)
        if progress and result.lines % 10_000 == 0:
            progress(result.lines)
    _flush_inserts(inserts)
    _flush_updates(updates)
    gone = set(existing.values()) - seen
    if gone:
        ticketed = set(db.session.scalars(sa.select(Ticket.book_line_id).where(
            Ticket.campaign_id == campaign.id, Ticket.book_line_id.is_not(None))))
        zero = sorted(gone & ticketed)
        drop = sorted(gone - ticketed)
        for chunk in range(0, len(zero), 5000):
            db.session.execute(sa.update(BookLine).where(BookLine.id.in_(zero[chunk:chunk + 5000]))
                               .values(book_qty=0))
        for chunk in range(0, len(drop), 5000):
            db.session.execute(sa.delete(BookLine).where(BookLine.id.in_(drop[chunk:chunk + 5000])))
        result.zeroed, result.removed = len(zero), len(drop)
    if progress:
        progress(result.lines)
    result.items = len(places.items)
    result.locations = len(places.locations)
    return result


def _flush_updates(batch: list[dict]) -> None:
    if not batch:
        return
    statement = (sa.update(BookLine.__table__).where(BookLine.__table__.c.id == sa.bindparam("b_id"))
                 .values({k: sa.bindparam(k) for k in batch[0] if k != "b_id"}))
    db.session.execute(statement, batch)
    batch.clear()
