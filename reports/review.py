"""Choosing, ordering and paging the reconciliation's rows for people: pure, exact and fast.

The review page shows one page of perhaps 100,000 rows at a time, filtered and sorted as asked.
A ``Selector`` keeps the sort orders it has computed for one reconciliation (keep it with the
reconciliation: building an order costs a few tens of milliseconds, reusing it almost nothing);
``select`` then filters with boolean masks over those orders and sums the matched rows' values
exactly, from the engine's scaled integers (``Reconciliation.numbers``), never from floats.

The default order puts the largest differences first: by |diff_value|, then |diff_qty|; rows
without a difference (not counted, voided) come last. Empty cells always sort last, whichever
the direction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from . import exact
from .reconcile import COST_COLUMNS, MONEY_COLUMNS, QTY_COLUMNS, Reconciliation

LARGEST = "largest"
TEXT_SORTS = ("ticket", "reference", "designation", "location", "lot", "zone", "category", "owner", "status",
              "cause", "depreciation_reason")
NUMBER_SORTS = QTY_COLUMNS + ("unit_cost",) + MONEY_COLUMNS
SORTS = (LARGEST,) + TEXT_SORTS + NUMBER_SORTS
SUMMED = MONEY_COLUMNS
NO_CAUSE = "none"           # the cause filter's value for rows without a cause
DIFF_ON = ("value", "qty")  # what |difference| above a value looks at
PER_PAGE = (50, 100, 200)
# Columns whose text is searched by ``Query.text``.
SEARCHED = ("ticket", "reference", "designation", "location", "lot")
# Columns whose values change with the causes: never cached.
LIVE_COLUMNS = ("cause", "exception")


def _digits(name: str) -> int:
    if name in QTY_COLUMNS:
        return exact.QTY
    if name in COST_COLUMNS:
        return exact.COST
    return exact.MONEY


def parse_amount(text) -> Decimal | None:
    """A non-negative amount typed in a filter ('1 234,5' or '1234.5'); None when empty or not a number."""
    if text is None:
        return None
    cleaned = str(text).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


@dataclass(frozen=True)
class Query:
    """What the reader asked for: filters, order and page (the page's query string, parsed)."""

    category: str = ""
    zone: str = ""
    status: str = ""
    cause: str = ""                  # a cause code, NO_CAUSE, or "" for any
    exceptions_only: bool = False
    min_diff: Decimal | None = None  # |difference| strictly above this
    diff_on: str = "value"           # "value" (money) or "qty"
    text: str = ""                   # found in ticket, reference, designation, location or lot
    sort: str = LARGEST
    descending: bool = True
    page: int = 1
    per_page: int = PER_PAGE[0]

    @classmethod
    def from_args(cls, args) -> "Query":
        """From a query string (a mapping of str); anything unknown falls back to the default."""
        def text(name: str) -> str:
            return str(args.get(name, "") or "").strip()[:120]

        def number(name: str, default: int) -> int:
            try:
                return max(1, int(text(name)))
            except ValueError:
                return default

        sort = text("sort") if text("sort") in SORTS else LARGEST
        per_page = number("per_page", PER_PAGE[0])
        direction = text("dir")
        descending = (direction != "asc") if direction in ("asc", "desc") else sort in (LARGEST,) + NUMBER_SORTS
        return cls(category=text("category"), zone=text("zone"), status=text("status"), cause=text("cause"),
                   exceptions_only=text("exceptions") in ("1", "on", "true", "yes"),
                   min_diff=parse_amount(text("min_diff")),
                   diff_on=text("diff_on") if text("diff_on") in DIFF_ON else "value",
                   text=text("q"), sort=sort,
                   descending=descending,
                   page=number("page", 1), per_page=per_page if per_page in PER_PAGE else PER_PAGE[0])

    def args(self, **changes) -> dict:
        """The query string for this query with some values changed (links: sort, next page)."""
        values = {"category": self.category, "zone": self.zone, "status": self.status, "cause": self.cause,
                  "exceptions": "1" if self.exceptions_only else "",
                  "min_diff": "" if self.min_diff is None else str(self.min_diff), "diff_on": self.diff_on,
                  "q": self.text, "sort": self.sort, "dir": "desc" if self.descending else "asc",
                  "page": self.page, "per_page": self.per_page}
        values.update(changes)
        defaults = {"diff_on": "value", "page": 1, "per_page": PER_PAGE[0], "sort": LARGEST}
        return {k: v for k, v in values.items() if v not in ("", None) and defaults.get(k) != v}


@dataclass
class Page:
    """One page of rows and what the whole selection adds up to."""

    rows: pd.DataFrame      # the page's rows, every column of the lines, in order
    positions: np.ndarray   # their positions in the lines
    matched: int            # rows that pass the filters
    page: int
    pages: int
    per_page: int
    sums: dict              # money column -> Decimal over the matched rows (empty cells skipped)
    exceptions: int         # matched rows that are exceptions


class Selector:
    """Sort orders and filter codes of one reconciliation, built on first use and then reused."""

    def __init__(self, result: Reconciliation) -> None:
        self.result = result
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self._orders: dict[tuple[str, bool], np.ndarray] = {}
        self._search: pd.Series | None = None

    def __len__(self) -> int:
        return len(self.result.frame)

    # -- building blocks ------------------------------------------------------------------------
    def codes(self, name: str, lines: pd.DataFrame | None = None) -> tuple[np.ndarray, pd.Index]:
        """A text column as sorted codes (case-insensitive order) and its distinct values."""
        if name in LIVE_COLUMNS or name not in self._codes:
            source = (lines if lines is not None else self.result.frame)[name].to_numpy(dtype=object)
            values = np.array(["" if v is None else str(v) for v in source], dtype=object) \
                if pd.isna(source).any() else source
            codes, uniques = pd.factorize(values)
            # Rank the distinct values case-insensitively (natural order is the page's business).
            rank = np.argsort(np.array([u.casefold() for u in uniques], dtype=object), kind="stable")
            position = np.empty(len(uniques), np.int64)
            position[rank] = np.arange(len(uniques))
            built = (position[codes] if len(codes) else codes.astype(np.int64), pd.Index(uniques))
            if name in LIVE_COLUMNS:
                return built
            self._codes[name] = built
        return self._codes[name]

    def choices(self, name: str) -> list[str]:
        """The distinct non-empty values of a text column, sorted."""
        _, uniques = self.codes(name)
        return sorted((u for u in uniques if u), key=str.casefold)

    def _number(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.result.numbers[name]

    def order(self, sort: str, descending: bool, lines: pd.DataFrame | None = None) -> np.ndarray:
        """Positions of every row in the asked order (ties keep the lines' order)."""
        key = (sort, descending)
        if sort not in LIVE_COLUMNS and key in self._orders:
            return self._orders[key]
        n = len(self)
        if sort == LARGEST:
            value, value_missing = self._number("diff_value")
            qty, qty_missing = self._number("diff_qty")
            first = np.where(value_missing, 0, np.abs(value))
            second = np.where(qty_missing, -1, np.abs(qty))
            if descending:
                first, second = -first, -second
            order = np.lexsort((np.arange(n), second, first))
        elif sort in NUMBER_SORTS:
            values, missing = self._number(sort)
            key_values = -values if descending else values
            order = np.lexsort((np.arange(n), key_values, missing))
        else:
            codes, _ = self.codes(sort, lines)
            is_empty = (lines if lines is not None else self.result.frame)[sort].to_numpy(dtype=object) == ""
            order = np.lexsort((np.arange(n), -codes if descending else codes, is_empty))
        if sort not in LIVE_COLUMNS:
            self._orders[key] = order
        return order

    def _text_mask(self, needle: str) -> np.ndarray:
        if self._search is None:
            lines = self.result.frame
            joined = lines[SEARCHED[0]].astype(str)
            for name in SEARCHED[1:]:
                joined = joined + "\u0001" + lines[name].astype(str)
            self._search = joined.str.casefold()
        return self._search.str.contains(needle.casefold(), regex=False).to_numpy(dtype=bool)

    def _rows(self, lines: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
        """The page's rows: numbers as Decimals built for these rows only, texts from ``lines``."""
        rows = self.result.rows(positions)
        for name in rows.columns:
            if name in lines.columns and name not in self.result.numbers and name not in self.result.days:
                rows[name] = lines[name].iloc[positions].to_numpy(dtype=object) if name != "book_line_id" \
                    else lines[name].iloc[positions].array
        return rows

    # -- the one public operation ---------------------------------------------------------------
    def select(self, query: Query, lines: pd.DataFrame | None = None) -> Page:
        """Filter, order and cut one page; ``lines`` may lay newer causes over the result's lines."""
        lines = self.result.frame if lines is None else lines
        n = len(self)
        mask = np.ones(n, bool)
        for name in ("category", "zone", "status"):
            value = getattr(query, name)
            if value:
                mask &= self.result.frame[name].to_numpy(dtype=object) == value
        if query.cause == NO_CAUSE:
            mask &= lines["cause"].to_numpy(dtype=object) == ""
        elif query.cause:
            mask &= lines["cause"].to_numpy(dtype=object) == query.cause
        exception = lines["exception"].to_numpy(dtype=object) != ""
        if query.exceptions_only:
            mask &= exception
        if query.min_diff is not None:
            name = "diff_value" if query.diff_on == "value" else "diff_qty"
            values, missing = self._number(name)
            threshold = math.floor(query.min_diff.scaleb(_digits(name)))
            mask &= ~missing & (np.abs(values) > threshold)
        if query.text:
            mask &= self._text_mask(query.text)

        order = self.order(query.sort, query.descending, lines)
        chosen = order[mask[order]]
        matched = len(chosen)
        pages = max(1, -(-matched // query.per_page))
        page = min(query.page, pages)
        positions = chosen[(page - 1) * query.per_page:page * query.per_page]
        sums = {}
        for name in SUMMED:
            values, missing = self._number(name)
            total = int(np.where(missing, 0, values)[mask].sum(dtype=np.int64))
            sums[name] = Decimal(total).scaleb(-exact.MONEY)
        return Page(rows=self._rows(lines, positions), positions=positions, matched=matched, page=page, pages=pages,
                    per_page=query.per_page, sums=sums, exceptions=int((exception & mask).sum()))
