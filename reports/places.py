"""The reconciliation's rows: book lines, tickets joined to them, and the cut-off roll-forward.

A *place* is one (reference, location, lot). Rows are, in this order: every book line; each place
counted on blank tickets that the book does not know; each place with movements between the count
and the closing date but neither book line nor ticket; then every voided ticket.

Each place has a count date ``t`` (its zone's, else its site's, else the campaign's). Its book
quantity at ``t`` comes from the stock file's quantity at ``D`` (the stock date) and the movements
between them, in either direction; its cut-off moves the count to the closing date ``C``: forward
(``+ Σ movements(t < date ≤ C)``) when counted before, back (``− Σ movements(C < date ≤ t)``) after.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tickets.errors import CountappError, N_

from . import exact
from .frames import CATEGORY_CODES, NO_DATE, OPENING, Book, Counts, Movements, coded, day, same_text
from .model import OWNERS

BOOK, UNKNOWN, ROLLFORWARD_ONLY = 0, 1, 2


@dataclass
class Places:
    kind: np.ndarray
    book_pos: np.ndarray        # row in the book, -1 when none
    item: np.ndarray            # index into ``item_refs``
    item_refs: np.ndarray
    move_item: np.ndarray       # each movement's index into ``item_refs``
    reference: np.ndarray
    location: np.ndarray
    lot: np.ndarray
    category: np.ndarray
    owner: np.ndarray
    designation: np.ndarray
    unit: np.ndarray
    site: np.ndarray
    zone: np.ndarray
    book_line_id: np.ndarray    # -1 when none
    book_qty: np.ndarray
    counted_qty: np.ndarray
    counted: np.ndarray
    rollforward: np.ndarray     # signed: positive rolls forward, negative rolls back
    count_day: np.ndarray       # each place's count date (days)
    documents: np.ndarray       # the movements of each place's cut-off, as text ("" when none)
    state_bits: np.ndarray
    tickets: np.ndarray
    last_day: np.ndarray
    market: np.ndarray
    market_missing: np.ndarray
    voided: pd.DataFrame        # one row per voided ticket (text columns only)
    owner_code: np.ndarray      # ``owner`` in OWNERS
    book_location: np.ndarray   # each book line's location code (``location_texts``)
    move_location: np.ndarray   # each movement's location code
    location_texts: np.ndarray
    category_code: np.ndarray   # ``category`` in CATEGORY_CODES


def _codes(*parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(np.concatenate(parts), use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _combine(a: np.ndarray, b: np.ndarray, nb: int) -> np.ndarray:
    codes, _ = pd.factorize(a * max(nb, 1) + b)
    return codes.astype(np.int64)


def _place_keys(ref: np.ndarray, n_ref: int, loc: np.ndarray, n_loc: int, lot: np.ndarray, n_lot: int
                ) -> np.ndarray:
    """Dense codes of (reference, location, lot): one factorisation when the triple fits in int64."""
    if max(n_ref, 1) * max(n_loc, 1) * max(n_lot, 1) < 2**62:
        codes, _ = pd.factorize((ref * max(n_loc, 1) + loc) * max(n_lot, 1) + lot)
        return codes.astype(np.int64)
    return _combine(_combine(ref, loc, n_loc), lot, n_lot)


def first_positions(values: np.ndarray, n: int) -> np.ndarray:
    """For each code 0..n-1, the position of its first occurrence in ``values`` (-1 if none).

    One pass of ``np.minimum.at`` (no sort: ``np.unique`` sorted, and cost a tenth of the engine)."""
    out = np.full(n, len(values), dtype=np.int64)
    np.minimum.at(out, values, np.arange(len(values), dtype=np.int64))
    out[out == len(values)] = -1
    return out


def _pick(first: np.ndarray, source: np.ndarray, default: str = "") -> np.ndarray:
    out = same_text(len(first), default)
    has = first >= 0
    out[has] = source[first[has]]
    return out


def _join_tickets(place: np.ndarray, tickets: np.ndarray, n: int) -> np.ndarray:
    """Each place's ticket numbers ("" when none; several joined by ", ")."""
    out = same_text(n)
    if not len(place):
        return out
    # Most places have one ticket: they take it as it is, no sort (a tenth of a second at 1M).
    per_place = np.bincount(place, minlength=n)
    single = per_place[place] == 1
    out[place[single]] = tickets[single]
    if not single.all():
        joined = pd.Series(tickets[~single]).groupby(place[~single]).agg(lambda t: ", ".join(sorted(t)))
        out[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
    return out


def _signed_between(moves_day: np.ndarray, start: np.ndarray | int, end: np.ndarray | int) -> np.ndarray:
    """Each movement's sign in Σ movements(start → end): +1 when start < day ≤ end, −1 when
    end < day ≤ start (going back), 0 otherwise."""
    forward = (moves_day > start) & (moves_day <= end)
    backward = (moves_day > end) & (moves_day <= start)
    return forward.astype(np.int64) - backward.astype(np.int64)


def _place_days(book: Book, counts: Counts, book_loc: np.ndarray, ticket_loc: np.ndarray, n_locs: int, settings
                ) -> np.ndarray:
    """Each location's count date (days): its zone's, else its site's, else the campaign's."""
    zone = same_text(n_locs)
    site = same_text(n_locs)
    # The book's zone of a location wins over what a ticket says (later writes win).
    for codes, zones, sites in ((ticket_loc, counts.zone, counts.site), (book_loc, book.zone, book.site)):
        zone[codes] = zones
        site[codes] = sites
    out = np.full(n_locs, day(settings.count_date), np.int64)
    dates = settings.count_dates
    if dates:
        for code, date in dates.items():   # sites first, so that a zone's own date wins
            out[site == code] = day(date)
        for code, date in dates.items():
            out[zone == code] = day(date)
    return out


def _documents(place: np.ndarray, sign: np.ndarray, moves: Movements, n: int) -> np.ndarray:
    """Each place's cut-off movements as "DOC 2026-01-02 +5; …" (date order)."""
    out = same_text(n)
    rows = np.flatnonzero((sign != 0) & (place >= 0))
    if not len(rows):
        return out
    rows = rows[np.lexsort((rows, moves.day[rows], place[rows]))]   # by place, then date, then file order
    qty = exact.to_decimal(moves.qty[rows] * sign[rows], np.zeros(len(rows), bool), exact.QTY, min_digits=0)
    dates = moves.day[rows].astype("datetime64[D]").astype(str)
    texts = np.array([f"{doc or '-'} {d} {'+' if q > 0 else ''}{q}"
                      for doc, d, q in zip(moves.document[rows], dates, qty)], dtype=object)
    owner = place[rows]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    ends = np.r_[starts[1:], len(owner)]
    single = ends - starts == 1
    out[owner[starts[single]]] = texts[starts[single]]
    for a, b in zip(starts[~single], ends[~single]):
        out[owner[a]] = "; ".join(texts[a:b])
    return out


def build_places(book: Book, counts: Counts, moves: Movements, settings) -> Places:
    """Join tickets to book lines, find unknown places, bring the book to each place's count date
    and carry every place to the closing date (``settings``: a ``reports.model.ReconcileSettings``)."""
    closing_day = day(settings.closing_date)
    nb, nc, nm = len(book.ids), len(counts.ticket), len(moves.day)

    # Tickets naming a book line take its place: only blank tickets need a key of their own, and a
    # ticket's location only counts (for its zone) when it is not its line's.
    has_id = counts.book_line_id >= 0
    blank = np.flatnonzero(~has_id)
    with_id = np.flatnonzero(has_id)
    pos = np.full(nc, -1, np.int64)
    if len(with_id):
        found = book.positions(counts.book_line_id[with_id])
        if (found < 0).any():
            bad = int(with_id[np.flatnonzero(found < 0)[0]])
            raise CountappError(N_("Ticket %(ticket)s names book line %(id)s, which is not in the book stock."),
                                field="book_line_id", ticket=counts.ticket[bad], id=int(counts.book_line_id[bad]))
        pos[with_id] = found
    elsewhere = np.ones(nc, bool)
    elsewhere[with_id] = counts.location[with_id] != book.location[pos[with_id]]
    elsewhere = np.flatnonzero(elsewhere)
    nbl = len(blank)
    ref, ref_uniques = _codes(book.reference, counts.reference[blank], moves.reference)
    loc_all, loc_uniques = _codes(book.location, counts.location[elsewhere], moves.location)
    lot, lot_uniques = _codes(book.lot, counts.lot[blank], moves.lot)
    ticket_loc = np.empty(nc, np.int64)
    ticket_loc[with_id] = loc_all[pos[with_id]]
    ticket_loc[elsewhere] = loc_all[nb:nb + len(elsewhere)]
    loc = np.concatenate([loc_all[:nb], ticket_loc[blank], loc_all[nb + len(elsewhere):]])
    del loc_all
    key = _place_keys(ref, len(ref_uniques), loc, len(loc_uniques), lot, len(lot_uniques))
    n_keys = int(key.max()) + 1 if len(key) else 0
    key_ref = np.zeros(n_keys, np.int64)
    key_ref[key] = ref
    key_loc = np.zeros(n_keys, np.int64)
    key_loc[key] = loc
    key_lot = np.zeros(n_keys, np.int64)
    key_lot[key] = lot
    bkey, mkey = key[:nb], key[nb + nbl:]
    ckey = np.full(nc, -1, np.int64)   # blank tickets' keys (-1: the ticket names its book line)
    ckey[blank] = key[nb:nb + nbl]

    key_book = first_positions(bkey, n_keys)
    twice = key_book[bkey] != np.arange(nb)
    if twice.any():
        dup = int(np.flatnonzero(twice)[0])
        raise CountappError(N_("Two book lines share reference %(reference)s, location %(location)s and lot "
                               "%(lot)s."), field="reference", reference=book.reference[dup],
                            location=book.location[dup], lot=book.lot[dup])
    pos[blank] = key_book[ckey[blank]]
    active = ~counts.voided
    unknown_tickets = active & (pos < 0) & counts.counted
    ukeys = np.unique(ckey[unknown_tickets])   # few: blank tickets on places the book lacks

    # Each place's count date t; the book from the stock date D to t; the cut-off from t to closing.
    key_day = _place_days(book, counts, loc[:nb], ticket_loc, len(loc_uniques), settings)[key_loc] if n_keys \
        else np.zeros(0, np.int64)
    move_day = key_day[mkey] if nm else np.zeros(0, np.int64)
    cut_sign = _signed_between(moves.day, move_day, closing_day)
    rf_by_key = np.zeros(n_keys, np.int64)
    np.add.at(rf_by_key, mkey, moves.qty * cut_sign)
    book_sign = _signed_between(moves.day, day(settings.stock_day), move_day)
    shift_by_key = np.zeros(n_keys, np.int64)
    np.add.at(shift_by_key, mkey, moves.qty * book_sign)
    placed = np.zeros(n_keys, bool)
    placed[bkey] = True
    placed[ukeys] = True
    rkeys = np.flatnonzero(((rf_by_key != 0) | (shift_by_key != 0)) & ~placed)

    nu, nr = len(ukeys), len(rkeys)
    n = nb + nu + nr
    pkey = np.concatenate([bkey, ukeys, rkeys]).astype(np.int64)
    kind = np.repeat(np.array([BOOK, UNKNOWN, ROLLFORWARD_ONLY], np.int8), [nb, nu, nr])
    key_place = np.full(n_keys, -1, np.int64)
    key_place[pkey] = np.arange(n)
    tplace = np.where(pos >= 0, pos, np.where(unknown_tickets, key_place[np.maximum(ckey, 0)] if n_keys else -1, -1))
    tplace = np.where(active, tplace, -1)

    counting = (tplace >= 0) & counts.counted
    counted_qty = np.zeros(n, np.int64)
    np.add.at(counted_qty, tplace[counting], counts.qty[counting])
    counted = np.zeros(n, bool)
    counted[tplace[counting]] = True
    state_bits = np.zeros(n, np.int8)
    np.bitwise_or.at(state_bits, tplace[counting], counts.state_bits[counting])
    with_place = tplace >= 0
    tickets = _join_tickets(tplace[with_place], counts.ticket[with_place], n)

    # What the book says of the item (and of the location) fills in rows the book lacks.
    item_first = first_positions(ref[:nb], len(ref_uniques))
    loc_first = first_positions(loc[:nb], len(loc_uniques))
    extra = slice(nb, n)
    eref, eloc = key_ref[pkey[extra]], key_loc[pkey[extra]]
    first_ticket = first_positions(tplace[with_place], n)[extra]
    placed_tickets = np.flatnonzero(with_place)
    first_ticket = np.where(first_ticket >= 0, placed_tickets[np.maximum(first_ticket, 0)], -1) \
        if len(placed_tickets) else np.full(len(first_ticket), -1, np.int64)

    def extra_text(book_col: np.ndarray, ticket_col: np.ndarray | None, by: np.ndarray) -> np.ndarray:
        from_book = _pick(by, book_col)
        if ticket_col is None:
            return from_book
        from_ticket = _pick(first_ticket, ticket_col)
        return np.where(from_ticket != "", from_ticket, from_book)

    ifirst, lfirst = item_first[eref], loc_first[eloc]
    owner_extra = _pick(first_ticket, counts.owner, "own")
    owner_extra[owner_extra == ""] = "own"
    category_extra = extra_text(book.category, counts.category, ifirst)

    last_by_key = np.full(n_keys, NO_DATE, np.int64)
    physical = (moves.kind != OPENING) & (moves.day <= closing_day)
    np.maximum.at(last_by_key, mkey[physical], moves.day[physical])
    last_day = np.maximum(np.concatenate([book.last_day, np.full(nu + nr, NO_DATE, np.int64)]),
                          last_by_key[pkey])

    # Rows the book lacks take the lowest market price the book gives for the item.
    big = np.iinfo(np.int64).max
    market_by_ref = np.full(len(ref_uniques), big, np.int64)
    priced = ~book.market_missing
    np.minimum.at(market_by_ref, ref[:nb][priced], book.market[priced])
    emarket = market_by_ref[eref]

    voided = counts.voided
    vpos = pos[voided]
    vbook = vpos >= 0

    def voided_text(book_col: np.ndarray, ticket_col: np.ndarray) -> np.ndarray:
        return np.where(vbook, book_col[np.maximum(vpos, 0)] if nb else "", ticket_col[voided])

    voided_rows = pd.DataFrame({
        "ticket": counts.ticket[voided],
        "reference": voided_text(book.reference, counts.reference),
        "location": voided_text(book.location, counts.location),
        "lot": voided_text(book.lot, counts.lot),
        "category": voided_text(book.category, counts.category),
        "owner": voided_text(book.owner, counts.owner),
        "designation": voided_text(book.designation, counts.designation),
        "unit": voided_text(book.unit, counts.unit),
        "site": voided_text(book.site, counts.site),
        "zone": voided_text(book.zone, counts.zone),
        "book_line_id": np.where(vbook, book.ids[np.maximum(vpos, 0)] if nb else -1, -1),
    })

    return Places(
        kind=kind, book_pos=np.concatenate([np.arange(nb), np.full(nu + nr, -1)]).astype(np.int64),
        item=key_ref[pkey], item_refs=ref_uniques, move_item=ref[nb + nbl:],
        reference=ref_uniques[key_ref[pkey]], location=loc_uniques[key_loc[pkey]], lot=lot_uniques[key_lot[pkey]],
        category=np.concatenate([book.category, category_extra]),
        owner=np.concatenate([book.owner, owner_extra]),
        designation=np.concatenate([book.designation, extra_text(book.designation, counts.designation, ifirst)]),
        unit=np.concatenate([book.unit, extra_text(book.unit, counts.unit, ifirst)]),
        site=np.concatenate([book.site, extra_text(book.site, counts.site, lfirst)]),
        zone=np.concatenate([book.zone, extra_text(book.zone, counts.zone, lfirst)]),
        book_line_id=np.concatenate([book.ids, np.full(nu + nr, -1, np.int64)]),
        book_qty=np.concatenate([book.qty, np.zeros(nu + nr, np.int64)]) + shift_by_key[pkey],
        counted_qty=counted_qty, counted=counted, rollforward=rf_by_key[pkey], count_day=key_day[pkey],
        documents=_documents(key_place[mkey] if nm else np.zeros(0, np.int64), cut_sign, moves, n),
        state_bits=state_bits,
        tickets=tickets, last_day=last_day,
        market=np.concatenate([book.market, np.where(emarket == big, 0, emarket)]),
        market_missing=np.concatenate([book.market_missing, emarket == big]),
        voided=voided_rows, book_location=loc[:nb], move_location=loc[nb + nbl:], location_texts=loc_uniques,
        owner_code=np.concatenate([book.owner_code, coded(owner_extra, OWNERS)]),
        category_code=np.concatenate([book.category_code, coded(category_extra, CATEGORY_CODES)]),
    )
