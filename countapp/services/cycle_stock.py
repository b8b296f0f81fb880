"""A cycle-count programme's stock file, written chunk by chunk as the check hands it out.

The campaign import's way (``stock_writer``): the file is checked and written in one pass, in one
transaction, so that memory holds one chunk and not the file; a bad line anywhere, even the last, rolls
back every chunk already written. Items and lines are written with one statement per chunk and kind
(new items, changed items, new lines, changed lines), not one ORM object per line.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from ..extensions import db
from ..models.cycles import CycleItem, CycleLine, CycleProgramme

CHUNK = 10_000          # rows a chunk: a few MiB of checked rows
_IN = 5_000             # codes per IN (...) when reading back new ids

_ITEMS, _LINES = CycleItem.__table__, CycleLine.__table__
_UPDATE_ITEM = (sa.update(_ITEMS).where(_ITEMS.c.id == sa.bindparam("b_id"))
                .values(designation=sa.bindparam("b_designation"), unit=sa.bindparam("b_unit"),
                        category=sa.bindparam("b_category"), unit_cost=sa.bindparam("b_unit_cost")))
_UPDATE_LINE = (sa.update(_LINES).where(_LINES.c.id == sa.bindparam("b_id"))
                .values(book_qty=sa.bindparam("b_book_qty"), site=sa.bindparam("b_site"),
                        zone=sa.bindparam("b_zone")))
_ZERO_LINE = sa.update(_LINES).where(_LINES.c.id == sa.bindparam("b_id")).values(book_qty=Decimal(0))


def _category(value):
    return getattr(value, "value", value)


class ProgrammeStockWriter:
    """Replaces a programme's book quantities with a stock file's, chunk by chunk (the caller commits).

    Only own stock on site is counted in cycles: other lines are skipped. Lines of the programme that the
    file no longer names go to 0 at ``finish`` (their plan and counts stay)."""

    def __init__(self, programme: CycleProgramme, result) -> None:
        self.programme_id = programme.id
        self.result = result
        # reference -> (id, designation, unit, category, unit cost) as the programme has them
        self.items = {r.reference: (r.id, r.designation, r.unit, _category(r.category), r.unit_cost)
                      for r in db.session.execute(sa.select(
                          _ITEMS.c.reference, _ITEMS.c.id, _ITEMS.c.designation, _ITEMS.c.unit, _ITEMS.c.category,
                          _ITEMS.c.unit_cost).where(_ITEMS.c.programme_id == programme.id))}
        # (item id, location, lot) -> (line id, book quantity, site, zone)
        self.lines = {(r.item_id, r.location, r.lot): (r.id, r.book_qty, r.site, r.zone)
                      for r in db.session.execute(sa.select(
                          _LINES.c.item_id, _LINES.c.location, _LINES.c.lot, _LINES.c.id, _LINES.c.book_qty,
                          _LINES.c.site, _LINES.c.zone).where(_LINES.c.programme_id == programme.id))}
        self.seen: set[int] = set()          # ids of the lines the file names
        self.compared: set[str] = set()      # items already compared with the file in this import
        self.references: set[str] = set()
        self.places: set[str] = set()

    def write(self, rows: list) -> None:
        own = [row for row in rows if row.owner == "own"]
        self.result.skipped += len(rows) - len(own)
        self._items(own)
        new_lines, changed = [], []
        for row in own:
            self.references.add(row.reference)
            self.places.add(row.location)
            lot, site, zone = row.lot or "", row.site or "", row.zone or ""
            item_id = self.items[row.reference][0]
            known = self.lines.get((item_id, row.location, lot))
            if known is None:
                new_lines.append({"programme_id": self.programme_id, "item_id": item_id, "site": site, "zone": zone,
                                  "location": row.location, "lot": lot, "book_qty": row.book_qty})
                continue
            line_id, book_qty, was_site, was_zone = known
            self.seen.add(line_id)
            self.result.updated += 1
            if (book_qty, was_site, was_zone) != (row.book_qty, site, zone):
                changed.append({"b_id": line_id, "b_book_qty": row.book_qty, "b_site": site, "b_zone": zone})
        if new_lines:
            db.session.execute(sa.insert(_LINES), new_lines)
            self.result.inserted += len(new_lines)
        if changed:
            db.session.execute(_UPDATE_LINE, changed)
        self.result.lines += len(own)

    def _items(self, rows: list) -> None:
        """Create the items these rows name first; update those whose wording or cost the file changes."""
        fresh: dict[str, dict] = {}
        changed = []
        for row in rows:
            ref = row.reference
            known = self.items.get(ref)
            if known is None:
                if ref not in fresh:
                    fresh[ref] = {"programme_id": self.programme_id, "reference": ref,
                                  "designation": row.designation, "unit": row.unit,
                                  "category": _category(row.category), "unit_cost": row.unit_cost,
                                  "consumption_cents": 0, "abc_class": "C", "class_by_hand": False,
                                  "year_end": False}
            elif ref not in self.compared:
                self.compared.add(ref)
                wording = (row.designation, row.unit, _category(row.category), row.unit_cost)
                if known[1:] != wording:
                    changed.append({"b_id": known[0], "b_designation": wording[0], "b_unit": wording[1],
                                    "b_category": wording[2], "b_unit_cost": wording[3]})
        if changed:
            db.session.execute(_UPDATE_ITEM, changed)
        if fresh:
            db.session.execute(sa.insert(_ITEMS), list(fresh.values()))
            codes = list(fresh)
            for start in range(0, len(codes), _IN):
                for ref, item_id in db.session.execute(sa.select(_ITEMS.c.reference, _ITEMS.c.id).where(
                        _ITEMS.c.programme_id == self.programme_id, _ITEMS.c.reference.in_(codes[start:start + _IN]))):
                    row = fresh[ref]
                    self.items[ref] = (item_id, row["designation"], row["unit"], row["category"], row["unit_cost"])
                    self.compared.add(ref)

    def finish(self) -> None:
        """Lines the file no longer names go to 0; the result's items and places."""
        gone = [{"b_id": line_id} for line_id, book_qty, _s, _z in self.lines.values()
                if line_id not in self.seen and book_qty]
        for start in range(0, len(gone), CHUNK):
            db.session.execute(_ZERO_LINE, gone[start:start + CHUNK])
        self.result.zeroed = len(gone)
        self.result.items, self.result.places = len(self.references), len(self.places)


