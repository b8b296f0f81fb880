"""A campaign's home page and its settings."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models import BookLine, Role, Team, Ticket
from ...services import campaigns as campaign_service
from ..labels import CATEGORIES
from ..security import ALL_ROLES, requires
from .forms import SIDES, THRESHOLDS, SettingsForm, tolerance_field_name
from .settings_view import fill_form, settings_document

bp = Blueprint("campaigns", __name__)


@bp.get("/<code>")
@requires(*ALL_ROLES)
def detail(code):
    campaign = campaign_service.get(code)
    counts = {
        "book_lines": db.session.scalar(sa.select(sa.func.count()).select_from(BookLine)
                                        .where(BookLine.campaign_id == campaign.id)),
        "teams": db.session.scalar(sa.select(sa.func.count()).select_from(Team).where(Team.campaign_id == campaign.id)),
        "tickets": db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)
                                     .where(Ticket.campaign_id == campaign.id)),
    }
    return render_template("campaigns/detail.html", campaign=campaign, counts=counts)


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
        campaign_service.configure(campaign, settings_document(form), by=current_user, replace_tolerance=True)
        flash(_("Settings saved."), "success")
        return redirect(url_for(".settings", code=code))
    else:
        flash(_("Some values are not valid: see the fields marked in red."), "error")
    return render_template("campaigns/settings.html", campaign=campaign, form=form, sides=SIDES,
                           thresholds=THRESHOLDS, categories=CATEGORIES, field_name=tolerance_field_name,
                           can_edit=current_user.role == Role.MANAGER,
                           toml=campaign_service.settings_toml(campaign))
