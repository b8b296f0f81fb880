"""Write a checked stock snapshot into the database fast: bulk inserts in chunks, one transaction.

Rows come from ``countapp.filecheck.check_stock`` chunk by chunk, as they are checked. Sites, zones,
locations and items are created as they first appear, in the same write as the chunk's book lines, in a
thread while the next chunk is checked (COPY on PostgreSQL; one INSERT from JSON on SQLite).
Re-importing replaces the snapshot: matching lines are updated, new ones added, and lines no
longer in the file are removed, or set to a book quantity of 0 when a ticket already names them
(a ticket is never orphaned).
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Self

import sqlalchemy as sa

from ..bulk import InBackground, converted_rows, copy_rows, write_rows
from ..extensions import db
from ..models import BookLine, Campaign, Item, Location, Site, Ticket, Zone

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


class _Ids:
    """Ids for the new rows of one table, known before the rows are written: a chunk's book lines can then be
    built while the chunk before is still being written, and its new items and places go in the same write.

    The ids are never read back by code: with the 125,000 items and places of a million-line file, read back
    with thousands of values in IN, their creation cost PostgreSQL 10 to 78 s of CPU from one run to the
    next, as its plan changed (issue 20). PostgreSQL: from the table's sequence, on a connection of their own
    (``side``): a sequence is outside transactions, so they are the ids the import's connection would draw,
    and they are drawn while that connection is busy writing the chunk before. SQLite: the ids it would
    give itself, the largest + 1 in turn, read in this transaction; another connection's write since it
    began makes ours fail (SQLite lets one writer in, on the newest snapshot), never an id given twice.
    SQLAlchemy's INSERT ... RETURNING cost SQLite 2 s of the 20 of a million-line import."""

    def __init__(self, table: sa.Table, side: sa.Connection | None) -> None:
        self.table, self.side = table, side
        if side is None:
            self.next = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one() + 1

    def take(self, count: int) -> list[int]:
        """``count`` new ids, in the order the rows will be written."""
        if self.side is None:
            first, self.next = self.next, self.next + count
            return list(range(first, self.next))
        return self.side.exec_driver_sql(
            f"SELECT nextval(pg_get_serial_sequence('{self.table.name}', 'id')) FROM generate_series(1, {int(count)})"
        ).scalars().all()


class _Places:
    """Site/zone/location and item ids: those a chunk names first get ids at once (``_Ids``) and are written
    with its lines, before them."""

    def __init__(self, campaign: Campaign, side: sa.Connection | None) -> None:
        self.campaign_id = campaign.id
        self.sites = self._ids(Site, Site.code)
        self.zones = self._ids(Zone, Zone.code)
        self.locations = self._ids(Location, Location.code)
        self.items = self._ids(Item, Item.reference)
        # Items the campaign had before this import, as they were: a file may change their wording.
        # Popped once compared, so that each is compared (and updated) once.
        self.before = {r: (d, u, getattr(c, "value", c)) for r, d, u, c in db.session.execute(
            sa.select(Item.reference, Item.designation, Item.unit, Item.category)
            .where(Item.campaign_id == self.campaign_id)).all()}
        self.new_items = 0
        self.ids = {model: _Ids(model.__table__, side) for model in (Site, Zone, Location, Item)}

    def _ids(self, model, key) -> dict[str, int]:
        return dict(db.session.execute(sa.select(key, model.id).where(model.campaign_id == self.campaign_id)).all())

    def _new(self, model, key, rows: list[dict], known: dict[str, int], out: list) -> None:
        """Give ``rows`` their ids (added to ``known`` by code) and queue them in ``out`` for the write."""
        ids = self.ids[model].take(len(rows))
        known.update(zip((row[key.key] for row in rows), ids, strict=True))
        out.append((model.__table__, ("id", "campaign_id", *rows[0]),
                    [(id_, self.campaign_id, *row.values()) for id_, row in zip(ids, rows, strict=True)]))

    def prepare(self, rows: list) -> tuple[list, list[dict]]:
        """Ids for every site, zone, location and item the rows name that the campaign lacks, and those rows
        (``(table, columns, values)``, in the order to write them); the items of the campaign whose
        designation, unit or category the file changes (to update)."""
        new_sites: dict[str, None] = {}
        new_zones: dict[str, str] = {}
        new_locations: dict[str, str] = {}
        fresh: dict[str, tuple[str, str, str]] = {}
        changed: list[dict] = []
        locations, items, before = self.locations, self.items, self.before
        for row in rows:
            if row.location not in locations and row.location not in new_locations:
                site, zone = row.site or DEFAULT_SITE, row.zone or DEFAULT_ZONE
                new_locations[row.location] = zone
                if zone not in self.zones:
                    new_zones.setdefault(zone, site)
                if site not in self.sites:
                    new_sites[site] = None
            ref = row.reference
            if ref not in items:
                if ref not in fresh:
                    fresh[ref] = (row.designation, row.unit, getattr(row.category, "value", row.category))
            elif before and ref in before:
                wording = (row.designation, row.unit, getattr(row.category, "value", row.category))
                if before.pop(ref) != wording:
                    changed.append({"i_id": items[ref], "designation": wording[0], "unit": wording[1],
                                    "category": wording[2]})
        out: list = []
        if new_sites:
            self._new(Site, Site.code, [{"code": code, "name": ""} for code in new_sites], self.sites, out)
        if new_zones:
            self._new(Zone, Zone.code, [{"code": code, "site_id": self.sites[site]}
                                        for code, site in new_zones.items()], self.zones, out)
        if new_locations:
            self._new(Location, Location.code, [{"code": code, "zone_id": self.zones[zone], "added_by_hand": False}
                                                for code, zone in new_locations.items()], locations, out)
        if fresh:
            self._new(Item, Item.reference, [{"reference": ref, "designation": d, "unit": u, "category": c}
                                             for ref, (d, u, c) in fresh.items()], items, out)
            self.new_items += len(fresh)
        return out, changed


COLUMNS = ("campaign_id", "item_id", "location_id", "lot", "book_qty", "unit_cost", "owner", "holder",
           "last_movement_date", "market_price")
_UPDATED = ("book_qty", "unit_cost", "owner", "holder", "last_movement_date", "market_price")


def _values(campaign_id: int, item_id: int, location_id: int, row) -> tuple:
    """A book line's values in ``COLUMNS`` order."""
    return (campaign_id, item_id, location_id, row.lot or "", row.book_qty, row.unit_cost,
            getattr(row.owner, "value", row.owner), row.holder or "", row.last_movement_date, row.market_price)


_BOOK_LINES = f"book_line ({', '.join(COLUMNS)})"


def _copy(dbapi_connection, batch: list[tuple]) -> None:
    """COPY ``batch`` into book_line on a psycopg connection."""
    copy_rows(dbapi_connection, _BOOK_LINES, batch)


def sqlite_json(batch: list[tuple]) -> str:
    """Book lines (``COLUMNS`` order) as one JSON array of arrays for ``_SQLITE_INSERT``, each value as
    SQLAlchemy's types would send it to SQLite (a Decimal as a float, a date as ISO text).

    One comprehension, not a call per value: a million lines make ten million values."""
    return json.dumps([
        (campaign, item, location, lot, float(qty), float(cost), owner, holder,
         None if date is None else date.isoformat(), None if price is None else float(price))
        for campaign, item, location, lot, qty, cost, owner, holder, date, price in batch])


# SQLite: a chunk in one statement, its rows taken from one JSON text in order (so ids go as the file's lines
# do). Unlike an executemany, which takes Python's lock back for every row, the whole statement runs with the
# lock released: its rows, indexes and key checks (half of the writing) go on the other core while the next
# chunk is read and checked. A float goes through JSON and back unchanged (Python writes the shortest text
# that reads back as the same double).
_SQLITE_INSERT = (f"INSERT INTO {_BOOK_LINES} SELECT "
                  + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(COLUMNS)))
                  + " FROM json_each(?)")


def _sqlite_insert(dbapi_connection, text: str) -> None:
    """Insert the book lines of ``sqlite_json``'s ``text`` on a sqlite3 connection."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_SQLITE_INSERT, (text,))
    finally:
        cursor.close()


def _update(batch: list[dict]) -> None:
    if not batch:
        return
    table = BookLine.__table__
    statement = (sa.update(table).where(table.c.id == sa.bindparam("b_id"))
                 .values({k: sa.bindparam(k) for k in _UPDATED}))
    db.session.execute(statement, batch)


SQLITE_CACHE_KIB = 32 * 1024


@contextlib.contextmanager
def bulk_writes() -> Iterator[None]:
    """Settings for writing a big snapshot inside the current transaction, put back afterwards.

    SQLite: a larger page cache (32 MiB, counted in the import's memory) keeps the indexes of
    ``book_line`` in memory while lines go in, instead of spilling pages to disk mid-transaction."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


class StockWriter:
    """Replaces a campaign's book snapshot chunk by chunk, inside the caller's transaction.

    ``write`` takes each chunk of checked rows as the check hands it out (``filecheck.check_stock``'s
    ``on_rows``) and writes it at once: memory holds two chunks (the one being
    written and the one being checked), plus the ids of items and places and,
    when a snapshot is being replaced, the keys of its lines. ``finish`` removes the lines the file no
    longer has. A file found bad after some chunks were written is undone by the caller's rollback.
    """

    def __init__(self, campaign: Campaign, *, progress: Callable[[int], None] | None = None) -> None:
        self.campaign_id = campaign.id
        self.progress = progress
        self.result = StockWriteResult()
        self.dialect = db.session.connection().dialect
        self.postgresql = self.dialect.name == "postgresql"
        # PostgreSQL: the connection the ids of new items and places are drawn on (``_Ids``), closed by __exit__.
        self.side = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") if self.postgresql else None
        try:
            self.places = _Places(campaign, self.side)
            self.existing = {
                (item_id, location_id, lot): line_id
                for line_id, item_id, location_id, lot in db.session.execute(
                    sa.select(BookLine.id, BookLine.item_id, BookLine.location_id, BookLine.lot)
                    .where(BookLine.campaign_id == campaign.id))
            }
        except BaseException:
            if self.side is not None:
                self.side.close()
            raise
        self.seen: set[int] = set()
        # A chunk's book lines are written in a thread while the next chunk is read and checked: PostgreSQL's
        # COPY (the server's rows, indexes and key checks), SQLite's ``_SQLITE_INSERT`` (run without Python's
        # lock). The thread uses the transaction's connection only between ``start`` and ``wait``.
        self.send = _copy if self.postgresql else _sqlite_insert
        self.background = InBackground()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        """Never leave a chunk being written: the caller's commit or rollback comes next."""
        try:
            self.background.wait()
        except Exception:
            if kind is None:
                raise
        finally:
            if self.side is not None:
                self.side.close()

    def write(self, rows: list) -> None:
        """Write one chunk of checked rows (new lines inserted, lines already there updated).

        What the write needs is made before the write of the chunk before is waited for: the ids of the new
        items and places (``_Ids``), their rows, the lines. PostgreSQL's connection then goes from one chunk's
        COPY to the next, instead of waiting, between them, for the next chunk's items and places to be
        created, then its lines to be made (a fifth of a million-line import, issue 20)."""
        places, result, existing, background = self.places, self.result, self.existing, self.background
        new_places, changed = places.prepare(rows)
        items, locations, campaign_id = places.items, places.locations, self.campaign_id
        inserts: list[tuple] = []
        updates: list[dict] = []
        for row in rows:
            values = _values(campaign_id, items[row.reference], locations[row.location], row)
            line_id = existing.get(values[1:4]) if existing else None
            if line_id is None:
                inserts.append(values)
            else:
                self.seen.add(line_id)
                updates.append({"b_id": line_id, **dict(zip(_UPDATED, values[4:]))})
        dialect = self.dialect
        new_places = [(table, columns, converted_rows(dialect, table, columns, values))
                      for table, columns, values in new_places]
        background.wait()
        # SQLite's text only now, as before: made sooner, it would hold two chunks' texts at once (memory).
        lines = inserts if self.postgresql or not inserts else sqlite_json(inserts)
        if updates or changed:   # a snapshot replaced: on the session, in this thread
            _update(updates)
            if changed:
                table = Item.__table__
                db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("i_id")).values(
                    designation=sa.bindparam("designation"), unit=sa.bindparam("unit"),
                    category=sa.bindparam("category")), changed)
        if new_places or inserts:
            background.start(self._write, db.session.connection().connection.dbapi_connection, new_places, lines)
        result.inserted += len(inserts)
        result.updated += len(updates)
        result.lines += len(rows)
        if self.progress:
            self.progress(result.lines)

    def _write(self, raw, new_places: list, lines) -> None:
        """In the thread: a chunk's new sites, zones, locations and items, then its book lines."""
        for table, columns, values in new_places:
            write_rows(raw, self.dialect, table, columns, values)
        if lines:
            self.send(raw, lines)

    def finish(self) -> StockWriteResult:
        """Remove the lines the file no longer has (set to 0 where a ticket names them); the counts."""
        self.background.wait()
        result = self.result
        gone = set(self.existing.values()) - self.seen
        if gone:
            ticketed = set(db.session.scalars(sa.select(Ticket.book_line_id).where(
                Ticket.campaign_id == self.campaign_id, Ticket.book_line_id.is_not(None))))
            zero = sorted(gone & ticketed)
            drop = sorted(gone - ticketed)
            for chunk in range(0, len(zero), 5000):
                db.session.execute(sa.update(BookLine).where(BookLine.id.in_(zero[chunk:chunk + 5000]))
                                   .values(book_qty=0))
            for chunk in range(0, len(drop), 5000):
                db.session.execute(sa.delete(BookLine).where(BookLine.id.in_(drop[chunk:chunk + 5000])))
            result.zeroed, result.removed = len(zero), len(drop)
        result.items = len(self.places.items)
        result.locations = len(self.places.locations)
        return result
