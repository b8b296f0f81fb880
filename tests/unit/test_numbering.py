import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.errors import CountappError
from tickets.numbering import (MAX_SEQUENCE, BookLineRef, format_number, parse_number, plan_generation,
                               route_order_key)


def line(id, location="A1", reference="R1", lot="", owner="own", site="S1", zone="Z1"):
    return BookLineRef(id=id, site=site, zone=zone, location=location, reference=reference, lot=lot, owner=owner)


def test_number_is_printed_with_six_digits_and_the_year():
    assert format_number(123, 2025) == "000123/2025"
    assert format_number(1, 2024) == "000001/2024"
    assert format_number(999999, 2025) == "999999/2025"


def test_larger_sequences_just_get_more_digits():
    assert format_number(1234567, 2025) == "1234567/2025"


def test_sequence_zero_cannot_be_printed():
    with pytest.raises(ValueError):
        format_number(0, 2025)


@pytest.mark.parametrize("text", ["000123/2025", "123/2025", "123", "000123", "  000123/2025  ", " 123 ",
                                  "000123 / 2025", "Ticket n° 000123/2025", "n°123", "\t123\n"])
def test_ticket_numbers_are_read_as_printed_or_bare(text):
    assert parse_number(text, 2025) == 123


@given(st.integers(min_value=1, max_value=MAX_SEQUENCE))
def test_printed_numbers_read_back(sequence):
    assert parse_number(format_number(sequence, 2025), 2025) == sequence
    assert parse_number(str(sequence), 2025) == sequence


@pytest.mark.parametrize("text, words", [
    ("000123/2024", "fiscal year 2024"), ("123/25", "fiscal year 25"), ("0", "start at 1"),
    ("000000/2025", "start at 1"),
    ("-5", "not a ticket number"), ("abc", "not a ticket number"), ("12a", "not a ticket number"),
    ("", "required"), ("   ", "required"), (None, "required"), ("1.5", "not a ticket number"),
    ("123/2025/1", "not a ticket number"), ("99999999999", "too large"), ("١٢٣", "not a ticket number"),
])
def test_bad_ticket_numbers_are_refused_on_the_ticket_field(text, words):
    with pytest.raises(CountappError, match=words) as error:
        parse_number(text, 2025)
    assert error.value.field == "ticket"


def test_route_order_is_natural_so_a2_comes_before_a10():
    locations = ["A10", "A2", "B1", "A1", "a3", "A10-2", "A10-10"]
    ordered = sorted(locations, key=lambda loc: route_order_key("S", "Z", loc, "R", ""))
    assert ordered == ["A1", "A2", "a3", "A10", "A10-2", "A10-10", "B1"]


def test_route_order_walks_site_then_zone_then_location_then_reference_then_lot():
    keys = [("S2", "Z1", "A1", "R1", ""), ("S1", "Z2", "A1", "R1", ""), ("S1", "Z1", "B1", "R1", ""),
            ("S1", "Z1", "A1", "R2", ""), ("S1", "Z1", "A1", "R1", "L10"), ("S1", "Z1", "A1", "R1", "L9"),
            ("S1", "Z1", "A1", "R1", None)]
    ordered = sorted(keys, key=lambda k: route_order_key(*k))
    assert ordered == [keys[6], keys[5], keys[4], keys[3], keys[2], keys[1], keys[0]]


def test_route_order_key_is_total_even_for_odd_spellings():
    texts = ["A02", "A2", "a2", "", None, "2", "-", "Z", "10"]
    ordered = sorted(texts, key=lambda t: route_order_key(t, None, None, None, None))
    assert ordered[0] in ("", None) and ordered.index("2") < ordered.index("10") < ordered.index("A2")


def test_generation_gives_one_ticket_per_book_line_in_route_order_then_blanks():
    lines = [line(1, "A10"), line(2, "A2"), line(3, "A1", "R2"), line(4, "A1", "R1")]
    assert plan_generation(lines, set(), 1, 2) == [(1, 4), (2, 3), (3, 2), (4, 1), (5, None), (6, None)]


def test_goods_held_at_third_parties_get_no_ticket():
    lines = [line(1, owner="at_third_party"), line(2, owner="third_party"), line(3, owner="own")]
    assert [line_id for _, line_id in plan_generation(lines, set(), 1, 0)] == [2, 3]


def test_lines_with_a_live_ticket_are_skipped_and_numbers_continue():
    lines = [line(1, "A1"), line(2, "A2"), line(3, "A3")]
    # Line 2 had a ticket that was voided: it is not live, so it gets a new number after the last one.
    assert plan_generation(lines, {1, 3}, 41, 1) == [(41, 2), (42, None)]


def test_generation_with_nothing_to_do_is_empty():
    assert plan_generation([line(1)], {1}, 7, 0) == []


def test_blank_tickets_only():
    assert plan_generation([], set(), 10, 3) == [(10, None), (11, None), (12, None)]


def test_negative_blank_count_is_refused():
    with pytest.raises(CountappError) as error:
        plan_generation([], set(), 1, -1)
    assert error.value.field == "blank"


def test_generation_is_deterministic_whatever_the_input_order():
    lines = [line(i, f"A{i % 7}", f"R{i % 3}", f"L{i}") for i in range(1, 60)]
    shuffled = lines[:]
    random.Random(4).shuffle(shuffled)
    assert plan_generation(lines, set(), 1, 0) == plan_generation(shuffled, set(), 1, 0)


def test_a_book_line_given_twice_gets_one_ticket():
    assert plan_generation([line(1), line(1)], set(), 1, 0) == [(1, 1)]


def test_owner_may_be_an_enum_like_value():
    class Owner:
        value = "at_third_party"
    assert plan_generation([BookLineRef(1, "S", "Z", "A", "R", "", Owner())], set(), 1, 0) == []


@given(st.lists(st.tuples(st.integers(1, 200), st.sampled_from(["own", "third_party", "at_third_party"])),
                unique_by=lambda t: t[0], max_size=40),
       st.sets(st.integers(1, 200)), st.integers(1, 10_000), st.integers(0, 20))
def test_numbers_are_consecutive_never_reused_and_cover_every_line_without_a_live_ticket(raw, live, start, blank):
    lines = [line(i, f"A{i}", owner=owner) for i, owner in raw]
    plan = plan_generation(lines, live, start, blank)
    assert [sequence for sequence, _ in plan] == list(range(start, start + len(plan)))
    expected = {i for i, owner in raw if owner != "at_third_party" and i not in live}
    assert {line_id for _, line_id in plan if line_id is not None} == expected
    assert sum(1 for _, line_id in plan if line_id is None) == blank
    assert all(line_id is None for _, line_id in plan[len(expected):])


def test_generation_order_is_the_route_order_key_whatever_the_spelling():
    """plan_generation caches the natural keys per text; the order stays route_order_key's, ties by id."""
    rng = random.Random(7)
    lines = [BookLineRef(id=i, site=rng.choice(["S1", "s1", "S10", "S2", None]), zone=rng.choice(["Z1", "Z01", "z2", ""]),
                         location=rng.choice(["A2", "A10", "a02", "B-1-10", "B-1-9", None]),
                         reference=rng.choice(["R1", "r1", "R01", "X"]), lot=rng.choice(["", "L1", "L10", None]))
             for i in range(3000)]
    expected = sorted(lines, key=lambda l: (route_order_key(l.site, l.zone, l.location, l.reference, l.lot), l.id))
    assert [line_id for _, line_id in plan_generation(lines, set(), 1, 0)] == [l.id for l in expected]
