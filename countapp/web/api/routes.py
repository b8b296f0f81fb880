"""The JSON API for tablets and integrations (/api/v1) and its OpenAPI document."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)
