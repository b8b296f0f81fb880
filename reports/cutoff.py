"""Cut-off evidence by zone (issue 18): for each zone's count date, the last receipt and the last
issue on or before it (inside the count's book snapshot) and the first of each after it.

Pure: the engine's prepared frames in, one small DataFrame out (one row per zone of the book).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .frames import Book, Movements, day

EVIDENCE_COLUMNS = (
    "site", "zone", "count_date", "direction",
    "last_receipt_before", "last_receipt_before_date", "last_issue_before", "last_issue_before_date",
    "first_receipt_after", "first_receipt_after_date", "first_issue_after", "first_issue_after_date",
)


def direction(count_date, closing_date) -> str:
    """``forward`` when counted before the closing date, ``back`` after it, ``none`` on it."""
    return "forward" if count_date < closing_date else "back" if count_date > closing_date else "none"


def _pick(rows: np.ndarray, moves: Movements, last: bool) -> tuple[str, object]:
    if not len(rows):
        return "", None
    order = np.lexsort((rows, moves.day[rows]))   # date order, then file order
    chosen = rows[order[-1] if last else order[0]]
    document = moves.document[chosen] or "-"
    return str(document), np.datetime64(int(moves.day[chosen]), "D").astype(object)


def evidence(book: Book, moves: Movements, settings) -> pd.DataFrame:
    """One row per zone of the book, with its count date, the direction and the four documents."""
    if not len(book.ids):
        return pd.DataFrame({name: [] for name in EVIDENCE_COLUMNS})
    places = pd.DataFrame({"location": book.location, "zone": book.zone, "site": book.site})
    zones = places.drop_duplicates("zone")[["site", "zone"]].sort_values(["site", "zone"], kind="stable")
    zone_of_location = dict(zip(places["location"], places["zone"]))
    move_zone = np.array([zone_of_location.get(loc, None) for loc in moves.location], dtype=object)
    receipt, issue = moves.kind == "receipt", moves.kind == "issue"
    rows = []
    for site, zone in zones.itertuples(index=False):
        date = settings.date_of(zone, site)
        t = day(date)
        here = move_zone == zone
        before, after = here & (moves.day <= t), here & (moves.day > t)
        row = {"site": site, "zone": zone, "count_date": date, "direction": direction(date, settings.closing_date)}
        for name, mask, last in (("last_receipt_before", before & receipt, True),
                                 ("last_issue_before", before & issue, True),
                                 ("first_receipt_after", after & receipt, False),
                                 ("first_issue_after", after & issue, False)):
            row[name], row[f"{name}_date"] = _pick(np.flatnonzero(mask), moves, last)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(EVIDENCE_COLUMNS))
