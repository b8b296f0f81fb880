"""Tablet pages for counting teams, and the progress pages for managers and leaders.

The tablet page is a shell: the team, its round and what is left are rendered here, then
static/counting.js looks tickets up and sends counts through the JSON API (/api/v1), keeping
unsent counts on the tablet while the Wi-Fi is down. What a team may see comes from
services.count_views (blind counting). A service worker, served here at /count/sw.js so that its scope
covers the counting pages, keeps the page and its files for a reload without the network.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ...models import Role
from ...services import campaigns as campaign_service
from ...services import count_views
from ...services import progress as progress_service
from ...services import recounts as recount_service
from ..labels import METHODS, STATES
from ..security import requires
from . import tablet_info
from .texts import tablet_texts

bp = Blueprint("counting", __name__)
TEAM_ROLES = (Role.COUNTER, Role.LEADER)
PROGRESS_READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR, Role.LEADER)


@bp.before_request
def refuse_nul_characters():
    """PostgreSQL text cannot hold NUL: an address carrying one is bad input, not a server error."""
    if any("\x00" in str(v) for v in [*(request.view_args or {}).values(), *request.args.values()]):
        abort(400)


def _kept_zones(campaign=None) -> list[tuple[str, str]]:
    return count_views.kept_zones(current_user, campaign) if current_user.is_storekeeper else []


def _recount_sheets(campaign) -> dict | None:
    """A leader's recount sheets of the campaign: how many, and how many still wait for third counts."""
    if current_user.role != Role.LEADER:
        return None
    found = recount_service.sheets(campaign, user=current_user)
    return {"total": len(found), "waiting": sum(1 for s in found if not s.done),
            "url": url_for("centralisation.sheets", code=campaign.code)}


def _no_team(campaign):
    return render_template("counting/no_team.html", campaign=campaign, kept=_kept_zones(campaign),
                           storekeeper=current_user.is_storekeeper,
                           sheets=_recount_sheets(campaign) if campaign is not None else None)


@bp.get("/")
@requires(*TEAM_ROLES)
def home():
    """Where a counter lands after log-in: the team's page of the campaign being counted."""
    campaigns = count_views.campaigns_of_member(current_user)
    if campaigns:
        return redirect(url_for(".tablet", code=campaigns[0].code))
    return _no_team(None)


def worker_response(name: str, scope: str, pages: str, shell: tuple[str, ...], optional: tuple[str, ...] = ()):
    """A tablet's service worker (``templates/counting/sw.js``) for the pages under ``scope`` whose path
    matches the regular expression ``pages``, keeping ``shell`` (static files) for reloads offline, and
    ``optional`` ones when it can."""
    template = Path(current_app.root_path, "templates", "counting", "sw.js")
    version = tablet_info.shell_version(current_app.static_folder, template, shell + optional)
    static = lambda name: url_for("static", filename=name)  # noqa: E731
    body = render_template("counting/sw.js", name=name, version=version, page_cache=tablet_info.PAGE_CACHE,
                           shell=[static(n) for n in shell],
                           optional=[static(n) for n in optional],
                           scope=scope, pages=pages, api=url_for("api.me").rsplit("/", 1)[0] + "/")
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Service-Worker-Allowed"] = scope
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
@requires(*TEAM_ROLES)
def service_worker():
    """The tablet's service worker, served under /count/ so that its scope covers the counting pages."""
    scope = url_for(".home")
    return worker_response("count", scope, "^" + re.escape(scope) + "[^/]+$", tablet_info.SHELL_FILES,
                           tablet_info.OPTIONAL_FILES)


@bp.get("/<code>")
@requires(*TEAM_ROLES)
def tablet(code):
    campaign = campaign_service.get(code)
    who = count_views.viewer(campaign, current_user)
    if who.team is None:
        return _no_team(campaign)
    tickets = count_views.team_tickets(campaign, who.team)
    zones = sorted(who.team.zones, key=lambda z: z.code)
    data = {"campaign": campaign.code, "year": campaign.fiscal_year, "team": who.team.number,
            "round": who.team.round, "user": current_user.login, "counting": campaign.status.value == "counting",
            "tickets": tickets, "recent": count_views.team_counts(campaign, who.team),
            "time_zone": tablet_info.time_zone(campaign.settings)}
    # Names the lists the page was rendered with: the same page shown again from the tablet's cache (a
    # reload without the network) is told from a fresh one, whose lists take over from the tablet's.
    data["rendered"] = tablet_info.rendering(data)
    left = sum(1 for t in tickets if t["status"] in ("to_count", "waiting"))
    dates = tablet_info.count_dates(campaign.count_date, campaign.settings,
                                    [(z.code, z.site.code if z.site else None) for z in zones])
    return render_template("counting/tablet.html", campaign=campaign, team=who.team, zones=zones, data=data,
                           left=left, count_dates=dates, kept=_kept_zones(campaign),
                           sheets=_recount_sheets(campaign), page_cache=tablet_info.PAGE_CACHE,
                           texts=tablet_texts(), states={k: str(v) for k, v in STATES.items()},
                           methods={k: str(v) for k, v in METHODS.items()})


def _progress(code):
    campaign = campaign_service.get(code)
    result = progress_service.compute(campaign)
    return campaign, result


def _zone_dates(campaign) -> dict:
    """Each zone's count date, for the progress page (issue 18: zones may count on other days)."""
    return {zone: day for _, zone, day in campaign_service.count_dates_by_zone(campaign)}


@bp.get("/<code>/progress")
@requires(*PROGRESS_READERS)
def progress(code):
    campaign, result = _progress(code)
    return render_template("counting/progress.html", campaign=campaign, progress=result,
                           full=current_user.role in count_views.STAFF_ROLES,
                           zones=progress_service.zones_summary(result), zone_dates=_zone_dates(campaign),
                           remaining=progress_service.by_zone_remaining(result))


@bp.get("/<code>/progress/live")
@requires(*PROGRESS_READERS)
def progress_live(code):
    """The progress figures alone, fetched by the page every few seconds."""
    campaign, result = _progress(code)
    return render_template("counting/_progress_body.html", campaign=campaign, progress=result,
                           full=current_user.role in count_views.STAFF_ROLES,
                           zones=progress_service.zones_summary(result), zone_dates=_zone_dates(campaign),
                           remaining=progress_service.by_zone_remaining(result))
