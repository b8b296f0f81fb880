"""Write a checked stock snapshot into the database fast: bulk inserts in batches, one transaction.

Rows come from ``countapp.filecheck.check_stock`` (already valid). Sites, zones, locations and
items are created as they first appear; book lines are inserted in batches (COPY on PostgreSQL).
Re-importing replaces the snapshot: matching lines are updated, new ones added, and lines no
longer in the file are removed, or set to a book quantity of 0 when a ticket already names them
(a ticket is never orphaned).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

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
    """Site/zone/location and item ids: those the file names first are created in bulk, up front."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign_id = campaign.id
        self.sites = self._ids(Site, Site.code)
        self.zones = self._ids(Zone, Zone.code)
        self.locations = self._ids(Location, Location.code)
        self.items = self._ids(Item, Item.reference)
        self.new_items = 0

    def _ids(self, model, key) -> dict[str, int]:
        return dict(db.session.execute(sa.select(key, model.id).where(model.campaign_id == self.campaign_id)).all())

    def _create(self, model, key, rows: list[dict]) -> dict[str, int]:
        for start in range(0, len(rows), BATCH):
            db.session.execute(sa.insert(model.__table__), [
                {"campaign_id": self.campaign_id, **row} for row in rows[start:start + BATCH]])
        return self._ids(model, key) if rows else {}

    def prepare(self, rows: list) -> None:
        """Create every site, zone, location and item the rows name that the campaign lacks; update
        items whose designation, unit or category changed."""
        new_sites: dict[str, None] = {}
        new_zones: dict[str, str] = {}
        new_locations: dict[str, str] = {}
        items: dict[str, tuple[str, str, str]] = {}
        for row in rows:
            if row.location not in self.locations and row.location not in new_locations:
                site, zone = row.site or DEFAULT_SITE, row.zone or DEFAULT_ZONE
                new_locations[row.location] = zone
                if zone not in self.zones:
                    new_zones.setdefault(zone, site)
                if site not in self.sites:
                    new_sites[site] = None
            if row.reference not in items:
                items[row.reference] = (row.designation, row.unit, getattr(row.category, "value", row.category))
        if new_sites:
            self.sites = self._create(Site, Site.code, [{"code": code, "name": ""} for code in new_sites])
        if new_zones:
            self.zones = self._create(Zone, Zone.code, [{"code": code, "site_id": self.sites[site]}
                                                        for code, site in new_zones.items()])
        if new_locations:
            self.locations = self._create(Location, Location.code, [
                {"code": code, "zone_id": self.zones[zone], "added_by_hand": False}
                for code, zone in new_locations.items()])
        known = {r: (d, u, getattr(c, "value", c)) for r, d, u, c in db.session.execute(
            sa.select(Item.reference, Item.designation, Item.unit, Item.category)
            .where(Item.campaign_id == self.campaign_id)).all()}
        changed = [{"i_id": self.items[ref], "designation": d, "unit": u, "category": c}
                   for ref, (d, u, c) in items.items() if ref in known and known[ref] != (d, u, c)]
        if changed:
            table = Item.__table__
            db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("i_id")).values(
                designation=sa.bindparam("designation"), unit=sa.bindparam("unit"),
                category=sa.bindparam("category")), changed)
        fresh = [{"reference": ref, "designation": d, "unit": u, "category": c}
                 for ref, (d, u, c) in items.items() if ref not in known]
        if fresh:
            self.items = self._create(Item, Item.reference, fresh)
            self.new_items = len(fresh)


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
        # SQLite: straight to the driver, values converted as SQLAlchemy's Numeric and Date types
        # would (float, ISO text); skipping per-row statement processing halves the time.
        sql = f"INSERT INTO book_line ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        db.session.connection().exec_driver_sql(sql, [tuple(_sqlite_value(values[c]) for c in COLUMNS)
                                                      for values in batch])
    batch.clear()


def _sqlite_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_stock(campaign: Campaign, rows: Iterable, *, progress: Callable[[int], None] | None = None
                ) -> StockWriteResult:
    """Replace the campaign's book snapshot with ``rows`` (inside the caller's transaction)."""
    result = StockWriteResult()
    rows = rows if isinstance(rows, list) else list(rows)
    places = _Places(campaign)
    places.prepare(rows)
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
        values = _values(campaign.id, places.items[row.reference], places.locations[row.location], row)
        line_id = existing.get((values["item_id"], values["location_id"], values["lot"])) if existing else None
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
