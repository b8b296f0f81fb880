"""Reconciliation, valuation, depreciation and accounting entries: pure, DataFrames in and out.

The input frames are described in ``reports.frames``; the rules in DOMAIN.md ("Rules").
"""
from .entries import build_entries
from .export import entries_csv, reconciliation_csv, reconciliation_xlsx
from .model import DepreciationRates, ReconcileSettings
from .reconcile import Reconciliation, reconcile, with_causes

__all__ = ["DepreciationRates", "ReconcileSettings", "Reconciliation", "build_entries", "entries_csv",
           "reconcile", "reconciliation_csv", "reconciliation_xlsx", "with_causes"]
