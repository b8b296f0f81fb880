"""Setting a campaign up: imports with a preview, teams and storekeepers."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...models import Role, User, Zone
from ...services import campaigns as campaign_service
from ...services import imports as import_service
from ...services import jobs
from ...services import teams as team_service
from tickets.errors import CountappError

from ..errors import error_message
from ..security import requires
from ... import import_templates
from . import import_format
from .forms import IMPORT_KINDS, ConfirmForm, StorekeeperForm, TeamForm, UploadForm

bp = Blueprint("setup", __name__)
READERS = (Role.MANAGER, Role.CENTRALISER, Role.AUDITOR)


def _team_choices(form: TeamForm, campaign) -> None:
    people = db.session.scalars(sa.select(User).where(User.role.in_([Role.LEADER, Role.COUNTER]), User.active)
                                .order_by(User.login)).all()
    form.leader.choices = [(u.login, f"{u.display_name} ({u.login})") for u in people if u.role == Role.LEADER] or \
        [(u.login, f"{u.display_name} ({u.login})") for u in people]
    form.members.choices = [(u.login, f"{u.display_name} ({u.login})") for u in people]
    form.zones.choices = [(z, z) for z in db.session.scalars(
        sa.select(Zone.code).where(Zone.campaign_id == campaign.id).order_by(Zone.code))]


@bp.route("/<code>/teams", methods=["GET", "POST"])
@requires(*READERS)
def teams(code):
    campaign = campaign_service.get(code)
    form = TeamForm(prefix="team")
    _team_choices(form, campaign)
    keeper = StorekeeperForm(prefix="keeper")
    keeper.zone.choices = form.zones.choices
    keeper.login.choices = form.members.choices
    if request.method == "POST":
        if current_user.role != Role.MANAGER:
            abort(403)
        if form.validate_on_submit():
            team_service.add_team(code, form.number.data, round=int(form.round.data), leader=form.leader.data,
                                  members=form.members.data, zones=form.zones.data, starts_at=form.starts_at.data,
                                  ends_at=form.ends_at.data, by=current_user)
            flash(_("Team %(n)s added.", n=form.number.data), "success")
            return redirect(url_for(".teams", code=code))
        flash(_("Some values are not valid: see the fields marked in red."), "error")
    campaign_teams = team_service.teams_of(campaign)
    zones = db.session.scalars(sa.select(Zone).where(Zone.campaign_id == campaign.id).order_by(Zone.code)).all()
    coverage = {z.code: {1: [], 2: []} for z in zones}
    for team in campaign_teams:
        for zone in team.zones:
            coverage[zone.code][team.round].append(team.number)
    return render_template("setup/teams.html", campaign=campaign, form=form, keeper=keeper, teams=campaign_teams,
                           zones=zones, coverage=coverage, can_edit=current_user.role == Role.MANAGER)


@bp.post("/<code>/storekeepers")
@requires(Role.MANAGER)
def storekeeper(code):
    campaign = campaign_service.get(code)
    form = StorekeeperForm(prefix="keeper")
    form.zone.choices = [(z, z) for z in db.session.scalars(sa.select(Zone.code).where(Zone.campaign_id == campaign.id))]
    form.login.choices = [(u, u) for u in db.session.scalars(sa.select(User.login))]
    if form.validate_on_submit():
        team_service.set_storekeeper(code, form.zone.data, form.login.data, by=current_user)
        flash(_("%(login)s is now storekeeper of zone %(zone)s.", login=form.login.data, zone=form.zone.data),
              "success")
    return redirect(url_for(".teams", code=code))


@bp.route("/<code>/imports", methods=["GET", "POST"])
@requires(*READERS)
def imports(code):
    campaign = campaign_service.get(code)
    form = UploadForm()
    preview = table = None
    if request.method == "POST":
        if current_user.role != Role.MANAGER:
            abort(403)
        if form.validate_on_submit():
            upload = import_service.save_upload(form.file.data.stream, form.file.data.filename)
            preview = import_service.preview(form.kind.data, campaign, upload)
            table = import_format.preview_table(preview.kind, preview.columns, preview.sample, campaign.language)
        else:
            flash(_("Choose a file to import."), "error")
    confirm = ConfirmForm()
    if preview is not None:
        confirm.upload.data, confirm.kind.data = preview.upload, preview.kind
        if preview.kind == "stock" and form.as_of.data:
            confirm.as_of.data = form.as_of.data.isoformat()
    columns = {kind: import_format.column_help(kind, campaign.language) for kind, _label in IMPORT_KINDS}
    return render_template("setup/imports.html", campaign=campaign, form=form, preview=preview, table=table,
                           confirm=confirm, summary=import_service.summary(campaign), kinds=IMPORT_KINDS,
                           columns=columns, can_edit=current_user.role == Role.MANAGER)


_TEMPLATE_TYPES = {"csv": "text/csv; charset=utf-8",
                   "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/<code>/imports/template/<kind>.<fmt>")
@requires(*READERS)
def import_template(code, kind, fmt):
    """A file to fill in: the kind's columns and two example lines, in the campaign's language."""
    campaign = campaign_service.get(code)
    if kind not in dict(IMPORT_KINDS) or fmt not in _TEMPLATE_TYPES:
        abort(404)
    make = import_templates.template_csv if fmt == "csv" else import_templates.template_xlsx
    data = make(kind, campaign.language, campaign.count_date)
    name = f"{campaign.code}-{kind}-template.{fmt}"
    return Response(data, mimetype=_TEMPLATE_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/<code>/imports/confirm")
@requires(Role.MANAGER)
def import_confirm(code):
    campaign = campaign_service.get(code)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        job_id = import_service.start_import_job(form.kind.data, campaign, form.upload.data, by=current_user,
                                                 as_of=form.as_of.data or None)
    except CountappError as error:
        flash(error_message(error), "error")
        return redirect(url_for(".imports", code=code))
    return redirect(url_for(".import_job", code=code, job=job_id))


@bp.get("/<code>/imports/jobs/<job>")
@requires(*READERS)
def import_job(code, job):
    campaign = campaign_service.get(code)
    status = jobs.status(job)
    if status is None or status.get("campaign") != campaign.code:
        abort(404)
    if request.accept_mimetypes.best == "application/json" or request.args.get("format") == "json":
        return jsonify(status)
    return render_template("setup/import_job.html", campaign=campaign, job=status)
