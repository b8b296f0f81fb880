"""The annual report's sections, in order, as platypus flowables (layout in ``reports.annual_pdf``).

Every figure printed comes from the ``AnnualReport`` as given (the engine's totals, rows and
entries), formatted by ``reports.annual_format``: nothing is recomputed here except sums of the
entries' columns for their balance line.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle
from reportlab.platypus.tableofcontents import TableOfContents
from reportlab.lib import colors
from reportlab.lib.units import cm

from tickets.plurals import choose

from . import annual_format as fmt
from . import annual_stats as stats
from . import exact
from .annual_data import AnnualReport
from .annual_pdf import WIDTH, Heading, Styles, facts, grid, para
from .annual_texts import label, reasons_text
from .charts import differences_by_category, progress_over_time


class _Ctx:
    """What every section needs: the report, styles, words, language and time zone."""

    def __init__(self, report: AnnualReport, st: Styles, texts: dict) -> None:
        self.r, self.st, self.t = report, st, texts
        self.lang = report.header.language if report.header.language in ("fr", "en") else "en"
        try:
            self.tz = ZoneInfo(report.header.timezone)
        except Exception:  # noqa: BLE001 - an unknown zone name: times stay in UTC
            self.tz = dt.timezone.utc
        self.number = 0

    def h1(self, key: str) -> Heading:
        self.number += 1
        self.sub = 0
        return Heading(f"{self.number}. {self.t[key]}", self.st.h1, 0, f"s{self.number}")

    def h2(self, text: str) -> Heading:
        self.sub += 1
        return Heading(f"{self.number}.{self.sub} {text}", self.st.h2, 1, f"s{self.number}-{self.sub}")

    def money(self, value) -> str:
        return fmt.money(value, self.lang)

    def qty(self, value) -> str:
        return fmt.qty(value, self.lang)

    def n(self, value) -> str:
        return fmt.count(value, self.lang)

    def tn(self, key: str, number) -> str:
        """The text ``key`` in the form ``number`` needs (singular or plural)."""
        return choose(self.t[key], number, self.lang)

    def pct(self, value) -> str:
        return fmt.percent(value, self.lang)

    def when(self, value) -> str:
        return fmt.moment(value, self.lang, self.tz)

    def date(self, value) -> str:
        return fmt.date(value, self.lang)

    def p(self, text: str) -> Flowable:
        return para(text, self.st.body)

    def note(self, text: str) -> Flowable:
        return para(text, self.st.note)

    def more(self, shown: int, total: int) -> list[Flowable]:
        if total > shown:
            return [self.note(self.t["see_workbook"] % {"shown": self.n(shown), "total": self.n(total)})]
        return []

    def category(self, code: str) -> str:
        return label(self.lang, "category", code) if code else self.t["no_category"]


def _text_block(c: _Ctx, text: str) -> list[Flowable]:
    """The manager's text: paragraphs on blank lines, '- ' lines as bullets."""
    text = (text or "").strip()
    if not text:
        return [c.note(c.t["not_written"])]
    out: list[Flowable] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines: list[str] = []
        for line in block.split("\n"):
            if line.lstrip().startswith(("- ", "• ", "* ")):
                if lines:
                    out.append(c.p("\n".join(lines)))
                    lines = []
                out.append(para(line.lstrip()[2:].strip(), c.st.bullet, bulletText="•"))
            elif line.strip():
                lines.append(line.strip())
        if lines:
            out.append(c.p("\n".join(lines)))
    return out


# --- cover and contents -------------------------------------------------------------------------

def _cover(c: _Ctx) -> list[Flowable]:
    h, t = c.r.header, c.t
    story: list[Flowable] = [Spacer(1, 4 * cm), para(t["title"], c.st.title), para(h.company, c.st.cover),
                             para(f"{t['campaign']} {h.campaign_code}" + (f" · {h.campaign_name}" if h.campaign_name
                                                                          else ""), c.st.cover),
                             para(f"{t['fiscal_year']} {h.fiscal_year}", c.st.cover),
                             para(f"{t['count_date']} : {c.date(h.count_date)}" if c.lang == "fr"
                                  else f"{t['count_date']}: {c.date(h.count_date)}", c.st.cover),
                             para(f"{t['closing_date']} : {c.date(h.closing_date)}" if c.lang == "fr"
                                  else f"{t['closing_date']}: {c.date(h.closing_date)}", c.st.cover)]
    if h.person_in_charge:
        sep = " : " if c.lang == "fr" else ": "
        story.append(para(f"{t['person_in_charge']}{sep}{h.person_in_charge}", c.st.cover))
    if c.r.closing is not None:
        story.append(para(t["status_final"] % {"date": c.when(c.r.closing.closed_at),
                                               "by": c.r.closing.closed_by or "—"}, c.st.cover_note))
    else:
        story.append(para(t["status_draft"] % {"date": c.when(h.generated_at)}, c.st.cover_note))
    story.append(c.note(t["times_in"] % {"tz": h.timezone}))
    return story + [PageBreak()]


def _contents(c: _Ctx) -> list[Flowable]:
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = c.st.toc
    return [para(c.t["contents"], c.st.h1), toc, PageBreak()]


# --- 1. summary ---------------------------------------------------------------------------------

def _override_sentence(c: _Ctx) -> str | None:
    closing = c.r.closing
    if closing is None or not closing.override_reason:
        return None
    parts = []
    if closing.unaccounted:
        parts.append(c.tn("override_what_missing", len(closing.unaccounted)) % {"n": len(closing.unaccounted)})
    if closing.pending_third:
        parts.append(c.tn("override_what_pending", len(closing.pending_third)) % {"n": len(closing.pending_third)})
    what = c.t["override_and"].join(parts) or "—"
    return c.t["override_note"] % {"what": what, "by": closing.closed_by or "—", "reason": closing.override_reason}


def _summary(c: _Ctx) -> list[Flowable]:
    r, t, result = c.r, c.t, c.r.reconciliation
    own = result.own_totals
    surplus, shortage = stats.difference_totals(result)
    exceptions = int((result.lines["exception"] != "").sum())
    tk, st = r.tickets, r.stats.overall
    pairs = [
        (t["k_book_value"], c.money(own["book_value"])),
        (t["k_counted_value"], c.money(own["counted_value"])),
        (t["k_diff_value"], c.money(own["diff_value"])),
        (t["k_surplus"], c.money(surplus)),
        (t["k_shortage"], c.money(shortage)),
        (t["k_closing_value"], c.money(own["closing_value"])),
        (t["k_depreciation"], c.money(own["depreciation"])),
        (t["k_net_value"], c.money(own["net_value"])),
        (t["k_lines"], c.n(own["lines"])),
        (t["k_not_counted"], c.n(own["not_counted"])),
        (t["k_differences"], c.n(own["differences"])),
        (t["k_exceptions"], c.n(exceptions)),
        (t["k_tickets_issued"], c.n(tk.issued)),
        (t["k_tickets_missing"], c.n(tk.missing)),
        (t["k_tickets_voided"], c.n(len(tk.voids))),
        (t["k_agreement"], t["rate_of"] % {"n": c.n(st.within), "rate": c.pct(st.agreement_rate)}),
        (t["k_third_rate"], t["rate_of"] % {"n": c.n(st.third_needed), "rate": c.pct(st.third_rate)}),
        (t["k_third_pending"], c.n(r.stats.pending_third)),
        (t["k_result_effect"], c.money(stats.result_effect(r.entries))),
    ]
    method = label(c.lang, "method", result.settings.method)
    story = [c.h1("s_summary"),
             c.p(t["summary_intro_back" if r.header.count_date > r.header.closing_date else "summary_intro"]
                 % {"count_date": c.date(r.header.count_date), "closing_date": c.date(r.header.closing_date),
                    "method": method}),
             facts(c.st, pairs, 0.55)]
    notes = [w.message(c.lang) for w in result.warnings]
    override = _override_sentence(c)
    if override:
        notes.insert(0, override)
    if notes:
        story += [Spacer(1, 6), para(t["summary_warnings"], c.st.h2)]
        story += [para(n, c.st.bullet, bulletText="•") for n in notes]
    return story


# --- 2. planned, 3. actual ---------------------------------------------------------------------

def _slot(c: _Ctx, start, end) -> str:
    if start is None and end is None:
        return "—"
    return c.t["p_from_to"] % {"start": c.when(start), "end": c.when(end)}


def _planned(c: _Ctx) -> list[Flowable]:
    p, t = c.r.plan, c.t
    intro = (t["planned_intro_version"] % {"version": p.version, "date": c.date(p.issued_on)}
             if p.version else t["planned_intro_draft"])
    pairs = [(t["person_in_charge"], p.person_in_charge or "—"), (t["p_centraliser"], p.centraliser or "—"),
             (t["p_window"], _slot(c, p.count_start, p.count_end)),
             (t["p_freeze"], _slot(c, p.freeze_from, p.freeze_to)),
             (t["p_places"], t["p_places_value"] % {"n": c.n(p.places + p.extra_places), "extra": c.n(p.extra_places)}),
             (t["p_zones"], ", ".join(p.zones) or "—"),
             (t["p_categories"], ", ".join(label(c.lang, "category", x) for x in p.categories) or "—"),
             (t["p_auditors"], ", ".join(p.auditors) or "—")]
    story = [c.h1("s_planned"), c.p(intro), facts(c.st, pairs), c.h2(t["p_teams"])]
    if p.teams:
        rows = [[str(x.number), str(x.round), x.leader or "—", ", ".join(x.members) or "—", ", ".join(x.zones) or "—",
                 _slot(c, x.start, x.end)] for x in p.teams]
        story.append(grid(c.st, [t["c_team"], t["c_round"], t["c_leader"], t["c_members"], t["c_zones"], t["c_slot"]],
                          rows, [0.07, 0.09, 0.15, 0.26, 0.15, 0.28], {0, 1}))
    else:
        story.append(c.note(t["none"]))
    return story


def _team_name(c: _Ctx, team: int | None, round_: int) -> str:
    if team is not None:
        return str(team)
    return c.t["third_team"] if round_ == 3 else c.t["no_team"]


def _progress_chart(c: _Ctx) -> list[Flowable]:
    points = c.r.stats.progress
    if not points:
        return []
    start = min(p.at for p in points)
    series: dict[str, list[tuple[float, float]]] = {}
    for point in points:
        name = c.t["series_round"] % {"round": point.round}
        series.setdefault(name, []).append(((point.at - start).total_seconds() / 3600, float(point.counted)))

    def x_text(hours: float) -> str:
        moment = (start + dt.timedelta(hours=hours)).astimezone(c.tz)
        day = moment.strftime("%d/%m") if c.lang == "fr" else moment.strftime("%m-%d")
        return f"{day} {fmt.clock(moment, c.lang)}"

    return [Spacer(1, 6), progress_over_time(series, width=WIDTH, font=c.st.font, x_text=x_text,
                                             title=c.t["chart_progress"])]


def _actual(c: _Ctx) -> list[Flowable]:
    a, t = c.r.actual, c.t
    pairs = [(t["a_first"], c.when(a.first_at)), (t["a_last"], c.when(a.last_at)),
             (t["a_days"], ", ".join(fmt.short_date(d, c.lang) for d in a.days) or "—"),
             (t["a_counts"], c.n(a.counts)), (t["a_corrections"], c.n(a.corrections)),
             (t["a_imported"], c.n(a.imported)), (t["a_people"], c.n(a.people))]
    story = [c.h1("s_actual"), facts(c.st, pairs), c.h2(t["a_teams"])]
    rows = [[_team_name(c, x.team, x.round), str(x.round), x.leader or "—", c.n(x.people), c.n(x.counts),
             c.when(x.first_at), c.when(x.last_at), fmt.hours(x.hours, c.lang),
             fmt.number(x.per_hour, c.lang, 1) if x.per_hour is not None else "—"] for x in a.teams]
    if rows:
        story.append(grid(c.st, [t["c_team"], t["c_round"], t["c_leader"], t["c_people"], t["c_counts"], t["c_first"],
                                 t["c_last"], t["c_hours"], t["c_per_hour"]], rows,
                          [0.12, 0.09, 0.14, 0.09, 0.09, 0.14, 0.14, 0.09, 0.10], {1, 3, 4, 7, 8}))
    else:
        story.append(c.note(t["none"]))
    story += _progress_chart(c)
    story += [c.h2(t["a_narrative"])] + _text_block(c, c.r.texts.get("narrative", ""))
    return story


# --- 4. ticket control, 5. statistics, 6. third counts -----------------------------------------

def _tickets(c: _Ctx) -> list[Flowable]:
    k, t = c.r.tickets, c.t
    pairs = [(t["t_generated"], c.n(k.generated)), (t["t_highest"], k.highest or "—"),
             (t["t_issued"], c.n(k.issued)), (t["t_counted"], c.n(k.counted)),
             (t["t_voided"], c.n(len(k.voids))), (t["t_returned"], c.n(k.returned)),
             (t["t_missing"], c.n(k.missing))]
    story = [c.h1("s_tickets"), facts(c.st, pairs, 0.55), Spacer(1, 6), c.p(t["t_ok"] if k.ok else t["t_not_ok"])]
    if k.gaps:
        story.append(c.p(t["t_gaps"] % {"spans": k.gaps}))
    if k.not_issued:
        story.append(c.p(t["t_not_issued"] % {"spans": k.not_issued}))
    story.append(c.h2(t["t_ranges"]))
    if k.ranges:
        # Every number in the table is of the campaign's year: without "/YYYY" a run fits on one line.
        year = f"/{c.r.header.fiscal_year}"
        rows = [[str(x.team), str(x.round), x.first, x.last, c.n(x.issued), c.n(x.counted), c.n(x.voided),
                 c.n(x.returned), c.n(x.missing), x.missing_numbers.replace(year, "") or "—"] for x in k.ranges]
        story.append(grid(c.st, [t["c_team"], t["c_round"], t["c_first_number"], t["c_last_number"], t["c_issued"],
                                 t["c_counted"], t["c_voided"], t["c_returned"], t["c_missing"],
                                 t["c_missing_numbers"] + f" ({year[1:]})"], rows,
                          [0.06, 0.075, 0.105, 0.105, 0.07, 0.07, 0.07, 0.07, 0.1, 0.275], {0, 1, 4, 5, 6, 7, 8}))
    else:
        story.append(c.note(t["none"]))
    story.append(c.h2(t["t_voids"]))
    voids = k.voids[:c.r.limits.voids]
    if voids:
        story.append(grid(c.st, [t["c_ticket"], t["c_reason"], t["c_by"], t["c_at"]],
                          [[v.ticket, v.reason, v.by or "—", c.when(v.at)] for v in voids], [0.15, 0.5, 0.15, 0.2]))
        story += c.more(len(voids), len(k.voids))
    else:
        story.append(c.note(t["none"]))
    return story


def _rate_cells(c: _Ctx, row) -> list[str]:
    return [c.n(row.tickets), c.n(row.both), c.pct(row.agreement_rate), c.pct(row.exact_rate),
            c.pct(row.third_rate), c.n(row.third_needed), c.n(row.third_done)]


def _stats(c: _Ctx) -> list[Flowable]:
    s, t = c.r.stats, c.t
    o = s.overall
    pairs = [(t["st_counted"], c.n(o.tickets)), (t["st_both"], c.n(o.both)),
             (t["st_exact"], t["rate_of"] % {"n": c.n(o.exact), "rate": c.pct(o.exact_rate)}),
             (t["st_within"], t["rate_of"] % {"n": c.n(o.within), "rate": c.pct(o.agreement_rate)}),
             (t["st_third"], t["rate_of"] % {"n": c.n(o.third_needed), "rate": c.pct(o.third_rate)}),
             (t["st_third_done"], c.n(o.third_done)), (t["st_pending"], c.n(s.pending_third))]
    pairs += [(f"{t['st_reasons']} · {label(c.lang, 'reason', k)}", c.n(v)) for k, v in s.reasons.items()]
    story = [c.h1("s_stats"), facts(c.st, pairs, 0.55)]
    head = [t["c_tickets"], t["c_both"], t["c_agreement"], t["c_exact"], t["c_third_rate"], t["c_third"], t["c_done"]]
    story.append(c.h2(t["st_by_team"]))
    if s.by_team:
        rows = [[row.key, str(row.round)] + _rate_cells(c, row) for row in s.by_team]
        story.append(grid(c.st, [t["c_team"], t["c_round"]] + head, rows,
                          [0.08, 0.09, 0.1, 0.12, 0.12, 0.12, 0.14, 0.12, 0.11], set(range(9))))
    else:
        story.append(c.note(t["none"]))
    story.append(c.h2(t["st_by_zone"]))
    if s.by_zone:
        rows = [[row.key or t["no_zone"]] + _rate_cells(c, row) for row in s.by_zone]
        story.append(grid(c.st, [t["c_zone"]] + head, rows, [0.16, 0.1, 0.12, 0.12, 0.13, 0.14, 0.12, 0.11],
                          set(range(1, 8))))
    else:
        story.append(c.note(t["none"]))
    return story


def _outcome(c: _Ctx, row) -> str:
    if row.decision:
        text = label(c.lang, "decision", row.decision)
        return f"{text}: {row.decision_reason}" if row.decision_reason else text
    return label(c.lang, "status", row.status)


def _third(c: _Ctx) -> list[Flowable]:
    rows_all, t = c.r.third_counts, c.t
    done = sum(1 for r in rows_all if r.count3 is not None)
    story = [c.h1("s_third"), c.p(c.tn("third_intro", len(rows_all)) % {"n": c.n(len(rows_all)), "done": c.n(done),
                                                      "pending": c.n(c.r.stats.pending_third)})]
    shown = rows_all[:c.r.limits.third_counts]
    if shown:
        rows = [[x.ticket, x.reference, x.location, c.qty(x.count1), c.qty(x.count2), c.qty(x.count3),
                 reasons_text(c.lang, x.reasons), _outcome(c, x)] for x in shown]
        story.append(grid(c.st, [t["c_ticket"], t["c_reference"], t["c_location"], t["c_count1"], t["c_count2"],
                                 t["c_count3"], t["c_reasons"], t["c_outcome"]], rows,
                          [0.13, 0.12, 0.11, 0.09, 0.09, 0.09, 0.18, 0.19], {3, 4, 5}))
        story += c.more(len(shown), len(rows_all))
    return story


# --- 7. reconciliation, 8. largest differences, 9. not counted ---------------------------------

SUMS = ("book_value", "counted_value", "diff_value", "closing_value", "depreciation", "net_value")


def _totals_row(c: _Ctx, first: list[str], counts: tuple[str, ...], sums: tuple[str, ...]) -> list[str]:
    own = c.r.reconciliation.own_totals
    return first + [c.n(own[k]) for k in counts] + [c.money(own[k]) for k in sums]


def _reconciliation(c: _Ctx) -> list[Flowable]:
    result, t = c.r.reconciliation, c.t
    records = result.by_category.to_dict("records")
    story = [c.h1("s_reconciliation"), c.h2(t["r_by_category"])]
    if records:
        # Two tables: the count date (book vs counted), then the closing (gross, depreciation, net).
        rows = [[c.category(r["category"]), r["stock_account"], c.n(r["lines"]), c.n(r["not_counted"]),
                 c.n(r["differences"]), c.money(r["book_value"]), c.money(r["counted_value"]),
                 c.money(r["diff_value"])] for r in records]
        rows.append(_totals_row(c, [t["total"], ""], ("lines", "not_counted", "differences"), SUMS[:3]))
        story.append(grid(c.st, [t["c_category"], t["c_account"], t["c_lines"], t["c_not_counted"],
                                 t["c_differences"], t["c_book_value"], t["c_counted_value"], t["c_diff_value"]],
                          rows, [0.22, 0.06, 0.08, 0.09, 0.08, 0.16, 0.16, 0.15], set(range(1, 8)), total=True))
        story.append(Spacer(1, 6))
        rows = [[c.category(r["category"]), r["stock_account"]] + [c.money(r[k]) for k in SUMS[3:]]
                for r in records]
        rows.append(_totals_row(c, [t["total"], ""], (), SUMS[3:]))
        story.append(grid(c.st, [t["c_category"], t["c_account"], t["c_gross"], t["c_depreciation"], t["c_net"]],
                          rows, [0.34, 0.06, 0.2, 0.2, 0.2], set(range(1, 5)), total=True))
        labels = [c.category(x) for x in result.by_category["category"]]
        values = [float(v) for v in result.by_category["diff_value"]]
        story += [Spacer(1, 8), differences_by_category(labels, values, width=WIDTH, font=c.st.font,
                                                        value_text=lambda v: fmt.number(Decimal(str(float(v))),
                                                                                        c.lang, 0),
                                                        title=t["chart_differences"])]
    else:
        story.append(c.note(t["none"]))
    story.append(c.h2(t["r_by_owner"]))
    rows = [[label(c.lang, "owner", r["owner"]), c.n(r["lines"]), c.n(r["not_counted"]), c.n(r["differences"])]
            + [c.money(r[k]) for k in ("book_value", "diff_value", "closing_value", "depreciation", "net_value")]
            for r in result.by_owner.to_dict("records")]
    if rows:
        story.append(grid(c.st, [t["c_owner"], t["c_lines"], t["c_not_counted"], t["c_differences"],
                                 t["c_book_value"], t["c_diff_value"], t["c_gross"], t["c_depreciation"], t["c_net"]],
                          rows, [0.19, 0.07, 0.08, 0.07, 0.12, 0.12, 0.12, 0.11, 0.12], set(range(1, 9))))
    story += _cutoff(c)
    so = c.r.sign_off
    story.append(Spacer(1, 4))
    story.append(c.p(t["r_signed"] % {"name": so.name, "date": c.when(so.at)} if so.signed else t["r_not_signed"]))
    return story


def _cutoff(c: _Ctx) -> list[Flowable]:
    """The count dates, the direction of the cut-off and its documents by zone (issue 18)."""
    result, t = c.r.reconciliation, c.t
    settings = result.settings
    count, closing = settings.count_date, settings.closing_date
    key = "r_cutoff_forward" if count < closing else "r_cutoff_back" if count > closing else "r_cutoff_none"
    story = [c.h2(t["r_cutoff"]), c.p(t[key] % {"count": c.date(count), "closing": c.date(closing)})]
    if settings.stock_date and settings.stock_date != count:
        story.append(c.p(t["r_stock_date"] % {"date": c.date(settings.stock_date)}))
    zones = result.cutoff.to_dict("records") if result.cutoff is not None else []
    if zones:
        if settings.count_dates:
            story.append(c.p(t["r_cutoff_zones"]))

        def document(row, part):
            return f"{row[part]} ({c.date(row[part + '_date'])})" if row[part] else "—"
        rows = [[z["zone"], c.date(z["count_date"]), t["d_" + z["direction"]],
                 *(document(z, part) for part in ("last_receipt_before", "last_issue_before", "first_receipt_after",
                                                  "first_issue_after"))] for z in zones]
        story.append(grid(c.st, [t["c_zone"], t["c_count_date"], t["c_direction"], t["c_last_receipt"],
                                 t["c_last_issue"], t["c_first_receipt"], t["c_first_issue"]],
                          rows, [0.1, 0.12, 0.08, 0.175, 0.175, 0.175, 0.175]))
    return story


def _largest(c: _Ctx) -> list[Flowable]:
    result, t = c.r.reconciliation, c.t
    frame = stats.largest_differences(result)
    shown = frame.head(c.r.limits.largest)
    story = [c.h1("s_largest"), c.p(t["l_intro"])]
    if len(shown):
        rows = [[r["ticket"] or "—", r["reference"], r["location"], c.category(r["category"]), c.qty(r["book_qty"]),
                 c.qty(r["counted_qty"]), c.qty(r["diff_qty"]), c.money(r["diff_value"]),
                 label(c.lang, "cause", r["cause"]) if r["cause"] else "—"] for r in shown.to_dict("records")]
        story.append(grid(c.st, [t["c_ticket"], t["c_reference"], t["c_location"], t["c_category"], t["c_book_qty"],
                                 t["c_counted_qty"], t["c_diff_qty"], t["c_diff_value"], t["c_cause"]], rows,
                          [0.13, 0.1, 0.1, 0.14, 0.09, 0.09, 0.08, 0.12, 0.15], {4, 5, 6, 7}))
        story += c.more(len(shown), len(frame))
    else:
        story.append(c.note(t["none"]))
    causes = stats.causes_summary(result)
    story.append(c.h2(t["l_causes"]))
    if causes:
        rows = [[label(c.lang, "cause", k) if k else t["no_cause"], c.n(n), c.money(v)] for k, n, v in causes]
        story.append(grid(c.st, [t["c_cause"], t["c_lines"], t["c_diff_value"]], rows, [0.5, 0.2, 0.3], {1, 2}))
    else:
        story.append(c.note(t["none"]))
    return story


def _not_counted(c: _Ctx) -> list[Flowable]:
    result, t = c.r.reconciliation, c.t
    frame = result.not_counted
    own = frame[frame["owner"] != "third_party"]
    value = sum((v for v in own["book_value"] if v is not None), Decimal("0.00"))
    story = [c.h1("s_not_counted"), c.p(c.tn("n_intro", len(frame)) % {"n": c.n(len(frame)), "value": c.money(value)})]
    shown = frame.head(c.r.limits.not_counted)
    if len(shown):
        rows = [[r["ticket"] or "—", r["reference"], r["designation"], r["location"], r["zone"],
                 c.category(r["category"]), c.qty(r["book_qty"]), c.money(r["book_value"])]
                for r in shown.to_dict("records")]
        story.append(grid(c.st, [t["c_ticket"], t["c_reference"], t["c_designation"], t["c_location"], t["c_zone"],
                                 t["c_category"], t["c_book_qty"], t["c_book_value"]], rows,
                          [0.13, 0.11, 0.19, 0.1, 0.07, 0.16, 0.1, 0.14], {6, 7}))
        story += c.more(len(shown), len(frame))
    return story


def _cycles(c: _Ctx) -> list[Flowable]:
    """A combined year: the cycle-count programme's coverage; nothing at all when there is none."""
    cy, t = c.r.cycles, c.t
    if cy is None:
        return []
    pct = None if not cy.items_total else Decimal(cy.items_counted) / cy.items_total
    story = [c.h1("s_cycles"), c.p(t["cy_intro"] % {"code": cy.code, "counted": c.n(cy.items_counted),
                                                    "total": c.n(cy.items_total), "pct": c.pct(pct)})]
    if cy.year_end_items:
        story.append(c.p(c.tn("cy_year_end", cy.year_end_items) % {"n": c.n(cy.year_end_items)}))
    rows = [[r.abc_class or t["total"], c.n(r.lines), c.n(r.counted_once), c.pct(r.coverage), c.n(r.overdue),
             c.n(r.counts), c.pct(r.accuracy), c.money(r.difference_value), c.money(r.net_value)] for r in cy.rows]
    story.append(grid(c.st, [t["c_class"], t["c_lines"], t["c_counted_once"], t["c_coverage_rate"], t["c_overdue"],
                             t["c_counts"], t["c_accuracy"], t["c_diff_value"], t["c_net_value"]], rows,
                      [0.09, 0.1, 0.1, 0.11, 0.1, 0.1, 0.11, 0.15, 0.14], set(range(1, 9)), total=True))
    story.append(c.p(c.tn("cy_adjustments", cy.adjustments) % {"n": c.n(cy.adjustments),
                                                             "value": c.money(cy.adjustments_value)}))
    if cy.counted_by_neither:
        story.append(c.p(t["cy_neither"] % {"list": ", ".join(cy.counted_by_neither[:50])}))
    return story


# --- 10. valuation, 11. indicators, 12. entries -------------------------------------------------

def _valuation(c: _Ctx) -> list[Flowable]:
    result, t = c.r.reconciliation, c.t
    rates = result.settings.depreciation
    story = [c.h1("s_valuation"), c.p(t["v_method"] % {"method": label(c.lang, "method", result.settings.method)}),
             c.p(t["v_rule"]), c.h2(t["v_depreciation"])]
    pairs = [(label(c.lang, "depreciation", k), t["v_rate"] % {"rate": fmt.percent(getattr(rates, k) / 100, c.lang,
                                                                                   places=0)})
             for k in ("damaged", "obsolete", "expired")]
    pairs.append((label(c.lang, "depreciation", "slow_moving"),
                  t["v_slow"] % {"rate": fmt.percent(rates.slow_moving / 100, c.lang, places=0),
                                 "days": rates.slow_moving_days}))
    pairs.append((label(c.lang, "depreciation", "market_price"), t["v_market"] if rates.market_price
                  else t["v_market_off"]))
    story.append(facts(c.st, pairs))
    values, missing = result.numbers["depreciation"]
    reasons = result.lines["depreciation_reason"].to_numpy(dtype=object)
    charged = ~missing & (values != 0)
    rows = []
    for reason in sorted(set(reasons[charged])):
        here = charged & (reasons == reason)
        rows.append([label(c.lang, "depreciation", reason) if reason else "—", c.n(int(here.sum())),
                     c.money(Decimal(int(values[here].sum())).scaleb(-exact.MONEY))])
    story.append(c.h2(t["v_by_reason"]))
    if rows:
        story.append(grid(c.st, [t["c_reason"], t["c_lines"], t["c_depreciation"]], rows, [0.5, 0.2, 0.3], {1, 2}))
    else:
        story.append(c.note(t["none"]))
    if result.warnings:
        story.append(c.h2(t["v_engine"]))
        story += [para(w.message(c.lang), c.st.bullet, bulletText="•") for w in result.warnings]
    return story


def _indicators(c: _Ctx) -> list[Flowable]:
    t = c.t
    story = [c.h1("s_indicators"), c.p(t["i_intro"] % {"days": c.r.dormant_days})]
    rows = []
    starred = False
    for x in c.r.indicators:
        purchases = c.money(x.purchases)
        if x.purchases_source == "movements":
            purchases, starred = purchases + " *", True
        rows.append([c.category(x.category), c.money(x.opening_value), purchases, c.money(x.closing_value),
                     c.money(x.consumed), fmt.days(x.rotation_days, c.lang), fmt.days(x.coverage_days, c.lang),
                     c.n(x.dormant_lines), c.money(x.dormant_value)])
    if rows:
        story.append(grid(c.st, [t["c_category"], t["c_opening"], t["c_purchases"], t["c_closing"], t["c_consumed"],
                                 t["c_rotation"], t["c_coverage"], t["c_dormant_lines"], t["c_dormant_value"]], rows,
                          [0.17, 0.11, 0.11, 0.11, 0.11, 0.09, 0.09, 0.09, 0.12], set(range(1, 9))))
        if starred:
            story.append(c.note(t["i_from_movements"]))
    else:
        story.append(c.note(t["none"]))
    dormant = stats.dormant_lines(c.r.reconciliation, c.r.header.closing_date, c.r.dormant_days)
    shown = dormant.head(c.r.limits.dormant)
    story.append(c.h2(t["i_dormant"]))
    if len(shown):
        rows = [[r["reference"], r["designation"], r["location"], c.category(r["category"]),
                 fmt.short_date(r["last_movement_date"], c.lang), c.qty(r["closing_qty"]), c.money(r["closing_value"])]
                for r in shown.to_dict("records")]
        story.append(grid(c.st, [t["c_reference"], t["c_designation"], t["c_location"], t["c_category"],
                                 t["c_last_movement"], t["c_closing"], t["c_gross"]], rows,
                          [0.12, 0.22, 0.1, 0.16, 0.13, 0.12, 0.15], {5, 6}))
        story += c.more(len(shown), len(dormant))
    else:
        story.append(c.note(t["none"]))
    return story


def _entries(c: _Ctx) -> list[Flowable]:
    e, t = c.r.entries, c.t
    story = [c.h1("s_entries"), c.p(t["e_intro"] % {"date": c.date(c.r.header.closing_date)})]
    if e is None or e.empty:
        return story + [c.p(t["e_none"])]
    rows = [[str(r["entry"]), fmt.short_date(r["date"], c.lang), r["account"], r["label"],
             c.money(r["debit"]) if r["debit"] is not None else "", c.money(r["credit"]) if r["credit"] is not None
             else ""] for r in e.to_dict("records")]
    balances = stats.entries_balance(e)
    debit = sum((d for _, d, _ in balances), Decimal("0.00"))
    credit = sum((k for _, _, k in balances), Decimal("0.00"))
    rows.append([t["total"], "", "", "", c.money(debit), c.money(credit)])
    story.append(grid(c.st, [t["c_entry"], t["c_date"], t["c_account"], t["c_label"], t["c_debit"], t["c_credit"]],
                      rows, [0.06, 0.11, 0.08, 0.47, 0.14, 0.14], {0, 2, 4, 5}, total=True))
    story.append(Spacer(1, 6))
    wrong = [(n, d, k) for n, d, k in balances if d != k]
    for n, d, k in wrong:
        story.append(c.p(t["e_unbalanced"] % {"n": n, "debit": c.money(d), "credit": c.money(k)}))
    if not wrong:
        story.append(c.p(t["e_balanced"] % {"debit": c.money(debit), "credit": c.money(credit)}))
    story.append(c.p(t["e_effect"] % {"value": c.money(stats.result_effect(e))}))
    return story


# --- 13-15. texts and sign-off -------------------------------------------------------------------

def _difficulties(c: _Ctx) -> list[Flowable]:
    return ([c.h1("s_difficulties"), c.h2(c.t["d_difficulties"])] + _text_block(c, c.r.texts.get("difficulties", ""))
            + [c.h2(c.t["d_solutions"])] + _text_block(c, c.r.texts.get("solutions", "")))


def _proposals(c: _Ctx) -> list[Flowable]:
    return [c.h1("s_proposals")] + _text_block(c, c.r.texts.get("proposals", ""))


def _sign_off(c: _Ctx) -> list[Flowable]:
    t, closing = c.t, c.r.closing
    story: list[Flowable] = [CondPageBreak(9 * cm), c.h1("s_sign_off")]
    so = c.r.sign_off
    story.append(c.p(t["r_signed"] % {"name": so.name, "date": c.when(so.at)} if so.signed else t["r_not_signed"]))
    if closing is None:
        story.append(c.p(t["so_open"]))
    else:
        story.append(c.p(t["so_closed"] % {"date": c.when(closing.closed_at), "by": closing.closed_by or "—"}))
        if closing.override_reason:
            story.append(c.p(t["so_override"] % {"reason": closing.override_reason}))
        if closing.unaccounted:
            story.append(c.p(t["so_unaccounted"] % {"list": ", ".join(closing.unaccounted)}))
        if closing.pending_third:
            story.append(c.p(t["so_pending"] % {"list": ", ".join(closing.pending_third)}))
    data = [["", t["so_name"], t["so_date"], t["so_signature"]]]
    data += [[t[key], name, "", ""] for key, name in
             (("so_role_manager", c.r.header.person_in_charge), ("so_role_centraliser", c.r.plan.centraliser),
              ("so_role_auditor", ""))]
    cells = [[para(v, c.st.cell_bold if i == 0 or r == 0 else c.st.cell) for i, v in enumerate(row)]
             for r, row in enumerate(data)]
    table = Table(cells, colWidths=[0.26 * WIDTH, 0.26 * WIDTH, 0.16 * WIDTH, 0.32 * WIDTH],
                  rowHeights=[None, 1.6 * cm, 1.6 * cm, 1.6 * cm], hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 10), KeepTogether([table])]
    return story


SECTIONS = (_summary, _planned, _actual, _tickets, _stats, _third, _reconciliation, _largest, _not_counted, _cycles,
            _valuation, _indicators, _entries, _difficulties, _proposals, _sign_off)


NEW_PAGE = (_planned, _tickets, _reconciliation, _entries)


def story(report: AnnualReport, st: Styles, texts: dict) -> list[Flowable]:
    """The whole document: cover, contents, then the sections; the main ones start a page."""
    c = _Ctx(report, st, texts)
    out = _cover(c) + _contents(c)
    for i, section in enumerate(SECTIONS):
        if section in NEW_PAGE:
            out.append(PageBreak())
        elif i:
            flowables = section(c)
            if flowables:   # a section with nothing to say (no cycle counts) takes no space
                out += [Spacer(1, 8), CondPageBreak(7 * cm)] + flowables
            continue
        out += section(c)
    return out
