"""The building blocks of file checks: errors with their place, results, typed rows, typed cells.

``countapp.filecheck`` uses one ``Checker`` per file: it checks the header, hands out each
row as a tuple of texts, and turns texts into values, recording a ``FileError`` instead of
stopping at the first. Values repeat a lot in real files (the same cost on every line of an
item, the same few dates), so parsed values are cached per column kind.
"""
from __future__ import annotations

import datetime as dt
import functools
import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import chain
from typing import Union

from tickets.errors import CountappError, N_, Nn_, translate

from .import_columns import Resolved, fold, resolve
from .tabular import Row, Table, cell_text, normalize_header, parse_date, parse_datetime, parse_decimal

Rows = Union[Table, Iterable[Row], Iterable[Mapping[str, object]]]
Record = tuple[int, tuple[str, ...]]

E_MISSING_COLUMN = N_("The required column %(column)s is missing.")
E_MISSING_COLUMN_NAMED = N_("The required column %(column)s is missing: add a column named %(column)s or "
                            "%(french)s.")
E_COLUMN_TWICE = N_("The columns %(first)s and %(second)s both give %(column)s: keep only one of them.")
E_EMPTY = N_("The %(column)s field is empty.")
E_NOT_NUMBER = N_("'%(value)s' is not a number: write digits with a decimal comma or point (1234,5 or 1234.5).")
E_NEGATIVE = N_("'%(value)s' is negative; it must be zero or more.")
E_DECIMALS = N_("'%(value)s' has more than %(places)s decimals: round it to %(places)s.")
E_TOO_LARGE = N_("'%(value)s' is too large (the limit is 1,000,000,000,000).")
E_NOT_DATE = N_("'%(value)s' is not a date (write 2025-12-31 or 31/12/2025).")
E_NOT_DATETIME = N_("'%(value)s' is not a date and time (write 2025-12-31 14:30).")
E_TOO_LONG = N_("'%(value)s' is longer than %(max)s characters: shorten it.")

# Longest texts the database columns hold.
MAX_LENGTH = {"reference": 120, "designation": 300, "unit": 20, "location": 120, "lot": 80, "zone": 80,
              "site": 80, "holder": 200, "document": 80, "counted_by": 200, "ticket": 20}
LIMIT = Decimal(10) ** 12  # beyond any real stock; fits the database's Numeric(18, 4) and (18, 6)
_STEPS = {places: Decimal(1).scaleb(-places) for places in range(0, 7)}
_PLAIN = "0123456789."
_CACHE_SIZE = 100_000


def paused_gc(check):
    """Run ``check`` with the cyclic garbage collector paused.

    Checking builds a million small objects (keys, rows) and no cycles; with the collector on,
    each batch of new objects triggers a pass over everything kept so far, which made
    checking a million lines about 60% slower.
    """

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return check(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


def text_value(value: object, width: int = 60) -> str:
    """A cell's text for a message, cut short when long."""
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True, slots=True)
class FileError:
    """One fault in an import file: where (file, line, column) and what (template + params)."""

    file: str
    line: int | None
    column: str | None
    message: str
    params: dict = field(default_factory=dict)
    header: str | None = None  # the column's name as written in the file, when it differs from ``column``

    def text(self, gettext=None) -> str:
        """The message alone, translated when ``gettext`` is given."""
        template = gettext(self.message) if gettext else self.message
        return template % self.params if self.params else template

    def render(self, gettext=None) -> str:
        """``file, line N, column: message`` in the caller's language."""
        _ = gettext or (lambda s: s)
        if self.line is None and "%(file)s" in self.message:
            return self.text(gettext)  # a whole-file message names the file itself
        where = {"file": self.file, "line": self.line, "column": self.header or self.column,
                 "message": self.text(gettext)}
        if self.line is None:
            return _(N_("%(file)s: %(message)s")) % where
        if self.column is None:
            return _(N_("%(file)s, line %(line)s: %(message)s")) % where
        return _(N_("%(file)s, line %(line)s, %(column)s: %(message)s")) % where


@dataclass
class FileCheck:
    """What checking a file gave: typed rows (when kept, and only while no error) and every error."""

    filename: str
    rows: list = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    lines: int = 0
    error_count: int = 0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def raise_for_errors(self) -> None:
        """Raise ``ImportRefused`` when the file had any error."""
        if not self.ok:
            raise ImportRefused(self)


class ImportRefused(CountappError):
    """An import file with errors: nothing was written. ``errors`` lists them all."""

    def __init__(self, check: FileCheck) -> None:
        first = check.errors[0] if check.errors else None
        super().__init__(Nn_("%(file)s: %(num)s error, nothing was imported: %(first)s",
                             "%(file)s: %(num)s errors, nothing was imported. First: %(first)s"),
                         field=first.column if first else None, file=check.filename,
                         num=check.error_count, first=first.render() if first else "")
        self.errors = check.errors

    def render(self, gettext=None) -> str:
        """The whole message in the reader's language, its first error included."""
        params = dict(self.params)
        if self.errors:
            params["first"] = self.errors[0].render(gettext)
        return translate(self.message, params, gettext)


# --------------------------------------------------------------------------- what a check gives


@dataclass
class StockCheck(FileCheck):
    items: int = 0
    locations: int = 0


class MovementCheck(FileCheck):
    # Movements dated outside the window (before the fiscal year, after the latest count and closing
    # dates): kept, reported, moving no figure (issue 18).
    outside_window: int = 0


class OpeningCheck(FileCheck):
    pass


class CountCheck(FileCheck):
    pass


@dataclass(slots=True)
class StockRow:
    reference: str
    designation: str
    unit: str
    category: str
    location: str
    book_qty: Decimal
    unit_cost: Decimal
    lot: str = ""
    zone: str = ""
    site: str = ""
    owner: str = "own"
    last_movement_date: dt.date | None = None
    market_price: Decimal | None = None
    holder: str = ""
    line: int = 0


@dataclass(slots=True)
class MovementRow:
    date: dt.date
    reference: str
    location: str
    quantity: Decimal
    unit_cost: Decimal | None
    lot: str = ""
    kind: str = "receipt"
    document: str = ""
    line: int = 0


@dataclass(slots=True)
class OpeningRow:
    category: str
    opening_value: Decimal
    opening_depreciation: Decimal = Decimal(0)
    purchases: Decimal | None = None
    line: int = 0


@dataclass(slots=True)
class CountRow:
    ticket: str
    round: int
    quantity: Decimal
    state: str = "good"
    team: int | None = None
    counted_by: str = ""
    counted_at: dt.datetime | None = None
    reference: str = ""
    location: str = ""
    lot: str = ""
    method: str = "counted"
    line: int = 0


# --------------------------------------------------------------------------- the field parser


class Checker:
    """Header check, rows as tuples, and typed cells for one file; errors go to ``result``."""

    def __init__(self, result: FileCheck, rows: Rows, required: tuple[str, ...], optional: tuple[str, ...],
                 max_errors: int | None, aliases: Mapping[str, str] | None = None,
                 french: Mapping[str, str] | None = None) -> None:
        """``aliases`` maps folded header names to columns (``import_columns.ALIASES[kind]``);
        without it a header must be the column's code. ``french`` gives the French header of
        each column, for the message naming a missing one."""
        self.result = result
        self.file = result.filename
        self.max_errors = max_errors
        self.decimal_comma: bool | None = getattr(rows, "decimal_comma", None)
        columns = required + optional
        aliases = aliases if aliases is not None else {fold(c): c for c in columns}
        if isinstance(rows, Table):
            found = resolve(aliases, rows.raw_headers, columns, required)
            records: Iterator[Record] | None = rows.records(
                [normalize_header(found.headers[c]) if c in found.headers else "" for c in columns])
        else:
            records, found = _plain_records(rows, columns, required, aliases)
        # The headers as the user wrote them, to name columns in messages; codes when they are the same.
        self.headers = {code: header for code, header in found.headers.items() if normalize_header(header) != code}
        for column in found.missing:
            if french and column in french:
                self.error(1, column, E_MISSING_COLUMN_NAMED, column=column, french=f"«\u00a0{french[column]}\u00a0»")
            else:
                self.error(1, column, E_MISSING_COLUMN, column=column)
        for column, first, second in found.twice:
            self.error(1, column, E_COLUMN_TWICE, column=column, first=first, second=second)
        self.records: Iterator[Record] | None = None if found.missing or found.twice else records
        self._numbers: dict[tuple[int, bool], dict[str, Decimal]] = {}
        self.dates: dict[str, dt.date] = {}

    def error(self, line: int | None, column: str | None, message: str, /, **params: object) -> None:
        """Record one error (kept while fewer than ``max_errors``; always counted)."""
        result = self.result
        result.error_count += 1
        if self.max_errors is None or len(result.errors) < self.max_errors:
            result.errors.append(FileError(self.file, line, column, message, params, self.headers.get(column)))

    def empty(self, line: int, column: str) -> None:
        self.error(line, column, E_EMPTY, column=self.headers.get(column, column))

    def lengths(self, line: int, **texts: str) -> None:
        """Refuse texts longer than their database column."""
        for column, value in texts.items():
            if len(value) > MAX_LENGTH[column]:
                self.error(line, column, E_TOO_LONG, value=text_value(value), max=MAX_LENGTH[column])

    def number(self, line: int, column: str, raw: str, places: int, *, required: bool = False,
               negative: bool = False) -> Decimal | None:
        """A number with at most ``places`` decimals, None when empty or wrong (an error is recorded)."""
        if not raw:
            if required:
                self.error(line, column, E_EMPTY, column=column)
            return None
        cache = self.numbers(places, negative)
        value = cache.get(raw)
        if value is not None:
            return value
        value = self._plain_number(raw, places)
        if value is None:
            value = self._number(line, column, raw, places, negative)
        if value is not None and len(cache) < _CACHE_SIZE:
            cache[raw] = value
        return value

    def numbers(self, places: int, negative: bool = False) -> dict[str, Decimal]:
        """The cache of valid numbers of one kind, by text: a hot loop may look there first."""
        cache = self._numbers.get((places, negative))
        if cache is None:
            cache = self._numbers[(places, negative)] = {}
        return cache

    @staticmethod
    def _plain_number(raw: str, places: int) -> Decimal | None:
        # The shape most exports write ('1234.5'): digits, one dot, few decimals, under the limit.
        if raw.strip(_PLAIN):
            return None
        dot = raw.find(".")
        if dot < 0:
            fits = len(raw) <= 12
        else:
            fits = 0 < dot <= 12 and len(raw) - dot - 1 <= places and raw.count(".") == 1
        return Decimal(raw) if fits else None

    def _number(self, line: int, column: str, raw: str, places: int, negative: bool) -> Decimal | None:
        try:
            value = parse_decimal(raw, decimal_comma=self.decimal_comma)
        except (ValueError, InvalidOperation):
            self.error(line, column, E_NOT_NUMBER, value=text_value(raw))
            return None
        if value < 0 and not negative:
            self.error(line, column, E_NEGATIVE, value=text_value(raw))
            return None
        if value.as_tuple().exponent < -places:
            rounded = value.quantize(_STEPS[places])
            if rounded != value:
                self.error(line, column, E_DECIMALS, value=text_value(raw), places=places)
                return None
            value = rounded  # '12.000000' is 12.0000: trailing zeros are no precision
        if abs(value) >= LIMIT:
            self.error(line, column, E_TOO_LARGE, value=text_value(raw))
            return None
        return value + 0 if not value else value  # '-0' is 0

    def quantity(self, line: int, column: str, raw: str, *, required: bool = False,
                 negative: bool = False) -> Decimal | None:
        """A quantity: at most 4 decimals (kg, m, litres)."""
        return self.number(line, column, raw, 4, required=required, negative=negative)

    def cost(self, line: int, column: str, raw: str, *, required: bool = False) -> Decimal | None:
        """A unit cost or price: zero or more, at most 6 decimals."""
        return self.number(line, column, raw, 6, required=required)

    def money(self, line: int, column: str, raw: str, *, required: bool = False) -> Decimal | None:
        """An amount: zero or more, to the cent."""
        return self.number(line, column, raw, 2, required=required)

    def date(self, line: int, column: str, raw: str, *, required: bool = False) -> dt.date | None:
        """A date, None when empty or wrong (an error is recorded)."""
        if not raw:
            if required:
                self.error(line, column, E_EMPTY, column=column)
            return None
        found = self.dates.get(raw)
        if found is not None:
            return found
        try:
            found = parse_date(raw)
        except (ValueError, OverflowError):
            self.error(line, column, E_NOT_DATE, value=text_value(raw))
            return None
        if len(self.dates) < _CACHE_SIZE:
            self.dates[raw] = found
        return found

    def datetime(self, line: int, column: str, raw: str) -> dt.datetime | None:
        """A date and time, None when empty or wrong (an error is recorded)."""
        try:
            return parse_datetime(raw)
        except (ValueError, OverflowError):
            self.error(line, column, E_NOT_DATETIME, value=text_value(raw))
            return None


def _plain_records(rows: Iterable, columns: tuple[str, ...], required: tuple[str, ...],
                   aliases: Mapping[str, str]) -> tuple[Iterator[Record], "Resolved"]:
    """Rows given in code, ``(line, dict)`` pairs or bare dicts (numbered from line 2), as records."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return iter(()), resolve(aliases, [], columns, ())
    everything = chain([first], iterator)
    if isinstance(first, Mapping):
        pairs: Iterator = enumerate(everything, start=2)
        keys = list(first.keys())
    else:
        pairs = iter(everything)
        keys = list(first[1].keys())
    found = resolve(aliases, keys, columns, required)
    by_key = {header: code for code, header in found.headers.items()}

    def records() -> Iterator[Record]:
        for line, rec in pairs:
            texts = {str(k).strip(): cell_text(v) for k, v in rec.items()}
            if any(texts.values()):
                clean = {by_key[k]: v for k, v in texts.items() if k in by_key}
                yield line, tuple(clean.get(c, "") for c in columns)

    return records(), found


class BookLineKeys:
    """Every (item, location, lot) of a stock file, to find a book line given twice, in 12 bytes a line.

    A dict of (reference, location, lot) tuples took about 160 bytes a line (a million-line file:
    150 MiB). Here a key is three ordinals packed into one 64-bit integer (item and location
    numbered in order of first appearance by the caller, lots numbered here), kept in sorted
    numpy arrays with each key's first line. Lines are added as they are read and compared a
    chunk at a time (``duplicates``), before the chunk's rows are handed on; keys beyond the
    packing's range fall back to an exact dict, so the answer is always exact.
    """

    BITS = 21   # up to 2,097,151 items, locations and distinct lots before the fallback

    def __init__(self) -> None:
        import numpy as np

        self._np = np
        self.keys = np.empty(0, np.uint64)   # sorted
        self.lines = np.empty(0, np.uint32)   # first line of each key
        self.lots: dict[str, int] = {"": 0}
        self.wide: dict[tuple[int, int, str], int] | None = None   # the fallback
        self.pending: list[tuple] = []   # (item, location, lot, line, reference, location code) of this chunk

    def add(self, item: int, location: int, lot: str, line: int, reference: str, location_code: str) -> None:
        """Note a book line (``item``, ``location``: the caller's ordinals); compared at ``duplicates``.
        (A hot loop may append the same tuple to ``pending`` itself.)"""
        self.pending.append((item, location, lot, line, reference, location_code))

    def duplicates(self) -> list[tuple[int, int, str, str, str]]:
        """The lines added since the last call whose key came before, in line order:
        (line, first line, reference, location code, lot)."""
        pending = self.pending[:]
        self.pending.clear()
        if not pending:
            return []
        if self.wide is None:
            found = self._compare(pending)
            if found is not None:
                return [(line, first, *pending[index][4:], pending[index][2]) for index, line, first in found]
            self._widen()
        found = []
        for item, location, lot, line, reference, code in pending:
            first = self.wide.setdefault((item, location, lot), line)
            if first != line:
                found.append((line, first, reference, code, lot))
        return found

    def _compare(self, pending) -> list[tuple[int, int, int]] | None:
        """(pending index, line, first line) of each repeated key; None when a key does not pack."""
        np, bits = self._np, self.BITS
        items, locations, lots, lines = list(zip(*pending))[:4]
        numbers = self.lots
        for lot in set(lots).difference(numbers):
            numbers[lot] = len(numbers)
        lots = np.array([numbers[lot] for lot in lots], dtype=np.uint64)
        items, locations = np.array(items, dtype=np.uint64), np.array(locations, dtype=np.uint64)
        limit = 1 << bits
        if int(items.max()) >= limit or int(locations.max()) >= limit or len(numbers) > limit:
            return None
        keys = (items << np.uint64(2 * bits)) | (locations << np.uint64(bits)) | lots
        lines = np.array(lines, dtype=np.uint32)
        order = np.argsort(keys, kind="stable")   # lines come in order: a run's first is its first line
        keys, lines = keys[order], lines[order]
        starts = np.ones(len(keys), dtype=bool)
        starts[1:] = keys[1:] != keys[:-1]
        first = lines[starts][np.cumsum(starts) - 1]   # each position's run (distinct key) starts at its first line
        known = np.zeros(len(keys), dtype=bool)
        if len(self.keys):
            where = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            known = self.keys[where] == keys
            first = np.where(known, self.lines[where], first)
        fresh = starts & ~known
        if fresh.any():
            merged_keys = np.concatenate([self.keys, keys[fresh]])
            merged_lines = np.concatenate([self.lines, lines[fresh]])
            resort = np.argsort(merged_keys, kind="stable")
            self.keys, self.lines = merged_keys[resort], merged_lines[resort]
        repeated = np.flatnonzero(known | ~starts)
        return sorted((int(order[i]), int(lines[i]), int(first[i])) for i in repeated)

    def _widen(self) -> None:
        """Past the packing's range: an exact dict of every key seen so far (rare: millions of items)."""
        bits, mask = self.BITS, (1 << self.BITS) - 1
        names = {number: lot for lot, number in self.lots.items()}
        self.wide = {(int(k) >> (2 * bits), (int(k) >> bits) & mask, names[int(k) & mask]): int(line)
                     for k, line in zip(self.keys, self.lines)}
        self.keys = self.lines = None
