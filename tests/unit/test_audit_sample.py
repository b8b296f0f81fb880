"""Auditor samples and projection (reports.audit_sample), and the floor comparison (reports.audit_tags)."""
from __future__ import annotations

import hashlib
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.audit_sample import (Candidate, Finding, draw_floor_to_sheet, draw_random, draw_sheet_to_floor,
                                  project, rank)
from reports.audit_tags import FloorSeen, compare, team_tags
from tickets.control import IssuedRange, ReturnedRange, TicketFact, control

D = Decimal


def population(n: int = 20) -> list[Candidate]:
    return [Candidate(f"R{i:03d}|L{i % 4}|", D(i * 10)) for i in range(1, n + 1)]


# --- the draw --------------------------------------------------------------------------------------------

def test_rank_is_sha256_of_seed_and_key():
    assert rank(7, "A|L1|") == hashlib.sha256(b"7:A|L1|").hexdigest()


def test_the_largest_values_are_always_taken_then_a_random_part():
    draw = draw_sheet_to_floor(population(), seed=1, key_count=3, random_count=4)
    assert [(d.key, d.stratum) for d in draw.key_lines] == [("R020|L0|", "key"), ("R019|L3|", "key"),
                                                            ("R018|L2|", "key")]
    assert len(draw.random_lines) == 4 and not {d.key for d in draw.random_lines} & {d.key for d in draw.key_lines}
    assert (draw.population_count, draw.population_value) == (20, D(2100))
    assert (draw.random_population_count, draw.random_population_value) == (17, D(2100 - 570))


def test_the_random_part_is_the_lowest_ranks_for_the_seed():
    rest = [c for c in population() if c.value < 180]
    draw = draw_sheet_to_floor(population(), seed=99, key_count=3, random_count=5)
    expected = sorted(rest, key=lambda c: rank(99, c.key))[:5]
    assert [d.key for d in draw.random_lines] == [c.key for c in expected]
    assert [d.rank for d in draw.random_lines] == sorted(d.rank for d in draw.random_lines)


def test_a_threshold_takes_every_line_at_or_above_it():
    draw = draw_sheet_to_floor(population(), seed=1, key_count=0, key_threshold=D(170), random_count=0)
    assert [d.key[:4] for d in draw.key_lines] == ["R020", "R019", "R018", "R017"]
    assert draw_sheet_to_floor(population(), seed=1, key_threshold=D(0), random_count=0).lines == ()


def test_key_items_tie_by_key_so_the_draw_never_depends_on_order():
    tied = [Candidate("B", D(5)), Candidate("A", D(5)), Candidate("C", D(1))]
    assert [d.key for d in draw_sheet_to_floor(tied, seed=0, key_count=1).lines] == ["A"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**63 - 1), size=st.integers(min_value=0, max_value=25),
       keys=st.integers(min_value=0, max_value=5), shuffle=st.randoms(use_true_random=False))
def test_same_seed_same_sample_in_any_order(seed, size, keys, shuffle):
    cands = population()
    shuffled = cands[:]
    shuffle.shuffle(shuffled)
    first = draw_sheet_to_floor(cands, seed, key_count=keys, random_count=size)
    second = draw_sheet_to_floor(shuffled, seed, key_count=keys, random_count=size)
    assert first == second
    assert len(first.lines) == min(20, keys + size) and len({d.key for d in first.lines}) == len(first.lines)


def test_different_seeds_give_different_samples():
    samples = {tuple(d.key for d in draw_floor_to_sheet(population(50), seed, size=5).lines) for seed in range(30)}
    assert len(samples) > 25


def test_every_member_has_its_chance():
    """Over many seeds each candidate is drawn about size/N of the time (no favourite by position)."""
    cands, hits = population(10), {}
    for seed in range(4000):
        for d in draw_floor_to_sheet(cands, seed, size=3).lines:
            hits[d.key] = hits.get(d.key, 0) + 1
    assert set(hits) == {c.key for c in cands}
    assert all(1000 < n < 1400 for n in hits.values()), hits   # expected 1200 each


def test_a_sample_larger_than_the_population_takes_it_all():
    draw = draw_floor_to_sheet(population(4), seed=3, size=10)
    assert len(draw.lines) == 4 and all(d.stratum == "random" for d in draw.lines)


def test_nonsense_is_refused():
    with pytest.raises(ValueError, match="twice"):
        draw_floor_to_sheet([Candidate("A"), Candidate("A")], seed=1, size=1)
    with pytest.raises(ValueError, match="whole number"):
        draw_random(population(), seed=1, size=-1)
    with pytest.raises(ValueError, match="whole number"):
        draw_sheet_to_floor(population(), seed=1, key_count=True)


# --- findings and projection -------------------------------------------------------------------------

def test_a_finding_compares_the_auditors_count_with_the_records():
    f = Finding("A", "random", recorded_qty=D(10), audited_qty=D(7), unit_cost=D("2.505"), book_value=D(25))
    assert f.examined and f.diff_qty == D(-3) and f.diff_value == D("-7.52")
    assert Finding("A", "random", None, D(7)).diff_qty is None
    assert Finding("A", "random", D(7), None).diff_value is None


def test_key_items_are_reported_as_found_and_the_random_part_projected_by_ratio():
    findings = [
        Finding("K1", "key", D(100), D(90), D(10), D(1000)),       # -100.00, actual
        Finding("C1", "chosen", D(0), D(2), D(5), D(0)),           # +10.00, actual
        Finding("R1", "random", D(10), D(9), D(4), D(40)),         # -4.00
        Finding("R2", "random", D(20), D(20), D(3), D(60)),        # 0
        Finding("R3", "random", D(5), None, D(1), D(5)),           # not counted yet: left out
    ]
    p = project(findings, population_count=50, population_value=D(2000))
    assert (p.lines, p.examined, p.with_difference) == (5, 4, 3)
    assert (p.known_error, p.known_gross) == (D("-90.00"), D("110.00"))
    assert (p.sample_error, p.sample_base, p.sample_count) == (D("-4.00"), D(100), 2)
    assert p.method == "ratio" and p.error_rate == D("-0.04")
    assert p.projected_error == D("-80.00") and p.projected_gross == D("80.00")
    assert p.total_error == D("-170.00") and p.total_gross == D("190.00")


def test_without_book_value_the_mean_error_per_line_is_projected():
    findings = [Finding("R1", "random", D(10), D(12), D(5), D(0)), Finding("R2", "random", D(4), D(4), D(5), D(0))]
    p = project(findings, population_count=30, population_value=D(0))
    assert p.method == "mean" and p.error_rate is None
    assert p.projected_error == D("150.00")   # 10.00 over 2 lines, times 30


def test_nothing_random_examined_projects_nothing():
    p = project([Finding("K", "key", D(1), D(2), D(1), D(1))], population_count=10, population_value=D(100))
    assert p.method == "none" and p.projected_error == 0 and p.total_error == D("1.00")


def test_over_and_understatements_offset_in_the_net_error_only():
    findings = [Finding("R1", "random", D(10), D(11), D(1), D(10)), Finding("R2", "random", D(10), D(9), D(1), D(10))]
    p = project(findings, population_count=10, population_value=D(100))
    assert p.projected_error == 0 and p.projected_gross == D("10.00")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(1, 20)), min_size=1, max_size=15))
def test_a_sample_that_is_the_whole_population_projects_exactly_its_error(rows):
    findings = [Finding(f"R{i}", "random", D(rec), D(aud), D(cost), D(rec * cost)) for i, (rec, aud, cost) in
                enumerate(rows)]
    value = sum((f.book_value for f in findings), D(0))
    p = project(findings, population_count=len(rows), population_value=value)
    assert p.projected_error == p.sample_error


# --- the floor comparison --------------------------------------------------------------------------------

def _report():
    facts = [TicketFact(n, frozenset({1}) if n in (1, 2, 3, 5, 6) else frozenset(),
                        "torn" if n == 7 else None) for n in range(1, 21)]
    return control([IssuedRange(1, 1, 1, 10), IssuedRange(2, 1, 11, 20)], [ReturnedRange(1, 9, 10)], facts, 20)


def test_team_tags_gather_a_teams_numbers():
    team1, team2 = team_tags(_report())
    assert (team1.team, team1.ranges, team1.counted, team1.voided, team1.returned, team1.missing) == (
        1, ((1, 10),), ((1, 3), (5, 6)), ((7, "torn"),), ((9, 10),), ((4, 4), (8, 8)))
    assert (team1.first_issued, team1.last_issued, team1.first_used, team1.last_used) == (1, 10, 1, 6)
    assert team1.issued_count == 10 and team1.counted_count == 5 and team1.missing_count == 2
    assert team2.counted == () and team2.first_used is None and team2.missing == ((11, 20),)


def test_a_team_may_hold_several_ranges():
    facts = [TicketFact(n, frozenset({1})) for n in range(1, 31)]
    (team,) = team_tags(control([IssuedRange(3, 1, 21, 30), IssuedRange(3, 1, 1, 10)], [], facts, 30))
    assert team.ranges == ((1, 10), (21, 30)) and team.counted == ((1, 10), (21, 30)) and team.issued_here(25)
    assert not team.issued_here(15)


def test_the_floor_agrees_with_the_records():
    facts = [TicketFact(n, frozenset({1}) if n <= 6 else frozenset()) for n in range(1, 11)]
    (team1,) = team_tags(control([IssuedRange(1, 1, 1, 10)], [], facts, 10))
    comparison = compare(team1, FloorSeen(1, 6))   # 7-10 not used yet: not an exception before the last seen
    assert comparison.agrees and comparison.notes == ()
    assert not compare(team1, None).agrees and not compare(team1, None).recorded
    assert not compare(team_tags(_report())[0], FloorSeen(1, 6)).agrees   # number 4 is missing before 6


def test_numbers_used_after_the_auditor_left_and_missing_before_are_exceptions():
    team1 = team_tags(_report())[0]
    notes = {n.code: n for n in compare(team1, FloorSeen(1, 3)).notes}
    assert set(notes) == {"last_differs", "used_after_last_seen"}
    assert notes["used_after_last_seen"].spans == ((5, 6),) and notes["last_differs"].recorded == 6
    notes = {n.code: n for n in compare(team1, FloorSeen(2, 8)).notes}
    assert set(notes) == {"first_differs", "last_differs", "missing_up_to_last_seen"}
    assert notes["missing_up_to_last_seen"].spans == ((4, 4), (8, 8))


def test_numbers_never_issued_to_the_team_are_exceptions():
    team1 = team_tags(_report())[0]
    codes = {n.code for n in compare(team1, FloorSeen(12, 40)).notes}
    assert {"first_not_issued", "last_not_issued"} <= codes
    assert "seen_in_wrong_order" in {n.code for n in compare(team1, FloorSeen(6, 1)).notes}


def test_a_team_that_counted_nothing_disagrees_with_any_sighting():
    team2 = team_tags(_report())[1]
    notes = compare(team2, FloorSeen(11, 12)).notes
    assert [n.code for n in notes] == ["last_differs", "missing_up_to_last_seen"]
    assert notes[0].recorded is None


def test_a_large_book_is_sampled_as_asked():
    cands = [Candidate(f"R{i}|L|", D(random.Random(i).randint(0, 10**6))) for i in range(100_000)]
    draw = draw_sheet_to_floor(cands, seed=5, key_count=25, random_count=60)
    assert len(draw.lines) == 85
