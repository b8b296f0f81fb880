"""A stock file is checked and written chunk by chunk in one transaction (issue 20): memory holds a
chunk, and a bad line, even in the last chunk, leaves nothing written. Chunks of 2 lines here."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from countapp.extensions import db
from countapp.filecheck import ImportRefused
from countapp.models import AuditEvent, BookLine, Item, Location, Site, Zone
from countapp.services import imports, stock_writer

HEADER = "reference;designation;unit;category;location;zone;site;lot;book_qty;unit_cost"
LINES = ["A-1;Bolt;pc;31;L-01;Z1;S1;;10;0,25", "A-1;Bolt;pc;31;L-02;Z1;S1;;20;0,25",
         "B-2;Oil;l;32;L-02;Z1;S1;LOT9;12,5;3,10", "C-3;Nut;pc;31;L-03;Z2;S2;;4;0,10",
         "D-4;Washer;pc;31;L-04;Z2;S2;;7;0,05", "E-5;Screw;pc;31;L-05;Z3;S2;;9;0,02",
         "F-6;Pin;pc;31;L-05;Z3;S2;;3;0,01"]


@pytest.fixture
def campaign(app, make_campaign):
    app.config["COUNTAPP_IMPORT_CHUNK"] = 2
    return make_campaign("FY2025", year=2025, count_date=date(2025, 12, 28), closing_date=date(2025, 12, 31))


@pytest.fixture
def chunks(monkeypatch):
    """The chunks the writer was given (their sizes)."""
    sizes: list[int] = []
    real = stock_writer.StockWriter.write

    def write(self, rows):
        sizes.append(len(rows))
        real(self, rows)

    monkeypatch.setattr(stock_writer.StockWriter, "write", write)
    return sizes


def _file(tmp_path, lines, name="stock.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return str(path)


def _rows(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _snapshot() -> dict:
    return {model.__name__: _rows(model) for model in (BookLine, Item, Location, Zone, Site, AuditEvent)}


def test_a_file_is_written_a_chunk_at_a_time(campaign, tmp_path, chunks):
    counts = imports.import_file("stock", "FY2025", _file(tmp_path, LINES))
    assert chunks == [2, 2, 2, 1]
    assert counts["lines"] == counts["inserted"] == 7 and counts["items"] == 6 and counts["locations"] == 5
    lines = db.session.execute(sa.select(Item.reference, Location.code, BookLine.lot, BookLine.book_qty)
                               .join(Item, Item.id == BookLine.item_id)
                               .join(Location, Location.id == BookLine.location_id)
                               .order_by(Item.reference, Location.code)).all()
    assert [(r, loc, lot, float(q)) for r, loc, lot, q in lines] == [
        ("A-1", "L-01", "", 10), ("A-1", "L-02", "", 20), ("B-2", "L-02", "LOT9", 12.5), ("C-3", "L-03", "", 4),
        ("D-4", "L-04", "", 7), ("E-5", "L-05", "", 9), ("F-6", "L-05", "", 3)]
    zone_of = dict(db.session.execute(sa.select(Location.code, Zone.code).join(Zone, Zone.id == Location.zone_id)).all())
    assert zone_of == {"L-01": "Z1", "L-02": "Z1", "L-03": "Z2", "L-04": "Z2", "L-05": "Z3"}


@pytest.mark.parametrize("last", [
    "G-7;Clip;pc;31;L-06;Z3;S2;;-1;0,01",          # a bad value
    "A-1;Bolt;pc;31;L-01;Z1;S1;;5;0,25",           # line 2's book line again, found when the file ends
    "A-1;Bolt;kg;31;L-06;Z3;S2;;5;0,25",           # line 2's item with another unit
])
def test_a_bad_last_line_leaves_nothing_written(campaign, tmp_path, chunks, last):
    before = _snapshot()
    with pytest.raises(ImportRefused) as refused:
        imports.import_file("stock", "FY2025", _file(tmp_path, [*LINES, last]))
    assert sum(chunks) == 6                       # the first chunks went in, then were undone
    assert [error.line for error in refused.value.errors] == [9]
    assert _snapshot() == before


def test_a_chunk_the_database_refuses_leaves_nothing_written(campaign, tmp_path, monkeypatch):
    """A chunk is written (COPY, SQLite's INSERT from JSON) while the next chunk is checked: its failure
    still stops the import and undoes every chunk, those before it included."""
    before = _snapshot()
    calls: list[int] = []

    def refusing(real):
        def write(*args):
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("the database refused this chunk")
            return real(*args)
        return write

    monkeypatch.setattr(stock_writer, "_copy", refusing(stock_writer._copy))
    monkeypatch.setattr(stock_writer, "_sqlite_insert", refusing(stock_writer._sqlite_insert))
    with pytest.raises(RuntimeError, match="refused this chunk"):
        imports.import_file("stock", "FY2025", _file(tmp_path, LINES))
    assert _snapshot() == before


def test_a_book_line_given_twice_across_chunks_names_its_first_line(campaign, tmp_path, chunks):
    with pytest.raises(ImportRefused) as refused:
        imports.import_file("stock", "FY2025", _file(tmp_path, [*LINES[:5], "B-2;Oil;l;32;L-02;Z1;S1;LOT9;1;3,10",
                                                                  *LINES[5:]]))
    error, = refused.value.errors
    assert (error.line, error.params["first_line"], error.params["lot"]) == (7, 4, "LOT9")
    assert chunks == [2, 2]                        # nothing after the chunk where it was found
    assert _rows(BookLine) == 0


def test_a_new_snapshot_replaces_the_old_one_chunk_by_chunk(campaign, tmp_path, chunks):
    imports.import_file("stock", "FY2025", _file(tmp_path, LINES))
    changed = ["A-1;Bolt M6;pc;31;L-01;Z1;S1;;11;0,25", *LINES[2:5], "G-7;Clip;pc;31;L-06;Z3;S2;;1;0,01"]
    counts = imports.import_file("stock", "FY2025", _file(tmp_path, changed, "second.csv"))
    assert (counts["inserted"], counts["updated"], counts["removed"]) == (1, 4, 3)
    assert db.session.scalar(sa.select(Item.designation).where(Item.reference == "A-1")) == "Bolt M6"
    assert _rows(BookLine) == 5
