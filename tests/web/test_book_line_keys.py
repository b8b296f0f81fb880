"""A book line's item and location are of its own campaign (migration pgimport0001): an installation
with book lines and tickets upgrades in place, its lines kept, and then refuses a line that names
another campaign's item."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from countapp.extensions import db
from countapp.models import BookLine, Item, Location
from countapp.services import imports

HEADER = "reference;designation;unit;category;location;zone;site;lot;book_qty;unit_cost"
LINES = ["A-1;Bolt;pc;31;L-01;Z1;S1;;10;0,25", "B-2;Oil;l;32;L-02;Z1;S1;LOT9;12,5;3,10"]


def _keys() -> set[tuple[str, ...]]:
    return {tuple(key["constrained_columns"]) for key in sa.inspect(db.engine).get_foreign_keys("book_line")}


def test_an_installation_with_book_lines_upgrades_and_then_keeps_lines_in_their_campaign(app, make_campaign,
                                                                                          tmp_path):
    from flask_migrate import downgrade, upgrade

    for code in ("FY2025", "FY2025B"):
        make_campaign(code, count_date=date(2025, 12, 28))
        path = tmp_path / f"{code}.csv"
        path.write_text("\n".join([HEADER, *LINES]) + "\n", encoding="utf-8")
        imports.import_file("stock", code, path)
    before = db.session.execute(sa.select(BookLine.id, BookLine.campaign_id, BookLine.item_id,
                                          BookLine.location_id).order_by(BookLine.id)).all()
    db.session.commit()
    db.engine.dispose()
    downgrade(revision="perfimport0001")
    try:
        db.engine.dispose()
        assert _keys() == {("campaign_id",), ("item_id",), ("location_id",)}
    finally:
        db.engine.dispose()
        upgrade(revision="heads")
    db.engine.dispose()
    assert _keys() == {("campaign_id", "item_id"), ("campaign_id", "location_id")}
    assert db.session.execute(sa.select(BookLine.id, BookLine.campaign_id, BookLine.item_id,
                                        BookLine.location_id).order_by(BookLine.id)).all() == before
    first, second = sorted({row.campaign_id for row in before})
    other_item = db.session.scalar(sa.select(Item.id).where(Item.campaign_id == second))
    place = db.session.scalar(sa.select(Location.id).where(Location.campaign_id == first))
    with pytest.raises(IntegrityError):
        db.session.execute(sa.insert(BookLine).values(campaign_id=first, item_id=other_item, location_id=place,
                                                      lot="X", book_qty=Decimal(1), unit_cost=Decimal(1),
                                                      owner="own", holder=""))
    db.session.rollback()
