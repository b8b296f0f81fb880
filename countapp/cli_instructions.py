"""The instructions command."""
from __future__ import annotations
