"""The auditor's evidence file: one ZIP with everything checked, and a SHA-256 manifest.

Files (CSV in UTF-8, ``,`` delimiter, ``.`` decimal; JSON in UTF-8):

- ``audit_log.csv`` / ``audit_log.json``: every event of the campaign, with its hashes;
  ``audit_verification.json``: the chain check (head, breaks named);
- ``ticket_control.csv`` (as ``countapp tickets control``), ``tag_control_teams.csv`` (per team,
  with the auditors' floor records compared), ``tickets.csv``;
- ``counts.csv``: the full count log of rounds 1 to 3, corrections included;
  ``recount_decisions.csv``: recount sheets and accepted differences;
- ``audit_samples.csv``, ``audit_sample_lines.csv``, ``audit_counts.csv``: the auditors' test
  counts, their results and projections;
- ``confirmations.csv``: our goods held by third parties and the holders' answers;
- ``cutoff.csv``: last documents before the count and movements rolled forward (or back);
  ``cutoff_by_zone.csv``: for each zone's count date, the last receipt and issue before it and the
  first after it;
- ``instructions/instructions_vN.pdf`` and ``.json`` for every issued version;
- ``reconciliation.csv`` when the reconciliation can be computed; ``report/`` the archived report;
- ``MANIFEST.sha256`` (``sha256sum -c`` format) and ``manifest.json`` (the same, with the campaign,
  the time, who exported and the log's head).
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa

from reports import csv_out
from tickets import numbering
from tickets.control import CONTROL_COLUMNS, format_spans, to_csv_rows
from tickets.errors import CountappError

from ..extensions import db
from ..models import (Campaign, Count, InstructionsVersion, RecountSheet, ReportArchive, Team, Ticket,
                      TicketDecision, User, recount_sheet_ticket)
from . import audit_confirm, audit_review, audit_sampling

MANIFEST = "MANIFEST.sha256"
MANIFEST_JSON = "manifest.json"


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return value


def _csv(header, rows, *, excel: bool = False, language: str = "en") -> bytes:
    """Through ``reports.csv_out``: formula-like text neutralised; Excel dialect on request."""
    def values(row):
        # The Excel dialect writes numbers itself (decimal comma); the plain one keeps _plain's text.
        return [v if excel and isinstance(v, Decimal) else _plain(v) for v in row]

    return csv_out.to_bytes(header, (values(row) for row in rows), csv_out.dialect(excel), language)


def _json(data) -> bytes:
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True, default=_plain).encode("utf-8")


class Evidence:
    """Files added one by one to the ZIP, each hashed as it goes in."""

    def __init__(self, target) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self.files: list[dict] = []

    def add(self, name: str, data: bytes) -> None:
        self.zip.writestr(name, data)
        self.files.append({"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})

    def close(self, about: dict) -> None:
        lines = "".join(f"{f['sha256']}  {f['file']}\n" for f in self.files)
        self.zip.writestr(MANIFEST, lines.encode("utf-8"))
        self.zip.writestr(MANIFEST_JSON, _json({**about, "files": self.files}))
        self.zip.close()


# --- the parts -------------------------------------------------------------------------------------

# "chain": "" for the main chain, else the user's sub-chain of count events (docs/audit.md); last, so that
# the columns before it keep their places.
LOG_COLUMNS = ("seq", "at", "user", "action", "entity", "entity_id", "before", "after", "prev_hash", "hash", "chain")


def log_csv(campaign: Campaign, *, excel: bool = False) -> bytes:
    """The campaign's audit log as CSV, in chain order (the main chain, then each sub-chain)."""
    return _csv(LOG_COLUMNS, ((e.seq, e.at, e.user_login, e.action, e.entity, e.entity_id, e.before, e.after,
                               e.prev_hash, e.hash, e.chain) for e in audit_review.iter_events(campaign)),
                excel=excel, language=campaign.language)


def _log(campaign: Campaign, evidence: Evidence) -> None:
    rows, events = [], []
    for e in audit_review.iter_events(campaign):
        rows.append((e.seq, e.at, e.user_login, e.action, e.entity, e.entity_id, e.before, e.after, e.prev_hash,
                     e.hash, e.chain))
        events.append(dict(zip(LOG_COLUMNS, (e.seq, _plain(e.at), e.user_login, e.action, e.entity, e.entity_id,
                                             e.before, e.after, e.prev_hash, e.hash, e.chain))))
    evidence.add("audit_log.csv", _csv(LOG_COLUMNS, rows))
    evidence.add("audit_log.json", _json(events))


def _tags(campaign: Campaign, evidence: Evidence) -> None:
    report, teams = audit_review.tag_control(campaign)
    evidence.add("ticket_control.csv", _csv(CONTROL_COLUMNS, ([row[c] for c in CONTROL_COLUMNS]
                                                              for row in to_csv_rows(report, campaign.fiscal_year))))
    header = ("team", "round", "ranges", "issued", "first_issued", "last_issued", "counted", "first_used", "last_used",
              "voided", "returned", "missing", "floor_first_seen", "floor_last_seen", "floor_seen_at", "floor_by",
              "agrees", "notes")
    rows = []
    for t in teams:
        tags, record = t.comparison.team, t.record
        notes = "; ".join(f"{n.code}" + (f" ({format_spans(n.spans)})" if n.spans else
                                         f" (seen {n.seen}, recorded {n.recorded})") for n in t.comparison.notes)
        rows.append((tags.team, tags.round, format_spans(tags.ranges), tags.issued_count, tags.first_issued,
                     tags.last_issued, tags.counted_count, tags.first_used, tags.last_used,
                     "; ".join(f"{n} ({r})" for n, r in tags.voided), format_spans(tags.returned),
                     format_spans(tags.missing), record.first_seen if record else "",
                     record.last_seen if record else "", record.seen_at if record else "",
                     record.recorded_by.login if record and record.recorded_by else "",
                     "" if record is None else ("yes" if t.comparison.agrees else "no"), notes))
    evidence.add("tag_control_teams.csv", _csv(header, rows))


def _tickets(campaign: Campaign, evidence: Evidence) -> None:
    from . import tickets as ticket_service

    out = io.StringIO()
    ticket_service.list_csv(campaign, out)
    evidence.add("tickets.csv", out.getvalue().encode("utf-8"))


def _counts(campaign: Campaign, evidence: Evidence) -> None:
    team = sa.orm.aliased(Team)
    rows = db.session.execute(
        sa.select(Count.id, Ticket.sequence, Count.round, Count.quantity, Count.state, Count.method, team.number,
                  Count.counted_by_name, User.login, Count.counted_at, Count.recorded_at, Count.source,
                  Count.client_id, Count.supersedes_id, Count.correction_reason, Count.packaging)
        .join(Ticket, Ticket.id == Count.ticket_id).outerjoin(team, team.id == Count.team_id)
        .outerjoin(User, User.id == Count.counted_by_id)
        .where(Ticket.campaign_id == campaign.id).order_by(Count.id).execution_options(yield_per=5000))
    header = ("count_id", "ticket", "round", "quantity", "state", "method", "team", "counted_by", "entered_by",
              "counted_at", "recorded_at", "source", "client_id", "supersedes_count_id", "correction_reason",
              "packaging")
    evidence.add("counts.csv", _csv(header, ((r[0], numbering.format_number(r[1], campaign.fiscal_year), *r[2:])
                                             for r in rows)))


def _decisions(campaign: Campaign, evidence: Evidence) -> None:
    rows = []
    for sheet in db.session.scalars(sa.select(RecountSheet).where(RecountSheet.campaign_id == campaign.id)
                                    .order_by(RecountSheet.number)):
        for ticket in sheet.tickets:
            rows.append(("recount_sheet", sheet.number, numbering.format_number(ticket.sequence, campaign.fiscal_year),
                         "", f"{sheet.leader1.login}, {sheet.leader2.login} / {sheet.supervisor.login}",
                         sheet.created_at, ticket.recount_reasons))
    for decision, sequence, login in db.session.execute(
            sa.select(TicketDecision, Ticket.sequence, User.login).join(Ticket, Ticket.id == TicketDecision.ticket_id)
            .outerjoin(User, User.id == TicketDecision.decided_by_id).where(Ticket.campaign_id == campaign.id)
            .order_by(TicketDecision.id)):
        rows.append(("decision", "", numbering.format_number(sequence, campaign.fiscal_year), decision.kind, login,
                     decision.decided_at, decision.reason))
    recount = db.session.execute(sa.select(Ticket.sequence, Ticket.recount_reasons).where(
        Ticket.campaign_id == campaign.id, Ticket.recount_reasons != "",
        Ticket.id.not_in(sa.select(recount_sheet_ticket.c.ticket_id))).order_by(Ticket.sequence))
    rows += [("recount_needed", "", numbering.format_number(s, campaign.fiscal_year), "", "", "", reasons)
             for s, reasons in recount]
    evidence.add("recount_decisions.csv", _csv(("kind", "sheet", "ticket", "decision", "by", "at", "reason"), rows))


def _samples(campaign: Campaign, evidence: Evidence) -> list[dict]:
    summary, lines = [], []
    for sample in audit_sampling.samples(campaign):
        res = audit_sampling.result(campaign, sample)
        p, b = res.vs_records, res.vs_book
        summary.append((sample.number, sample.direction, sample.seed, sample.key_count, sample.key_threshold,
                        sample.random_count, sample.population_count, sample.population_value,
                        sample.random_population_count, sample.random_population_value, len(res.rows), res.counted,
                        p.with_difference, p.method, p.known_error, p.sample_error, p.projected_error, p.total_error,
                        p.total_gross, b.with_difference, b.total_error,
                        sample.created_by.login if sample.created_by else "", sample.created_at, sample.note))
        for r in res.rows:
            lines.append((sample.number, r.line.position, r.line.stratum, r.label, " ".join(r.tickets), r.reference,
                          r.location, r.line.lot, r.unit, r.line.book_qty, r.line.unit_cost, r.line.value, r.line.rank,
                          r.recorded_qty, "yes" if r.recorded_final else "no",
                          r.audited.quantity if r.audited else "", r.audited.state if r.audited else "",
                          r.vs_records.diff_qty, r.vs_records.diff_value, r.vs_book.diff_qty, r.vs_book.diff_value))
    evidence.add("audit_samples.csv", _csv((
        "sample", "direction", "seed", "key_count", "key_threshold", "random_count", "population_count",
        "population_value", "random_population_count", "random_population_value", "lines", "counted",
        "lines_with_difference", "projection_method", "known_error", "sample_error", "projected_error",
        "total_error", "total_gross_error", "lines_differing_from_book", "total_error_vs_book", "drawn_by",
        "drawn_at", "note"), summary))
    evidence.add("audit_sample_lines.csv", _csv((
        "sample", "position", "stratum", "what", "tickets", "reference", "location", "lot", "unit", "book_qty",
        "unit_cost", "book_value", "rank", "teams_qty", "teams_final", "auditor_qty", "auditor_state", "diff_qty",
        "diff_value", "diff_vs_book_qty", "diff_vs_book_value"), lines))
    evidence.add("audit_counts.csv", _csv((
        "sample", "position", "stratum", "entry_id", "quantity", "state", "note", "counted_at", "supersedes_entry_id",
        "correction_reason", "counted_by"), audit_sampling.count_rows(campaign)))
    return summary


def _confirmations(campaign: Campaign, evidence: Evidence) -> None:
    rows = []
    for holder in audit_confirm.holders(campaign):
        for held in holder.lines:
            line, answer = held.line, held.answer
            rows.append((holder.name, line.item.reference, line.item.designation, line.location.code, line.lot,
                         line.item.unit, line.book_qty, answer.confirmed_qty if answer else "",
                         answer.answered_on if answer else "", held.difference, answer.note if answer else "",
                         answer.recorded_by.login if answer and answer.recorded_by else "", held.answers))
    evidence.add("confirmations.csv", _csv(("holder", "reference", "designation", "location", "lot", "unit",
                                            "book_qty", "confirmed_qty", "answered_on", "difference", "note",
                                            "recorded_by", "answers_received"), rows))


def _cutoff(campaign: Campaign, evidence: Evidence) -> None:
    cut = audit_review.cutoff(campaign)
    rows = []
    flagged = {m.id for m in cut.suspicious}
    for part, movements in (("last_receipt_before_count", cut.last_receipts),
                            ("last_shipment_before_count", cut.last_shipments),
                            ("rolled_forward", cut.rolled_forward)):
        rows += [(part, m.date, m.kind, m.document, m.reference, m.location, m.lot, m.quantity,
                  "numbered before the last document before the count" if m.id in flagged else "") for m in movements]
    rows.append(("noted_in_instructions", "", "receipt", cut.noted_receipt, "", "", "", "", ""))
    rows.append(("noted_in_instructions", "", "issue", cut.noted_shipment, "", "", "", "", ""))
    rows.append(("after_closing_not_rolled_forward", "", "", "", "", "", "", cut.after_closing, ""))
    evidence.add("cutoff.csv", _csv(("part", "date", "kind", "document", "reference", "location", "lot", "quantity",
                                     "flag"), rows))
    from reports.cutoff import EVIDENCE_COLUMNS

    evidence.add("cutoff_by_zone.csv", _csv(EVIDENCE_COLUMNS, ([row[c] for c in EVIDENCE_COLUMNS]
                                                              for row in cut.by_zone)))


def _instructions(campaign: Campaign, evidence: Evidence) -> int:
    versions = db.session.scalars(sa.select(InstructionsVersion).where(InstructionsVersion.campaign_id == campaign.id)
                                  .order_by(InstructionsVersion.version)).all()
    for v in versions:
        evidence.add(f"instructions/instructions_v{v.version}.pdf", v.pdf)
        evidence.add(f"instructions/instructions_v{v.version}.json", _json({
            "version": v.version, "issued_at": v.issued_at, "issued_by": v.issued_by.login if v.issued_by else "",
            "sha256_recorded": v.sha256, "data": v.data}))
    return len(versions)


def _reconciliation(campaign: Campaign, evidence: Evidence) -> str:
    """The reconciliation CSV, when the reconciliation service is there and the campaign can be reconciled."""
    try:
        from . import reconciliation
        data = reconciliation.write_bytes(campaign, "csv")
    except (ImportError, AttributeError):
        return "not available in this version"
    except CountappError as error:
        db.session.rollback()
        return error.render()
    evidence.add("reconciliation.csv", data)
    return "included"


def _report(campaign: Campaign, evidence: Evidence) -> bool:
    archive = db.session.scalar(sa.select(ReportArchive).where(ReportArchive.campaign_id == campaign.id)
                                .order_by(ReportArchive.id.desc()).limit(1))
    if archive is None:
        return False
    evidence.add("report/annual_report.pdf", archive.pdf)
    if archive.xlsx:
        evidence.add("report/annual_report.xlsx", archive.xlsx)
    return True


README = """Evidence file of stock count campaign {code} (fiscal year {year}), exported {at} by {by}.
Dossier de preuves de la campagne d'inventaire {code} (exercice {year}), exporté le {at} par {by}.

Check the files / vérifier les fichiers:  sha256sum -c MANIFEST.sha256
Audit log head / tête du journal: event #{head_seq} {head_hash}
Chain check / contrôle de la chaîne: {verdict}
"""


def export(campaign: Campaign, target, *, by: User | None = None) -> dict:
    """Write the evidence ZIP to ``target`` (a path or a binary stream); returns the manifest."""
    check = audit_review.verify(campaign)
    evidence = Evidence(target)
    at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    who = by.login if by else "system"
    verdict = "intact" if check.ok else "BROKEN: " + check.first_break.render()
    evidence.add("README.txt", README.format(code=campaign.code, year=campaign.fiscal_year, at=at, by=who,
                                             head_seq=check.head_seq, head_hash=check.head_hash,
                                             verdict=verdict).encode("utf-8"))
    _log(campaign, evidence)
    evidence.add("audit_verification.json", _json(check.as_dict()))
    _tags(campaign, evidence)
    _tickets(campaign, evidence)
    _counts(campaign, evidence)
    _decisions(campaign, evidence)
    samples = _samples(campaign, evidence)
    _confirmations(campaign, evidence)
    _cutoff(campaign, evidence)
    versions = _instructions(campaign, evidence)
    reconciliation = _reconciliation(campaign, evidence)
    report = _report(campaign, evidence)
    about = {"campaign": campaign.code, "fiscal_year": campaign.fiscal_year, "exported_at": at, "exported_by": who,
             "audit_log": {"ok": check.ok, "events": check.events, "head_seq": check.head_seq,
                           "head_hash": check.head_hash, "first_break": check.first_break.render()
                           if check.first_break else None},
             "instructions_versions": versions, "reconciliation": reconciliation, "report_archived": report,
             "audit_samples": len(samples)}
    evidence.close(about)
    return {**about, "files": evidence.files}


def export_bytes(campaign: Campaign, *, by: User | None = None) -> bytes:
    stream = io.BytesIO()
    export(campaign, stream, by=by)
    return stream.getvalue()


def filename(campaign: Campaign) -> str:
    return f"evidence-{campaign.code}-{datetime.now(timezone.utc).date().isoformat()}.zip"


__all__ = ["MANIFEST", "MANIFEST_JSON", "export", "export_bytes", "filename", "log_csv"]
