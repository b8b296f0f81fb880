"""Blueprints, one per area of the product."""
from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from .auth.routes import bp as auth
    from .campaigns.routes import bp as campaigns
    from .main.routes import bp as main
    from .setup.routes import bp as setup

    app.register_blueprint(auth)
    app.register_blueprint(main)
    app.register_blueprint(campaigns, url_prefix="/campaigns")
    app.register_blueprint(setup, url_prefix="/campaigns")

    from .formatting import register_filters
    from .labels import register_labels

    register_filters(app)
    register_labels(app)
