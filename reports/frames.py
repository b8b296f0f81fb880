"""The engine's input frames, checked and turned into exact int64 arrays.

Three pandas DataFrames come in; column names are exact (lower case); extra columns are ignored.
Numbers may be ``Decimal`` objects (what the database gives), ints, strings or floats (read by
their shortest repr); they are held internally as scaled integers (see ``reports.exact``), so no
cent is ever lost. Dates are ``datetime.date`` objects, ISO strings or datetime64.

**book** — one row per book line (item × location × lot) at the count date:
    ``book_line_id`` int, unique · ``reference`` · ``designation`` · ``category`` (``raw_materials``,
    ``other_supplies``, ``wip_goods``, ``wip_services``, ``products``, ``goods_for_resale``, or the
    account ``31``…``37``) · ``unit`` · ``site`` · ``zone`` · ``location`` · ``lot`` (empty for none)
    · ``owner`` (``own`` | ``third_party`` | ``at_third_party``) · ``book_qty`` (≤ 4 decimals)
    · ``unit_cost`` (≤ 6 decimals) · ``last_movement_date`` (nullable) · ``market_price`` (nullable,
    ≤ 6 decimals). Only the identifiers, ``book_qty`` and ``unit_cost`` are required; the others
    default to empty (``owner`` to ``own``).

**counts** — one row per ticket with its final result (round 3 if any, else the agreed count):
    ``ticket`` (the printed number, e.g. ``000123/2025``) · ``book_line_id`` (nullable: blank tickets)
    · ``reference`` · ``location`` · ``lot`` (what a blank ticket says; a blank ticket naming a book
    line's place counts for that line) · ``counted_qty`` (nullable: not counted) · ``state``
    (``good`` | ``damaged`` | ``obsolete`` | ``expired``; empty = good) · ``status`` (the ticket's
    status; ``voided`` tickets are listed, never counted). Optional, for blank tickets on places the
    book does not know: ``category``, ``designation``, ``unit``, ``owner``, ``site``, ``zone``.

**movements** — dated stock movements:
    ``date`` · ``reference`` · ``location`` (nullable) · ``lot`` · ``quantity`` (signed: + in, − out)
    · ``unit_cost`` (receipts and opening; nullable) · ``kind`` (``opening`` | ``receipt`` | ``issue`` |
    ``transfer`` | ``adjustment``) · ``document`` (optional).

**Numbers already scaled** (what the loader hands over): ``df.attrs["scaled"]`` may map a number
column to ``d``, meaning the column holds whole numbers of 10⁻ᵈ (int64, or nullable ``Int64``);
they are taken as they are, without a Decimal per cell (``reports.exact.from_scaled``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from tickets.errors import CountappError, N_

from . import exact
from .model import ACCOUNT_TO_CATEGORY, CATEGORIES, KINDS, OWNERS, STATES

BOOK_REQUIRED = ("book_line_id", "reference", "location", "book_qty", "unit_cost")
COUNTS_REQUIRED = ("ticket", "book_line_id", "counted_qty")
MOVEMENTS_REQUIRED = ("date", "reference", "quantity")
STATE_BITS = {"good": 0, "damaged": 1, "obsolete": 2, "expired": 4}
NO_DATE = np.iinfo(np.int64).min  # days since epoch for a missing date
_STATE_BITS = np.array([STATE_BITS[s] for s in STATES], dtype=np.int8)   # in the order of STATES
# Texts from a short list are also held as their position in it (``coded``), so that the engine
# compares and groups small integers rather than a million texts each time.
CATEGORY_CODES = CATEGORIES + ("",)        # ``Book.category_code``: "" (none) is the last
NO_CATEGORY = len(CATEGORIES)
OWN, THIRD_PARTY, AT_THIRD_PARTY = (OWNERS.index(o) for o in ("own", "third_party", "at_third_party"))
OPENING, RECEIPT, ISSUE = (KINDS.index(k) for k in ("opening", "receipt", "issue"))   # ``Movements.kind``


def _require(df: pd.DataFrame, columns: tuple[str, ...], frame: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise CountappError(N_("The %(frame)s data must be a table."), field=frame, frame=frame)
    for name in columns:
        if name not in df.columns:
            raise CountappError(N_("The %(frame)s data has no %(column)s column."), field=name, frame=frame,
                                column=name)


def same_text(n: int, value: str | None = "") -> np.ndarray:
    """An object array of ``n`` times one str (``np.full`` casts cell by cell: four times slower)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def text(df: pd.DataFrame, name: str, default: str = "") -> np.ndarray:
    """A text column as an object array of str, missing values as ``default``."""
    if name not in df.columns:
        return same_text(len(df), default)
    # pandas' str columns too: their cells as they are (no copy), one scan to find a missing one
    # (``to_numpy(na_value=...)`` would test every cell for NA and copy them all).
    values = df[name].to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=False) in ("string", "empty"):
        return values
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = default
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):  # ints as references
        values = np.array([v if type(v) is str else str(v) for v in values], dtype=object)
    return values


def coded(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """Each text's position in ``allowed`` (int8, -1 when not there): one hash pass over the rows,
    then a look-up of the few distinct texts."""
    codes, uniques = pd.factorize(values)
    lookup = np.append(pd.Index(list(allowed), dtype=object).get_indexer(np.asarray(uniques, dtype=object)), -1)
    return lookup.astype(np.int8)[codes]   # a missing value (code -1) takes the appended -1


def isin(values: np.ndarray, allowed: tuple[str, ...]) -> np.ndarray:
    """``np.isin`` for text, by hashing (numpy sorts object arrays, which is slow)."""
    return pd.Index(allowed).get_indexer(values) >= 0


def days(values, field: str) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (``NO_DATE`` where missing)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    try:
        if not pd.api.types.is_datetime64_any_dtype(series.dtype):
            series = pd.to_datetime(series, errors="raise")
    except (ValueError, TypeError):
        raise CountappError(N_("%(column)s holds a value that is not a date."), field=field, column=field) from None
    out = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    out[series.isna().to_numpy()] = NO_DATE
    return out


def day(value) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def number(df: pd.DataFrame, name: str, digits: int, *, nullable: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A number column as int64 units of 10**-digits and its missing mask (``exact.to_scaled``),
    read without Decimals when ``df.attrs["scaled"]`` says the column is already scaled."""
    given = (df.attrs.get("scaled") or {}).get(name)
    if given is not None:
        return exact.from_scaled(df[name], int(given), digits, name, nullable=nullable)
    return exact.to_scaled(df[name], digits, name, nullable=nullable)


def _check_values(values: np.ndarray, allowed: tuple[str, ...], field: str, frame: str,
                  codes: np.ndarray | None = None) -> np.ndarray:
    """The values' codes in ``allowed`` (``coded``); an unknown value is refused with its row."""
    codes = coded(values, allowed) if codes is None else codes
    bad = codes < 0
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CountappError(N_("Unknown %(column)s %(value)s on row %(row)s of the %(frame)s data."),
                            field=field, value=values[row], row=row + 1, frame=frame, column=field)
    return codes


def categories(values: np.ndarray, frame: str) -> np.ndarray:
    """Category names, the PCG account (31…37) accepted in their place."""
    return coded_categories(values, frame)[0]


def coded_categories(values: np.ndarray, frame: str) -> tuple[np.ndarray, np.ndarray]:
    """``categories`` and their codes in ``CATEGORY_CODES``."""
    codes = coded(values, CATEGORY_CODES)
    if len(values) and (codes < 0).any():
        values = np.array([ACCOUNT_TO_CATEGORY.get(v.strip(), v.strip()) for v in values], dtype=object)
        codes = _check_values(values, CATEGORY_CODES, "category", frame)
    return values, codes


def _with_default(df: pd.DataFrame, name: str, allowed: tuple[str, ...], frame: str
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A column of ``allowed`` texts, empty or absent meaning the first, and its codes."""
    if name not in df.columns:
        return same_text(len(df), allowed[0]), np.zeros(len(df), np.int8)
    values = text(df, name, allowed[0])
    codes = coded(values, allowed + ("",))
    empty = codes == len(allowed)
    if empty.any():
        values = np.where(empty, allowed[0], values)
        codes[empty] = 0
    return values, _check_values(values, allowed, name, frame, codes)


@dataclass
class Book:
    ids: np.ndarray
    reference: np.ndarray
    location: np.ndarray
    lot: np.ndarray
    category: np.ndarray
    owner: np.ndarray
    designation: np.ndarray
    unit: np.ndarray
    site: np.ndarray
    zone: np.ndarray
    qty: np.ndarray            # QTY units
    cost: np.ndarray           # COST units
    last_day: np.ndarray       # days, NO_DATE when unknown
    market: np.ndarray         # COST units
    market_missing: np.ndarray
    owner_code: np.ndarray     # in OWNERS
    category_code: np.ndarray  # in CATEGORY_CODES

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """Each id's row in the book (-1 when none); by subtraction when the ids run without a gap."""
        n = len(self.ids)
        if n and self.ids[-1] - self.ids[0] == n - 1 and np.all(self.ids[1:] > self.ids[:-1]):
            rows = ids - self.ids[0]
            return np.where((rows >= 0) & (rows < n), rows, -1)
        return pd.Index(self.ids).get_indexer(ids)


def prepare_book(df: pd.DataFrame) -> Book:
    """Check the book lines and hold their numbers exactly."""
    _require(df, BOOK_REQUIRED, "book")
    ids = pd.to_numeric(df["book_line_id"], errors="coerce")
    if ids.isna().any():
        raise CountappError(N_("Every book line needs a book_line_id."), field="book_line_id")
    ids = ids.to_numpy(dtype=np.int64)
    owner, owner_code = _with_default(df, "owner", OWNERS, "book")
    qty, _ = number(df, "book_qty", exact.QTY)
    cost, _ = number(df, "unit_cost", exact.COST)
    if (cost < 0).any():
        raise CountappError(N_("A unit cost cannot be negative."), field="unit_cost")
    if "market_price" in df.columns:
        market, market_missing = number(df, "market_price", exact.COST, nullable=True)
    else:
        market, market_missing = np.zeros(len(df), np.int64), np.ones(len(df), bool)
    last = days(df["last_movement_date"], "last_movement_date") if "last_movement_date" in df.columns \
        else np.full(len(df), NO_DATE, np.int64)
    category, category_code = coded_categories(text(df, "category"), "book")
    book = Book(ids=ids, reference=text(df, "reference"), location=text(df, "location"), lot=text(df, "lot"),
                category=category, owner=owner,
                designation=text(df, "designation"), unit=text(df, "unit"), site=text(df, "site"),
                zone=text(df, "zone"), qty=qty, cost=cost, last_day=last, market=market,
                market_missing=market_missing, owner_code=owner_code, category_code=category_code)
    # Ids in increasing order (the loader's) are unique without hashing them.
    if not (np.all(ids[1:] > ids[:-1]) or pd.Index(ids).is_unique):
        raise CountappError(N_("A book_line_id appears twice in the book stock."), field="book_line_id")
    return book


@dataclass
class Counts:
    ticket: np.ndarray
    book_line_id: np.ndarray   # int64, -1 for blank tickets
    reference: np.ndarray
    location: np.ndarray
    lot: np.ndarray
    qty: np.ndarray
    counted: np.ndarray        # bool: has a final quantity
    state_bits: np.ndarray
    voided: np.ndarray
    category: np.ndarray
    designation: np.ndarray
    unit: np.ndarray
    owner: np.ndarray
    site: np.ndarray
    zone: np.ndarray


def prepare_counts(df: pd.DataFrame | None) -> Counts:
    """Check the tickets' final results."""
    if df is None:
        df = pd.DataFrame({c: [] for c in COUNTS_REQUIRED})
    _require(df, COUNTS_REQUIRED, "counts")
    ids = pd.to_numeric(df["book_line_id"], errors="coerce")
    qty, missing = number(df, "counted_qty", exact.QTY, nullable=True)
    if (qty < 0).any():
        raise CountappError(N_("A counted quantity cannot be negative."), field="counted_qty")
    _, state = _with_default(df, "state", STATES, "counts")
    status = text(df, "status")
    owner, _ = _with_default(df, "owner", OWNERS, "counts")
    voided = status == "voided"
    return Counts(ticket=text(df, "ticket"), book_line_id=ids.fillna(-1).to_numpy(dtype=np.int64),
                  reference=text(df, "reference"), location=text(df, "location"), lot=text(df, "lot"),
                  qty=qty, counted=~missing & ~voided,
                  state_bits=_STATE_BITS[state],
                  voided=voided, category=categories(text(df, "category"), "counts") if "category" in df.columns
                  else same_text(len(df)),
                  designation=text(df, "designation"), unit=text(df, "unit"), owner=owner, site=text(df, "site"),
                  zone=text(df, "zone"))


@dataclass
class Movements:
    day: np.ndarray
    reference: np.ndarray
    location: np.ndarray
    lot: np.ndarray
    qty: np.ndarray
    cost: np.ndarray
    cost_missing: np.ndarray
    kind: np.ndarray           # int8, position in KINDS (OPENING, RECEIPT, ISSUE...)
    document: np.ndarray = None

    def __post_init__(self) -> None:
        if self.document is None:
            self.document = same_text(len(self.day))

    def take(self, keep: np.ndarray) -> "Movements":
        """Only the movements where ``keep`` is true."""
        return Movements(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})


def in_window(moves: Movements, first_day: int | None, last_day: int) -> np.ndarray:
    """Movements that may move a figure: ``opening`` always, the others from ``first_day`` (the
    fiscal year's first day; None: no lower bound) to ``last_day`` inclusive (DOMAIN.md, Count dates)."""
    inside = moves.day <= last_day
    if first_day is not None:
        inside &= moves.day >= first_day
    return inside | (moves.kind == OPENING)


def prepare_movements(df: pd.DataFrame | None) -> Movements:
    """Check the dated movements."""
    if df is None:
        df = pd.DataFrame({c: [] for c in MOVEMENTS_REQUIRED})
    _require(df, MOVEMENTS_REQUIRED, "movements")
    kind = _check_values(text(df, "kind", "adjustment"), KINDS, "kind", "movements")
    d = days(df["date"], "date")
    if (d == NO_DATE).any():
        raise CountappError(N_("Every movement needs a date."), field="date")
    qty, _ = number(df, "quantity", exact.QTY)
    if "unit_cost" in df.columns:
        cost, cost_missing = number(df, "unit_cost", exact.COST, nullable=True)
    else:
        cost, cost_missing = np.zeros(len(df), np.int64), np.ones(len(df), bool)
    if (cost[~cost_missing] < 0).any():
        raise CountappError(N_("A unit cost cannot be negative."), field="unit_cost")
    return Movements(day=d, reference=text(df, "reference"), location=text(df, "location"), lot=text(df, "lot"),
                     qty=qty, cost=cost, cost_missing=cost_missing, kind=kind, document=text(df, "document"))
