"""An uploaded XLSX checked against ``tabular.Limits`` before openpyxl parses any of it.

Pure: no Flask, no database. An XLSX is a zip of XML parts. What costs time and memory when it is
hostile: parts that inflate to gigabytes (a "zip bomb"), a sheet of millions of rows, a shared-strings
table of millions of texts (openpyxl holds it whole), a text of megabytes. All of it is found here
from the zip's directory and by scanning the inflated XML in chunks, without parsing it, so such a file
is refused in a second or two in a few MiB. Python's zipfile never inflates a part past its declared
size (a part that lies about it fails its CRC), so the declared sizes can be trusted as bounds.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib

from tickets.errors import N_

from .tabular import Limits, Source, TableError, _open_binary

_CHUNK = 256 * 1024         # shorter than the longest text allowed (see _check_text_run)
_BIG_PART = 2**20             # the ratio is checked on parts bigger than this
_MAX_PARTS = 10_000
_MAX_INDEX_PART = 16 * 2**20  # workbook.xml and its relationships are parsed whole: keep them small
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# XML escapes a character in at most 10 bytes (&#x10FFFF;): the longest run of text between two tags
# that a cell within the limit can make.
_BYTES_PER_CHARACTER = 10


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f}"


def check_xlsx(source: Source, filename: str, limits: Limits) -> None:
    """Raise ``TableError`` naming the limit an XLSX passes; return quietly for any other file (a damaged
    one is left to openpyxl, which says it cannot be read)."""
    try:
        with _open_binary(source) as binary, zipfile.ZipFile(binary) as archive:
            _check_directory(archive, filename, limits)
            try:
                sheet, strings = _parts(archive)
                sheets = [sheet] if sheet is not None else []
            except (KeyError, ValueError, SyntaxError):
                # Parts openpyxl may still find another way (its content types): scan every sheet and table.
                names = archive.namelist()
                sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
                strings = next((n for n in names if n.lower().endswith("sharedstrings.xml")), None)
            for sheet in sheets:
                rows, longest = _scan(archive, sheet, b"worksheet", b"row", stop_after=limits.max_rows)
                if rows > limits.max_rows:
                    raise TableError(N_("%(file)s: the file has more than %(limit)s rows."), file=filename,
                                     limit=limits.max_rows)
                _check_text_run(longest, filename, limits)
            if strings is not None:
                count, longest = _scan(archive, strings, b"sst", b"si", stop_after=limits.max_shared_strings)
                if count > limits.max_shared_strings:
                    raise TableError(N_("%(file)s: the file holds more than %(limit)s distinct texts."),
                                     file=filename, limit=limits.max_shared_strings)
                _check_text_run(longest, filename, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError, ValueError, OSError,
            SyntaxError):
        return   # not a readable zip: openpyxl says so, as before


def _check_directory(archive: zipfile.ZipFile, filename: str, limits: Limits) -> None:
    parts = archive.infolist()
    if len(parts) > _MAX_PARTS:
        raise TableError(N_("%(file)s: the XLSX file has more than %(limit)s parts."), file=filename,
                         limit=_MAX_PARTS)
    total = sum(part.file_size for part in parts)
    if total > limits.max_uncompressed:
        raise TableError(N_("%(file)s: the XLSX file holds %(size)s MiB once unpacked; the limit is %(limit)s MiB."),
                         file=filename, size=_mib(total), limit=_mib(limits.max_uncompressed))
    for part in parts:
        if part.file_size > _BIG_PART and part.file_size > limits.max_ratio * max(part.compress_size, 1):
            raise TableError(N_("%(file)s: a part of the XLSX file is compressed %(ratio)s times (the limit is "
                                "%(limit)s): it is not a spreadsheet export."), file=filename,
                             ratio=part.file_size // max(part.compress_size, 1), limit=limits.max_ratio)


def _parse_small(archive: zipfile.ZipFile, name: str):
    from defusedxml.ElementTree import fromstring   # no entity expansion, no external entities

    if archive.getinfo(name).file_size > _MAX_INDEX_PART:
        raise ValueError(name)
    return fromstring(archive.read(name))


def _parts(archive: zipfile.ZipFile) -> tuple[str | None, str | None]:
    """The first sheet's part and the shared strings' part, as openpyxl finds them (None when absent)."""
    names = set(archive.namelist())
    workbook = "xl/workbook.xml"
    for relation in _parse_small(archive, "_rels/.rels").iter(f"{_PKG_REL}Relationship"):
        if relation.get("Type", "").endswith("/officeDocument"):
            workbook = relation.get("Target", workbook).lstrip("/")
    base = posixpath.dirname(workbook)
    rels_name = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
    targets, strings = {}, None
    for relation in _parse_small(archive, rels_name).iter(f"{_PKG_REL}Relationship"):
        target = relation.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        targets[relation.get("Id")] = target
        if relation.get("Type", "").endswith("/sharedStrings"):
            strings = target
    first = next(_parse_small(archive, workbook).iter(f"{_MAIN}sheet"), None)
    sheet = targets.get(first.get(f"{_REL}id")) if first is not None else None
    return (sheet if sheet in names else None), (strings if strings in names else None)


def _scan(archive: zipfile.ZipFile, name: str, root: bytes, tag: bytes, *, stop_after: int) -> tuple[int, int]:
    """How many ``tag`` elements the part has (stopping once past ``stop_after``), and its longest run of
    bytes without a ``<`` (the longest text), read in chunks without parsing."""
    with archive.open(name) as stream:
        data = stream.read(_CHUNK)
        found = re.search(rb"<([A-Za-z_][\w.-]*:)?" + root + rb"[\s>]", data)
        prefix = (found.group(1) or b"") if found else b""
        opening = b"<" + prefix + tag
        # "<row" also starts "<rowBreaks" (page breaks), the one other such tag a sheet or a string table has.
        longer = opening + (b"B" if tag == b"row" else b"\x00")
        keep = len(opening) - 1   # shorter than what is counted: nothing is counted twice
        count, since, longest, pending = 0, 0, 0, b""
        while data:
            window = pending + data
            count += window.count(opening) - window.count(longer)
            if count > stop_after:
                break
            first = data.find(b"<")
            if first < 0:
                since += len(data)
            else:
                longest = max(longest, since + first)
                since = len(data) - data.rfind(b"<") - 1
                # Runs inside one chunk are shorter than the chunk, which is shorter than any limit.
            longest = max(longest, since)
            pending = window[-keep:]
            data = stream.read(_CHUNK)
    return count, longest


def _check_text_run(longest: int, filename: str, limits: Limits) -> None:
    if longest > limits.max_cell * _BYTES_PER_CHARACTER + 1024:
        raise TableError(N_("%(file)s: a cell is longer than %(limit)s characters."), file=filename,
                         limit=limits.max_cell)
