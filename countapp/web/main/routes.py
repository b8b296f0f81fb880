"""The start page: each role lands where its work is."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...models import Campaign, Role
from ..security import ALL_ROLES, requires

bp = Blueprint("main", __name__)


@bp.get("/")
@requires(*ALL_ROLES)
def index():
    if current_user.role in (Role.COUNTER, Role.LEADER):
        # Counting teams work on the tablet page of their team.
        return redirect(url_for("counting.home"))
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.fiscal_year.desc(), Campaign.code)).all()
    return render_template("main/index.html", campaigns=campaigns)
