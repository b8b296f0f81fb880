"""Checking whole import files into typed rows, collecting every error (nothing is written on error).

Pure: no Flask, no database. Each ``check_*`` takes the rows of a ``tabular.Table`` (or any
iterable of ``(line_no, {column: text})`` pairs, or of plain dicts numbered from line 2) and
returns a ``FileCheck`` with the typed rows and every ``FileError`` found. Checking keeps only
small state per key (item, location, book line), so a million-line stock file is checked in
bounded memory when ``keep_rows=False``.

Shape rules live here; business rules that need the database (a ticket that exists, a count
in the right order) are the app's.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from tickets.errors import N_

from . import import_columns as cols
from .imports_check import (BookLineKeys, Checker, CountCheck, CountRow, FileCheck, FileError, ImportRefused, MovementCheck,
                            MovementRow, OpeningCheck, OpeningRow, Rows, StockCheck, StockRow, paused_gc, text_value)
from .tabular import Limits, Source, TableError, read_table

__all__ = [
    "CATEGORY_ACCOUNTS", "FileError", "FileCheck", "StockCheck", "MovementCheck", "OpeningCheck", "CountCheck",
    "ImportRefused", "StockRow", "MovementRow", "OpeningRow", "CountRow", "category_of", "check_stock",
    "check_movements", "check_opening", "check_counts", "check_file",
]

# PCG accounts per category: stock (balance), variation, depreciation (DOMAIN.md, Accounts).
CATEGORY_ACCOUNTS: dict[str, tuple[str, str, str]] = {
    "raw_materials": ("31", "6031", "391"),
    "other_supplies": ("32", "6032", "392"),
    "wip_goods": ("33", "7133", "393"),
    "wip_services": ("34", "7134", "394"),
    "products": ("35", "7135", "395"),
    "goods_for_resale": ("37", "6037", "397"),
}
OWNERS = ("own", "third_party", "at_third_party")
MOVEMENT_KINDS = ("opening", "receipt", "issue", "transfer", "adjustment")
STATES = ("good", "damaged", "obsolete", "expired")
METHODS = ("counted", "weighed", "measured", "estimated")

# The order of each kind's columns is the order the checks below unpack them in.
STOCK_REQUIRED, STOCK_OPTIONAL = cols.required("stock"), cols.optional("stock")
MOVEMENT_REQUIRED, MOVEMENT_OPTIONAL = cols.required("movements"), cols.optional("movements")
OPENING_REQUIRED, OPENING_OPTIONAL = cols.required("opening"), cols.optional("opening")
COUNT_REQUIRED, COUNT_OPTIONAL = cols.required("counts"), cols.optional("counts")
STOCK_CHUNK = 20_000   # rows handed to ``check_stock(on_rows=...)`` at a time
_FRENCH = {kind: {c.name: c.french for c in columns} for kind, columns in cols.COLUMNS.items()}

E_UNKNOWN_CATEGORY = N_("Unknown category '%(value)s': use raw_materials, other_supplies, wip_goods, wip_services, "
                        "products, goods_for_resale, their French label (Matières premières, Autres "
                        "approvisionnements, En-cours de production de biens, En-cours de production de services, "
                        "Produits, Marchandises) or the account number (31, 32, 33, 34, 35 or 37).")
E_UNKNOWN_OWNER = N_("Unknown owner '%(value)s': use own (propre), third_party (tiers) or at_third_party "
                     "(chez un tiers, en dépôt).")
E_DUPLICATE_BOOK_LINE = N_("Item %(reference)s at %(location)s already has a book line on line %(first_line)s: "
                           "add the two lines up, or tell them apart by lot.")
E_DUPLICATE_BOOK_LINE_LOT = N_("Item %(reference)s, lot %(lot)s, at %(location)s already has a book line on line "
                               "%(first_line)s: add the two lines up.")
E_ITEM_DISAGREES = N_("Item %(reference)s has %(column)s '%(value)s' here but '%(first_value)s' on line "
                      "%(first_line)s.")
E_LOCATION_DISAGREES = N_("Location %(location)s is in %(column)s '%(value)s' here but '%(first_value)s' on line "
                          "%(first_line)s.")
E_UNKNOWN_ITEM = N_("Item '%(value)s' is not in the campaign's stock: correct the reference or import the stock "
                    "first.")
E_UNKNOWN_LOCATION = N_("Location '%(value)s' is not in the campaign's stock: correct the location or import the "
                        "stock first.")
E_OUTSIDE_YEAR = N_("%(value)s is outside the fiscal year (%(start)s to %(end)s).")
E_UNKNOWN_KIND = N_("Unknown movement kind '%(value)s': use opening (ouverture), receipt (entrée), issue (sortie), "
                    "transfer (transfert) or adjustment (ajustement).")
E_NO_COST = {"receipt": N_("A receipt needs a unit cost."), "opening": N_("An opening line needs a unit cost.")}
E_SIGN_IN = {"receipt": N_("A receipt needs a positive quantity, not %(value)s."),
             "opening": N_("An opening line needs a positive quantity, not %(value)s.")}
E_SIGN_OUT = N_("An issue line needs a negative quantity, not %(value)s.")
E_DUPLICATE_CATEGORY = N_("Category %(value)s already appears on line %(first_line)s.")
E_DEPRECIATION_ABOVE_VALUE = N_("The depreciation %(value)s is larger than the opening value %(opening_value)s.")
E_TICKET = N_("'%(value)s' is not a ticket number (000123/2025 or 123).")
E_ROUND = N_("The round must be 1, 2 or 3, not '%(value)s'.")
E_STATE = N_("Unknown state '%(value)s': use good (bon), damaged (abîmé), obsolete (obsolète) or expired (périmé).")
E_METHOD = N_("Unknown method '%(value)s': use counted (compté), weighed (pesé), measured (mesuré) or estimated "
              "(estimé).")
E_TEAM = N_("The team must be a whole number, not '%(value)s'.")
E_DUPLICATE_COUNT = N_("Ticket %(ticket)s already has a round %(round)s count on line %(first_line)s.")


# --------------------------------------------------------------------------- vocabularies


_CATEGORY_BY_PREFIX = {accounts[0]: name for name, accounts in CATEGORY_ACCOUNTS.items()}


def category_of(text: str) -> str | None:
    """The category named by ``text``: its code, its French or English label (any case or
    accents), or its PCG stock account, alone (``31``) or a sub-account (``3110000``); None
    when unknown."""
    found = cols.coded(cols.CATEGORY_VALUES, text)
    if found is not None:
        return found
    name = text.strip()
    if name.isascii() and name.isdigit() and len(name) >= 2:
        return _CATEGORY_BY_PREFIX.get(name[:2])
    return None


def owner_of(text: str) -> str | None:
    """``own`` for an empty cell, else the owner ``text`` names (code, French or English); None when unknown."""
    return "own" if not text else cols.coded(cols.OWNER_VALUES, text)


# --------------------------------------------------------------------------- stock


@paused_gc
def check_stock(rows: Rows, *, filename: str, keep_rows: bool = True,
                max_errors: int | None = None, on_rows: Callable[[list], None] | None = None,
                chunk: int = STOCK_CHUNK) -> StockCheck:
    """Check a stock file into book lines, collecting every error (SPEC.md, Files: stock).

    ``keep_rows=False`` checks without keeping rows: a first pass over a huge file in little
    memory. Per key it keeps only an item's first line, a location's first line, and the
    line of each (reference, location, lot).

    ``on_rows`` streams the rows instead of keeping them: it is given each ``chunk`` of checked
    rows (the same list object, emptied after the call) while the file has no error, and never
    again after the first one; the caller writes them and undoes its writes when the check ends
    with errors. Memory then holds one chunk, not the file.
    """
    result = StockCheck(filename)
    c = Checker(result, rows, STOCK_REQUIRED, STOCK_OPTIONAL, max_errors, cols.ALIASES["stock"],
                _FRENCH["stock"])
    if c.records is None:
        return result
    book_lines = BookLineKeys()
    pending_keys = book_lines.pending
    items: dict[str, tuple] = {}
    places: dict[str, tuple] = {}
    categories: dict[str, str] = {}
    out = result.rows if keep_rows or on_rows is not None else None
    # Parsed values repeat (an item's cost on each of its lines, a few dates): look them up first.
    quantities, costs, dates = c.numbers(4), c.numbers(6), c.dates
    count = 0
    for count, (line, (ref, designation, unit, raw_category, location, raw_qty, raw_cost, lot, zone, site,
                       raw_owner, raw_date, raw_market, holder)) in enumerate(c.records, start=1):
        if not (ref and designation and unit and location):
            for column, value in (("reference", ref), ("designation", designation), ("unit", unit),
                                  ("location", location)):
                if not value:
                    c.empty(line, column)
        category = categories.get(raw_category)
        if category is None:
            category = _category(c, line, raw_category, categories)
        book_qty = quantities.get(raw_qty) or c.quantity(line, "book_qty", raw_qty, required=True)
        unit_cost = costs.get(raw_cost) or c.cost(line, "unit_cost", raw_cost, required=True)
        market_price = c.cost(line, "market_price", raw_market) if raw_market else None
        owner = owner_of(raw_owner)
        if owner is None:
            c.error(line, "owner", E_UNKNOWN_OWNER, value=text_value(raw_owner))
        last_date = (dates.get(raw_date) or c.date(line, "last_movement_date", raw_date)) if raw_date else None
        if lot and len(lot) > 80 or holder:
            c.lengths(line, lot=lot, holder=holder)
        if ref:
            item = items.get(ref)
            if item is None:
                item = items[ref] = (designation, unit, category, line, ref, len(items))
                c.lengths(line, reference=ref, designation=designation, unit=unit)
            else:
                if designation != item[0] or unit != item[1] or category != item[2]:
                    _item_disagrees(c, line, ref, item, designation=designation, unit=unit, category=category)
                designation, unit, ref = item[0], item[1], item[4]  # one string per item, not per line
        if location:
            place = places.get(location)
            if place is None:
                place = places[location] = (site, zone, line, location, len(places))
                c.lengths(line, location=location, site=site, zone=zone)
            else:
                if site != place[0] or zone != place[1]:
                    _location_disagrees(c, line, location, place, site=site, zone=zone)
                site, zone, location = place[0], place[1], place[3]
            if ref:
                pending_keys.append((item[5], place[4], lot, line, ref, location))   # book_lines.add
        if len(pending_keys) >= chunk:   # compared a chunk at a time, before its rows are handed on
            _duplicate_lines(c, book_lines)
        if out is not None:
            if result.error_count:
                out.clear()
                out = None  # nothing will be imported: stop keeping rows
            else:
                out.append(StockRow(ref, designation, unit, category, location, book_qty, unit_cost, lot, zone,
                                    site, owner, last_date, market_price, holder, line))
                if on_rows is not None and len(out) >= chunk:
                    on_rows(out)
                    out.clear()
    _duplicate_lines(c, book_lines)
    if result.error_count:
        result.errors.sort(key=lambda e: e.line or 0)   # book lines given twice are found a chunk at a time
        if out:
            out.clear()
    elif on_rows is not None and out:
        on_rows(out)
        out.clear()
    result.lines = count
    result.items, result.locations = len(items), len(places)
    return result


def _duplicate_lines(c: Checker, book_lines: BookLineKeys) -> None:
    """Record an error for each book line given twice among those added since the last call."""
    for line, first, reference, location, lot in book_lines.duplicates():
        c.error(line, "reference", E_DUPLICATE_BOOK_LINE_LOT if lot else E_DUPLICATE_BOOK_LINE,
                reference=reference, location=location, lot=lot, first_line=first)


def _category(c: Checker, line: int, raw: str, known: dict[str, str]) -> str | None:
    if not raw:
        c.empty(line, "category")
        return None
    category = category_of(raw)
    if category is None:
        c.error(line, "category", E_UNKNOWN_CATEGORY, value=text_value(raw))
    elif len(known) < 1000:
        known[raw] = category
    return category


def _item_disagrees(c: Checker, line: int, ref: str, item: tuple, **values: str | None) -> None:
    for index, (column, value) in enumerate(values.items()):
        first_value = item[index]
        if value != first_value and value is not None and first_value is not None:
            c.error(line, column, E_ITEM_DISAGREES, reference=ref, column=c.headers.get(column, column),
                    value=text_value(value), first_value=text_value(first_value), first_line=item[3])


def _location_disagrees(c: Checker, line: int, location: str, place: tuple, **values: str) -> None:
    for index, (column, value) in enumerate(values.items()):
        if value != place[index]:
            c.error(line, column, E_LOCATION_DISAGREES, location=location, column=c.headers.get(column, column),
                    value=text_value(value), first_value=text_value(place[index]), first_line=place[2])


# --------------------------------------------------------------------------- movements


@paused_gc
def check_movements(rows: Rows, *, filename: str, known_items: set[str] | None,
                    fiscal_year_start: dt.date | None, fiscal_year_end: dt.date | None,
                    known_locations: set[str] | None = None, max_errors: int | None = None) -> MovementCheck:
    """Check a movements file (SPEC.md, Files: movements).

    Any well-formed date is accepted (issue 18): a movement other than ``opening`` dated before
    ``fiscal_year_start`` or after ``fiscal_year_end`` (the window's end: the later of the closing
    and count dates) is kept and counted in ``outside_window``; it moves no figure (the engine
    leaves it out). ``known_items`` / ``known_locations`` set to None skip those checks.
    """
    result = MovementCheck(filename)
    c = Checker(result, rows, MOVEMENT_REQUIRED, MOVEMENT_OPTIONAL, max_errors, cols.ALIASES["movements"],
                _FRENCH["movements"])
    if c.records is None:
        return result
    count = 0
    for count, (line, (raw_date, ref, location, raw_qty, raw_cost, lot, raw_kind, document)) in enumerate(
            c.records, start=1):
        before = result.error_count
        date = c.date(line, "date", raw_date, required=True)
        if not ref:
            c.empty(line, "reference")
        elif known_items is not None and ref not in known_items:
            c.error(line, "reference", E_UNKNOWN_ITEM, value=text_value(ref))
        if location and known_locations is not None and location not in known_locations:
            c.error(line, "location", E_UNKNOWN_LOCATION, value=text_value(location))
        c.lengths(line, lot=lot, document=document)
        quantity = c.quantity(line, "quantity", raw_qty, required=True, negative=True)
        unit_cost = c.cost(line, "unit_cost", raw_cost)
        if raw_kind:
            kind = cols.coded(cols.KIND_VALUES, raw_kind)
            if kind is None:
                c.error(line, "kind", E_UNKNOWN_KIND, value=text_value(raw_kind))
        else:
            kind = "receipt" if quantity is not None and quantity > 0 else "issue"
        if date is not None and kind != "opening" and (
                (fiscal_year_start and date < fiscal_year_start) or (fiscal_year_end and date > fiscal_year_end)):
            result.outside_window += 1
        if kind in ("opening", "receipt") and quantity is not None:
            if quantity <= 0:
                c.error(line, "quantity", E_SIGN_IN[kind], value=raw_qty)
            if not raw_cost:
                c.error(line, "unit_cost", E_NO_COST[kind])
        elif kind == "issue" and quantity is not None and quantity > 0:
            c.error(line, "quantity", E_SIGN_OUT, value=raw_qty)
        _keep(result, before, MovementRow, date, ref, location, quantity, unit_cost, lot, kind, document, line)
    result.lines = count
    return result


def _keep(result: FileCheck, before: int, row_type: type, *values: object) -> None:
    """Keep a row while the file has no error; forget them all at the first one."""
    if not result.error_count:
        result.rows.append(row_type(*values))
    elif result.error_count != before and result.rows:
        result.rows.clear()


# --------------------------------------------------------------------------- opening


@paused_gc
def check_opening(rows: Rows, *, filename: str, max_errors: int | None = None) -> OpeningCheck:
    """Check last year's closing values by category (SPEC.md, Files: opening); one line per category."""
    result = OpeningCheck(filename)
    c = Checker(result, rows, OPENING_REQUIRED, OPENING_OPTIONAL, max_errors, cols.ALIASES["opening"],
                _FRENCH["opening"])
    if c.records is None:
        return result
    seen: dict[str, int] = {}
    count = 0
    for count, (line, (raw_category, raw_value, raw_depreciation, raw_purchases)) in enumerate(c.records, 1):
        before = result.error_count
        category = _category(c, line, raw_category, {})
        if category is not None:
            first = seen.setdefault(category, line)
            if first != line:
                c.error(line, "category", E_DUPLICATE_CATEGORY, value=category, first_line=first)
        value = c.money(line, "opening_value", raw_value, required=True)
        depreciation = c.money(line, "opening_depreciation", raw_depreciation)
        purchases = c.money(line, "purchases", raw_purchases)
        if value is not None and depreciation is not None and depreciation > value:
            c.error(line, "opening_depreciation", E_DEPRECIATION_ABOVE_VALUE, value=raw_depreciation,
                    opening_value=raw_value)
        _keep(result, before, OpeningRow, category, value, depreciation or Decimal(0), purchases, line)
    result.lines = count
    return result


# --------------------------------------------------------------------------- counts


def ticket_key(text: str) -> tuple[int, str] | None:
    """``000123/2025`` or ``123`` as (sequence, year or ''); None when it is neither."""
    sequence, slash, year = text.partition("/")
    if not (sequence.isascii() and sequence.isdigit()) or len(sequence) > 9:
        return None
    if slash and not (year.isascii() and year.isdigit() and len(year) == 4):
        return None
    return int(sequence), year


@paused_gc
def check_counts(rows: Rows, *, filename: str, max_errors: int | None = None) -> CountCheck:
    """Check transcribed counts' shape (SPEC.md, Files: counts); the app checks tickets and order."""
    result = CountCheck(filename)
    c = Checker(result, rows, COUNT_REQUIRED, COUNT_OPTIONAL, max_errors, cols.ALIASES["counts"],
                _FRENCH["counts"])
    if c.records is None:
        return result
    seen: dict[tuple[int, int], int] = {}
    count = 0
    for count, (line, (ticket, raw_round, raw_qty, raw_state, raw_team, counted_by, raw_at, ref, location, lot,
                       raw_method)) in enumerate(c.records, 1):
        before = result.error_count
        key = ticket_key(ticket) if ticket else None
        if not ticket:
            c.empty(line, "ticket")
        elif key is None:
            c.error(line, "ticket", E_TICKET, value=text_value(ticket))
        round_ = int(raw_round) if raw_round in ("1", "2", "3") else None
        if round_ is None:
            if raw_round:
                c.error(line, "round", E_ROUND, value=text_value(raw_round))
            else:
                c.empty(line, "round")
        quantity = c.quantity(line, "quantity", raw_qty, required=True)
        state = "good" if not raw_state else cols.coded(cols.STATE_VALUES, raw_state)
        if state is None:
            c.error(line, "state", E_STATE, value=text_value(raw_state))
        method = "counted" if not raw_method else cols.coded(cols.METHOD_VALUES, raw_method)
        if method is None:
            c.error(line, "method", E_METHOD, value=text_value(raw_method))
        team = int(raw_team) if raw_team.isascii() and raw_team.isdigit() else None
        if raw_team and team is None:
            c.error(line, "team", E_TEAM, value=text_value(raw_team))
        counted_at = c.datetime(line, "counted_at", raw_at)
        c.lengths(line, counted_by=counted_by, reference=ref, location=location, lot=lot)
        if key is not None and round_ is not None:
            first = seen.setdefault((key[0], round_), line)
            if first != line:
                c.error(line, "ticket", E_DUPLICATE_COUNT, ticket=ticket, round=round_, first_line=first)
        _keep(result, before, CountRow, ticket, round_, quantity, state, team, counted_by, counted_at, ref,
              location, lot, method, line)
    result.lines = count
    return result


# --------------------------------------------------------------------------- whole files

_CHECKS = {"stock": (check_stock, StockCheck), "movements": (check_movements, MovementCheck),
           "opening": (check_opening, OpeningCheck), "counts": (check_counts, CountCheck)}


E_NO_LINES = N_("%(file)s: the file has no lines under its header.")


def check_file(kind: str, source: Source, *, filename: str | None = None, limits: Limits | None = None,
               **options) -> FileCheck:
    """Read and check one import file (``kind``: stock, movements, opening, counts) in one call.

    A file that cannot be read at all (encoding, format, header, a limit passed: ``tabular.Limits``)
    gives one error naming the line where reading stopped; a file with a header and no line, one error too.
    """
    check, result_type = _CHECKS[kind]
    name = filename or ""
    try:
        table = read_table(source, filename, limits=limits)
        name = table.filename
        result = check(table, filename=table.filename, **options)
    except TableError as exc:
        name = name or str(exc.params.get("file", ""))
        result = result_type(name)
        # The message names the file and, past the header, the line where reading stopped.
        result.errors.append(FileError(name, None, exc.field, exc.message, {**exc.params, "file": name}))
        result.error_count = 1
        return result
    if not result.lines and not result.error_count:
        result.errors.append(FileError(name, None, None, E_NO_LINES, {"file": name}))
        result.error_count = 1
    return result
