"""The written count instructions: edit, check, print, issue, acknowledge."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("instructions", __name__)
