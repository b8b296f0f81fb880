"""The data shown under each section: places, teams, tolerances, rates, signatures…"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from tickets.pdf_fonts import unbreakable

from . import formatting as fmt
from .fonts import FAMILY, printable
from .labels import AUDITOR_KINDS, LIFO_WARNING, STATES, category_code, category_row
from .model import InstructionsData
from .sections import count_window

WIDTH = 17 * cm  # A4 less two 2 cm margins


class Styles:
    """The paragraph styles of the document, all in the Unicode font."""

    def __init__(self) -> None:
        base = dict(fontName=FAMILY, fontSize=10, leading=13.5)
        self.body = ParagraphStyle("body", spaceAfter=6, **base)
        self.bullet = ParagraphStyle("bullet", parent=self.body, leftIndent=14, bulletIndent=4,
                                     bulletFontName=FAMILY, spaceAfter=3)
        self.small = ParagraphStyle("small", fontName=FAMILY, fontSize=8, leading=10)
        self.cell = ParagraphStyle("cell", fontName=FAMILY, fontSize=8.5, leading=10.5)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell, fontName=FAMILY + "-Bold")
        self.note = ParagraphStyle("note", parent=self.small, textColor=colors.HexColor("#444444"),
                                   spaceBefore=3, spaceAfter=6)
        self.warning = ParagraphStyle("warning", parent=self.body, fontName=FAMILY + "-Bold",
                                      textColor=colors.HexColor("#9a1c1c"), borderColor=colors.HexColor("#9a1c1c"),
                                      borderWidth=0.8, borderPadding=6, spaceBefore=8, spaceAfter=12)
        self.h1 = ParagraphStyle("h1", fontName=FAMILY + "-Bold", fontSize=14, leading=18,
                                 spaceBefore=14, spaceAfter=8, keepWithNext=1,
                                 textColor=colors.HexColor("#1f3b5c"))
        self.title = ParagraphStyle("title", fontName=FAMILY + "-Bold", fontSize=24, leading=30,
                                    alignment=1, spaceAfter=24)
        self.cover = ParagraphStyle("cover", fontName=FAMILY, fontSize=13, leading=20, alignment=1)
        self.cover_mark = ParagraphStyle("cover_mark", parent=self.cover, fontName=FAMILY + "-Bold",
                                         fontSize=20, leading=28, textColor=colors.HexColor("#b22222"),
                                         spaceBefore=24)


def para(text: str, style: ParagraphStyle, **kw: Any) -> Paragraph:
    """A paragraph of plain text (escaped, printable in the font)."""
    return Paragraph(escape(unbreakable(printable(text))), style, **kw)


def _natural(text: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", text)]


PAGE_ROWS = 60  # more rows than an A4 page holds (about 47): a long grid is cut from slices this long


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
          st: Styles, row_height: float | None = None) -> Flowable:
    """A grid with a bold header row repeated on every page it flows onto."""
    col_widths = [w * WIDTH for w in widths]

    def cell(value: Any, width: float) -> Any:
        text = printable("" if value is None else str(value))
        # Plain strings are far cheaper than paragraphs but never wrap: wrap only when needed.
        if len(text) > 8 and stringWidth(text, FAMILY, 8.5) > width - 12:
            return Paragraph(escape(text), st.cell)
        return text

    head = [Paragraph(escape(unbreakable(printable(h))), st.cell_head) for h in header]
    body = [[cell(v, w) for v, w in zip(row, col_widths)] for row in rows]

    def grid(part: Sequence[list]) -> Table:
        heights = [None] + [row_height] * len(part) if row_height else None
        t = _Grid([head, *part], colWidths=col_widths, rowHeights=heights, repeatRows=1)
        t.setStyle(_GRID_STYLE)
        return t

    return _PagedRows(grid, body, 0, {}) if len(body) > PAGE_ROWS else grid(body)


_GRID_STYLE = TableStyle([
    ("FONTNAME", (0, 0), (-1, -1), FAMILY), ("FONTSIZE", (0, 0), (-1, -1), 8.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9f0")),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a94a3")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
])


class _Grid(Table):
    """A table that skips drawing on a dry-run canvas (the pass that only finds page numbers)."""

    def draw(self) -> None:
        if not getattr(self.canv, "countapp_dry_run", False):
            super().draw()


class _PagedRows(Flowable):
    """A long grid laid out one page at a time from a slice of its rows.

    Splitting one big table re-measures and copies all its remaining rows at every page break,
    which grows with the square of the rows (20,000 locations took over a minute); here each page
    costs the same whatever the length of the list. The second pass of the document (for the
    contents' page numbers) lays out the same pages: ``memo`` hands back the first pass's cuts.
    """

    def __init__(self, grid: Callable[[Sequence[list]], Table], rows: Sequence[list], start: int,
                 memo: dict) -> None:
        super().__init__()
        self._grid, self._rows, self._start, self._memo = grid, rows, start, memo
        self._table: Table | None = None

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        if len(self._rows) - self._start > PAGE_ROWS:
            self._table = None
            return avail_width, avail_height + 1  # too tall for any page: the frame asks for a split
        self._table = self._grid(self._rows[self._start:])
        self.width, self.height = self._table.wrap(avail_width, avail_height)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        key = (self._start, round(avail_width, 3), round(avail_height, 3))
        if key not in self._memo:
            self._memo[key] = self._cut(avail_width, avail_height)
        return list(self._memo[key])

    def _cut(self, avail_width: float, avail_height: float) -> list[Flowable]:
        size = PAGE_ROWS
        while True:
            pieces = self._grid(self._rows[self._start:self._start + size]).split(avail_width, avail_height)
            if not pieces:
                return []
            if len(pieces) > 1:
                used = len(pieces[0]._cellvalues) - 1  # less the header row
                return [pieces[0], _PagedRows(self._grid, self._rows, self._start + used, self._memo)]
            if self._start + size >= len(self._rows):
                return pieces
            size *= 2  # the whole slice fits on this page (unusually short rows): take more

    def draw(self) -> None:
        self._table.drawOn(self.canv, 0, 0)


def _zone_teams(data: InstructionsData) -> dict[tuple[str, int], str]:
    """'1, 3' for each (zone, round): the teams that count it."""
    found: dict[tuple[str, int], list[int]] = {}
    for t in data.teams:
        for z in t.zones:
            found.setdefault((z, t.round), []).append(t.number)
    return {k: ", ".join(str(n) for n in sorted(v)) for k, v in found.items()}


def places(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    rows_in = data.all_places()
    if not rows_in:
        return [para(lab["no_places"], st.note)]
    teams = _zone_teams(data)
    rows_in.sort(key=lambda pb: (_natural(pb[0].site), _natural(pb[0].zone), _natural(pb[0].location)))
    rows = [(p.site, p.zone, p.location + (" *" if by_hand else ""),
             teams.get((p.zone, 1), ""), teams.get((p.zone, 2), "")) for p, by_hand in rows_in]
    out = [table([lab["site"], lab["zone"], lab["location"], lab["team_round1"], lab["team_round2"]],
                 rows, (0.2, 0.17, 0.33, 0.15, 0.15), st)]
    counts = {"places": len(rows), "zones": len({p.zone for p, _ in rows_in if p.zone}),
              "sites": len({p.site for p, _ in rows_in if p.site})}
    out.append(para(lab["place_count"] % counts, st.note))
    if any(by_hand for _, by_hand in rows_in):
        out.append(para(lab["by_hand_note"], st.note))
    return out


def teams(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    if not data.teams:
        return [para(lab["no_teams"], st.note)]
    lang = data.language
    rows = [(t.number, lab.get(f"round_{t.round}", str(t.round)), t.leader or "—",
             ", ".join(t.members), ", ".join(sorted(t.zones, key=_natural)), slot(t.start, t.end, lang))
            for t in sorted(data.teams, key=lambda t: (t.round, t.number))]
    return [table([lab["team"], lab["round"], lab["leader"], lab["members"], lab["zones"], lab["times"]],
                  rows, (0.10, 0.14, 0.17, 0.20, 0.11, 0.28), st)]


def slot(start: datetime | None, end: datetime | None, lang: str) -> str:
    """'27/12/2025, 8h00 – 12h00', or both ends in full when the slot spans days."""
    if start is None or end is None:
        return fmt.short_datetime(start, lang) + " – " + fmt.short_datetime(end, lang)
    if start.date() == end.date():
        return f"{fmt.short_date(start, lang)}, {fmt.clock(start, lang)} – {fmt.clock(end, lang)}"
    return f"{fmt.short_datetime(start, lang)} – {fmt.short_datetime(end, lang)}"


def dates(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    lang = data.language
    start, end = count_window(data)
    rows = [(lab["count_date"], fmt.long_date(data.count_date, lang))]
    # Zones (or sites) counted on another day, each with its date (issue 18).
    rows += [(lab["count_date_of"] % {"place": code}, fmt.long_date(day, lang))
             for code, day in sorted((data.count_dates or {}).items(), key=lambda kv: (kv[1], kv[0]))]
    rows += [(lab["count_start"], fmt.long_datetime(start, lang)),
            (lab["count_end"], fmt.long_datetime(end, lang)),
            (lab["freeze_from"], fmt.long_datetime(data.freeze_from, lang)),
            (lab["freeze_to"], fmt.long_datetime(data.freeze_to, lang)),
            (lab["closing_date"], fmt.long_date(data.closing_date, lang))]
    flowables = [table([lab["fact"], lab["when"]], rows, (0.4, 0.6), st)]
    if data.count_date and data.closing_date and data.count_date > data.closing_date:
        flowables.append(para(lab["count_after_closing"], st.note))
    return flowables


def scope(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    if not data.categories:
        return [para(lab["no_categories"], st.note)]
    rows = [category_row(c, data.language) for c in data.categories]
    return [table([lab["account"], lab["category"]], rows, (0.15, 0.85), st)]


def auditors(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    if not data.auditors:
        return [para(lab["no_auditors"], st.note)]
    kinds = AUDITOR_KINDS[data.language]
    rows = [(kinds.get(a.kind, a.kind), a.name, a.firm or "") for a in data.auditors]
    return [table([lab["auditor_kind"], lab["name"], lab["firm"]], rows, (0.3, 0.35, 0.35), st)]


def holdings(data: InstructionsData, lab: dict, st: Styles, elsewhere: bool) -> list[Flowable]:
    items = data.goods_elsewhere if elsewhere else data.third_party_goods
    if not items:
        return [para(lab["none_listed"], st.note)]
    name = lambda h: (h.party or "").strip() or lab["party_unknown"]  # noqa: E731
    if elsewhere:  # a blank column the accountant fills in as confirmations come back
        rows = [(name(h), h.lines, "") for h in items]
        return [table([lab["holder"], lab["lines"], lab["confirmation"]], rows, (0.5, 0.15, 0.35), st)]
    rows = [(name(h), h.lines) for h in items]
    return [table([lab["owner"], lab["lines"]], rows, (0.75, 0.25), st)]


def _thresholds_row(label: str, settings: Any, lang: str, currency: str) -> tuple:
    t = fmt.thresholds(settings)
    return (label,
            fmt.number(t["qty"], lang) if "qty" in t else "—",
            fmt.percent(t["pct"], lang) if "pct" in t else "—",
            fmt.money(t["value"], lang, currency) if "value" in t else "—")


def tolerances(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    lang, tol = data.language, data.tolerances or {}
    rows = [_thresholds_row(lab[k], tol.get(k), lang, data.currency) for k in ("between_counts", "vs_book")]
    for code, override in sorted((tol.get("category") or {}).items()):
        name = category_row(category_code(code), lang)[1]
        for k in ("between_counts", "vs_book"):
            if (override or {}).get(k):  # overrides replace the campaign's thresholds key by key
                merged = {**(tol.get(k) or {}), **override[k]}
                label = lab[k][0].lower() + lab[k][1:]
                rows.append(_thresholds_row(f"{name}{fmt.NBSP}: {label}" if lang == "fr" else f"{name}: {label}",
                                            merged, lang, data.currency))
    return [table([lab["tolerance"], lab["qty"], lab["pct"], lab["value"]], rows,
                  (0.46, 0.18, 0.18, 0.18), st),
            para(lab["tolerance_note"], st.note)]


def valuation(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    return [para(LIFO_WARNING[data.language], st.warning)] if data.valuation == "lifo" else []


def depreciation(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    lang, dep = data.language, data.depreciation or {}
    rows = [(STATES[lang][k], fmt.percent(fmt.to_decimal(dep.get(k)) or Decimal(0), lang))
            for k in ("damaged", "obsolete", "expired", "slow_moving")]
    days = fmt.to_decimal(dep.get("slow_moving_days")) or Decimal(365)
    rows.append((lab["slow_moving_days"], lab["days"] % {"days": fmt.number(days, lang)}))
    rows.append((lab["market_price"], lab["yes"] if fmt.truthy(dep.get("market_price")) else lab["no"]))
    return [table([lab["rule"], lab["rate"]], rows, (0.6, 0.4), st)]


def person(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    names = [n for n in data.committee if n]
    return [para(lab["committee"] % {"names": ", ".join(names)}, st.body)] if names else []


def signatures(data: InstructionsData, lab: dict, st: Styles) -> list[Flowable]:
    """Approval by the person in charge, then one line per person who must read the document."""
    out: list[Flowable] = [para(lab["approved_by"], st.body)]
    box = Table([[printable(data.person_in_charge or ""), printable(lab["date_signature"])]],
                colWidths=[0.5 * WIDTH, 0.5 * WIDTH], rowHeights=[2.2 * cm])
    box.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FAMILY), ("FONTSIZE", (0, 0), (-1, -1), 9),
                             ("BOX", (0, 0), (-1, -1), 0.6, colors.black),
                             ("LINEAFTER", (0, 0), (0, 0), 0.4, colors.black),
                             ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    out += [box, Spacer(1, 0.6 * cm), para(lab["acknowledge"], st.body)]
    kinds = AUDITOR_KINDS[data.language]
    people: dict[str, list[str]] = {}  # one line per person, with all their roles
    for name, role in ([(n, lab["committee_member"]) for n in data.committee]
                       + [(data.centraliser, lab["centralisation"])]
                       + [(t.leader, lab["leader_of"] % {"team": t.number})
                          for t in sorted(data.teams, key=lambda t: t.number)]
                       + [(a.name, kinds.get(a.kind, a.kind)) for a in data.auditors]):
        if name and name.strip():
            people.setdefault(name.strip(), []).append(role)
    rows = [(n, ", ".join(r), "", "") for n, r in people.items()] + [("", "", "", "")] * 4
    out.append(table([lab["name"], lab["role"], lab["date"], lab["signature"]], rows,
                     (0.32, 0.3, 0.14, 0.24), st, row_height=0.9 * cm))
    return out


# Section key -> the data shown under its text.
EXTRAS: dict[str, Callable[[InstructionsData, dict, Styles], list[Flowable]]] = {
    "person_in_charge": person,
    "dates_times": dates,
    "places": places,
    "scope": scope,
    "teams": teams,
    "auditors": auditors,
    "third_party_goods": lambda d, lab, st: holdings(d, lab, st, elsewhere=False),
    "goods_elsewhere": lambda d, lab, st: holdings(d, lab, st, elsewhere=True),
    "double_count": tolerances,
    "valuation": valuation,
    "depreciation": depreciation,
}
