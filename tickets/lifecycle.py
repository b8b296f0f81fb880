"""A ticket's life cycle: which action is allowed in which status, and the status it leads to.

created → issued → counted_1 → counted_2 → final, or → recount → final (the third count);
voided from any status before final. A voided ticket is kept for ever and never counted.

Refusals name the ticket, the round and the status only: a counter may read them, and blind
counting means nothing here may tell a quantity (neither the book's nor another round's).
"""
from __future__ import annotations

from .errors import Conflict, CountappError, Label, N_

# A ticket's status as a message says it ("Ticket 000012/2025 is voided: …"), translated when shown.
STATUS_WORDS = {"created": N_("created"), "issued": N_("issued"), "counted_1": N_("1st count in"),
                "counted_2": N_("2nd count in"), "recount": N_("third count needed"), "final": N_("final"),
                "voided": N_("voided")}

CREATED = "created"
ISSUED = "issued"
COUNTED_1 = "counted_1"
COUNTED_2 = "counted_2"
RECOUNT = "recount"
FINAL = "final"
VOIDED = "voided"
STATUSES = (CREATED, ISSUED, COUNTED_1, COUNTED_2, RECOUNT, FINAL, VOIDED)

# Events that move a ticket on. "agree" and "recount" are the decision once both counts are in.
ISSUE, COUNT_1, COUNT_2, AGREE, DECIDE_RECOUNT, COUNT_3, VOID = (
    "issue", "count_1", "count_2", "agree", "recount", "count_3", "void")
EVENTS = (ISSUE, COUNT_1, COUNT_2, AGREE, DECIDE_RECOUNT, COUNT_3, VOID)
COUNT_EVENTS = {1: COUNT_1, 2: COUNT_2, 3: COUNT_3}

# (status, event) → new status. Anything not listed is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (CREATED, ISSUE): ISSUED,
    (ISSUED, COUNT_1): COUNTED_1,
    (COUNTED_1, COUNT_2): COUNTED_2,
    (COUNTED_2, AGREE): FINAL,
    (COUNTED_2, DECIDE_RECOUNT): RECOUNT,
    (RECOUNT, COUNT_3): FINAL,
    **{(status, VOID): VOIDED for status in (CREATED, ISSUED, COUNTED_1, COUNTED_2, RECOUNT)},
}


def _status(status) -> str:
    value = getattr(status, "value", status)
    if value not in STATUSES:
        raise ValueError(f"unknown ticket status {status!r}")
    return value


def can(status, event: str) -> bool:
    """True when the transition table allows ``event`` in ``status``."""
    return (_status(status), event) in TRANSITIONS


def transition(status, event: str, *, ticket: str = "") -> str:
    """The status ``event`` leads to, or a refusal when the table does not allow it."""
    value = _status(status)
    if event not in EVENTS:
        raise ValueError(f"unknown ticket event {event!r}")
    if event in COUNT_EVENTS.values():
        check_can_count(value, int(event[-1]), ticket=ticket)
    elif event == VOID:
        check_can_void(value, ticket=ticket)
    try:
        return TRANSITIONS[(value, event)]
    except KeyError:
        raise CountappError(N_("Ticket %(ticket)s is %(status)s: this step is not allowed now."), field="status",
                            ticket=ticket, status=Label(STATUS_WORDS.get(value, value))) from None


def status_after_issue(status) -> str:
    """Issuing a range marks created tickets issued; a ticket already further on keeps its status."""
    value = _status(status)
    return ISSUED if value == CREATED else value


def check_can_count(status, round_: int, *, ticket: str, issued: bool = True) -> None:
    """Refuse a count out of order: round 2 after round 1, round 3 only on recount, never voided, final or unissued.

    ``issued`` says whether the ticket was handed to a team for this round (rounds 1 and 2).
    """
    value = _status(status)
    if round_ not in COUNT_EVENTS:
        raise CountappError(N_("The round must be 1, 2 or 3."), field="round")
    if value == VOIDED:
        raise CountappError(N_("Ticket %(ticket)s is voided: it cannot be counted."), field="ticket", ticket=ticket)
    if value == FINAL:
        raise CountappError(N_("Ticket %(ticket)s is final: it can no longer be counted."), field="ticket",
                            ticket=ticket)
    if value == CREATED:
        raise CountappError(N_("Ticket %(ticket)s has not been issued to a team yet."), field="ticket", ticket=ticket)
    if round_ in (1, 2) and not issued:
        raise CountappError(N_("Ticket %(ticket)s was not issued to a team for round %(round)s."), field="ticket",
                            ticket=ticket, round=round_)
    if round_ == 1 and value != ISSUED:
        raise Conflict(N_("Ticket %(ticket)s already has its count for round %(round)s."), field="round",
                       ticket=ticket, round=1)
    if round_ == 2:
        if value == ISSUED:
            raise CountappError(N_("Ticket %(ticket)s needs its 1st count before the 2nd."), field="round",
                                ticket=ticket)
        if value != COUNTED_1:
            raise Conflict(N_("Ticket %(ticket)s already has its count for round %(round)s."), field="round",
                           ticket=ticket, round=2)
    if round_ == 3 and value != RECOUNT:
        raise CountappError(N_("Ticket %(ticket)s does not need a third count."), field="round", ticket=ticket)


def check_can_void(status, *, ticket: str) -> None:
    """Refuse to void a ticket that is final or already voided; any earlier status may be voided."""
    value = _status(status)
    if value == VOIDED:
        raise Conflict(N_("Ticket %(ticket)s is already voided."), field="ticket", ticket=ticket)
    if value == FINAL:
        raise CountappError(N_("Ticket %(ticket)s is final: it can no longer be voided."), field="ticket",
                            ticket=ticket)


def next_status_after_count(round_: int, decision=None) -> str:
    """The status a count leads to; after round 2 the decision (agreed or recount) settles it when known."""
    if round_ == 1:
        return COUNTED_1
    if round_ == 2:
        outcome = getattr(decision, "outcome", decision)
        if outcome is None:
            return COUNTED_2
        if outcome == "agreed":
            return FINAL
        if outcome == "recount":
            return RECOUNT
        raise ValueError(f"unknown decision {decision!r}")
    if round_ == 3:
        return FINAL
    raise CountappError(N_("The round must be 1, 2 or 3."), field="round")
