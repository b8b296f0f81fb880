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


def evidence(book: Book, moves: Movements, settings) -> pd.DataFrame:
    """One row per zone of the book, with its count date, the direction and the four documents."""
    if not len(book.ids):
        return pd.DataFrame({name: [] for name in EVIDENCE_COLUMNS})
    places = pd.DataFrame({"location": book.location, "zone": book.zone, "site": book.site})
    zones = places.drop_duplicates("zone")[["site", "zone"]].sort_values(["site", "zone"], kind="stable")
    zones = zones.reset_index(drop=True)
    dates = [settings.date_of(zone, site) for site, zone in zones.itertuples(index=False)]
    zone_day = np.array([day(d) for d in dates], dtype=np.int64)
    # Each movement's zone (by its location's zone in the book; -1 when the book does not know it).
    location_zone = places.drop_duplicates("location").set_index("location")["zone"]
    zone_index = pd.Index(zones["zone"])
    move_zone = zone_index.get_indexer(pd.Series(moves.location).map(location_zone))
    known = move_zone >= 0
    t = np.where(known, zone_day[np.maximum(move_zone, 0)], 0)
    frame = pd.DataFrame({"zone": move_zone, "day": moves.day, "seq": np.arange(len(moves.day)),
                          "document": moves.document, "kind": moves.kind,
                          "before": moves.day <= t})[known]
    frame = frame[frame["kind"].isin(("receipt", "issue"))].sort_values(["zone", "day", "seq"], kind="stable")
    out = pd.DataFrame({"site": zones["site"], "zone": zones["zone"], "count_date": dates,
                        "direction": [direction(d, settings.closing_date) for d in dates]})
    for name, kind, before, last in (("last_receipt_before", "receipt", True, True),
                                     ("last_issue_before", "issue", True, True),
                                     ("first_receipt_after", "receipt", False, False),
                                     ("first_issue_after", "issue", False, False)):
        chosen = frame[(frame["kind"] == kind) & (frame["before"] == before)]
        picked = chosen.groupby("zone").tail(1) if last else chosen.groupby("zone").head(1)
        documents = np.full(len(zones), "", dtype=object)
        when = np.full(len(zones), None, dtype=object)
        where = picked["zone"].to_numpy(np.int64)
        documents[where] = [d or "-" for d in picked["document"]]
        when[where] = picked["day"].to_numpy(np.int64).astype("datetime64[D]").astype(object)
        out[name], out[f"{name}_date"] = documents, when
    return out[list(EVIDENCE_COLUMNS)]
