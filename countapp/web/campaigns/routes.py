"""A campaign's home page, its creation, settings and life cycle (start counting, counting is over)."""
from __future__ import annotations

import zoneinfo
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tickets.errors import CountappError

from ...i18n import message_gettext
from ...models import CampaignStatus, Role
from ...services import campaigns as campaign_service
from ...services import progress as progress_service
from ...services import readiness
from ..errors import error_message
from ..labels import CATEGORIES
from ..security import ALL_ROLES, requires
from . import nav
from .forms import SIDES, THRESHOLDS, CampaignForm, FinishCountingForm, SettingsForm, StartForm, tolerance_field_name
from .settings_view import COUNT_DATE_PREFIX, count_date_rows, count_dates_from, fill_form, settings_document

bp = Blueprint("campaigns", __name__)

# The campaign's steps as its home page lists them: label, the page where the step is done.
STEPS = {
    "settings": (_l("Settings: company, person in charge, tolerances"), "campaigns.settings"),
    "stock": (_l("Import the book stock"), "setup.imports"),
    "teams": (_l("Set the teams of both rounds and their leaders"), "setup.teams"),
    "instructions": (_l("Issue the written instructions"), "instructions.index"),
    "generate": (_l("Generate the tickets"), "tickets.index"),
    "print": (_l("Print the tickets"), "tickets.print_form"),
    "issue": (_l("Issue ticket ranges to the teams of both rounds"), "tickets.ranges"),
    "start": (_l("Start counting"), None),
    "progress": (_l("Follow the counts until counting is over"), "counting.progress"),
    "third_counts": (_l("Third counts"), "centralisation.sheets"),
    "reconciliation": (_l("Reconcile with book stock and sign off"), "review.index"),
    "report": (_l("Write the annual report"), "report.index"),
    "close": (_l("Close the campaign"), "report.index"),
}
PAGE_OF_ENDPOINT = {page.endpoint: page for page in nav.PAGES.values()}
PROGRESS_READERS = ("manager", "centraliser", "auditor", "leader")


@bp.app_context_processor
def campaign_navigation():
    def campaign_nav():
        if not current_user.is_authenticated:
            return []
        return nav.for_role(current_user.role.value, request.endpoint)
    return {"campaign_nav": campaign_nav}


def _apply_error(form, error: CountappError, aliases: dict[str, str] | None = None) -> None:
    """Show a service's refusal beside the field at fault (else as a message at the top)."""
    name = (aliases or {}).get(error.field, error.field)
    if name and name in form:
        form[name].errors = [*form[name].errors, error_message(error)]
    else:
        flash(error_message(error), "error")


@bp.route("/new", methods=["GET", "POST"])
@requires(Role.MANAGER)
def new():
    form = CampaignForm()
    if request.method == "GET":
        year = date.today().year
        form.fiscal_year.data = year
        form.count_date.data = form.closing_date.data = date(year, 12, 31)
        form.language.data = "en" if str(get_locale()).startswith("en") else "fr"
    elif form.validate_on_submit():
        try:
            campaign = campaign_service.create(
                form.code.data, year=form.fiscal_year.data, count_date=form.count_date.data,
                closing_date=form.closing_date.data, valuation=form.valuation.data, language=form.language.data,
                name=(form.name.data or "").strip(), by=current_user)
        except CountappError as error:
            _apply_error(form, error, {"year": "fiscal_year"})
        else:
            flash(_("Campaign %(code)s created. Next: its settings, then import the book stock.",
                    code=campaign.code), "success")
            if campaign.valuation.value == "lifo":
                flash(_("LIFO is refused under IFRS and by French tax rules. It stays available for comparison "
                        "only."), "warning")
            return redirect(url_for(".detail", code=campaign.code))
    return render_template("campaigns/new.html", form=form)


@bp.get("/<code>")
@requires(*ALL_ROLES)
def detail(code):
    campaign = campaign_service.get(code)
    facts = readiness.facts(campaign)
    missing = readiness.missing(facts) if campaign.status == CampaignStatus.PLANNING else []
    missing = [(item.key, item.render(message_gettext)) for item in missing]
    role = current_user.role.value
    steps = []
    for step in readiness.steps(campaign, facts):
        label, endpoint = STEPS[step.key]
        page = PAGE_OF_ENDPOINT.get(endpoint)
        url = None
        if endpoint is None:
            url = "#start" if role == "manager" and campaign.status == CampaignStatus.PLANNING else None
        elif page is None or role in page.roles:
            url = url_for(endpoint, code=campaign.code)
        steps.append({"key": step.key, "label": label, "done": step.done, "url": url})
    next_step = next((s["key"] for s in steps if not s["done"]), None)
    progress = None
    if campaign.status in (CampaignStatus.COUNTING, CampaignStatus.RECONCILING) and role in PROGRESS_READERS:
        progress = progress_service.compute(campaign, remaining_limit=0)
    still_open = readiness.open_tickets(campaign) if campaign.status == CampaignStatus.COUNTING else 0
    return render_template("campaigns/detail.html", campaign=campaign, facts=facts, missing=missing, steps=steps,
                           next_step=next_step, progress=progress, still_open=still_open,
                           start_form=StartForm(), finish_form=FinishCountingForm())


@bp.post("/<code>/start")
@requires(Role.MANAGER)
def start(code):
    form = StartForm()
    if form.validate_on_submit():
        try:
            overridden = campaign_service.start(code, by=current_user, override_reason=form.override_reason.data)
        except campaign_service.NotReady:
            flash(_("Counting has not started: the checklist names what is missing. Settle it, or give a reason to "
                    "start anyway."), "error")
        else:
            flash(_("Counting has started: teams may count on their tablets.") if not overridden else
                  ngettext("Counting has started although %(num)d point was missing; your reason is in the audit log.",
                           "Counting has started although %(num)d points were missing; your reason is in the audit "
                           "log.", len(overridden)), "success")
    elif form.override_reason.errors:
        flash(_("The reason is too long (at most %(n)s characters).", n=campaign_service.REASON_MAX), "error")
    else:
        flash(_("The form could not be read (it may have expired): try again."), "error")
    return redirect(url_for(".detail", code=code) + "#start")


@bp.post("/<code>/finish-counting")
@requires(Role.MANAGER)
def finish_counting(code):
    form = FinishCountingForm()
    form.validate_on_submit()
    still_open = campaign_service.finish_counting(code, by=current_user, confirm_open=bool(form.confirm.data))
    flash(_("Counting is over: reconciliation may start.") if not still_open else
          ngettext("Counting is over with %(num)d ticket still open: settle it while reconciling.",
                   "Counting is over with %(num)d tickets still open: settle them while reconciling.", still_open),
          "success")
    return redirect(url_for(".detail", code=code))


@bp.route("/<code>/settings", methods=["GET", "POST"])
@requires(Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)
def settings(code):
    campaign = campaign_service.get(code)
    form = SettingsForm()
    if request.method == "GET":
        fill_form(form, campaign)
    elif current_user.role != Role.MANAGER:
        abort(403)
    elif form.validate_on_submit():
        try:
            document = settings_document(form)
            zone_dates = count_dates_from(request.form)
            if zone_dates is not None:
                document["count_dates"] = zone_dates
            campaign_service.configure(campaign, document, by=current_user, replace_tolerance=True,
                                       replace_count_dates=zone_dates is not None)
        except CountappError as error:
            _apply_error(form, error, {"company.siren": "siren", "company.time_zone": "time_zone",
                                       "company.name": "company"})
            campaign = campaign_service.get(code)
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for(".settings", code=code))
    else:
        flash(_("Some values are not valid: see the fields marked in red."), "error")
    return render_template("campaigns/settings.html", campaign=campaign, form=form, sides=SIDES,
                           thresholds=THRESHOLDS, categories=CATEGORIES, field_name=tolerance_field_name,
                           can_edit=current_user.role == Role.MANAGER,
                           dates_frozen=campaign.status != CampaignStatus.PLANNING,
                           time_zones=sorted(zoneinfo.available_timezones()),
                           count_date_rows=count_date_rows(campaign), count_date_prefix=COUNT_DATE_PREFIX,
                           toml=campaign_service.settings_toml(campaign))
