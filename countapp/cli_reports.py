"""Reconciliation, entries, report and audit commands."""
from __future__ import annotations
