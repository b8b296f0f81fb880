"""Reconciliation review, causes and sign-off."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)
