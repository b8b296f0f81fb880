"""Campaigns: create, configure from TOML, show, move through their statuses."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tickets.errors import Conflict, CountappError, Forbidden, N_, NotFound, Nn_

from .. import campaign_settings
from ..extensions import db
from ..models import Campaign, CampaignStatus, Role, Ticket, User, Valuation
from . import audit, readiness

# Words that are pages under /campaigns/ (a campaign with such a code could not be reached).
RESERVED_CODES = ("new",)
REASON_MAX = 4000
# How far a count date (the campaign's or a zone's) may lie from the closing date, either side.
MAX_DAYS_FROM_CLOSING = 366
STATUS_ORDER = [CampaignStatus.PLANNING, CampaignStatus.COUNTING, CampaignStatus.RECONCILING, CampaignStatus.CLOSED]


def get(code: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.code == code))
    if campaign is None:
        raise NotFound(N_("Unknown campaign %(code)s."), field="campaign", code=code)
    return campaign


def _check_dates(fiscal_year: int, count_date: date, closing_date: date) -> None:
    if not 1900 <= fiscal_year <= 2999:
        raise CountappError(N_("The fiscal year %(year)s is not a plausible year."), field="year", year=fiscal_year)
    # A count after the closing date is allowed (issue 18: the count rolls back to closing), but
    # not so far from it that the two dates cannot be of one stock-take.
    if abs((count_date - closing_date).days) > MAX_DAYS_FROM_CLOSING:
        raise CountappError(
            N_("The count date %(count)s is more than %(days)s days from the closing date %(closing)s."),
            field="count_date", count=count_date.isoformat(), closing=closing_date.isoformat(),
            days=MAX_DAYS_FROM_CLOSING)


def _columns(campaign: Campaign) -> dict:
    return {"valuation": campaign.valuation.value, "language": campaign.language,
            "person_in_charge": campaign.person_in_charge, "name": campaign.name, "company": campaign.company}


def snapshot(campaign: Campaign) -> dict:
    return {**_columns(campaign), "fiscal_year": campaign.fiscal_year, "count_date": campaign.count_date,
            "closing_date": campaign.closing_date, "status": campaign.status, "settings": campaign.settings,
            "stock_date": campaign.stock_date}


def count_date_of(campaign: Campaign, zone: str = "", site: str = "") -> date:
    """A zone's count date: its own, else its site's, else the campaign's (DOMAIN.md, Count dates)."""
    dates = campaign_settings.count_dates(campaign.settings)
    return dates.get(zone) or dates.get(site) or campaign.count_date


def count_dates_by_zone(campaign: Campaign) -> list[tuple[str, str, date]]:
    """Every zone of the campaign (site, zone, its count date), by site then zone."""
    from ..models import Site, Zone

    rows = db.session.execute(sa.select(Site.code, Zone.code).join(Zone, Zone.site_id == Site.id)
                              .where(Zone.campaign_id == campaign.id).order_by(Site.code, Zone.code)).all()
    return [(site, zone, count_date_of(campaign, zone, site)) for site, zone in rows]


def create(code: str, *, year: int, count_date: date, closing_date: date, valuation: str = "wac",
           language: str = "fr", name: str = "", by: User | None = None) -> Campaign:
    """A new campaign in planning, with default tolerances and depreciation rates."""
    code = (code or "").strip()
    if not code or len(code) > 40 or any(c.isspace() or c in "/?#%" for c in code):
        raise CountappError(N_("A campaign code is a short name without spaces or slashes, like FY2025."),
                            field="code")
    if code.lower() in RESERVED_CODES:
        raise CountappError(N_("%(code)s names a page of the application: choose another campaign code."),
                            field="code", code=code)
    if db.session.scalar(sa.select(Campaign.id).where(Campaign.code == code)) is not None:
        raise Conflict(N_("A campaign %(code)s already exists."), field="code", code=code)
    _check_dates(year, count_date, closing_date)
    columns, settings = campaign_settings.merge({}, campaign_settings.defaults(),
                                                {"valuation": valuation, "language": language})
    campaign = Campaign(code=code, name=name, fiscal_year=year, count_date=count_date, closing_date=closing_date,
                        valuation=Valuation(columns["valuation"]), language=columns["language"], settings=settings)
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", campaign=campaign, entity="campaign", entity_id=campaign.code, user=by,
                 after=snapshot(campaign))
    db.session.commit()
    return campaign


def check_not_closed(campaign: Campaign) -> None:
    if campaign.status == CampaignStatus.CLOSED:
        raise CountappError(N_("Campaign %(code)s is closed: its data can no longer change. A manager may reopen it "
                               "with a reason."), field="campaign", code=campaign.code)


def configure(campaign: Campaign, given: dict, *, by: User | None = None, replace_tolerance: bool = False,
              replace_count_dates: bool = False) -> Campaign:
    """Apply a settings document (keys not given keep their value); one transaction."""
    check_not_closed(campaign)
    before = snapshot(campaign)
    given = dict(given)
    dates = {key: given.pop(key) for key in ("count_date", "closing_date") if key in given}
    for key, value in dates.items():
        if not isinstance(value, date):
            raise CountappError(N_("%(key)s must be a date (YYYY-MM-DD)."), field=key, key=key)
    year = given.pop("fiscal_year", campaign.fiscal_year)
    if isinstance(year, bool) or not isinstance(year, int):
        raise CountappError(N_("%(key)s must be a whole number."), field="fiscal_year", key="fiscal_year")
    columns, settings = campaign_settings.merge(_columns(campaign), campaign.settings, given,
                                                replace_tolerance=replace_tolerance,
                                                replace_count_dates=replace_count_dates)
    count_date = dates.get("count_date", campaign.count_date)
    closing_date = dates.get("closing_date", campaign.closing_date)
    changed = (count_date, closing_date, year) != (campaign.count_date, campaign.closing_date, campaign.fiscal_year)
    if changed and campaign.status != CampaignStatus.PLANNING:
        raise CountappError(N_("The dates of campaign %(code)s cannot change once counting has started."),
                            field="count_date", code=campaign.code)
    if year != campaign.fiscal_year and db.session.scalar(
            sa.select(Ticket.id).where(Ticket.campaign_id == campaign.id).limit(1)) is not None:
        raise CountappError(N_("The fiscal year of campaign %(code)s cannot change: its tickets are already numbered "
                               "for %(year)s."), field="fiscal_year", code=campaign.code, year=campaign.fiscal_year)
    _check_dates(year, count_date, closing_date)
    for code, zone_date in campaign_settings.count_dates(settings).items():
        if abs((zone_date - closing_date).days) > MAX_DAYS_FROM_CLOSING:
            raise CountappError(
                N_("The count date %(count)s of %(zone)s is more than %(days)s days from the closing date "
                   "%(closing)s."), field="count_dates", count=zone_date.isoformat(), zone=code,
                closing=closing_date.isoformat(), days=MAX_DAYS_FROM_CLOSING)
    campaign.count_date, campaign.closing_date, campaign.fiscal_year = count_date, closing_date, year
    campaign.valuation = Valuation(columns["valuation"])
    campaign.language = columns["language"]
    campaign.person_in_charge, campaign.name, campaign.company = (
        columns["person_in_charge"], columns["name"], columns["company"])
    campaign.settings = settings
    after = snapshot(campaign)
    if after != before:
        audit.record("campaign.configure", campaign=campaign, entity="campaign", entity_id=campaign.code, user=by,
                     before=before, after=after)
    db.session.commit()
    return campaign


def settings_toml(campaign: Campaign) -> str:
    return campaign_settings.to_toml(_columns(campaign), campaign.settings)


def set_status(campaign: Campaign, status: CampaignStatus, *, by: User | None = None, reason: str = "",
               commit: bool = True) -> None:
    """Move the campaign forward one step (or back with a reason); logged.

    ``commit=False`` leaves the change in the caller's transaction (closing and reopening write
    their archive and sign-off rows in the same one: services.closing).
    """
    current = STATUS_ORDER.index(campaign.status)
    wanted = STATUS_ORDER.index(status)
    if wanted < current and not reason.strip():
        raise CountappError(N_("Going back to an earlier status needs a written reason."), field="reason")
    before = campaign.status
    campaign.status = status
    audit.record("campaign.status", campaign=campaign, entity="campaign", entity_id=campaign.code, user=by,
                 before={"status": before}, after={"status": status, "reason": reason})
    if commit:
        db.session.commit()


def _require_manager(by: User | None, message: str) -> None:
    if by is not None and by.role != Role.MANAGER:
        raise Forbidden(message, field="role")


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if len(reason) > REASON_MAX:
        raise CountappError(N_("The reason is too long (at most %(n)s characters)."), field="override_reason",
                            n=REASON_MAX)
    return reason


def _lock(campaign: Campaign) -> None:
    """Two managers acting at once: the second waits, then sees the new status."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign.id).with_for_update())
    else:  # SQLite: a no-op write takes the database's write lock before the status is read
        db.session.execute(sa.update(Campaign).where(Campaign.id == campaign.id).values(code=Campaign.code)
                           .execution_options(synchronize_session=False))
    db.session.refresh(campaign)


class NotReady(CountappError):
    """Counting cannot start: names every missing item, each in the reader's language."""

    def __init__(self, campaign: Campaign, found: list[readiness.Missing]) -> None:
        super().__init__(N_("Campaign %(code)s is not ready to start counting:"), field="override_reason",
                         code=campaign.code)
        self.missing = found

    def render(self, gettext=None) -> str:
        lines = [super().render(gettext), *("- " + item.render(gettext) for item in self.missing)]
        closing = N_("Settle them, or start anyway with a written reason.")
        return "\n".join([*lines, gettext(closing) if gettext else closing])


def start(code: str, *, by: User | None = None, override_reason: str = "") -> list[readiness.Missing]:
    """Planning -> counting after the pre-flight check; a manager may override it with a written reason.

    Returns what was missing (empty when the campaign was ready); the override, its reason and the
    missing items go in the audit log. Refused and nothing changed when not ready and no reason.
    """
    campaign = get(code)
    _require_manager(by, N_("Only the inventory manager starts counting."))
    reason = _reason(override_reason)
    _lock(campaign)
    if campaign.status != CampaignStatus.PLANNING:
        raise Conflict(N_("Campaign %(code)s is not in planning: counting has already started."), field="status",
                       code=campaign.code)
    found = readiness.check(campaign)
    if found and not reason:
        raise NotReady(campaign, found)
    set_status(campaign, CampaignStatus.COUNTING, by=by, commit=False)
    audit.record("campaign.start", campaign=campaign, entity="campaign", entity_id=campaign.code, user=by,
                 before={"status": CampaignStatus.PLANNING},
                 after={"status": CampaignStatus.COUNTING, "override_reason": reason if found else "",
                        "missing": [item.render() for item in found]})
    db.session.commit()
    return found


def finish_counting(code: str, *, by: User | None = None, confirm_open: bool = False) -> int:
    """Counting -> reconciling: counting is over. Returns how many tickets were still open.

    With open tickets (neither final nor voided) the manager must confirm; they stay open and may
    still be settled while reconciling (third counts, paper parts).
    """
    campaign = get(code)
    _require_manager(by, N_("Only the inventory manager ends counting."))
    _lock(campaign)
    if campaign.status != CampaignStatus.COUNTING:
        raise Conflict(N_("Campaign %(code)s is not counting."), field="status", code=campaign.code)
    still_open = readiness.open_tickets(campaign)
    if still_open and not confirm_open:
        raise CountappError(Nn_("%(num)s ticket of campaign %(code)s is still open (neither final nor voided). "
                                "Confirm to end counting anyway.",
                                "%(num)s tickets of campaign %(code)s are still open (neither final nor voided). "
                                "Confirm to end counting anyway."), field="confirm", num=still_open,
                            code=campaign.code)
    set_status(campaign, CampaignStatus.RECONCILING, by=by, commit=False)
    audit.join(campaign, user=by, reason="end of counting")   # the count sub-chains, committed into the main chain
    audit.record("campaign.finish_counting", campaign=campaign, entity="campaign", entity_id=campaign.code,
                 user=by, before={"status": CampaignStatus.COUNTING},
                 after={"status": CampaignStatus.RECONCILING, "open_tickets": still_open})
    db.session.commit()
    return still_open
