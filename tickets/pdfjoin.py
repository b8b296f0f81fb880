"""Join ReportLab PDFs into one, streaming, so memory does not grow with the page count.

pypdf's writer keeps every object of the joined document in memory until ``write()``: for
100,000 tickets that is hundreds of MB and minutes of pure Python. ReportLab writes plain,
regular files (a classic xref table, one flat page tree, no object streams), so each part
can be copied object by object: references are renumbered, the part's catalog, info and
page tree are dropped, and its pages are hung on one page tree written at the end. Only
the offsets and the page ids stay in memory (a few bytes per object).
"""
from __future__ import annotations

import re
from array import array
from typing import BinaryIO

from .errors import CountappError, N_

_REF = re.compile(rb"(?<![\d.])(\d+) 0 R(?![A-Za-z])")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_PAGES_ID, _CATALOG_ID, _INFO_ID = 1, 2, 3


def _escape(text: str) -> bytes:
    """A PDF text string: literal when ASCII, else UTF-16BE with its byte-order mark (PDF 1.7, 7.9.2.2),
    so that "—", "’" or "é" reach the reader's document properties as written."""
    if not text.isascii():
        return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"
    raw = text.encode("ascii")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


class PdfJoiner:
    """Write parts (whole PDF files from ReportLab) one after the other into ``out``."""

    def __init__(self, out: BinaryIO, title: str = "", producer: str = "countapp") -> None:
        self.out, self.title, self.producer = out, title, producer
        # Machine integers, 8 bytes an object: the only state that grows with the document.
        self.offsets = array("q", [0, 0, 0])   # ids 1-3 are written by close()
        self.kids = array("q")
        self.pos = 0
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self.pos += len(data)

    def _object(self, number: int, body: bytes) -> None:
        self.offsets[number - 1] = self.pos
        self._write(b"%d 0 obj\n" % number + body + b"endobj\n")

    def add(self, pdf: bytes) -> int:
        """Copy every page of ``pdf`` after the pages already written; return how many it had."""
        spans, root = _object_spans(pdf)
        catalog = _head(pdf, spans[root])
        pages_root = _first_ref(catalog, b"/Pages")
        page_ids = [int(n) for n in _REF.findall(_array(_head(pdf, spans[pages_root]), b"/Kids"))]
        dropped = ({root, pages_root, *_refs_in(catalog)} | set(_trailer_refs(pdf))) - set(page_ids)
        kept = [n for n in sorted(spans) if n not in dropped]
        base = len(self.offsets)
        new_id = {old: base + i + 1 for i, old in enumerate(kept)}
        new_id[pages_root] = _PAGES_ID
        self.offsets.extend(0 for _ in kept)

        def renumber(match: re.Match) -> bytes:
            old = int(match.group(1))
            if old not in new_id:
                raise CountappError(N_("A PDF part refers to object %(old)s, which it does not hold."), old=old)
            return b"%d 0 R" % new_id[old]

        view, write = memoryview(pdf), self.out.write
        for old in kept:
            start, head_end, end = spans[old]
            head = pdf[start:head_end]
            if b" R" in head:  # most objects (bars, page streams) refer to nothing: copied as they are
                head = _REF.sub(renumber, head)
            number = new_id[old]
            self.offsets[number - 1] = self.pos
            opening = b"%d 0 obj\n" % number
            write(opening)
            write(head)
            write(view[head_end:end])
            write(b"endobj\n")
            self.pos += len(opening) + len(head) + (end - head_end) + 7
        self.kids.extend(new_id[p] for p in page_ids)
        return len(page_ids)

    def close(self) -> int:
        """Write the page tree, catalog, info and xref; return the number of pages."""
        self.offsets[_PAGES_ID - 1] = self.pos
        self._write(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [\n" % (_PAGES_ID, len(self.kids)))
        for start in range(0, len(self.kids), 10_000):
            self._write(b"".join(b"%d 0 R\n" % kid for kid in self.kids[start:start + 10_000]))
        self._write(b"] >>\nendobj\n")
        self._object(_CATALOG_ID, b"<< /Type /Catalog /Pages %d 0 R /PageMode /UseNone >>\n" % _PAGES_ID)
        self._object(_INFO_ID, b"<< /Producer %s /Title %s >>\n" % (_escape(self.producer), _escape(self.title)))
        xref = self.pos
        self._write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.offsets) + 1))
        for start in range(0, len(self.offsets), 10_000):  # in slices, so the table never sits whole in memory
            self._write(b"".join(b"%010d 00000 n \n" % offset for offset in self.offsets[start:start + 10_000]))
        self._write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                    % (len(self.offsets) + 1, _CATALOG_ID, _INFO_ID, xref))
        return len(self.kids)


def _object_spans(pdf: bytes) -> tuple[dict[int, tuple[int, int, int]], int]:
    """Each object's (body start, stream start or body end, body end) by number, and the catalog's number."""
    start = pdf.rindex(b"startxref")
    xref = int(pdf[start + 9:].split()[0])
    if not pdf.startswith(b"xref", xref):
        raise CountappError(N_("A PDF part has no classic xref table and cannot be joined."))
    first, count = (int(x) for x in pdf[xref:xref + 64].split(b"\n")[1].split()[:2])
    entries = _XREF_ENTRY.findall(pdf, xref, start)[:count]
    offsets = sorted((int(off), first + i) for i, (off, _gen, kind) in enumerate(entries) if kind == b"n")
    ends = [off for off, _ in offsets[1:]] + [xref]
    spans = {}
    for (off, number), end in zip(offsets, ends):
        body = pdf.index(b"obj", off, end) + 3
        while pdf[body] in b"\r\n ":
            body += 1
        body_end = pdf.rindex(b"endobj", body, end)
        # Only the dictionary is renumbered: a stream's bytes are never touched.
        stream = pdf.find(b"stream", body, body_end)
        spans[number] = (body, body_end if stream < 0 else stream, body_end)
    root = _first_ref(pdf[pdf.rindex(b"trailer", 0, start):start], b"/Root")
    return spans, root


def _head(pdf: bytes, span: tuple[int, int, int]) -> bytes:
    return pdf[span[0]:span[1]]


def _trailer_refs(pdf: bytes) -> list[int]:
    trailer = pdf[pdf.rindex(b"trailer"):]
    return [int(n) for n in _REF.findall(trailer)]


def _first_ref(text: bytes, key: bytes) -> int:
    match = re.search(re.escape(key) + rb"\s+(\d+) 0 R", text)
    if match is None:
        raise CountappError(N_("A PDF part has no %(key)s entry."), key=key.decode())
    return int(match.group(1))


def _refs_in(text: bytes) -> set[int]:
    return {int(n) for n in _REF.findall(text)}


def _array(text: bytes, key: bytes) -> bytes:
    match = re.search(re.escape(key) + rb"\s*\[([^\]]*)\]", text)
    if match is None:
        raise CountappError(N_("A PDF part has no %(key)s entry."), key=key.decode())
    return match.group(1)
