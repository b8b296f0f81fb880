"""What the audit pages show for their codes: sample directions and strata, tag control notes."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from tickets.control import format_spans

DIRECTIONS = {"sheet_to_floor": _l("Sheet to floor"), "floor_to_sheet": _l("Floor to sheet")}
STRATA = {"key": _l("Largest value"), "random": _l("Random"), "chosen": _l("Chosen on the floor")}
METHODS = {"ratio": _l("ratio to book value"), "mean": _l("mean error per line"), "none": _l("nothing to project")}


def direction_label(code: str) -> str:
    return str(DIRECTIONS.get(code, code))


def stratum_label(code: str) -> str:
    return str(STRATA.get(code, code))


def method_label(code: str) -> str:
    return str(METHODS.get(code, code))


def note_text(note) -> str:
    """One observation of the floor comparison, in the reader's language."""
    none = gettext("none")
    params = {"seen": note.seen, "recorded": note.recorded if note.recorded is not None else none,
              "numbers": format_spans(note.spans)}
    texts = {
        "first_not_issued": gettext("The first number seen, %(seen)s, was never issued to this team.", **params),
        "last_not_issued": gettext("The last number seen, %(seen)s, was never issued to this team.", **params),
        "first_differs": gettext("First number seen %(seen)s, first number counted %(recorded)s.", **params),
        "last_differs": gettext("Last number seen %(seen)s, last number counted %(recorded)s.", **params),
        "used_after_last_seen": gettext("Counted after the last number seen (%(seen)s): %(numbers)s.", **params),
        "missing_up_to_last_seen": gettext("Missing up to the last number seen (%(seen)s): %(numbers)s.", **params),
        "seen_in_wrong_order": gettext("The last number seen is below the first.", **params),
    }
    return texts.get(note.code, note.code)
