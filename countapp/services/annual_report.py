"""The annual inventory report and the accounting entries: gather the facts, lay them out, keep drafts.

The figures come from the reconciliation engine through ``services.reconciliation`` (the same
result the review page shows, causes included); ticket control from ``services.ticket_control``;
what was planned from the written instructions (the last issued version, else the draft); the
rest from a few plain selects over counts, tickets and movements, computed by the pure
``reports.annual_stats``. The PDF and the workbook are typeset by ``reports.annual_pdf`` and
``reports.annual_xlsx``. Nothing here writes but ``save_texts`` (the manager's texts, audited)
and the draft files kept in the instance folder; the frozen report is written at closing
(``services.closing``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

import instructions as doc
from reports.entries import build_entries
from reports.export import entries_csv
from reports import annual_stats
from reports.annual_data import (TEXT_KEYS, AnnualReport, ClosingInfo, Header, Plan, PlannedTeam, RangeRow,
                                 SignOffInfo, TicketControl, VoidRow)
from reports.annual_pdf import write_annual_pdf
from reports.annual_xlsx import write_annual_xlsx
from reports.reconcile import Reconciliation
from tickets import numbering, timezones
from tickets.errors import CountappError, Forbidden, N_

from .. import campaign_settings
from ..extensions import db
from ..models import Campaign, CampaignText, OpeningBalance, ReportArchive, Role, Team, User
from . import audit, cycle_reports
from . import campaigns as campaign_service

TEXT_MAX = 20_000
DORMANT_DAYS = 365
# Counts and tickets straight from the driver's cursor: 100,000 tickets and their counts load in
# well under a second, where ORM objects would take many.
QTY_SCALE = 10_000

ENTRIES_SQL = """
SELECT c.ticket_id, c.round, CAST(ROUND(c.quantity * 10000) AS BIGINT) AS qty, tm.number AS team, c.counted_at,
       c.counted_by_name, c.source,
       CASE WHEN c.supersedes_id IS NULL THEN 0 ELSE 1 END AS supersedes,
       CASE WHEN newer.id IS NULL THEN 0 ELSE 1 END AS superseded
FROM count c
JOIN ticket t ON t.id = c.ticket_id
LEFT JOIN team tm ON tm.id = c.team_id
LEFT JOIN count newer ON newer.supersedes_id = c.id
WHERE t.campaign_id = :campaign
ORDER BY c.id
"""

TICKETS_SQL = """
SELECT t.id AS ticket_id, t.sequence, t.status, t.recount_reasons,
       COALESCE(z1.code, z2.code, '') AS zone, COALESCE(i1.reference, i2.reference, '') AS reference,
       COALESCE(l1.code, l2.code, '') AS location
FROM ticket t
LEFT JOIN book_line bl ON bl.id = t.book_line_id
LEFT JOIN location l1 ON l1.id = bl.location_id
LEFT JOIN zone z1 ON z1.id = l1.zone_id
LEFT JOIN item i1 ON i1.id = bl.item_id
LEFT JOIN location l2 ON l2.id = t.location_id
LEFT JOIN zone z2 ON z2.id = l2.zone_id
LEFT JOIN item i2 ON i2.id = t.item_id
WHERE t.campaign_id = :campaign AND EXISTS (SELECT 1 FROM count c WHERE c.ticket_id = t.id)
"""

DECISIONS_SQL = """
SELECT d.ticket_id, d.kind, d.reason FROM ticket_decision d JOIN ticket t ON t.id = d.ticket_id
WHERE t.campaign_id = :campaign
"""

RECEIPTS_SQL = """
SELECT i.category, CAST(ROUND(m.quantity * 10000) AS BIGINT), CAST(ROUND(m.unit_cost * 1000000) AS BIGINT)
FROM movement m JOIN item i ON i.id = m.item_id
WHERE m.campaign_id = :campaign AND m.kind = 'receipt' AND m.unit_cost IS NOT NULL
  AND m.date >= :start AND m.date <= :closing
"""


_PARAM = re.compile(r":([a-z_]+)\b")


def _rows(sql: str, params: dict) -> tuple[list[str], list[tuple]]:
    """Run a select on the session's own connection, through the driver's cursor."""
    connection = db.session.connection()
    sqlite = connection.dialect.name == "sqlite"
    values = [params[name] for name in _PARAM.findall(sql)]
    if sqlite:
        values = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(_PARAM.sub("?" if sqlite else "%s", sql), tuple(values))
        return [d[0] for d in cursor.description], cursor.fetchall()
    finally:
        cursor.close()


def _frame(sql: str, params: dict) -> pd.DataFrame:
    columns, rows = _rows(sql, params)
    return pd.DataFrame.from_records(rows, columns=columns)


# --- the manager's texts --------------------------------------------------------------------

def texts(campaign: Campaign) -> dict[str, str]:
    """The report's texts (narrative, difficulties, solutions, proposals); "" when not written."""
    stored = dict(db.session.execute(sa.select(CampaignText.key, CampaignText.text)
                                     .where(CampaignText.campaign_id == campaign.id)).all())
    return {key: stored.get(key, "") for key in TEXT_KEYS}


def save_texts(code: str, given: dict[str, str], *, by: User | None = None) -> list[str]:
    """Save the texts given (keys of TEXT_KEYS); returns the keys that changed. One transaction."""
    campaign = campaign_service.get(code)
    if by is not None and by.role != Role.MANAGER:
        raise Forbidden(N_("Only the inventory manager writes the annual report's texts."), field="texts")
    campaign_service.check_not_closed(campaign)
    unknown = [k for k in given if k not in TEXT_KEYS]
    if unknown:
        raise CountappError(N_("Unknown text %(key)s."), field="texts", key=str(unknown[0])[:40])
    rows = {row.key: row for row in db.session.scalars(sa.select(CampaignText)
                                                       .where(CampaignText.campaign_id == campaign.id))}
    changed, before, after = [], {}, {}
    for key, value in given.items():
        value = (value or "").replace("\r\n", "\n").strip()
        if len(value) > TEXT_MAX:
            raise CountappError(N_("The text is too long (at most %(n)s characters)."), field=key, n=TEXT_MAX)
        row = rows.get(key)
        old = row.text if row is not None else ""
        if old == value:
            continue
        if row is None:
            db.session.add(CampaignText(campaign_id=campaign.id, key=key, text=value))
        else:
            row.text = value
        changed.append(key)
        before[key], after[key] = old, value
    if changed:
        audit.record("report.texts", campaign=campaign, entity="report", entity_id=campaign.code, user=by,
                     before=before, after=after)
        db.session.commit()
    return changed


# --- entries -------------------------------------------------------------------------------------

def opening_frame(campaign: Campaign) -> pd.DataFrame:
    """Last year's closing value and depreciation, and the year's purchases, by category."""
    rows = db.session.execute(sa.select(OpeningBalance.category, OpeningBalance.opening_value,
                                        OpeningBalance.opening_depreciation, OpeningBalance.purchases)
                              .where(OpeningBalance.campaign_id == campaign.id)).all()
    return pd.DataFrame([{"category": getattr(c, "value", c), "opening_value": v, "opening_depreciation": d,
                          "purchases": p} for c, v, d, p in rows],
                        columns=["category", "opening_value", "opening_depreciation", "purchases"])


def reconciliation_result(campaign: Campaign) -> Reconciliation:
    """The campaign's reconciliation with its causes, from the reconciliation service (kept per data version)."""
    from . import reconciliation

    return reconciliation.result(campaign)


def entries(campaign: Campaign, result: Reconciliation | None = None) -> pd.DataFrame:
    """The INV journal at the closing date (reports.entries), labels in the campaign's language."""
    result = result if result is not None else reconciliation_result(campaign)
    return build_entries(result.by_category, opening_frame(campaign), campaign.closing_date, campaign.language)


def write_entries_csv(campaign: Campaign, stream, *, excel: bool = False) -> pd.DataFrame:
    """The entries CSV of SPEC.md (or its Excel dialect) to a binary stream; returns the entries."""
    frame = entries(campaign)
    entries_csv(frame, stream, excel=excel, language=campaign.language)
    return frame


# --- gathering the facts -------------------------------------------------------------------------

def _timezone_name(campaign: Campaign | None = None) -> str:
    """The campaign's time zone (settings ``[company] time_zone``): report and workbook show its times."""
    if campaign is not None:
        return campaign_settings.time_zone(campaign.settings)
    return str(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def _plan(campaign: Campaign) -> Plan:
    """What the instructions planned: the last issued version, else the current draft."""
    from . import instructions

    version = instructions.latest_version(campaign)
    data = doc.from_dict(version.data) if version is not None else instructions.build(campaign)
    places = {(p.site, p.zone, p.location) for p in data.places}
    extra = {(p[0], p[1], p[2]) for p in data.extra_places} - places
    zones = sorted({p[1] for p in places | extra if p[1]})
    return Plan(version=version.version if version is not None else None,
                issued_on=version.issued_at.date() if version is not None and version.issued_at else None,
                person_in_charge=data.person_in_charge or campaign.person_in_charge or "",
                centraliser=data.centraliser or "", count_start=data.count_start, count_end=data.count_end,
                freeze_from=data.freeze_from, freeze_to=data.freeze_to, places=len(places), extra_places=len(extra),
                zones=zones, categories=list(data.categories),
                teams=[PlannedTeam(t.number, t.round, t.leader or "", list(t.members), list(t.zones), t.start, t.end)
                       for t in data.teams],
                auditors=[a.name + (f" ({a.firm})" if a.firm else "") for a in data.auditors if a.name])


def _label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


def spans_text(campaign: Campaign, spans, limit: int = 40) -> str:
    """Runs of numbers as printed: ``000004/2025–000006/2025, 000009/2025`` (the first ``limit`` runs)."""
    spans = list(spans)
    parts = [_label(campaign, a) if a == b else f"{_label(campaign, a)}–{_label(campaign, b)}"
             for a, b in spans[:limit]]
    if len(spans) > limit:
        parts.append(f"… (+{len(spans) - limit})")
    return ", ".join(parts)


def _ticket_control(campaign: Campaign) -> TicketControl:
    from . import ticket_control

    report = ticket_control.control_report(campaign)
    generated = db.session.scalar(sa.text("SELECT COUNT(*) FROM ticket WHERE campaign_id = :c"), {"c": campaign.id})
    ranges = [RangeRow(team=r.team, round=r.round, first=_label(campaign, r.first), last=_label(campaign, r.last),
                       issued=r.issued, counted=r.counted, voided=len(r.voided), returned=r.returned_count,
                       missing=r.missing_count, missing_numbers=spans_text(campaign, r.missing))
              for r in report.ranges]
    voids = [VoidRow(v.ticket, v.reason, v.by, v.at) for v in ticket_control.voids(campaign)]
    return TicketControl(generated=int(generated or 0),
                         highest=_label(campaign, report.highest) if report.highest else "",
                         ranges=ranges, voids=voids, gaps=spans_text(campaign, report.gaps),
                         not_issued=spans_text(campaign, report.not_issued))


def count_frames(campaign: Campaign) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The frames ``reports.annual_stats`` reads: counted tickets, every count entry, decisions."""
    params = {"campaign": campaign.id}
    tickets = _frame(TICKETS_SQL, params)
    if tickets.empty:
        tickets = annual_stats.empty_tickets()
    else:
        labels = pd.Series(tickets["sequence"].astype(np.int64)).astype(str).str.zfill(numbering.DIGITS)
        tickets["ticket"] = (labels + f"/{campaign.fiscal_year}").to_numpy(dtype=object)
        tickets["status"] = tickets["status"].astype(str)
        tickets = tickets.rename(columns={"recount_reasons": "reasons"})
        tickets["reasons"] = tickets["reasons"].fillna("").astype(str)
    entries_ = _frame(ENTRIES_SQL, params)
    if entries_.empty:
        entries_ = annual_stats.empty_entries()
    else:
        entries_ = entries_.rename(columns={"counted_by_name": "counted_by"})
        # SQLite gives back the stored UTC text, PostgreSQL aware datetimes: both end up aware UTC.
        entries_["counted_at"] = pd.to_datetime(entries_["counted_at"], utc=True, format="ISO8601")
        entries_["qty"] = entries_["qty"].astype(np.int64)
        entries_["round"] = entries_["round"].astype(np.int64)
        entries_["supersedes"] = entries_["supersedes"].astype(bool)
        entries_["superseded"] = entries_["superseded"].astype(bool)
        entries_["source"] = entries_["source"].astype(str)
        entries_["team"] = entries_["team"].astype(object).where(entries_["team"].notna(), None)
    decisions = _frame(DECISIONS_SQL, params)
    return tickets, entries_, decisions


def receipts_by_category(campaign: Campaign) -> dict[str, Decimal]:
    """The value of the fiscal year's receipts, by category (purchases when the opening file has none)."""
    from .imports import fiscal_year

    start, closing = fiscal_year(campaign)
    _, rows = _rows(RECEIPTS_SQL, {"campaign": campaign.id, "start": start, "closing": closing})
    totals: dict[str, int] = {}
    for category, qty, cost in rows:
        key = getattr(category, "value", category)
        totals[key] = totals.get(key, 0) + int(qty) * int(cost)
    # quantity (10⁻⁴) × cost (10⁻⁶) = 10⁻¹⁰; to the cent, half up
    return {k: (Decimal(v).scaleb(-10)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            for k, v in totals.items()}


def _sign_off(campaign: Campaign) -> SignOffInfo:
    from . import reconciliation

    state = reconciliation.sign_state(campaign)
    if not state.signed or state.last is None:
        return SignOffInfo()
    return SignOffInfo(signed=True, name=state.last.name, at=state.last.at)


def _teams(campaign: Campaign) -> dict[int, tuple[int, str]]:
    return {t.number: (t.round, t.leader.display_name) for t in db.session.scalars(
        sa.select(Team).where(Team.campaign_id == campaign.id).order_by(Team.number))}


def header(campaign: Campaign, generated_at: dt.datetime | None = None) -> Header:
    return Header(company=campaign.company or campaign.name or campaign.code, campaign_code=campaign.code,
                  campaign_name=campaign.name if campaign.company else "", fiscal_year=campaign.fiscal_year,
                  count_date=campaign.count_date, closing_date=campaign.closing_date, language=campaign.language,
                  valuation=campaign.valuation.value, person_in_charge=campaign.person_in_charge or "",
                  generated_at=generated_at or dt.datetime.now(dt.timezone.utc), timezone=_timezone_name(campaign))


def gather(campaign: Campaign, *, closing: ClosingInfo | None = None,
           result: Reconciliation | None = None) -> AnnualReport:
    """Every fact of the report, from the database and the reconciliation engine."""
    result = result if result is not None else reconciliation_result(campaign)
    opening = opening_frame(campaign)
    journal = build_entries(result.by_category, opening, campaign.closing_date, campaign.language)
    tickets, entries_, decisions = count_frames(campaign)
    tz = timezones.zone(_timezone_name(campaign))
    flags = annual_stats.ticket_flags(tickets, entries_) if not entries_.empty else None
    report = AnnualReport(
        header=header(campaign), reconciliation=result, entries=journal, plan=_plan(campaign),
        actual=annual_stats.activity(entries_, _teams(campaign), tz), tickets=_ticket_control(campaign),
        stats=annual_stats.count_stats(tickets, entries_, flags),
        third_counts=annual_stats.third_count_rows(tickets, entries_, decisions, flags),
        indicators=annual_stats.indicators(result, opening, receipts_by_category(campaign), campaign.closing_date,
                                           DORMANT_DAYS),
        dormant_days=DORMANT_DAYS, texts=texts(campaign), sign_off=_sign_off(campaign), closing=closing,
        cycles=cycle_reports.annual_section(campaign))
    return report


@dataclass
class Files:
    pdf: bytes
    xlsx: bytes
    pages: int
    report: AnnualReport

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def build_files(campaign: Campaign, *, closing: ClosingInfo | None = None) -> Files:
    """The report as PDF and XLSX bytes (the same figures in both)."""
    report = gather(campaign, closing=closing)
    out = io.BytesIO()
    pages = write_annual_pdf(report, out)
    return Files(out.getvalue(), write_annual_xlsx(report), pages, report)


# --- the frozen report and drafts ---------------------------------------------------------------

def latest_archive(campaign: Campaign) -> ReportArchive | None:
    return db.session.scalar(sa.select(ReportArchive).where(ReportArchive.campaign_id == campaign.id)
                             .order_by(ReportArchive.id.desc()).limit(1))


def archives(campaign: Campaign) -> list[ReportArchive]:
    return list(db.session.scalars(sa.select(ReportArchive).where(ReportArchive.campaign_id == campaign.id)
                                   .order_by(ReportArchive.id.desc())))


def save_draft(campaign: Campaign, files: Files, *, by: User | None = None) -> dict:
    """What the newest draft is; its PDF and XLSX are kept with the job that made it (services.jobs), in
    the database, so that whichever server is asked sends them."""
    return {"generated_at": files.report.header.generated_at.isoformat(timespec="seconds"),
            "by": by.display_name if by is not None else "system", "sha256": files.sha256, "pages": files.pages,
            "pdf_bytes": len(files.pdf), "xlsx_bytes": len(files.xlsx)}


def latest_draft(campaign: Campaign) -> dict | None:
    from . import jobs

    found = jobs.latest_output(campaign, "report.generate", "draft.pdf")
    return found[0] if found else None


def draft_file(campaign: Campaign, fmt: str) -> bytes | None:
    """The newest draft's PDF or XLSX."""
    from . import jobs

    if fmt not in ("pdf", "xlsx"):
        return None
    found = jobs.latest_output(campaign, "report.generate", f"draft.{fmt}")
    return found[1].data if found else None


def start_generate_job(code: str, *, by: User | None = None) -> str:
    """Generate a draft in the background (services.jobs); the page polls the job and then offers it."""
    from . import jobs

    campaign = campaign_service.get(code)
    return jobs.start("report.generate", campaign, run_generate, {"code": campaign.code}, by=by)


def run_generate(progress, *, code: str) -> dict:
    """The report job's task (services.jobs); the draft's files are also kept with the job, so the
    server that answers the job's page can send them whichever machine made them."""
    found = campaign_service.get(code)
    progress(0, total=2, message="gather")
    files = build_files(found)
    progress(1, message="save")
    meta = save_draft(found, files, by=progress.user)
    progress.save("draft.pdf", files.pdf)
    progress.save("draft.xlsx", files.xlsx)
    progress(2)
    return meta


def filename(campaign: Campaign, fmt: str, *, final: bool = False) -> str:
    kind = "final" if final else "draft"
    return f"annual-report-{campaign.code}-{kind}.{fmt}"
