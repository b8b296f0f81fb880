"""Closing a campaign (the report frozen with its SHA-256) and reopening it (a manager, a reason).

Closing is refused while an issued ticket number is unaccounted for (neither counted in its
round, voided nor returned) or a third count is pending, and the refusal names them; a manager
may close anyway with a written reason, which the frozen report shows. Closing writes, in one
transaction: the report's PDF and workbook with the PDF's SHA-256 (``ReportArchive``, never
changed), a ``campaign_closed`` sign-off, the status ``closed`` and an audit event. From then
on every service that changes the campaign's data refuses (``campaigns.check_not_closed``).
Reopening needs a manager and a reason; it is a ``campaign_reopened`` sign-off, the status back
to ``reconciling`` and an audit event; the archived reports stay.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from reports.annual_data import ClosingInfo
from tickets import numbering
from tickets.errors import Conflict, CountappError, Forbidden, N_, Nn_, translate

from ..extensions import db
from ..models import Campaign, CampaignStatus, ReportArchive, Role, SignOff, Ticket, TicketStatus, User
from . import annual_report, audit
from . import campaigns as campaign_service

CLOSED, REOPENED = "campaign_closed", "campaign_reopened"
NAMED = 20          # how many tickets a refusal names before "and N more"
KEPT = 500          # how many the frozen report lists
REASON_MAX = 4000


RUN_WORDS = {"fr": "(équipe %(team)s, comptage %(round)s)", "en": "(team %(team)s, round %(round)s)"}


@dataclass
class Blockers:
    """What stands in the way of closing: unaccounted ticket numbers and pending third counts."""

    runs: list[tuple[str, int, int]] = field(default_factory=list)   # (numbers, team, round)
    unaccounted_count: int = 0
    pending: list[str] = field(default_factory=list)                 # ticket numbers
    pending_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.unaccounted_count and not self.pending_count

    @property
    def unaccounted(self) -> list[str]:
        """The runs of unaccounted numbers, each once (a number may be missing in both rounds)."""
        return list(dict.fromkeys(numbers for numbers, _, _ in self.runs))

    def described(self, language: str) -> list[str]:
        """The runs with their team and round, in the given language."""
        words = RUN_WORDS.get(language, RUN_WORDS["en"])
        return [f"{numbers} {words % {'team': team, 'round': round_}}" for numbers, team, round_ in self.runs]


def _label(campaign: Campaign, sequence: int) -> str:
    return numbering.format_number(sequence, campaign.fiscal_year)


def blockers(campaign: Campaign) -> Blockers:
    """Issued numbers neither counted in their round, voided nor returned; tickets waiting for a third count."""
    from . import ticket_control

    report = ticket_control.control_report(campaign)
    found = Blockers()
    numbers: set[int] = set()
    for r in report.ranges:
        for first, last in r.missing:
            run = _label(campaign, first) if first == last else f"{_label(campaign, first)}–{_label(campaign, last)}"
            found.runs.append((run, r.team, r.round))
            numbers.update(range(first, last + 1))
    found.unaccounted_count = len(numbers)
    pending = list(db.session.scalars(sa.select(Ticket.sequence).where(
        Ticket.campaign_id == campaign.id, Ticket.status == TicketStatus.RECOUNT).order_by(Ticket.sequence)))
    found.pending = [_label(campaign, n) for n in pending]
    found.pending_count = len(pending)
    return found


def _named(items: list[str]) -> str:
    text = ", ".join(items[:NAMED])
    return text + (f" … (+{len(items) - NAMED})" if len(items) > NAMED else "")


class CloseRefused(CountappError):
    """Closing refused: names the unaccounted numbers and the pending third counts, each with its plural."""

    def __init__(self, campaign: Campaign, found: Blockers) -> None:
        super().__init__(N_("Campaign %(code)s cannot be closed:"), field="override_reason", code=campaign.code)
        self.parts = []
        if found.unaccounted_count:
            self.parts.append((Nn_("%(num)s issued ticket number is unaccounted for (neither counted, voided nor "
                                   "returned): %(tickets)s.",
                                   "%(num)s issued ticket numbers are unaccounted for (neither counted, voided nor "
                                   "returned): %(tickets)s."),
                               {"num": found.unaccounted_count, "tickets": _named(found.unaccounted)}))
        if found.pending_count:
            self.parts.append((Nn_("%(num)s third count is pending: %(recounts)s.",
                                   "%(num)s third counts are pending: %(recounts)s."),
                               {"num": found.pending_count, "recounts": _named(found.pending)}))
        self.parts.append((N_("Settle them, or close anyway with a written reason."), {}))
        self.args = (self.render(),)

    def render(self, gettext=None) -> str:
        return " ".join([super().render(gettext), *(translate(message, params, gettext)
                                                     for message, params in self.parts)])


def _refusal(campaign: Campaign, found: Blockers) -> CountappError:
    return CloseRefused(campaign, found)


def _require_manager(by: User | None, message: str) -> None:
    if by is not None and by.role != Role.MANAGER:
        raise Forbidden(message, field="role")


def _lock(campaign: Campaign) -> None:
    """Two managers closing at once: the second waits, then finds the campaign closed."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    else:
        db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id).values(code=Campaign.code)
                           .execution_options(synchronize_session=False))


def _who(campaign: Campaign, by: User | None) -> str:
    return by.display_name if by is not None else (campaign.person_in_charge or "system")


def close(code: str, *, by: User | None = None, override_reason: str = "",
          now: dt.datetime | None = None) -> ReportArchive:
    """Close the campaign: checks, the frozen report, the sign-off and the status, in one transaction."""
    campaign = campaign_service.get(code)
    _require_manager(by, N_("Only the inventory manager closes a campaign."))
    _lock(campaign)
    db.session.refresh(campaign)
    if campaign.status == CampaignStatus.CLOSED:
        raise Conflict(N_("Campaign %(code)s is already closed."), field="status", code=campaign.code)
    if campaign.status == CampaignStatus.PLANNING:
        raise CountappError(N_("Campaign %(code)s has not started counting: there is nothing to close."),
                            field="status", code=campaign.code)
    reason = (override_reason or "").strip()
    if len(reason) > REASON_MAX:
        raise CountappError(N_("The reason is too long (at most %(n)s characters)."), field="override_reason",
                            n=REASON_MAX)
    found = blockers(campaign)
    if not found.ok and not reason:
        raise _refusal(campaign, found)
    name = _who(campaign, by)
    at = now or dt.datetime.now(dt.timezone.utc)
    closing = ClosingInfo(closed_at=at, closed_by=name, override_reason=reason if not found.ok else "",
                          unaccounted=found.described(campaign.language)[:KEPT], pending_third=found.pending[:KEPT])
    files = annual_report.build_files(campaign, closing=closing)
    archive = ReportArchive(campaign_id=campaign.id, pdf=files.pdf, xlsx=files.xlsx, sha256=files.sha256,
                            created_by_id=by.id if by is not None else None)
    db.session.add(archive)
    db.session.add(SignOff(campaign_id=campaign.id, kind=CLOSED, name=name, reason=reason,
                           by_id=by.id if by is not None else None))
    db.session.flush()
    before = campaign.status
    campaign_service.set_status(campaign, CampaignStatus.CLOSED, by=by, commit=False)
    audit.join(campaign, user=by, reason="close")   # the count sub-chains, committed into the main chain
    audit.record("campaign.close", campaign=campaign, entity="campaign", entity_id=campaign.code, user=by,
                 before={"status": before},
                 after={"status": CampaignStatus.CLOSED, "report_sha256": files.sha256, "report_pages": files.pages,
                        "archive": archive.id, "override_reason": closing.override_reason,
                        "unaccounted": found.unaccounted_count, "unaccounted_numbers": found.described("en")[:NAMED],
                        "pending_third_counts": found.pending[:NAMED],
                        "totals": {k: str(v) for k, v in files.report.reconciliation.own_totals.items()}})
    db.session.commit()
    return archive


def reopen(code: str, *, reason: str, by: User | None = None) -> SignOff:
    """A manager reopens a closed campaign with a written reason; logged, the archived reports stay."""
    campaign = campaign_service.get(code)
    _require_manager(by, N_("Only the inventory manager reopens a campaign."))
    reason = (reason or "").strip()
    if not reason:
        raise CountappError(N_("Reopening a campaign needs a written reason."), field="reason")
    if len(reason) > REASON_MAX:
        raise CountappError(N_("The reason is too long (at most %(n)s characters)."), field="reason", n=REASON_MAX)
    _lock(campaign)
    db.session.refresh(campaign)
    if campaign.status != CampaignStatus.CLOSED:
        raise Conflict(N_("Campaign %(code)s is not closed."), field="status", code=campaign.code)
    archive = annual_report.latest_archive(campaign)
    record = SignOff(campaign_id=campaign.id, kind=REOPENED, name=_who(campaign, by), reason=reason,
                     by_id=by.id if by is not None else None)
    db.session.add(record)
    db.session.flush()
    campaign_service.set_status(campaign, CampaignStatus.RECONCILING, by=by, reason=reason, commit=False)
    audit.record("campaign.reopen", campaign=campaign, entity="campaign", entity_id=campaign.code, user=by,
                 before={"status": CampaignStatus.CLOSED, "report_sha256": archive.sha256 if archive else None},
                 after={"status": CampaignStatus.RECONCILING, "reason": reason})
    db.session.commit()
    return record


def history(campaign: Campaign) -> list[SignOff]:
    """Every closing and reopening, oldest first."""
    return list(db.session.scalars(sa.select(SignOff).where(SignOff.campaign_id == campaign.id,
                                                            SignOff.kind.in_((CLOSED, REOPENED)))
                                   .order_by(SignOff.id)))


def frozen(campaign: Campaign) -> ReportArchive | None:
    """The report frozen at the last closing, while the campaign is closed."""
    if campaign.status != CampaignStatus.CLOSED:
        return None
    return annual_report.latest_archive(campaign)

