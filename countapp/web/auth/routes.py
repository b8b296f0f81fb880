"""Log-in, log-out and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...extensions import db
from ...services import users as user_service
from .forms import LanguageForm, LoginForm

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
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = user_service.authenticate(form.login.data, form.password.data)
        if user is None:
            flash(_("Unknown login or wrong password."), "error")
        else:
            login_user(user, remember=form.remember.data)
            session.pop("language", None)
            return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


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
