import enum
import itertools
import re

import pytest

from tickets.errors import Conflict, CountappError
from tickets.lifecycle import (COUNT_EVENTS, EVENTS, STATUSES, TRANSITIONS, can, check_can_count, check_can_void,
                               next_status_after_count, status_after_issue, transition)
from tickets.tolerance import Decision, Tolerance, decide

T = "000042/2025"


class TicketStatus(str, enum.Enum):
    # The app's own enum has the same values; the rules accept it as well as plain text.
    ISSUED = "issued"
    VOIDED = "voided"


def test_statuses_are_the_seven_of_the_life_cycle():
    assert STATUSES == ("created", "issued", "counted_1", "counted_2", "recount", "final", "voided")


def test_the_happy_paths_through_the_table():
    status = "created"
    for event in ("issue", "count_1", "count_2", "agree"):
        status = transition(status, event, ticket=T)
    assert status == "final"
    status = "counted_2"
    for event in ("recount", "count_3"):
        status = transition(status, event, ticket=T)
    assert status == "final"


@pytest.mark.parametrize("status, event", [(s, e) for s, e in itertools.product(STATUSES, EVENTS)
                                           if (s, e) not in TRANSITIONS])
def test_every_out_of_order_transition_is_refused(status, event):
    assert not can(status, event)
    with pytest.raises(CountappError):
        transition(status, event, ticket=T)


@pytest.mark.parametrize("status, round_", list(itertools.product(STATUSES, (1, 2, 3))))
def test_count_checks_agree_with_the_transition_table(status, round_):
    allowed = (status, COUNT_EVENTS[round_]) in TRANSITIONS
    if allowed:
        check_can_count(status, round_, ticket=T)
    else:
        with pytest.raises(CountappError):
            check_can_count(status, round_, ticket=T)


def test_final_and_voided_tickets_have_no_way_out():
    assert not any(s in ("final", "voided") for s, _ in TRANSITIONS)


def test_round_one_needs_an_issued_ticket():
    check_can_count("issued", 1, ticket=T)
    with pytest.raises(CountappError, match="not been issued"):
        check_can_count("created", 1, ticket=T)


def test_round_two_needs_round_one():
    with pytest.raises(CountappError, match="1st count before the 2nd") as error:
        check_can_count("issued", 2, ticket=T)
    assert error.value.field == "round"
    check_can_count("counted_1", 2, ticket=T)


def test_round_three_only_on_recount():
    check_can_count("recount", 3, ticket=T)
    for status in ("issued", "counted_1", "counted_2"):
        with pytest.raises(CountappError, match="does not need a third count"):
            check_can_count(status, 3, ticket=T)


def test_a_voided_ticket_is_never_counted():
    for round_ in (1, 2, 3):
        with pytest.raises(CountappError, match="voided"):
            check_can_count("voided", round_, ticket=T)


def test_a_final_ticket_is_never_counted_again():
    for round_ in (1, 2, 3):
        with pytest.raises(CountappError, match="final"):
            check_can_count("final", round_, ticket=T)


def test_a_round_is_counted_once():
    with pytest.raises(Conflict, match="already has its count for round 1"):
        check_can_count("counted_1", 1, ticket=T)
    with pytest.raises(Conflict, match="already has its count for round 2"):
        check_can_count("recount", 2, ticket=T)


def test_a_ticket_not_issued_for_the_round_is_refused():
    with pytest.raises(CountappError, match="not issued to a team for round 2"):
        check_can_count("counted_1", 2, ticket=T, issued=False)
    check_can_count("recount", 3, ticket=T, issued=False)   # third counts are directed, not issued


@pytest.mark.parametrize("round_", [0, 4, -1])
def test_only_rounds_one_to_three_exist(round_):
    with pytest.raises(CountappError, match="round must be 1, 2 or 3"):
        check_can_count("issued", round_, ticket=T)


def test_any_status_before_final_may_be_voided():
    for status in ("created", "issued", "counted_1", "counted_2", "recount"):
        check_can_void(status, ticket=T)
        assert transition(status, "void", ticket=T) == "voided"


def test_a_final_ticket_cannot_be_voided():
    with pytest.raises(CountappError, match="final"):
        check_can_void("final", ticket=T)


def test_a_ticket_is_voided_once():
    with pytest.raises(Conflict, match="already voided"):
        check_can_void("voided", ticket=T)


def test_the_apps_enum_is_accepted():
    check_can_count(TicketStatus.ISSUED, 1, ticket=T)
    with pytest.raises(Conflict):
        check_can_void(TicketStatus.VOIDED, ticket=T)


def test_unknown_statuses_and_events_are_programming_errors():
    with pytest.raises(ValueError):
        check_can_void("lost", ticket=T)
    with pytest.raises(ValueError):
        transition("issued", "print", ticket=T)


def test_status_after_each_count():
    agreed = decide(1, 1, 1, 0, Tolerance(), Tolerance())
    recount = decide(1, 2, 1, 0, Tolerance(), Tolerance())
    assert next_status_after_count(1) == "counted_1"
    assert next_status_after_count(2) == "counted_2"
    assert next_status_after_count(2, agreed) == "final"
    assert next_status_after_count(2, recount) == "recount"
    assert next_status_after_count(2, "recount") == "recount"
    assert next_status_after_count(3) == "final"
    with pytest.raises(CountappError):
        next_status_after_count(4)
    with pytest.raises(ValueError):
        next_status_after_count(2, Decision("maybe", None))


def test_issuing_marks_only_created_tickets():
    assert status_after_issue("created") == "issued"
    for status in ("issued", "counted_1", "recount", "final", "voided"):
        assert status_after_issue(status) == status


def test_refusals_never_tell_a_quantity():
    # Blind counting: a refusal names the ticket, the round or the status, nothing else.
    for status, round_ in itertools.product(STATUSES, (1, 2, 3)):
        for issued in (True, False):
            try:
                check_can_count(status, round_, ticket="T", issued=issued)
            except CountappError as error:
                assert set(error.params) <= {"ticket", "round"}
                assert not re.search(r"\d", error.message.replace("1st", "").replace("2nd", "")
                                     .replace("1, 2 or 3", ""))
    for status in STATUSES:
        try:
            check_can_void(status, ticket="T")
        except CountappError as error:
            assert set(error.params) <= {"ticket"}
