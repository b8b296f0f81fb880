"""Log-in, log-out, choosing one's password and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from tickets.errors import CountappError

from ...extensions import db
from ...passwords import MIN_LENGTH
from ...services import first_run
from ...services import users as user_service
from ..errors import error_message
from ..security import ALL_ROLES, log_in, requires
from . import throttle
from .forms import ChangePasswordForm, LanguageForm, LoginForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never bounce a user to another host after log-in."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if first_run.needs_first_manager():  # a new installation: nobody to log in as yet
        return redirect(url_for("welcome.first_manager"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        if wait := throttle.retry_after(form.login.data):
            return throttle.too_many(wait, "auth/login.html", form=form)
        user = user_service.authenticate(form.login.data, form.password.data)
        if user is None:
            throttle.failed(form.login.data)
            flash(_("Unknown login or wrong password."), "error")
        else:
            log_in(user, remember=form.remember.data)
            user_service.record_login(user)
            session.pop("language", None)
            if user.must_change_password:
                flash(_("Choose your own password to go on."), "warning")
                return redirect(url_for(".change_password", next=form.next.data or None))
            return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    # Everywhere: a remember-me cookie copied before log-out must not log anyone in after it.
    if current_user.is_authenticated:
        user_service.end_sessions(current_user._get_current_object())
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@requires(*ALL_ROLES)
def change_password():
    """Choose a new password; after a reset by a manager every other page leads here until it is done."""
    form = ChangePasswordForm()
    forced = current_user.must_change_password
    if form.validate_on_submit():
        if wait := throttle.retry_after(current_user.login):
            return throttle.too_many(wait, "auth/change_password.html", form=form, forced=forced,
                                     min_length=MIN_LENGTH)
        try:
            user = user_service.change_password(current_user._get_current_object(), form.password.data, form.confirmation.data,
                                                current=None if forced else form.current.data)
        except CountappError as error:
            db.session.rollback()
            if error.field == "current":  # guessing the password of a session left open
                throttle.failed(current_user.login)
            getattr(form, error.field or "password", form.password).errors.append(error_message(error))
        else:
            # The new session version ends every other session; this one goes on.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            log_in(user, remember=remembered)
            flash(_("Your password is changed."), "success")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/change_password.html", form=form, forced=forced, min_length=MIN_LENGTH)


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            user_service.set_language(current_user, form.language.data)
        else:
            session["language"] = form.language.data
    db.session.commit()
    return redirect(_safe_next(form.next.data or request.referrer and urlsplit(request.referrer).path))
