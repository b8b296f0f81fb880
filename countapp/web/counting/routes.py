"""Tablet pages for counting teams."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("counting", __name__)
