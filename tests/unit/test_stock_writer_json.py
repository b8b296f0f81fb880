"""The JSON a chunk of book lines goes to SQLite in: values as SQLAlchemy's types would send them."""
import json
import sqlite3
from datetime import date
from decimal import Decimal

from countapp.services.stock_writer import COLUMNS, _SQLITE_INSERT, sqlite_json

LINE = (1, 7, 9, "LOT-é", Decimal("484"), Decimal("20.749"), "own", "", date(2025, 3, 27), None)


def test_a_line_goes_as_floats_iso_dates_and_nulls():
    assert json.loads(sqlite_json([LINE])) == [[1, 7, 9, "LOT-é", 484.0, 20.749, "own", "", "2025-03-27", None]]


def test_sqlite_stores_from_json_what_an_executemany_stores():
    """Same rows, same order, same values and types, whichever way they go in."""
    lines = [LINE, (1, 8, 9, "", Decimal("0.001"), Decimal("123456.789"), "third_party", "Dépôt Nord", None,
                    Decimal("12.45"))]
    stored = []
    for insert in ("json", "executemany"):
        connection = sqlite3.connect(":memory:")
        connection.execute("CREATE TABLE book_line (id INTEGER PRIMARY KEY, campaign_id INTEGER, item_id INTEGER, "
                           "location_id INTEGER, lot VARCHAR, book_qty NUMERIC, unit_cost NUMERIC, owner VARCHAR, "
                           "holder VARCHAR, last_movement_date DATE, market_price NUMERIC)")
        if insert == "json":
            connection.execute(_SQLITE_INSERT, (sqlite_json(lines),))
        else:
            connection.executemany(f"INSERT INTO book_line ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 10)})",
                                   [tuple(json.loads(sqlite_json([line]))[0]) for line in lines])
        stored.append(connection.execute("SELECT *, typeof(book_qty), typeof(unit_cost), typeof(market_price) "
                                         "FROM book_line ORDER BY id").fetchall())
    assert stored[0] == stored[1]
