"""What the reconciliation's codes read as on the review page, in the reader's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CAUSES = {
    "unbilled_delivery": _l("Delivery received, not yet invoiced"),
    "supplier_error": _l("Supplier error"),
    "unit_error": _l("Unit of measure error"),
    "mislocation": _l("Stored at another location"),
    "breakage": _l("Breakage"),
    "shrinkage": _l("Theft or unknown shrinkage"),
    "counting_error": _l("Counting error"),
    "book_error": _l("Error in the book stock"),
    "other": _l("Other"),
}
LINE_STATUSES = {
    "agreed": _l("Agreed"),
    "difference": _l("Difference"),
    "not_counted": _l("Not counted"),
    "unknown_to_book": _l("Unknown to book"),
    "rollforward_only": _l("Movements only"),
    "third_party": _l("Third party's goods"),
    "at_third_party": _l("Held by a third party"),
    "voided": _l("Voided ticket"),
}
EXCEPTIONS = {
    "voided": _l("Voided ticket"),
    "not_counted": _l("Book line not counted"),
    "unknown_to_book": _l("Counted, unknown to book"),
    "rollforward_only": _l("Movements after the count, no book line nor ticket"),
    "negative_closing": _l("Negative closing quantity"),
    "no_category": _l("No stock category"),
    "difference_without_cause": _l("Difference without a cause"),
}
DEPRECIATION_REASONS = {
    "damaged": _l("Damaged"),
    "obsolete": _l("Obsolete"),
    "expired": _l("Expired"),
    "slow_moving": _l("Slow-moving"),
    "market_price": _l("Market price below cost"),
}


def label(table: dict, code: str) -> str:
    return str(table.get(code, code)) if code else ""
# The orders offered by the "Sort by" list (the column headers sort too).
SORTS = {
    "largest": _l("Largest differences first"),
    "ticket": _l("Ticket"),
    "reference": _l("Reference"),
    "location": _l("Location"),
    "zone": _l("Zone"),
    "category": _l("Category"),
    "status": _l("Status"),
    "cause": _l("Cause"),
    "book_qty": _l("Book qty"),
    "counted_qty": _l("Counted"),
    "diff_qty": _l("Diff. qty"),
    "diff_value": _l("Diff. value"),
    "rollforward_qty": _l("Roll-forward"),
    "closing_qty": _l("Closing qty"),
    "unit_cost": _l("Unit cost"),
    "closing_value": _l("Gross value"),
    "depreciation": _l("Depreciation"),
    "net_value": _l("Net value"),
}
