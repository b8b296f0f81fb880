"""Blueprints, one per area of the product."""
from __future__ import annotations

import importlib

from flask import Flask


# Each area is a package ``countapp.web.<area>`` with a ``routes.bp`` blueprint, mounted at its prefix.
AREAS = (
    ("auth", ""), ("main", ""), ("campaigns", "/campaigns"), ("setup", "/campaigns"),
    ("tickets", "/campaigns"), ("counting", "/count"), ("api", "/api"), ("centralisation", "/campaigns"),
    ("instructions", "/campaigns"), ("review", "/campaigns"), ("audit", "/campaigns"), ("report", "/campaigns"),
    ("users", ""), ("welcome", ""), ("cycles", "/cycles"),
)


def register_blueprints(app: Flask) -> None:
    for area, prefix in AREAS:
        module = importlib.import_module(f"{__name__}.{area}.routes")
        app.register_blueprint(module.bp, url_prefix=prefix or None)

    from .formatting import register_filters
    from .labels import register_labels
    from .scope import init_scope

    register_filters(app)
    register_labels(app)
    init_scope(app)  # after web.security's guard: counting teams reach only their campaigns
