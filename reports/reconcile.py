"""Counted vs book, rolled forward to the closing date, valued and written down (issues 8 and 9).

``reconcile(book, counts, movements, settings)`` returns a ``Reconciliation`` whose ``lines`` frame
has one row per book line, per place counted on blank tickets unknown to the book, per place
with only roll-forward movements, and per voided ticket (``reports.model.STATUSES`` documents
the statuses). Quantities are at the count date except ``rollforward_qty`` and ``closing_qty``:

- ``closing_qty = counted_qty + rollforward_qty`` (``at_third_party``: ``book_qty + rollforward``;
  roll-forward-only places: ``rollforward_qty``); empty when nothing was counted — never a zero;
- ``diff_qty = counted_qty − book_qty``;
- every value is its quantity × ``unit_cost`` rounded half up to the cent (``reports.valuation``
  for the cost, ``reports.depreciation`` for the write-down); ``third_party`` rows carry no value.

Numbers come out as ``Decimal`` (None where empty); totals are sums of the rounded lines. Inside,
every figure is a scaled int64 (``reports.exact``; Python integers for rows past int64), from the
frames (``reports.frames``: the loader hands scaled integers) to ``Reconciliation.numbers``; a
``Decimal`` is built only at the edge, when ``lines`` or ``rows`` is asked for (pages, exports).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import cutoff as cutoff_evidence
from . import exact, totals
from .depreciation import depreciate
from .frames import (AT_THIRD_PARTY, NO_CATEGORY, NO_DATE, THIRD_PARTY, day, in_window, isin, prepare_book,
                     prepare_counts, prepare_movements, same_text)
from .model import ReconcileSettings
from .places import BOOK, ROLLFORWARD_ONLY, UNKNOWN, Places, build_places
from .texts import Notice
from .valuation import item_book_costs, item_costs, layers

COLUMNS = (
    "ticket", "reference", "location", "lot", "category", "owner", "book_qty", "counted_qty", "diff_qty",
    "rollforward_qty", "closing_qty", "unit_cost", "book_value", "counted_value", "diff_value", "closing_value",
    "depreciation", "net_value", "status", "cause",
    # additions to SPEC.md's columns
    "depreciation_reason", "exception", "state", "designation", "unit", "site", "zone", "book_line_id",
    "last_movement_date", "market_price",
    # issue 18: each line's count date, the cut-off's direction and its movement documents
    "count_date", "cutoff", "cutoff_documents",
)
QTY_COLUMNS = ("book_qty", "counted_qty", "diff_qty", "rollforward_qty", "closing_qty")
MONEY_COLUMNS = ("book_value", "counted_value", "diff_value", "closing_value", "depreciation", "net_value")
COST_COLUMNS = ("unit_cost", "market_price")
_STATE_TEXT = np.array([",".join(s for s, bit in (("damaged", 1), ("obsolete", 2), ("expired", 4)) if bits & bit)
                        for bits in range(8)], dtype=object)


@dataclass
class Reconciliation:
    """The reconciliation's rows, its totals, and the warnings to show.

    The engine works in scaled integers (``numbers``) and only turns them into ``Decimal`` at the
    edge: ``lines`` (every row, built on first use and then kept) and ``rows(positions)`` (only
    those rows, for a page). ``frame`` holds the same rows without the number and date columns.
    """

    frame: pd.DataFrame
    by_category: pd.DataFrame
    by_owner: pd.DataFrame
    warnings: list[Notice]
    settings: ReconcileSettings
    own_totals: dict = field(default_factory=dict)
    # Cut-off evidence by zone (reports.cutoff.EVIDENCE_COLUMNS) and how many movements lay
    # outside the window (kept, moving no figure).
    cutoff: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {name: [] for name in cutoff_evidence.EVIDENCE_COLUMNS}))
    outside_window: int = 0
    # Each numeric column of ``lines`` as exact scaled integers and a missing mask (reports.exact
    # units: QTY, COST or MONEY digits), for callers that sort, filter and sum (the review page).
    numbers: dict = field(default_factory=dict, repr=False)
    # ``count_date`` and ``last_movement_date`` as days since 1970-01-01 (NO_DATE where empty).
    days: dict = field(default_factory=dict, repr=False)
    _lines: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    _base: "Reconciliation | None" = field(default=None, init=False, repr=False, compare=False)

    @property
    def lines(self) -> pd.DataFrame:
        """Every row with its numbers as ``Decimal`` (None where empty) and its dates as dates."""
        if self._lines is None:
            if self._base is not None:   # the same figures under other causes: reuse the base's Decimals
                self._lines = _laid(self._base.lines, self.frame["cause"].to_numpy(dtype=object),
                                    self.frame["exception"].to_numpy(dtype=object))
            else:
                self._lines = self.rows(None)
        return self._lines

    @lines.setter
    def lines(self, lines: pd.DataFrame) -> None:
        # Text columns may be replaced (tests do); the numbers stay those of ``numbers``.
        self._lines, self._base = lines, None
        self.frame = lines.drop(columns=[c for c in lines.columns if c in self.numbers or c in self.days])

    def rows(self, positions: np.ndarray | None) -> pd.DataFrame:
        """The rows at ``positions`` (all when None), as ``lines`` gives them, built for them only."""
        frame = self.frame if positions is None else self.frame.iloc[positions]
        data = {}
        for name in COLUMNS:
            if name in self.numbers:
                values, missing = self.numbers[name]
                if positions is not None:
                    values, missing = values[positions], missing[positions]
                data[name] = _decimals(name, values, missing)
            elif name in self.days:
                data[name] = _dates(self.days[name] if positions is None else self.days[name][positions])
            else:
                data[name] = frame[name].to_numpy(dtype=object) if name != "book_line_id" else frame[name].array
        return _frame(data, list(COLUMNS), frame.index)

    def __getstate__(self) -> dict:
        # Kept results are pickled (the service's cache): the Decimals are rebuilt, not stored.
        return {**self.__dict__, "_lines": None}

    @property
    def exceptions(self) -> pd.DataFrame:
        return self.rows(np.flatnonzero(self.frame["exception"].to_numpy(dtype=object) != ""))

    @property
    def not_counted(self) -> pd.DataFrame:
        return self.rows(np.flatnonzero(self.frame["status"].to_numpy(dtype=object) == "not_counted"))

    @property
    def third_party(self) -> pd.DataFrame:
        return self.rows(np.flatnonzero(self.frame["owner"].to_numpy(dtype=object) == "third_party"))


def _decimals(name: str, values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if name in QTY_COLUMNS:
        return exact.to_decimal(values, missing, exact.QTY, min_digits=0)
    if name in COST_COLUMNS:
        return exact.to_decimal(values, missing, exact.COST, min_digits=2)
    return exact.to_decimal(values, missing, exact.MONEY)


def _dates(days: np.ndarray) -> np.ndarray:
    dates = days.astype("datetime64[D]").astype(object)
    dates[days == NO_DATE] = None
    return dates


def _lookup_causes(book_line_id: np.ndarray, tickets: np.ndarray, causes) -> np.ndarray:
    """Each row's cause from a mapping keyed by book_line_id (int) or by ticket number (str).

    ``book_line_id`` is -1 where a row has none; a row counted on several tickets (joined by
    ", ") is found by its first one.
    """
    n = len(book_line_id)
    found = same_text(n)
    if not causes:
        return found
    by_id = {int(k): v for k, v in causes.items() if not isinstance(k, str)}
    by_ticket = {k: v for k, v in causes.items() if isinstance(k, str)}
    if by_id:
        with_id = np.flatnonzero(book_line_id >= 0)
        mapped = pd.Series(book_line_id[with_id]).map(by_id)
        hit = mapped.notna().to_numpy()
        found[with_id[hit]] = mapped[hit].to_numpy(dtype=object)
    if by_ticket:
        # Only rows the ids left without a cause look at their tickets (few rows, on big campaigns).
        tickets = np.asarray(tickets, dtype=object)
        rest = np.flatnonzero((found == "") & (tickets != ""))
        first = pd.Series(tickets[rest], dtype=object)
        several = first.str.contains(", ", regex=False).to_numpy(dtype=bool)
        if several.any():
            first[several] = first[several].str.split(", ").str[0]
        mapped = first.map(by_ticket)
        hit = mapped.notna().to_numpy()
        found[rest[hit]] = mapped[hit].to_numpy(dtype=object)
    return found


def _causes(places: Places, causes) -> np.ndarray:
    return _lookup_causes(places.book_line_id, places.tickets, causes)


def _difference_without_cause(has_difference: np.ndarray, cause: np.ndarray) -> np.ndarray:
    return has_difference & (cause == "")


def with_causes(result: Reconciliation, causes: dict | None) -> Reconciliation:
    """The same reconciliation with other causes: only ``cause`` and ``exception`` change.

    Causes change no figure, so a caller may keep one reconciliation and lay the newest causes
    over it (the review page does, at 100,000 lines). Voided rows never take a cause.
    """
    lines = result.frame
    ids = lines["book_line_id"].to_numpy(dtype=np.float64, na_value=-1).astype(np.int64)
    status = lines["status"].to_numpy(dtype=object)
    cause = _lookup_causes(ids, lines["ticket"].to_numpy(dtype=object), causes)
    cause[status == "voided"] = ""
    exception = lines["exception"].to_numpy(dtype=object).copy()
    # Every earlier reason for an exception does not depend on the cause: only the last one moves.
    open_rows = isin(exception, ("", "difference_without_cause"))
    diff, diff_missing = result.numbers["diff_qty"]
    lacking = _difference_without_cause(~diff_missing & (diff != 0), cause)
    exception[open_rows] = np.where(lacking[open_rows], "difference_without_cause", "")
    out = dataclasses.replace(result, frame=_laid(lines, cause, exception))
    out._base = result if result._base is None else result._base
    return out


def _laid(frame: pd.DataFrame, cause: np.ndarray, exception: np.ndarray) -> pd.DataFrame:
    """The frame with other causes and exceptions (object columns, as the engine builds them)."""
    return frame.assign(cause=pd.Series(cause, dtype=object, index=frame.index),
                        exception=pd.Series(exception, dtype=object, index=frame.index))


def _first_true(*conditions: np.ndarray, n: int) -> np.ndarray:
    """The position of each row's first true condition (``len(conditions)`` when none): the row's
    status or exception as a small integer, its text taken once from _STATUS or _EXCEPTION."""
    choice = np.full(n, len(conditions), np.int8)
    for i in range(len(conditions) - 1, -1, -1):
        choice[conditions[i]] = i
    return choice


_CUTOFF_TEXT = np.array(["forward", "none", "back"], dtype=object)
# In the order of their conditions in ``reconcile``; the last one is the row's when none holds.
_STATUS = np.array(["rollforward_only", "at_third_party", "not_counted", "third_party", "unknown_to_book",
                    "difference", "agreed"], dtype=object)
_EXCEPTION = np.array(["not_counted", "unknown_to_book", "rollforward_only", "negative_closing", "no_category",
                       "difference_without_cause", ""], dtype=object)
_NOT_COUNTED, _UNKNOWN_TO_BOOK = 2, 4             # in _STATUS
_NEGATIVE_CLOSING, _NO_CATEGORY = 3, 4            # in _EXCEPTION


def reconcile(book: pd.DataFrame, counts: pd.DataFrame | None, movements: pd.DataFrame | None,
              settings: ReconcileSettings, causes: dict | None = None) -> Reconciliation:
    """Reconcile counts with book stock, value closing stock and its depreciation."""
    closing_day = day(settings.closing_date)
    b, c, m = prepare_book(book), prepare_counts(counts), prepare_movements(movements)
    inside = in_window(m, day(settings.year_start) if settings.year_start else None, day(settings.window_end))
    outside = int((~inside).sum())
    every_move = m   # the cut-off evidence reads every document, inside the window or not
    if outside:
        m = m.take(inside)
    p = build_places(b, c, m, settings)
    del c   # at 1M lines every column is 8 MB: what is no longer needed goes as soon as it can
    n, n_items = len(p.kind), len(p.item_refs)

    at_third = p.owner_code == AT_THIRD_PARTY
    third = p.owner_code == THIRD_PARTY
    rf_only = p.kind == ROLLFORWARD_ONLY
    closing = np.where(at_third | rf_only, p.book_qty, p.counted_qty) + p.rollforward
    closing_missing = ~(at_third | rf_only | p.counted)
    diff = p.counted_qty - p.book_qty
    diff_missing = ~p.counted | rf_only
    valued = ~third & ~closing_missing

    # The item's quantity to value and its cost by the method (valuation layers).
    quantity = np.zeros(n_items, np.int64)
    np.add.at(quantity, p.item[valued], closing[valued])
    own_book = (p.kind == BOOK) & ~third
    book_rows = p.book_pos[own_book]
    book_cost = item_book_costs(p.item[own_book], b.qty[book_rows], b.cost[book_rows], n_items)
    frame = layers(m, p.move_item, closing_day, settings.method)
    cost_by_item, short = item_costs(settings.method, quantity, book_cost, frame)
    cost = cost_by_item[p.item]

    scale = 10**(exact.QTY + exact.COST - exact.MONEY)
    book_value = exact.mul_div_round(p.book_qty, cost, scale)
    counted_value = exact.mul_div_round(np.where(diff_missing, 0, p.counted_qty), cost, scale)
    diff_value = exact.mul_div_round(np.where(diff_missing, 0, diff), cost, scale)
    closing_value = exact.mul_div_round(np.where(closing_missing, 0, closing), cost, scale)
    depreciation = np.zeros(n, np.int64)
    reason = same_text(n)
    if valued.any():
        depreciation[valued], reason[valued] = depreciate(
            settings.depreciation, closing_day, closing_value[valued], closing[valued], cost[valued],
            p.state_bits[valued], p.last_day[valued], p.market[valued], p.market_missing[valued])
    net_value = closing_value - depreciation

    status_code = _first_true(rf_only, at_third, ~p.counted, third, p.kind == UNKNOWN, diff != 0, n=n)
    not_counted = status_code == _NOT_COUNTED
    no_category = p.category_code == NO_CATEGORY
    cause = _causes(p, causes)
    exception_code = _first_true(
        not_counted, status_code == _UNKNOWN_TO_BOOK, rf_only, ~closing_missing & (closing < 0), no_category,
        _difference_without_cause(~diff_missing & (diff != 0), cause), n=n)
    status, exception = _STATUS[status_code], _EXCEPTION[exception_code]

    ints = {"book_qty": (p.book_qty, np.zeros(n, bool)), "counted_qty": (p.counted_qty, ~p.counted),
            "diff_qty": (diff, diff_missing), "rollforward_qty": (p.rollforward, np.zeros(n, bool)),
            "closing_qty": (closing, closing_missing), "unit_cost": (cost, third),
            "book_value": (book_value, third), "counted_value": (counted_value, third | diff_missing),
            "diff_value": (diff_value, third | diff_missing), "closing_value": (closing_value, ~valued),
            "depreciation": (depreciation, ~valued), "net_value": (net_value, ~valued),
            "market_price": (p.market, p.market_missing)}
    texts = {"ticket": p.tickets, "reference": p.reference, "location": p.location, "lot": p.lot,
             "category": p.category, "owner": p.owner, "status": status, "cause": cause,
             "depreciation_reason": reason, "exception": exception, "state": _STATE_TEXT[p.state_bits],
             "designation": p.designation, "unit": p.unit, "site": p.site, "zone": p.zone,
             "cutoff": _CUTOFF_TEXT[np.sign(p.count_day - closing_day) + 1],
             "cutoff_documents": p.documents}
    by_category, by_owner, own_totals = totals.summarise(ints, p.category_code, p.owner_code, not_counted)

    notices = [Notice("lifo")] if settings.method == "lifo" else []
    for key, count in (("not_counted", int(not_counted.sum())),
                       ("unknown_to_book", int((status_code == _UNKNOWN_TO_BOOK).sum())),
                       ("rollforward_only", int(rf_only.sum())), ("layers_short", int(short.sum())),
                       ("negative_closing", int((exception_code == _NEGATIVE_CLOSING).sum())),
                       ("no_category", int(no_category.sum())), ("voided", len(p.voided)),
                       ("outside_window", outside)):
        if count:
            notices.append(Notice(key, {"n": count}))
    move_location = p.move_location
    if outside:   # the movements outside the window have no place: their location's code, if the book has it
        move_location = np.empty(len(inside), np.int64)
        move_location[inside] = p.move_location
        move_location[~inside] = pd.Index(p.location_texts).get_indexer(every_move.location[~inside])
    evidence = cutoff_evidence.evidence(b, every_move, settings, (p.book_location, move_location,
                                                                  len(p.location_texts)))
    # The rows' columns now live in ``ints`` and ``texts`` only, which _lines_frame empties as it
    # goes: the columns with their voided rows never coexist with all the columns without them.
    rows = (p.voided, p.book_line_id, p.count_day, p.last_day)
    del b, m, every_move, p, book_value, counted_value, diff_value, closing_value, depreciation, net_value, diff, \
        diff_missing, closing, closing_missing, cost, reason, cause, status, exception, at_third, third, rf_only, valued, \
        move_location, status_code, exception_code, not_counted, no_category
    frame, numbers, days = _lines_frame(ints, texts, *rows)
    return Reconciliation(frame=frame, by_category=by_category, by_owner=by_owner, warnings=notices,
                          settings=settings, own_totals=own_totals, numbers=numbers, days=days,
                          cutoff=evidence, outside_window=outside)


def _lines_frame(ints: dict, texts: dict, voided: pd.DataFrame, book_line_id: np.ndarray, count_day: np.ndarray,
                 last_day: np.ndarray) -> tuple[pd.DataFrame, dict, dict]:
    """The rows' text columns as a frame; their numbers and dates as arrays (voided rows appended).

    Empties ``ints`` and ``texts``, so that each column without its voided rows can go once copied.
    """
    nv = len(voided)
    data: dict[str, object] = {}
    numbers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    days: dict[str, np.ndarray] = {}
    for name in COLUMNS:
        if name in ints:
            values, missing = ints.pop(name)
            numbers[name] = (np.concatenate([values, np.zeros(nv, np.int64)]) if nv else values,
                             np.concatenate([missing, np.ones(nv, bool)]) if nv else missing)
            del values, missing
        elif name in texts:
            tail = voided[name].to_numpy(dtype=object) if name in voided.columns else same_text(nv)
            head = texts.pop(name)
            data[name] = np.concatenate([head, tail]) if nv else head
            del head
        elif name == "book_line_id":
            ids = np.concatenate([book_line_id, voided["book_line_id"].to_numpy(np.int64)])
            data[name] = pd.arrays.IntegerArray(np.where(ids >= 0, ids, 0), ids < 0)
        elif name in ("count_date", "last_movement_date"):
            source = count_day if name == "count_date" else last_day
            days[name] = np.concatenate([source, np.full(nv, NO_DATE, np.int64)]) if nv else source
    texts_tail = {"status": "voided", "exception": "voided"}
    for name, value in texts_tail.items():
        if nv:
            data[name][-nv:] = value
    return _frame(data, [c for c in COLUMNS if c in data]), numbers, days


def _frame(data: dict, columns: list[str], index: pd.Index | None = None) -> pd.DataFrame:
    """A frame over the arrays as they are: object columns stay object, nothing is copied
    (letting pandas infer ``str`` columns scans and copies every text: a tenth of the engine)."""
    return pd.DataFrame({name: pd.Series(data[name], dtype=object if isinstance(data[name], np.ndarray) else None,
                                         index=index, copy=False) for name in columns}, columns=columns, copy=False)
