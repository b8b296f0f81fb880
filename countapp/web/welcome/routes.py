"""First run: an empty installation creates its first manager here, then never again."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from ...services import first_run
from ..auth import throttle
from ..security import log_in
from .forms import FirstManagerForm

bp = Blueprint("welcome", __name__)


@bp.route("/welcome", methods=["GET", "POST"])
def first_manager():
    if not first_run.needs_first_manager():
        return redirect(url_for("auth.login"))
    form = FirstManagerForm()
    if not form.is_submitted():
        form.language.data = str(get_locale() or "fr")[:2]
    if form.is_submitted() and (wait := throttle.retry_after()):  # hammering the form from one address
        return throttle.too_many(wait, "welcome/first_manager.html", form=form)
    if form.validate_on_submit():
        user = first_run.create_first_manager(form.login.data, form.password.data, name=form.name.data.strip(),
                                              language=form.language.data)
        log_in(user)
        flash(_("Welcome, %(name)s: you are this installation's first manager. Create your first campaign, then "
                "the people who will count.", name=user.display_name), "success")
        return redirect(url_for("main.index"))
    if form.is_submitted():
        throttle.failed()  # each refused form counts against the address
    return render_template("welcome/first_manager.html", form=form)

