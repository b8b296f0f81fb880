"""The start page: each role lands where its work is."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from ...extensions import db
from ...models import Campaign
from ..security import ALL_ROLES, requires

bp = Blueprint("main", __name__)


@bp.get("/")
@requires(*ALL_ROLES)
def index():
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.fiscal_year.desc(), Campaign.code)).all()
    return render_template("main/index.html", campaigns=campaigns)
