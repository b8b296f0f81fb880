"""Builders for the reconciliation tests: small campaigns in one call (imported explicitly)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd

from reports.model import DepreciationRates, ReconcileSettings
from reports.reconcile import reconcile

COUNT_DATE = dt.date(2025, 12, 27)
CLOSING_DATE = dt.date(2025, 12, 31)
NO_DEPRECIATION = DepreciationRates(damaged=0, obsolete=0, expired=0, slow_moving=0, market_price=False)


def D(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def line(book_line_id: int, reference: str = "A", location: str = "L1", book_qty="10", unit_cost="5",
         *, lot: str = "", owner: str = "own", category: str = "raw_materials", market_price=None,
         last_movement_date: dt.date | None = None) -> dict:
    return {"book_line_id": book_line_id, "reference": reference, "designation": f"Item {reference}",
            "category": category, "unit": "pc", "site": "LYON", "zone": "Z1", "location": location, "lot": lot,
            "owner": owner, "book_qty": D(book_qty), "unit_cost": D(unit_cost),
            "last_movement_date": last_movement_date, "market_price": D(market_price)}


def ticket(number: int, book_line_id: int | None, counted_qty="10", *, state: str = "good", status: str = "final",
           reference: str = "", location: str = "", lot: str = "") -> dict:
    return {"ticket": f"{number:06d}/2025", "book_line_id": book_line_id, "reference": reference,
            "location": location, "lot": lot, "counted_qty": D(counted_qty), "state": state, "status": status}


def move(date: dt.date | str, quantity, *, reference: str = "A", location: str = "L1", lot: str = "",
         unit_cost=None, kind: str = "receipt") -> dict:
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    return {"date": date, "reference": reference, "location": location, "lot": lot, "quantity": D(quantity),
            "unit_cost": D(unit_cost), "kind": kind, "document": ""}


def frames(lines: list[dict], tickets: list[dict] | None = None, moves: list[dict] | None = None):
    book = pd.DataFrame(lines) if lines else pd.DataFrame({k: [] for k in line(1)})
    counts = pd.DataFrame(tickets) if tickets else pd.DataFrame({k: [] for k in ticket(1, 1)})
    movements = pd.DataFrame(moves) if moves else pd.DataFrame({k: [] for k in move("2025-01-01", 1)})
    counts["book_line_id"] = counts["book_line_id"].astype("Int64") if len(counts) else counts["book_line_id"]
    return book, counts, movements


def run(lines, tickets=None, moves=None, *, method: str = "book", rates: DepreciationRates = NO_DEPRECIATION,
        causes=None, count_date=COUNT_DATE, closing_date=CLOSING_DATE):
    """Reconcile a small campaign; tickets default to one counting every line at its book quantity."""
    if tickets is None:
        tickets = [ticket(i + 1, l["book_line_id"], l["book_qty"]) for i, l in enumerate(lines)
                   if l["owner"] != "at_third_party"]
    settings = ReconcileSettings(method, count_date, closing_date, rates)
    return reconcile(*frames(lines, tickets, moves), settings, causes=causes)


def row(result, **match) -> dict:
    """The one row of the reconciliation matching every given column."""
    lines = result.lines
    mask = pd.Series(True, index=lines.index)
    for key, value in match.items():
        mask &= lines[key] == value
    found = lines[mask]
    assert len(found) == 1, f"{len(found)} rows match {match}"
    return found.iloc[0].to_dict()
