import csv
import io
import random
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.control import (CONTROL_COLUMNS, IssuedRange, ReturnedRange, TicketFact, compact, control, format_spans,
                             to_csv_rows)


def facts(n, counted=None, voided=None):
    counted, voided = counted or {}, voided or {}
    return [TicketFact(i, frozenset(counted.get(i, ())), voided.get(i)) for i in range(1, n + 1)]


def test_runs_are_written_compactly():
    assert compact([12, 13, 14, 15, 40]) == ((12, 15), (40, 40))
    assert format_spans(compact([12, 13, 14, 15, 40])) == "12-15, 40"
    assert compact([]) == () and format_spans([]) == ""
    assert compact([3, 3, 4]) == ((3, 4),)


def test_every_issued_number_is_counted_voided_returned_or_missing():
    counted = {i: {1} for i in [*range(1, 11), 12]}
    report = control([IssuedRange(team=1, round=1, first=1, last=20)], [(1, 16, 20)],
                     facts(20, counted, {11: "torn"}), 20)
    (r,) = report.ranges
    assert (r.first, r.last, r.issued, r.counted) == (1, 20, 20, 11)
    assert r.voided == ((11, "torn"),)
    assert r.returned == ((16, 20),) and r.returned_count == 5
    assert r.missing == ((13, 15),) and r.missing_count == 3
    assert not r.ok and not report.ok


def test_a_range_fully_accounted_for_is_ok():
    report = control([IssuedRange(1, 1, 1, 3)], [ReturnedRange(1, 3, 3)], facts(3, {1: {1}}, {2: "spoiled"}), 3)
    assert report.ok and report.missing_count == 0


def test_a_count_of_the_other_round_does_not_account_for_a_number():
    report = control([IssuedRange(2, 2, 1, 3)], [], facts(3, {1: {1}, 2: {1, 2}}), 3)
    assert report.ranges[0].counted == 1 and report.ranges[0].missing == ((1, 1), (3, 3))


def test_a_return_counts_only_for_the_team_that_made_it():
    report = control([IssuedRange(1, 1, 1, 5), IssuedRange(2, 2, 1, 5)], [(2, 1, 5)], facts(5), 5)
    round1, round2 = report.ranges
    assert round1.missing == ((1, 5),) and round1.returned == ()
    assert round2.returned == ((1, 5),) and round2.missing == ()


def test_returns_apply_to_the_matching_range_of_a_team_with_several():
    report = control([IssuedRange(1, 1, 1, 5), IssuedRange(1, 1, 11, 15)], [(1, 4, 12)], facts(15), 15)
    first, second = report.ranges
    assert first.returned == ((4, 5),) and second.returned == ((11, 12),)


def test_a_voided_ticket_counts_once_even_if_counted_before():
    report = control([IssuedRange(1, 1, 1, 2)], [], facts(2, {1: {1}, 2: {1}}, {2: "wrong item"}), 2)
    r = report.ranges[0]
    assert r.counted == 1 and r.voided == ((2, "wrong item"),) and r.ok


def test_gaps_are_numbers_never_generated_below_the_highest():
    generated = [TicketFact(n) for n in [*range(1, 11), 13, 14, 15]]
    report = control([], [], generated, 20)
    assert report.gaps == ((11, 12), (16, 20))
    assert not report.ok


def test_an_issued_number_never_generated_is_missing_and_a_gap():
    report = control([IssuedRange(1, 1, 1, 4)], [], [TicketFact(1, {1}), TicketFact(2, {1})], 2)
    assert report.ranges[0].missing == ((3, 4),)
    assert report.gaps == ((3, 4),) and report.highest == 4


def test_numbers_generated_but_never_issued_are_listed_with_their_voids():
    report = control([IssuedRange(1, 1, 3, 5), IssuedRange(2, 2, 4, 7)], [], facts(10, voided={9: "misprint"}), 10)
    assert report.not_issued == ((1, 2), (8, 10))
    assert report.voided == ((9, "misprint"),)
    assert report.gaps == ()


def test_no_tickets_no_exceptions():
    report = control([], [], [], 0)
    assert report.ok and report.ranges == () and report.gaps == () and report.not_issued == ()


def test_ranges_come_out_by_round_then_number():
    report = control([IssuedRange(3, 2, 1, 2), IssuedRange(2, 1, 3, 4), IssuedRange(1, 1, 1, 2)], [], facts(4), 4)
    assert [(r.round, r.first, r.team) for r in report.ranges] == [(1, 1, 1), (1, 3, 2), (2, 1, 3)]


def test_a_bad_range_is_a_programming_error():
    with pytest.raises(ValueError):
        IssuedRange(1, 1, 5, 4)
    with pytest.raises(ValueError):
        IssuedRange(1, 1, 0, 4)


def test_csv_rows_show_ranges_gaps_unissued_and_the_total():
    counted = {i: {1} for i in range(1, 11)}
    report = control([IssuedRange(1, 1, 1, 15)], [(1, 14, 15)],
                     [f for f in facts(25, counted, {11: "torn", 22: "spare"}) if f.sequence not in (19, 20)], 25)
    rows = list(to_csv_rows(report, fiscal_year=2025))
    assert all(tuple(row) == CONTROL_COLUMNS for row in rows)
    assert [row["kind"] for row in rows] == ["range", "gap", "not_issued", "not_issued", "total"]
    first = rows[0]
    assert (first["first"], first["last"], first["issued"], first["counted"], first["voided"], first["returned"],
            first["missing"]) == ("000001/2025", "000015/2025", 15, 10, 1, 2, 2)
    assert first["missing_numbers"] == "12-13" and first["voided_numbers"] == "11 (torn)"
    assert first["returned_numbers"] == "14-15"
    assert (rows[1]["first"], rows[1]["last"], rows[1]["missing"]) == ("000019/2025", "000020/2025", 2)
    assert (rows[2]["first"], rows[2]["last"]) == ("000016/2025", "000018/2025")
    assert (rows[3]["first"], rows[3]["voided"], rows[3]["voided_numbers"]) == ("000021/2025", 1, "22 (spare)")
    assert rows[-1]["missing"] == 2 and rows[-1]["issued"] == 15
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CONTROL_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    assert out.getvalue().splitlines()[0] == ",".join(CONTROL_COLUMNS)


def test_csv_rows_without_a_year_give_bare_numbers():
    rows = list(to_csv_rows(control([IssuedRange(1, 1, 1, 2)], [], facts(2), 2)))
    assert rows[0]["first"] == 1 and rows[0]["last"] == 2


@st.composite
def campaigns(draw):
    n = draw(st.integers(1, 60))
    cuts = sorted(draw(st.sets(st.integers(1, n), max_size=6)) | {1})
    spans = [(a, b - 1) for a, b in zip(cuts, [*cuts[1:], n + 1])]
    issued = [IssuedRange(team=i + 1 + 10 * round_, round=round_, first=a, last=b)
              for round_ in (1, 2) for i, (a, b) in enumerate(spans) if draw(st.booleans())]
    # Per number: 0 = never generated, then which rounds counted it, and whether it was voided.
    kinds = draw(st.lists(st.integers(0, 15), min_size=n, max_size=n))
    ticket_facts = [TicketFact(i, frozenset(r for r in (1, 2) if kind & r), "torn" if kind & 4 else None)
                    for i, kind in enumerate(kinds, start=1) if kind]
    returns = [(r.team, a, b) for r in issued
               for a, b in [sorted(draw(st.tuples(st.integers(r.first, r.last), st.integers(r.first, r.last))))]
               if draw(st.booleans())]
    return issued, returns, ticket_facts, n


@given(campaigns())
def test_issued_is_always_counted_plus_voided_plus_returned_plus_missing(campaign):
    issued, returns, ticket_facts, n = campaign
    report = control(issued, returns, ticket_facts, n)
    by_number = {f.sequence: f for f in ticket_facts}
    for r in report.ranges:
        assert r.issued == r.counted + len(r.voided) + r.returned_count + r.missing_count
        for a, b in r.missing:
            for number in range(a, b + 1):
                fact = by_number.get(number)
                assert fact is None or (fact.voided_reason is None and r.round not in fact.counted_rounds)
    generated = set(by_number)
    gap_numbers = {x for a, b in report.gaps for x in range(a, b + 1)}
    assert gap_numbers == set(range(1, report.highest + 1)) - generated
    covered = {x for r in issued for x in range(r.first, r.last + 1)}
    assert {x for a, b in report.not_issued for x in range(a, b + 1)} == generated - covered


def test_control_of_100000_tickets_takes_under_a_second():
    rng = random.Random(2025)
    n = 100_000
    issued = [IssuedRange(team=t + 1 + 100 * round_, round=round_, first=t * 1000 + 1, last=t * 1000 + 1000)
              for round_ in (1, 2) for t in range(100)]
    ticket_facts = []
    for i in range(1, n + 1):
        roll = rng.random()
        rounds = frozenset() if roll < 0.02 else frozenset({1}) if roll < 0.05 else frozenset({1, 2})
        ticket_facts.append(TicketFact(i, rounds, "torn" if roll > 0.995 else None))
    ticket_facts = [f for f in ticket_facts if f.sequence % 9973]     # a few numbers never generated
    returns = [(r.team, r.last - 20, r.last) for r in issued[::3]]
    started = time.perf_counter()
    report = control(issued, returns, ticket_facts, n + 500)
    rows = list(to_csv_rows(report, 2025))
    elapsed = time.perf_counter() - started
    assert len(report.ranges) == 200 and report.gaps and report.missing_count > 0
    assert len(rows) > 200
    assert elapsed < 1.0, f"control of {n} tickets took {elapsed:.3f}s"


# --- while counting goes on, an uncounted number is not missing yet ---------------------------------

def test_an_uncounted_number_is_pending_while_counting_and_missing_after():
    from tickets.control import range_verdict, still_counting, verdict

    report = control([IssuedRange(1, 1, 1, 4)], [], facts(4, {1: {1}, 2: {1}}), 4)
    (r,) = report.ranges
    assert still_counting("counting") and still_counting("planning")
    assert not still_counting("reconciling") and not still_counting("closed")
    assert range_verdict(r, counting=True) == "pending" and verdict(report, counting=True) == "pending"
    assert range_verdict(r, counting=False) == "missing" and verdict(report, counting=False) == "bad"


def test_a_gap_is_an_exception_even_while_counting():
    from tickets.control import verdict

    report = control([IssuedRange(1, 1, 1, 2), IssuedRange(1, 1, 5, 5)], [], facts(2, {1: {1}, 2: {1}})
                     + [TicketFact(5, frozenset({1}))], 5)
    assert report.gaps == ((3, 4),)
    assert verdict(report, counting=True) == "bad"
    assert verdict(control([], [], [], 0), counting=True) == "empty"
    done = control([IssuedRange(1, 1, 1, 2)], [], facts(2, {1: {1}, 2: {1}}), 2)
    assert verdict(done, counting=True) == verdict(done, counting=False) == "ok"
