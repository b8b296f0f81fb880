"""Tablet pages for counting teams, and the progress pages for managers and leaders.

The tablet page is a shell: the team, its round and what is left are rendered here, then
static/counting.js looks tickets up and sends counts through the JSON API (/api/v1), keeping
unsent counts on the tablet while the Wi-Fi is down. What a team may see comes from
services.count_views (blind counting).
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ...models import Role
from ...services import campaigns as campaign_service
from ...services import count_views
from ...services import progress as progress_service
from ..labels import METHODS, STATES
from ..security import requires
from .texts import tablet_texts

bp = Blueprint("counting", __name__)
TEAM_ROLES = (Role.COUNTER, Role.LEADER)
PROGRESS_READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR, Role.LEADER)


@bp.before_request
def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: an address carrying one is bad input, not a server error."""
    if any("\x00" in str(v) for v in [*(request.view_args or {}).values(), *request.args.values()]):
        abort(400)


@bp.get("/")
@requires(*TEAM_ROLES)
def home():
    """Where a counter lands after log-in: the team's page of the campaign being counted."""
    campaigns = count_views.campaigns_of_member(current_user)
    if campaigns:
        return redirect(url_for(".tablet", code=campaigns[0].code))
    return render_template("counting/no_team.html", campaign=None)


@bp.get("/<code>")
@requires(*TEAM_ROLES)
def tablet(code):
    campaign = campaign_service.get(code)
    who = count_views.viewer(campaign, current_user)
    if who.team is None:
        return render_template("counting/no_team.html", campaign=campaign)
    tickets = count_views.team_tickets(campaign, who.team)
    data = {"campaign": campaign.code, "year": campaign.fiscal_year, "team": who.team.number,
            "round": who.team.round, "user": current_user.login, "counting": campaign.status.value == "counting",
            "tickets": tickets, "recent": count_views.team_counts(campaign, who.team)}
    left = sum(1 for t in tickets if t["status"] in ("to_count", "waiting"))
    return render_template("counting/tablet.html", campaign=campaign, team=who.team, data=data, left=left,
                           texts=tablet_texts(), states={k: str(v) for k, v in STATES.items()},
                           methods={k: str(v) for k, v in METHODS.items()})


def _progress(code):
    campaign = campaign_service.get(code)
    result = progress_service.compute(campaign)
    return campaign, result


@bp.get("/<code>/progress")
@requires(*PROGRESS_READERS)
def progress(code):
    campaign, result = _progress(code)
    return render_template("counting/progress.html", campaign=campaign, progress=result,
                           full=current_user.role in count_views.STAFF_ROLES,
                           zones=progress_service.zones_summary(result),
                           remaining=progress_service.by_zone_remaining(result))


@bp.get("/<code>/progress/live")
@requires(*PROGRESS_READERS)
def progress_live(code):
    """The progress figures alone, fetched by the page every few seconds."""
    campaign, result = _progress(code)
    return render_template("counting/_progress_body.html", campaign=campaign, progress=result,
                           full=current_user.role in count_views.STAFF_ROLES,
                           zones=progress_service.zones_summary(result),
                           remaining=progress_service.by_zone_remaining(result))
