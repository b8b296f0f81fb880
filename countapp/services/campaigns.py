"""Campaigns: create, configure from TOML, show, move through their statuses."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tickets.errors import Conflict, CountappError, N_, NotFound

from .. import campaign_settings
from ..extensions import db
from ..models import Campaign, CampaignStatus, User, Valuation
from . import audit

STATUS_ORDER = [CampaignStatus.PLANNING, CampaignStatus.COUNTING, CampaignStatus.RECONCILING, CampaignStatus.CLOSED]


def get(code: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.code == code))
    if campaign is None:
        raise NotFound(N_("Unknown campaign %(code)s."), field="campaign", code=code)
    return campaign


def _check_dates(fiscal_year: int, count_date: date, closing_date: date) -> None:
    if not 1900 <= fiscal_year <= 2999:
        raise CountappError(N_("The fiscal year %(year)s is not a plausible year."), field="year", year=fiscal_year)
    if count_date > closing_date:
        raise CountappError(
            N_("The count date %(count)s is after the closing date %(closing)s: movements are rolled forward from the "
               "count to the closing date, so the count must come first."),
            field="count_date", count=count_date.isoformat(), closing=closing_date.isoformat())


def _columns(campaign: Campaign) -> dict:
    return {"valuation": campaign.valuation.value, "language": campaign.language,
            "person_in_charge": campaign.person_in_charge, "name": campaign.name, "company": campaign.company}


def snapshot(campaign: Campaign) -> dict:
    return {**_columns(campaign), "fiscal_year": campaign.fiscal_year, "count_date": campaign.count_date,
            "closing_date": campaign.closing_date, "status": campaign.status, "settings": campaign.settings}


def create(code: str, *, year: int, count_date: date, closing_date: date, valuation: str = "wac",
           language: str = "fr", name: str = "", by: User | None = None) -> Campaign:
    """A new campaign in planning, with default tolerances and depreciation rates."""
    code = (code or "").strip()
    if not code or len(code) > 40 or any(c.isspace() or c == "/" for c in code):
        raise CountappError(N_("A campaign code is a short name without spaces or slashes, like FY2025."),
                            field="code")
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


def configure(campaign: Campaign, given: dict, *, by: User | None = None, replace_tolerance: bool = False) -> Campaign:
    """Apply a settings document (keys not given keep their value); one transaction."""
    check_not_closed(campaign)
    before = snapshot(campaign)
    given = dict(given)
    dates = {key: given.pop(key) for key in ("count_date", "closing_date") if key in given}
    for key, value in dates.items():
        if not isinstance(value, date):
            raise CountappError(N_("%(key)s must be a date (YYYY-MM-DD)."), field=key, key=key)
    columns, settings = campaign_settings.merge(_columns(campaign), campaign.settings, given,
                                                replace_tolerance=replace_tolerance)
    count_date = dates.get("count_date", campaign.count_date)
    closing_date = dates.get("closing_date", campaign.closing_date)
    if dates and campaign.status != CampaignStatus.PLANNING:
        raise CountappError(N_("The dates of campaign %(code)s cannot change once counting has started."),
                            field="count_date", code=campaign.code)
    _check_dates(campaign.fiscal_year, count_date, closing_date)
    campaign.count_date, campaign.closing_date = count_date, closing_date
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
