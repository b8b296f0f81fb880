"""Reading ERP exports: CSV (``;``, ``,`` or tab; UTF-8, UTF-8 with BOM or Windows-1252) and XLSX.

Pure: no Flask, no database. ``read_table`` opens a file (path or bytes), finds its header and
yields ``(line_no, {column: text})`` one row at a time, so a million-line export is read in
bounded memory. ``parse_decimal``, ``parse_date`` and ``parse_datetime`` turn the texts into
values; ``countapp.filecheck`` builds on them to check whole files.

Rules worth knowing (documented in the tests too):

* Column names are compared after trimming, lower-casing, and turning inner spaces and
  hyphens into ``_`` (``" Book Qty "`` is ``book_qty``). Unknown columns are ignored.
* The delimiter is read from the header line: ``;`` if it has one, else tab, else ``,``
  (an Excel ``sep=;`` first line says it outright).
* Line numbers are the file's own: the header is line 1 (for XLSX, the sheet's row number).
* Blank rows (every cell empty) are skipped.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import IO, BinaryIO

from tickets.errors import CountappError, N_

Source = str | os.PathLike | bytes | bytearray | BinaryIO
Row = tuple[int, dict[str, str]]

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls
_CHUNK = 1 << 20


class TableError(CountappError):
    """A file that cannot be read as a table at all (encoding, format, header, a limit passed).

    ``line`` is the file's line where reading stopped, when it was past the header."""

    def __init__(self, message: str, field: str | None = None, *, line: int | None = None, **params: object) -> None:
        super().__init__(message, field, **({**params, "line": line} if line is not None else params))
        self.line = line


@dataclass(frozen=True)
class Limits:
    """What an uploaded file may hold; beyond, it is refused before (or while) it is read, naming the limit.

    An XLSX is a zip of XML parts: its declared sizes are checked before anything is parsed (Python's
    zipfile never inflates a part past its declared size), then the first sheet and the shared strings are
    scanned in chunks (rows, the longest cell) without parsing, so a "zip bomb" or a sheet of millions of
    rows is refused in a second or two, in little memory. Rows are then streamed (openpyxl read-only mode,
    which parses with defusedxml when it is installed: no entity expansion)."""

    max_rows: int = 1_048_576            # Excel's own sheet limit
    max_columns: int = 500               # columns in the header
    max_cell: int = 32_767               # characters in a cell (Excel's own limit)
    max_uncompressed: int = 512 * 2**20  # bytes of all the XLSX's parts, inflated
    max_ratio: int = 100                 # inflated / compressed, for a part over 1 MiB
    max_shared_strings: int = 1_048_576  # distinct texts of an XLSX (openpyxl holds them in memory)


LIMITS = Limits()


def normalize_header(name: object) -> str:
    """A column name as compared: trimmed, lower case, inner spaces and hyphens as ``_``."""
    text = "" if name is None else str(name)
    return "_".join(text.strip().lower().replace("-", " ").split())


# --------------------------------------------------------------------------- numbers and dates

# Characters ERPs put between groups of thousands: space, no-break space, narrow no-break
# space, thin space, and the Swiss apostrophes.
_SPACES = " \u00a0\u202f\u2009'\u2019"
_GROUPED = re.compile(r"\d{1,3}(?:(?P<sep>[ .,])\d{3})(?:(?P=sep)\d{3})*\Z")


def _plain_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _integer_part(text: str, sep: str | None) -> str | None:
    """Digits of an integer part, checking thousands groups of 3 when ``sep`` is used."""
    if sep is None or sep not in text:
        return text if _plain_digits(text) else None
    match = _GROUPED.match(text)
    if not match or match.group("sep") != sep:
        return None
    return text.replace(sep, "")


def parse_decimal(text: str | None, *, decimal_comma: bool | None = None) -> Decimal | None:
    """The number written in ``text`` (None when empty); ValueError when it is not a plain number.

    Accepted: ``1234.5``, ``1234,5``, ``-12``, ``+12``, ``12-`` (SAP's trailing minus),
    thousands grouped by spaces (also no-break and narrow no-break), apostrophes, ``.`` or
    ``,``: ``1 234,56``, ``1.234,56``, ``1,234.56``, ``1.234.567``. Refused: letters,
    currency signs, exponents, parentheses, ``NaN``, badly grouped thousands (``1,2,3``).

    The one ambiguous shape is a single separator followed by exactly three digits:
    * a single ``.`` is always the decimal mark (``1.234`` is 1.234);
    * a single ``,`` is the decimal mark (``1,234`` is 1.234), except when
      ``decimal_comma`` is False (a comma-delimited CSV, an English export) and exactly
      three digits follow it: then it groups thousands (``1,234`` is 1234, ``12,5`` is 12.5).
    """
    if text is None:
        return None
    s = text.strip()
    if not s:
        return None
    # Fast path: what most exports write (plain digits, maybe one '.' and a leading '-').
    body = s[1:] if s[0] == "-" else s
    if _plain_digits(body) or (_plain_digits(body.replace(".", "", 1)) and body[0] != "." and body[-1] != "."):
        return Decimal(s)
    return _parse_decimal_slow(s, decimal_comma)


def _parse_decimal_slow(s: str, decimal_comma: bool | None) -> Decimal:
    original = s
    negative = False
    if s[0] in "+-":
        negative, s = s[0] == "-", s[1:].lstrip()
    elif s[-1] == "-":  # SAP writes negative amounts with a trailing minus
        negative, s = True, s[:-1].rstrip()
    if any(c in s for c in _SPACES):
        if "'" in s or "\u2019" in s:
            s = s.replace("'", " ").replace("\u2019", " ")
        s = re.sub(r"[\u00a0\u202f\u2009]", " ", s)
        if "  " in s:
            raise ValueError(original)
        space_grouped = True
    else:
        space_grouped = False
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        mark = "." if s.rfind(".") > s.rfind(",") else ","
        thousands = "," if mark == "." else "."
        if s.count(mark) != 1:
            raise ValueError(original)
    elif dots > 1 or commas > 1:
        mark, thousands = None, "." if dots else ","
    elif commas == 1:
        head, tail = s.split(",")
        looks_grouped = len(tail) == 3 and 1 <= len(head) <= 3
        if decimal_comma is False and looks_grouped and not space_grouped:
            mark, thousands = None, ","
        else:
            mark, thousands = ",", None
    else:
        mark, thousands = ("." if dots else None), None
    if space_grouped:
        if thousands is not None:
            raise ValueError(original)  # two kinds of grouping in one number
        thousands = " "
    if mark is not None:
        integer, _, fraction = s.partition(mark)
        if not _plain_digits(fraction):
            raise ValueError(original)
    else:
        integer, fraction = s, ""
    if integer == "" and fraction:
        integer = "0"
    digits = _integer_part(integer, thousands)
    if digits is None:
        raise ValueError(original)
    number = Decimal(f"{digits}.{fraction}" if fraction else digits)
    return -number if negative else number


_DMY = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})\Z")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@lru_cache(maxsize=8192)
def parse_date(text: str | None) -> dt.date | None:
    """The date in ``text`` (None when empty); ValueError when it is not one.

    Accepted: ISO ``2025-12-31`` (also with a midnight time, as XLSX cells give),
    ``31/12/2025``, ``31.12.2025``, ``31-12-2025`` (day first, four-digit year), and an
    Excel serial day number (``46022``) from a date cell formatted as a number.
    """
    if text is None:
        return None
    s = text.strip()
    if not s:
        return None
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        return dt.date.fromisoformat(s)
    if len(s) > 10 and s[4] == "-" and s[10] in "T ":
        stamp = dt.datetime.fromisoformat(s)
        if stamp.time() != dt.time(0):
            raise ValueError(s)
        return stamp.date()
    match = _DMY.match(s)
    if match:
        return dt.date(int(match.group(4)), int(match.group(3)), int(match.group(1)))
    if len(s) == 5 and _plain_digits(s):  # Excel serial: 10000 is 1927, 99999 is 2173
        return _EXCEL_EPOCH + dt.timedelta(days=int(s))
    raise ValueError(s)


def parse_datetime(text: str | None) -> dt.datetime | None:
    """A date and time (None when empty): ISO 8601, or a ``parse_date`` date with ``HH:MM[:SS]``."""
    if text is None:
        return None
    s = text.strip()
    if not s:
        return None
    try:
        return dt.datetime.fromisoformat(s)
    except ValueError:
        pass
    day, _, clock = s.partition(" ")
    date = parse_date(day)
    if not clock:
        return dt.datetime.combine(date, dt.time(0))
    return dt.datetime.combine(date, dt.time.fromisoformat(clock.strip()))


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain digits, no exponent, no trailing zeros after the mark."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --------------------------------------------------------------------------- the table


class Table:
    """An open export: ``headers`` (normalised), ``kind`` (csv|xlsx), and rows when iterated.

    Iterating yields ``(line_no, {column: text})`` with only the wanted columns (all named
    columns when ``columns`` is None); texts are stripped, missing cells are ``""``.
    ``records(columns)`` yields ``(line_no, tuple)`` instead, faster for big files. Each pass
    reads the file again from disk: nothing is held in memory between rows.
    """

    def __init__(self, source: Source, filename: str | None = None,
                 columns: Iterable[str] | None = None, limits: Limits | None = None) -> None:
        self.filename = filename or _name_of(source)
        self._source = source
        self.limits = limits or LIMITS
        self.delimiter: str | None = None
        self.encoding: str | None = None
        self._book = None
        head = _peek(source)
        if head.startswith(_OLE_MAGIC):
            raise TableError(N_("%(file)s: old Excel files (.xls) are not read; save it as .xlsx or CSV."),
                             file=self.filename)
        self.kind = "xlsx" if head.startswith(_XLSX_MAGIC) else "csv"
        if self.kind == "xlsx":
            from .xlsx_guard import check_xlsx   # here: tabular is imported by the guard

            check_xlsx(source, self.filename, self.limits)
        raw_headers, self._header_line = (self._xlsx_header() if self.kind == "xlsx" else self._csv_header())
        if sum(1 for h in raw_headers if h) > self.limits.max_columns:
            self.close()
            raise TableError(N_("%(file)s: the header has more than %(limit)s columns."), file=self.filename,
                             limit=self.limits.max_columns)
        self.raw_headers = raw_headers
        self.headers = [normalize_header(h) for h in raw_headers]
        seen: dict[str, int] = {}
        for index, name in enumerate(self.headers):
            if name and name in seen:
                self.close()
                raise TableError(N_("%(file)s: column %(column)s appears twice in the header."),
                                 field=name, file=self.filename, column=name)
            seen[name] = index
        wanted = None if columns is None else {normalize_header(c) for c in columns}
        self._picks = [(name, i) for name, i in seen.items() if name and (wanted is None or name in wanted)]

    # A ';' file is a French-style export: its single commas are decimal marks.
    @property
    def decimal_comma(self) -> bool | None:
        """What a lone ``,`` in a number means here (see ``parse_decimal``)."""
        if self.kind == "csv":
            return {";": True, ",": False}.get(self.delimiter or "")
        return None

    def missing(self, required: Iterable[str]) -> list[str]:
        """The required columns the header lacks, in the order given."""
        present = set(self.headers)
        return [c for c in required if normalize_header(c) not in present]

    def require(self, required: Iterable[str]) -> None:
        """Raise TableError naming the first missing required column."""
        missing = self.missing(required)
        if missing:
            raise TableError(N_("%(file)s: the required column %(column)s is missing."),
                             field=missing[0], file=self.filename, column=missing[0])

    def __iter__(self) -> Iterator[Row]:
        return self.rows()

    def rows(self, columns: Iterable[str] | None = None) -> Iterator[Row]:
        """``(line_no, {column: text})`` for the kept columns the file has (or only ``columns``)."""
        names = [name for name, _ in self._picks]
        if columns is not None:
            wanted = {normalize_header(c) for c in columns}
            names = [name for name in names if name in wanted]
        for line, values in self.records(names):
            yield line, dict(zip(names, values))

    def records(self, columns: Sequence[str]) -> Iterator[tuple[int, tuple[str, ...]]]:
        """``(line_no, texts)`` with the texts of ``columns`` in that order; ``""`` for a column
        the file lacks. The fast way through a big file: no dict per row."""
        where = {name: i for name, i in self._picks}
        indexes = [where.get(normalize_header(c), -1) for c in columns]
        return self._xlsx_records(indexes) if self.kind == "xlsx" else self._csv_records(indexes)

    # ---- CSV

    def _open_text(self) -> IO[str]:
        binary = _open_binary(self._source)
        return io.TextIOWrapper(binary, encoding=self.encoding, newline="")

    def _csv_header(self) -> tuple[list[str], int]:
        self.encoding = _detect_encoding(self._source, self.filename)
        forced = None
        with self._open_text() as text:
            for line, first in enumerate(text, start=1):
                stripped = first.strip()
                if stripped.lower().startswith("sep=") and len(stripped) == 5 and forced is None:
                    forced = stripped[4]  # Excel's hint line: "sep=;"
                elif stripped:
                    break
            else:
                raise TableError(N_("%(file)s: the file is empty."), file=self.filename)
        self.delimiter = forced or (";" if ";" in first else "\t" if "\t" in first else ",")
        try:
            return next(csv.reader([first], delimiter=self.delimiter)), line
        except csv.Error as exc:
            raise _csv_error(exc, self.filename, line) from None

    def _csv_records(self, indexes: list[int]) -> Iterator[tuple[int, tuple[str, ...]]]:
        # Index -1 reads the "" appended to every row: a column the file lacks costs nothing.
        width = max(indexes, default=-1) + 1
        if len(indexes) > 1:
            pick = itemgetter(*indexes)
        else:
            pick = (lambda cells: (cells[indexes[0]],)) if indexes else (lambda cells: ())
        strip = str.strip
        with self._open_text() as text:
            reader = _Reader(csv.reader(text, delimiter=self.delimiter), self.filename)
            for _ in range(self._header_line):
                next(reader)
            last = reader.line_num
            for cells in reader:
                line, last = last + 1, reader.line_num
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                cells.append("")
                values = tuple(map(strip, pick(cells)))
                if not any(values) and not "".join(cells).strip():
                    continue  # a row of blanks, as some exports end with
                yield line, values

    # ---- XLSX

    def _workbook(self):
        import openpyxl  # imported here: CSV-only callers never pay for it

        source = self._source
        # A path is handed over as is, so that openpyxl closes the file it opens.
        target = os.fspath(source) if isinstance(source, (str, os.PathLike)) else _open_binary(source)
        try:
            return openpyxl.load_workbook(target, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise TableError(N_("%(file)s: the XLSX file cannot be read (%(reason)s)."),
                             file=self.filename, reason=str(exc)[:120]) from exc

    def _xlsx_header(self) -> tuple[list[str], int]:
        workbook = self._workbook()
        try:
            sheet = workbook.worksheets[0]
            # The declared size is not trusted: a wrong one would cut rows off, or pad every row to it.
            sheet.reset_dimensions()
            rows = sheet.iter_rows(values_only=True, max_col=self.limits.max_columns + 1)
            for number, values in enumerate(rows, start=1):
                if number > self.limits.max_rows:
                    break
                cells = [cell_text(v) for v in values]
                while cells and not cells[-1]:
                    cells.pop()
                if any(cells):
                    # Kept open for the first pass over the rows: opening a sheet that lacks its
                    # size reads it whole, so it is done once, not twice.
                    self._book, workbook = workbook, None
                    return cells, number
        except TableError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged or hostile sheet (entities...) is the file's fault
            raise TableError(N_("%(file)s: the XLSX file cannot be read (%(reason)s)."), file=self.filename,
                             reason=str(exc)[:120]) from exc
        finally:
            if workbook is not None:
                workbook.close()
        raise TableError(N_("%(file)s: the file is empty."), file=self.filename)

    def _xlsx_records(self, indexes: list[int]) -> Iterator[tuple[int, tuple[str, ...]]]:
        workbook, self._book = self._book or self._workbook(), None
        limits = self.limits
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()
            # Only the columns read are made: a cell far to the right does not widen every row.
            rows = sheet.iter_rows(min_row=self._header_line + 1, max_col=max(indexes, default=0) + 1,
                                   values_only=True)
            for line, cells in enumerate(rows, start=self._header_line + 1):
                if line > limits.max_rows:
                    raise TableError(N_("%(file)s: the file has more than %(limit)s rows."), file=self.filename,
                                     line=line, limit=limits.max_rows)
                if all(v is None or v == "" for v in cells):
                    continue
                size = len(cells)
                values = tuple(cell_text(cells[i]) if 0 <= i < size else "" for i in indexes)
                joined = "".join(values)
                if len(joined) > limits.max_cell or "\x00" in joined:
                    _check_cells(values, self.filename, line, limits)
                yield line, values
        except TableError:
            raise
        except Exception as exc:  # noqa: BLE001 - as for the header
            raise TableError(N_("%(file)s: the XLSX file cannot be read (%(reason)s)."), file=self.filename,
                             reason=str(exc)[:120]) from exc
        finally:
            workbook.close()

    def close(self) -> None:
        """Release an XLSX file kept open after reading its header (iterating does it too)."""
        if self._book is not None:
            self._book.close()
            self._book = None

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

def read_table(source: Source, filename: str | None = None, *,
               columns: Iterable[str] | None = None, required: Iterable[str] = (),
               limits: Limits | None = None) -> Table:
    """Open an export (path, bytes or binary stream): a ``Table`` to iterate row by row.

    ``columns`` keeps only those columns in each row (the others are ignored);
    ``required`` raises ``TableError`` when one is missing from the header. A file past ``limits``
    (``LIMITS`` by default) raises ``TableError`` naming the limit, at once or while it is read.
    """
    table = Table(source, filename, columns, limits)
    try:
        table.require(required)
    except TableError:
        table.close()
        raise
    return table


class _Reader:
    """A ``csv.reader`` whose errors (a field past the csv module's limit, a broken quote) are
    ``TableError`` naming the file and line, not a server error."""

    def __init__(self, reader, filename: str) -> None:
        self._reader, self._filename = reader, filename

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> "_Reader":
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            raise _csv_error(exc, self._filename, self._reader.line_num) from None


def _csv_error(exc: csv.Error, filename: str, line: int) -> TableError:
    if "field larger than field limit" in str(exc):
        return TableError(N_("%(file)s, line %(line)s: a field is longer than %(limit)s characters."), line=line,
                          file=filename, limit=csv.field_size_limit())
    return TableError(N_("%(file)s, line %(line)s: the CSV cannot be read (%(reason)s)."), line=line,
                      file=filename, reason=str(exc)[:120])


def _check_cells(values: tuple[str, ...], filename: str, line: int, limits: Limits) -> None:
    for value in values:
        if len(value) > limits.max_cell:
            raise TableError(N_("%(file)s, line %(line)s: a cell is longer than %(limit)s characters."), line=line,
                             file=filename, limit=limits.max_cell)
        if "\x00" in value:
            raise TableError(N_("%(file)s, line %(line)s: a cell contains a NUL character."), line=line,
                             file=filename)


def cell_text(value: object) -> str:
    """An XLSX cell value as the text a CSV export would have given."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # 15 significant digits, as Excel shows them: 0.1 + 0.2 reads 0.3, not 0.30000000000000004.
        return decimal_text(Decimal(f"{value:.15g}"))
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value).strip()


# --------------------------------------------------------------------------- bytes and encodings


def _name_of(source: Source) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", None) or "upload"


def _open_binary(source: Source) -> BinaryIO:
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source)
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb")
    source.seek(0)
    return io.BufferedReader(_Unclosable(source), _CHUNK)


class _Unclosable(io.RawIOBase):
    """A caller's stream that our readers may 'close' without closing it for the caller."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _peek(source: Source) -> bytes:
    try:
        with _open_binary(source) as binary:
            return binary.read(8)
    except OSError as exc:
        raise TableError(N_("%(file)s: the file cannot be opened (%(reason)s)."),
                         file=_name_of(source), reason=exc.strerror or str(exc)) from exc


def _detect_encoding(source: Source, filename: str) -> str:
    """``utf-8-sig`` when the whole file is valid UTF-8 (BOM or not), else ``cp1252``.

    The whole file is checked before any row is read, in 1 MiB chunks: a stray accent on
    line 900,000 must not switch encodings half way through.
    """
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with _open_binary(source) as binary:
                lines = 1
                while chunk := binary.read(_CHUNK):
                    if b"\x00" in chunk:   # a binary file, or UTF-16: no export of ours
                        line = lines + chunk.count(b"\n", 0, chunk.index(b"\x00"))
                        raise TableError(N_("%(file)s, line %(line)s: the file contains NUL characters: it is not a "
                                            "text export (save it as UTF-8 CSV)."), line=line, file=filename)
                    lines += chunk.count(b"\n")
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise TableError(N_("%(file)s: the text is neither UTF-8 nor Windows-1252; save it as UTF-8 CSV."),
                     file=filename)
