"""Users, for managers: the list, a new user, editing, teams, disabling and password resets."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tickets.errors import CountappError

from ...extensions import db
from ...models import Campaign, CampaignStatus, Role
from ...services import users as user_service
from ..errors import error_message
from ..security import requires
from .forms import ActionForm, EditUserForm, NewUserForm, TeamForm

bp = Blueprint("users", __name__)


def _me():
    return current_user._get_current_object()


def _open_campaigns() -> list[str]:
    return list(db.session.scalars(sa.select(Campaign.code).where(Campaign.status != CampaignStatus.CLOSED)
                                   .order_by(Campaign.fiscal_year.desc(), Campaign.code)))


def _form_error(form, error: CountappError) -> None:
    """Show a refused action next to the field at fault (or above the form)."""
    db.session.rollback()
    target = form._fields.get(error.field) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error_message(error)]
    else:
        flash(error_message(error), "error")


@bp.get("/users/")
@requires(Role.MANAGER)
def index():
    return render_template("users/index.html", rows=user_service.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Role.MANAGER)
def new():
    form = NewUserForm()
    form.campaign.choices = [("", "—")] + [(c, c) for c in _open_campaigns()]
    if form.validate_on_submit():
        if form.team.data and not form.campaign.data:
            form.campaign.errors.append(_("Choose the campaign of the team."))
        else:
            try:
                user, generated = user_service.create(
                    form.login.data, form.role.data, name=form.name.data, language=form.language.data or None,
                    storekeeper=form.storekeeper.data, password=form.password.data or None,
                    must_change=form.must_change.data, campaign_code=form.campaign.data or None,
                    team=form.team.data, by=_me())
            except CountappError as error:
                _form_error(form, error)
            else:
                if generated:
                    return render_template("users/password.html", user=user, password=generated, created=True)
                flash(_("User %(login)s created.", login=user.login), "success")
                return redirect(url_for(".index"))
    elif form.is_submitted():
        flash(_("Some values are not valid: see the fields marked in red."), "error")
    return render_template("users/new.html", form=form)


def _edit_page(user, form=None, team_form=None, status=200):
    form = form or EditUserForm(obj=None, name=user.name, role=user.role.value, language=user.language or "",
                                storekeeper=user.is_storekeeper)
    teams = user_service.teams_of(user)
    open_campaigns = _open_campaigns()
    if team_form is None:
        # Filled with the user's team in the first open campaign where they have one.
        current = next(((code, number) for code, number, _leads in teams if code in open_campaigns), (None, None))
        team_form = TeamForm(prefix="team", campaign=current[0], team=current[1])
    team_form.campaign.choices = [(c, c) for c in open_campaigns]
    return render_template("users/edit.html", user=user, form=form, team_form=team_form, action=ActionForm(),
                           teams=teams, is_me=user.id == current_user.id), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Role.MANAGER)
def edit(user_id):
    user = user_service.get(user_id)
    form = EditUserForm()
    if not form.is_submitted():
        return _edit_page(user)
    if user.id == current_user.id:
        form.role.data = user.role.value  # shown disabled, so not sent: one's own role stays
    if form.validate():
        try:
            user_service.update(user, name=form.name.data, role=form.role.data, language=form.language.data or None,
                                storekeeper=form.storekeeper.data, by=_me())
        except CountappError as error:
            _form_error(form, error)
            user = user_service.get(user_id)
        else:
            flash(_("User %(login)s saved.", login=user.login), "success")
            return redirect(url_for(".edit", user_id=user.id))
    return _edit_page(user, form=form, status=400)


@bp.post("/users/<int:user_id>/team")
@requires(Role.MANAGER)
def team(user_id):
    user = user_service.get(user_id)
    form = TeamForm(prefix="team")
    form.campaign.choices = [(c, c) for c in _open_campaigns()]
    if form.validate():
        try:
            user_service.set_team(user, form.campaign.data, form.team.data, by=_me())
        except CountappError as error:
            _form_error(form, error)
            user = user_service.get(user_id)
        else:
            if form.team.data:
                flash(_("%(login)s is now in team %(team)s of campaign %(code)s.", login=user.login,
                        team=form.team.data, code=form.campaign.data), "success")
            else:
                flash(_("%(login)s is in no team of campaign %(code)s now.", login=user.login,
                        code=form.campaign.data), "success")
            return redirect(url_for(".edit", user_id=user.id))
    return _edit_page(user, team_form=form, status=400)


@bp.post("/users/<int:user_id>/disable")
@requires(Role.MANAGER)
def disable(user_id):
    user = user_service.get(user_id)
    if ActionForm().validate_on_submit():
        user_service.disable(user, by=_me())  # a refusal is flashed by the error handler
        flash(_("%(login)s is disabled: their sessions and API token no longer work.", login=user.login), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/users/<int:user_id>/enable")
@requires(Role.MANAGER)
def enable(user_id):
    user = user_service.get(user_id)
    if ActionForm().validate_on_submit():
        user_service.enable(user, by=_me())
        flash(_("%(login)s can log in again.", login=user.login), "success")
    return redirect(url_for(".edit", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@requires(Role.MANAGER)
def reset_password(user_id):
    user = user_service.get(user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".edit", user_id=user.id))
    password = user_service.reset_password(user, by=_me())
    # Shown in this answer only: never stored in clear, never put in the session's flash messages.
    return render_template("users/password.html", user=user, password=password, created=False)
