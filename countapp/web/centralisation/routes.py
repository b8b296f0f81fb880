"""Centralisation: ticket states, third counts, recount sheets, decisions."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("centralisation", __name__)
