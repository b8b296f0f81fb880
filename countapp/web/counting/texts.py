"""Words the tablet's script shows, translated on the server and handed to static/counting.js.

Placeholders are written ``{name}`` and filled in by the script.
"""
from __future__ import annotations

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from tickets.errors import Nn_, Plural


def login_again() -> str:
    """What a tablet says when its session has ended with counts waiting (the campaign's and the cycle's)."""
    return _("Your session has ended: log in again. The waiting counts stay on this tablet.")


def _forms(text: Plural) -> list[str]:
    """Both forms of a text whose words follow ``{n}``; the script picks one by ``plural_rule``."""
    return [ngettext(str(text), text.plural, 1), ngettext(str(text), text.plural, 2)]


def tablet_texts() -> dict[str, str | list[str]]:
    return {
        # French takes the singular for 0 and 1, English for 1 only (the catalogue's Plural-Forms).
        "plural_rule": "fr" if str(get_locale()) == "fr" else "en",
        # The word after the tablet's "N left" figure, singular or plural by N.
        "left_word": [ngettext("left", "left", 1), ngettext("left", "left", 2)],
        "ticket_required": _("Type or scan a ticket number."),
        "offline_details": _("No connection: details from the list kept on this tablet."),
        "not_in_list_offline": _("No connection, and this ticket is not in your team's list."),
        "voided": _("This ticket is voided: do not count it."),
        "waiting": _("The 1st count of this ticket is not in yet: count it later."),
        "not_issued": _("This ticket has not been issued to a team yet."),
        "not_needed": _("This ticket does not need a count from you."),
        "counted_by": _("Already counted by {who} at {when}:"),
        "pending_here": _("A count of this ticket is waiting to be sent from this tablet."),
        "cannot_correct": _("It can no longer be corrected: the ticket has moved on."),
        "quantity_required": _("Enter the quantity."),
        "quantity_invalid": _("Type a number, for example 12 or 12,5."),
        "no_decimals": _("This unit is counted in whole numbers: no decimals."),
        "too_many_decimals": _("At most 4 decimals."),
        "too_large": _("This quantity is too large: check for a typing slip."),
        "reference_required": _("Blank ticket: choose the reference you counted."),
        "location_required": _("Blank ticket: choose the location."),
        "reason_required": _("Say why you correct the count."),
        "saved": _("Saved: {ticket} — {quantity}"),
        "correction_saved": _("Correction saved: {ticket} — {quantity}"),
        "queued": _("No connection: the count is kept on this tablet and will be sent when the connection "
                    "returns."),
        "sent_later": _("Waiting counts sent: {n}."),
        "refused": _("Refused by the server"),
        "login_again": login_again(),
        "reload": _("Reload the page to send the waiting counts."),
        "needs_connection": _("A correction needs the connection: try again when the tablet is online."),
        "online": _("Online"),
        "offline": _("Offline"),
        "scan_unsupported": _("No camera here: type the number or use the scanner."),
        "scan_failed": _("No barcode found: try again, closer and steady."),
        "scan_point": _("Point the camera at the ticket's barcode."),
        "scan_loading": _("Starting the barcode reader…"),
        "more": _("and {n} more"),
        "nothing_left": _("Nothing left to count."),
        "no_match": _("No match."),
        "no_lot": _("no lot"),
        "status_to_count": _("to count"),
        "status_waiting": _("waiting for the 1st count"),
        "status_counted": _("counted"),
        "status_voided": _("voided"),
        "status_not_issued": _("not issued"),
        "correct": _("Correct"),
        "open": _("Open"),
        "blank_zone": _("Blank tickets"),
        "third_party": _("Held for a third party: count it; it is kept apart from own stock."),
        "packaging_pallets": _forms(Nn_("{n} pallet × {per} cartons", "{n} pallets × {per} cartons")),
        "packaging_cartons": _forms(Nn_("{n} loose carton", "{n} loose cartons")),
        "packaging_units": _forms(Nn_("× {n} unit per carton", "× {n} units per carton")),
        "packaging_loose": _forms(Nn_("+ {n} loose unit", "+ {n} loose units")),
        "packaging_total": _("= {total} {unit}"),
        "packaging_incomplete": _("Fill in the cartons per pallet and the units per carton."),
        "round1": _("1st count"),
        "round2": _("2nd count"),
        "round3": _("3rd count"),
        "correction_of": _("Correcting the count of {when}: {quantity}"),
        "earlier": _("Earlier: {quantity} ({who}, {when}; reason: {reason})"),
        "state_word": _("state"),
        "count_dropped": _("The count of {ticket} was not saved: a new ticket was scanned."),
    }
