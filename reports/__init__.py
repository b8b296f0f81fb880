"""Reconciliation, valuation, depreciation and accounting entries: pure, DataFrames in and out.

The input frames are described in ``reports.frames``; the rules in DOMAIN.md ("Rules"). Import from
the modules themselves (``from reports.reconcile import reconcile``): the package imports nothing, so
that a module needing one of them (``reports.csv_out``, ``reports.audit_tags``) does not load pandas and
all the others with it.
"""
