"""Cut-off evidence by zone (issue 18): for each zone's count date, the last receipt and the last
issue on or before it (inside the count's book snapshot) and the first of each after it.

Pure: the engine's prepared frames in, one small DataFrame out (one row per zone of the book).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import ISSUE, RECEIPT, Book, Movements, day, same_text
from .places import first_positions

EVIDENCE_COLUMNS = (
    "site", "zone", "count_date", "direction",
    "last_receipt_before", "last_receipt_before_date", "last_issue_before", "last_issue_before_date",
    "first_receipt_after", "first_receipt_after_date", "first_issue_after", "first_issue_after_date",
)


def direction(count_date, closing_date) -> str:
    """``forward`` when counted before the closing date, ``back`` after it, ``none`` on it."""
    return "forward" if count_date < closing_date else "back" if count_date > closing_date else "none"


def evidence(book: Book, moves: Movements, settings,
             locations: tuple[np.ndarray, np.ndarray, int] | None = None) -> pd.DataFrame:
    """One row per zone of the book, with its count date, the direction and the four documents.

    ``locations``: the book lines' and the movements' location codes (-1: none of the book's) and
    how many codes there are, when the caller has them (the engine's places): no text is hashed."""
    if not len(book.ids):
        return pd.DataFrame({name: [] for name in EVIDENCE_COLUMNS})
    zone_code, zone_values = pd.factorize(book.zone)
    zone_values = np.asarray(zone_values, dtype=object)
    zone_site = book.site[first_positions(zone_code, len(zone_values))]
    order = np.lexsort((zone_values, zone_site)) if len(zone_values) else np.zeros(0, np.int64)
    zones = pd.DataFrame({"site": zone_site[order], "zone": zone_values[order]})
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    dates = [settings.date_of(zone, site) for site, zone in zip(zones["site"], zones["zone"])]
    zone_day = np.array([day(d) for d in dates], dtype=np.int64)
    out = pd.DataFrame({"site": zones["site"], "zone": zones["zone"], "count_date": dates,
                        "direction": [direction(d, settings.closing_date) for d in dates]})

    # Only receipts and issues are evidence; each finds its zone by its location's first book line.
    rows = np.flatnonzero((moves.kind == RECEIPT) | (moves.kind == ISSUE))
    if locations is None:
        location_code, location_values = pd.factorize(book.location)
        n_locations = len(location_values)
        found = pd.Index(location_values).get_indexer(moves.location[rows]) if len(rows) else np.zeros(0, np.int64)
    else:
        location_code, move_location, n_locations = locations
        found = move_location[rows]
    first_line = np.append(first_positions(location_code, n_locations), -1)   # found = -1 takes the -1
    found = first_line[found]
    rows, found = rows[found >= 0], found[found >= 0]
    move_zone = rank[zone_code[found]]
    move_day = moves.day[rows]
    before = move_day <= zone_day[move_zone]
    receipt = moves.kind[rows] == RECEIPT
    for name, kind, is_before, last in (("last_receipt_before", True, True, True),
                                        ("last_issue_before", False, True, True),
                                        ("first_receipt_after", True, False, False),
                                        ("first_issue_after", False, False, False)):
        chosen = np.flatnonzero((receipt == kind) & (before == is_before))
        documents = same_text(len(zones))
        when = same_text(len(zones), None)
        if len(chosen):
            # Each zone's last (or first) movement by date, then file order: the largest (smallest)
            # of date × (n + 1) + position, one pass per zone without sorting the movements.
            first_day = int(move_day[chosen].min())
            order = (move_day[chosen] - first_day) * (len(moves.day) + 1) + rows[chosen]
            if last:
                edge = np.full(len(zones), -1, np.int64)
                np.maximum.at(edge, move_zone[chosen], order)
            else:
                edge = np.full(len(zones), np.iinfo(np.int64).max, np.int64)
                np.minimum.at(edge, move_zone[chosen], order)
            where = np.flatnonzero(edge != (-1 if last else np.iinfo(np.int64).max))
            position = edge[where] % (len(moves.day) + 1)
            picked = np.searchsorted(rows, position)   # rows is increasing: back to the chosen movement
            documents[where] = [d or "-" for d in moves.document[rows[picked]]]
            when[where] = move_day[picked].astype("datetime64[D]").astype(object)
        out[name], out[f"{name}_date"] = documents, when
    return out[list(EVIDENCE_COLUMNS)]
