"""What users read for the centralisation codes: ticket states, recount reasons, decisions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATES = {
    "not_counted": _l("Not counted"),
    "count_1": _l("1st count only"),
    "agreed": _l("Agreed"),
    "recount": _l("Third count needed"),
    "recounted": _l("Recounted"),
    "decided": _l("Accepted by decision"),
    "voided": _l("Voided"),
}
REASONS = {
    "counts_disagree": _l("Counts 1 and 2 disagree"),
    "far_from_book": _l("Far from book stock"),
}
DECISIONS = {
    "accept_count_1": _l("Accept count 1"),
    "accept_count_2": _l("Accept count 2"),
    "accept_book": _l("Accept the book quantity"),
}
SOURCES = {"tablet": _l("Tablet"), "api": _l("API"), "import": _l("Import of paper parts")}
# What a recounting leader reads of a ticket on their sheet (blind: nothing about the other counts).
ENTRY_STATUSES = {
    "to_count": _l("To recount"),
    "counted": _l("Recounted"),
    "not_needed": _l("No longer needed"),
}


def lookup(table: dict, code) -> str:
    return str(table.get(code, code or ""))
