import tomllib
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.errors import CountappError
from tickets.tolerance import (CATEGORIES, THRESHOLDS, Decision, Tolerance, ToleranceSettings, category_name, decide,
                               final_quantity, is_significant)

NONE = Tolerance()


def t(qty=None, pct=None, value=None):
    return Tolerance(qty=None if qty is None else D(str(qty)), pct=None if pct is None else D(str(pct)),
                     value=None if value is None else D(str(value)))


# --- is_significant -------------------------------------------------------------------------------

def test_with_no_threshold_any_difference_is_significant():
    assert is_significant(D("0.001"), D(100), D(1), NONE)
    assert is_significant(D(-1), D(100), D(1), NONE)
    assert not is_significant(D(0), D(100), D(1), NONE)


def test_zero_thresholds_are_not_set():
    zero = t(0, 0, 0)
    assert zero == NONE and not zero.is_set
    assert is_significant(D(1), D(1000), D(0), zero)


def test_no_difference_is_never_significant():
    for tol in (NONE, t(qty=1), t(pct=5), t(value=10)):
        assert not is_significant(D(0), D(0), D(0), tol)


def test_quantity_threshold_is_exceeded_strictly():
    assert not is_significant(D(2), D(100), D(1000), t(qty=2))
    assert is_significant(D("2.01"), D(100), D(0), t(qty=2))
    assert is_significant(D(-3), D(100), D(0), t(qty=2))


def test_percent_threshold_compares_with_the_base():
    assert not is_significant(D(5), D(100), D(1000), t(pct=5))
    assert is_significant(D("5.01"), D(100), D(0), t(pct=5))
    assert not is_significant(D(1), D(3), D(0), t(pct="33.34"))
    assert is_significant(D(1), D(3), D(0), t(pct="33.33"))


def test_base_zero_makes_the_percent_infinite():
    assert is_significant(D("0.0001"), D(0), D(0), t(pct=1000))


def test_negative_book_quantity_is_measured_by_its_size():
    assert not is_significant(D(1), D(-10), D(0), t(pct=10))
    assert is_significant(D(2), D(-10), D(0), t(pct=10))


def test_value_threshold_uses_the_unit_cost():
    assert not is_significant(D(10), D(100), D("9.99"), t(value=100))
    assert not is_significant(D(10), D(100), D(10), t(value=100))
    assert is_significant(D(10), D(100), D("10.01"), t(value=100))


def test_value_threshold_alone_ignores_items_of_no_cost():
    assert not is_significant(D(1000), D(0), D(0), t(value=1))


def test_exceeding_any_threshold_that_is_set_is_enough():
    tol = t(qty=10, pct=50, value=1000)
    assert is_significant(D(11), D(1000), D(0), tol)        # quantity
    assert is_significant(D(3), D(4), D(0), tol)            # percent
    assert is_significant(D(5), D(1000), D(300), tol)       # value
    assert not is_significant(D(5), D(1000), D(1), tol)


def test_integers_and_text_are_accepted_as_numbers():
    assert is_significant(3, 10, "1", t(qty=2))


# --- decide and final_quantity ----------------------------------------------------------------------

def test_equal_counts_near_book_are_agreed_on_count_two():
    assert decide(D(10), D(10), D(10), D(5), NONE, NONE) == Decision("agreed", D(10), ())


def test_counts_that_differ_without_tolerance_need_a_recount():
    decision = decide(D(10), D(11), D(10), D(5), NONE, NONE)
    assert decision == Decision("recount", None, ("counts_disagree",))
    assert decision.needs_recount


def test_counts_within_tolerance_agree_on_count_two():
    decision = decide(D(90), D(100), D(100), D(1), t(pct=10), NONE)
    assert decision.outcome == "agreed" and decision.agreed_qty == D(100)


def test_between_counts_the_base_is_the_larger_count():
    # 10 on a base of 100 is 10 %: within; on a base of 90 it would be 11 %.
    assert decide(D(100), D(90), D(90), D(0), t(pct=10), NONE).agreed_qty == D(90)


def test_agreed_count_far_from_book_needs_a_recount_and_keeps_the_agreed_count():
    decision = decide(D(50), D(50), D(100), D(1), NONE, t(pct=10))
    assert decision == Decision("recount", D(50), ("far_from_book",))


def test_vs_book_uses_the_book_quantity_as_base():
    assert decide(D(110), D(110), D(100), D(0), NONE, t(pct=10)).outcome == "agreed"
    assert decide(D(111), D(111), D(100), D(0), NONE, t(pct=10)).outcome == "recount"


def test_blank_ticket_compared_with_a_book_of_zero():
    assert decide(D(3), D(3), D(0), D(0), NONE, t(pct=50)).reasons == ("far_from_book",)
    assert decide(D(3), D(3), D(0), D(0), NONE, t(qty=5)).outcome == "agreed"
    assert decide(D(0), D(0), D(0), D(0), NONE, NONE).outcome == "agreed"


def test_counts_that_disagree_are_far_from_book_only_when_both_are():
    # count 2 sits on book: whichever the third count confirms may be right, so one reason
    assert decide(D(1), D(50), D(50), D(0), NONE, NONE).reasons == ("counts_disagree",)
    assert decide(D(50), D(1), D(50), D(0), NONE, NONE).reasons == ("counts_disagree",)
    # both counts far from book: both reasons, and still no agreed count
    assert decide(D(1), D(50), D(100), D(0), NONE, NONE) == Decision("recount", None,
                                                                    ("counts_disagree", "far_from_book"))
    # within the book tolerance, one count near book is enough to leave the book out of it
    assert decide(D(95), D(50), D(100), D(0), NONE, t(pct=10)).reasons == ("counts_disagree",)
    assert decide(D(80), D(50), D(100), D(0), NONE, t(pct=10)).reasons == ("counts_disagree", "far_from_book")


def test_blank_ticket_whose_counts_disagree_is_judged_against_a_book_of_zero():
    assert decide(D(3), D(4), D(0), D(1), NONE, NONE).reasons == ("counts_disagree", "far_from_book")
    assert decide(D(3), D(4), D(0), D(1), NONE, t(qty=5)).reasons == ("counts_disagree",)


def test_final_quantity_is_count_three_when_there_is_one():
    recount = decide(D(1), D(2), D(2), D(0), NONE, NONE)
    assert final_quantity(D(1), D(2), D(7), recount) == D(7)
    assert final_quantity(D(1), D(2), D(0), recount) == D(0)


def test_final_quantity_is_the_agreed_count_otherwise():
    agreed = decide(D(4), D(4), D(4), D(0), NONE, NONE)
    assert final_quantity(D(4), D(4), None, agreed) == D(4)
    far = decide(D(4), D(4), D(40), D(0), NONE, NONE)
    assert final_quantity(D(4), D(4), None, far) == D(4)


def test_a_ticket_not_counted_has_no_final_quantity_never_zero():
    assert final_quantity(None, None, None, None) is None
    assert final_quantity(D(3), None, None, None) is None
    assert final_quantity(D(1), D(2), None, decide(D(1), D(2), D(0), D(0), NONE, NONE)) is None


# --- settings ----------------------------------------------------------------------------------------

SPEC_TOML = """
[tolerance.between_counts]
qty = 0
pct = 0
value = 0
[tolerance.vs_book]
qty = 0
pct = 0
value = 0
[tolerance.category.goods_for_resale.vs_book]
value = 100
"""


def test_settings_read_the_spec_toml():
    settings = ToleranceSettings.from_dict(tomllib.loads(SPEC_TOML)["tolerance"])
    assert settings.between_counts == NONE and settings.vs_book == NONE
    assert settings.for_category("goods_for_resale") == (NONE, t(value=100))
    assert settings.for_category("raw_materials") == (NONE, NONE)


def test_default_settings_print_every_threshold_as_zero():
    assert ToleranceSettings.from_dict({}).to_dict() == {
        "between_counts": {"qty": "0", "pct": "0", "value": "0"}, "vs_book": {"qty": "0", "pct": "0", "value": "0"}}
    assert ToleranceSettings.from_dict(None) == ToleranceSettings()


def test_settings_round_trip_through_their_dict():
    data = {"between_counts": {"qty": 2, "pct": 1.5, "value": "0"}, "vs_book": {"pct": "10.50"},
            "category": {"37": {"vs_book": {"value": 100, "qty": 0}}, "products": {"between_counts": {"pct": 3}}}}
    settings = ToleranceSettings.from_dict(data)
    out = settings.to_dict()
    assert out["between_counts"] == {"qty": "2", "pct": "1.5", "value": "0"}
    assert out["vs_book"]["pct"] == "10.5"
    assert out["category"] == {"goods_for_resale": {"vs_book": {"value": "100", "qty": "0"}},
                               "products": {"between_counts": {"pct": "3"}}}
    assert ToleranceSettings.from_dict(out) == settings


def test_category_overrides_replace_thresholds_key_by_key():
    settings = ToleranceSettings.from_dict({
        "between_counts": {"qty": 1, "pct": 5}, "vs_book": {"qty": 10, "pct": 20, "value": 500},
        "category": {"goods_for_resale": {"vs_book": {"value": 100}, "between_counts": {"pct": 0}}}})
    between, vs_book = settings.for_category("goods_for_resale")
    assert vs_book == t(qty=10, pct=20, value=100)
    assert between == t(qty=1)   # an override of 0 unsets the campaign's threshold for the category
    assert settings.for_category("raw_materials") == (t(qty=1, pct=5), t(qty=10, pct=20, value=500))


def test_categories_are_named_or_given_by_account():
    settings = ToleranceSettings.from_dict({"category": {"31": {"vs_book": {"qty": 4}}}})
    assert settings.for_category("raw_materials")[1] == t(qty=4)
    assert settings.for_category("31")[1] == t(qty=4)
    assert settings.for_category(None) == (NONE, NONE)
    assert category_name("GOODS_FOR_RESALE") == "goods_for_resale" and category_name("99") is None


def test_merging_keeps_keys_not_given():
    base = ToleranceSettings.from_dict({"between_counts": {"qty": 1, "pct": 5},
                                        "category": {"products": {"vs_book": {"qty": 3, "value": 9}}}})
    merged = base.merged({"between_counts": {"pct": 7}, "category": {"products": {"vs_book": {"value": 8}}}})
    assert merged.between_counts == t(qty=1, pct=7)
    assert merged.for_category("products")[1] == t(qty=3, value=8)


def test_an_empty_value_clears_a_threshold_or_an_override():
    base = ToleranceSettings.from_dict({"between_counts": {"qty": 1},
                                        "category": {"products": {"vs_book": {"qty": 3}}}})
    merged = base.merged({"between_counts": {"qty": ""}, "category": {"products": {"vs_book": {"qty": None}}}})
    assert merged == ToleranceSettings()
    assert "category" not in merged.to_dict()


def test_decimal_comma_is_read_from_forms():
    assert ToleranceSettings.from_dict({"vs_book": {"pct": "2,5"}}).vs_book == t(pct="2.5")


@pytest.mark.parametrize("data, field", [
    ({"between_counts": {"qty": -1}}, "tolerance.between_counts.qty"),
    ({"vs_book": {"pct": "abc"}}, "tolerance.vs_book.pct"),
    ({"vs_book": {"value": True}}, "tolerance.vs_book.value"),
    ({"vs_book": {"value": float("nan")}}, "tolerance.vs_book.value"),
    ({"vs_book": {"value": "Infinity"}}, "tolerance.vs_book.value"),
    ({"vs_book": {"value": [1]}}, "tolerance.vs_book.value"),
    ({"vs_book": {"percent": 1}}, "tolerance.vs_book.percent"),
    ({"between": {"qty": 1}}, "tolerance.between"),
    ({"vs_book": 3}, "tolerance.vs_book"),
    ({"category": {"furniture": {"vs_book": {"qty": 1}}}}, "tolerance.category.furniture"),
    ({"category": {"products": {"book": {"qty": 1}}}}, "tolerance.category.products.book"),
    ({"category": {"products": {"vs_book": {"qty": -2}}}}, "tolerance.category.products.vs_book.qty"),
    ({"category": {"products": {"vs_book": {"size": 1}}}}, "tolerance.category.products.vs_book.size"),
    ({"category": []}, "tolerance.category"),
])
def test_bad_settings_are_refused_naming_the_key(data, field):
    with pytest.raises(CountappError) as error:
        ToleranceSettings.from_dict(data)
    assert error.value.field == field
    assert field in str(error.value)


def test_a_tolerance_refuses_negative_numbers_when_built_directly():
    with pytest.raises(ValueError):
        Tolerance(qty=D(-1))


# --- properties ----------------------------------------------------------------------------------------

quantities = st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
signed = st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False)
thresholds = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False,
                                              allow_infinity=False))
tolerances = st.builds(Tolerance, qty=thresholds, pct=thresholds, value=thresholds)
positive = st.decimals(min_value=D("0.01"), max_value=10**4, places=2, allow_nan=False, allow_infinity=False)


@given(quantities, quantities, quantities, tolerances)
def test_swapping_the_counts_never_changes_significance(count1, count2, cost, tol):
    assert is_significant(count2 - count1, max(count1, count2), cost, tol) == \
        is_significant(count1 - count2, max(count2, count1), cost, tol)
    d12, d21 = (decide(count1, count2, count2, cost, tol, Tolerance()),
                decide(count2, count1, count1, cost, tol, Tolerance()))
    assert ("counts_disagree" in d12.reasons) == ("counts_disagree" in d21.reasons)


@given(signed, signed, quantities, st.fixed_dictionaries({k: positive for k in THRESHOLDS}),
       st.sampled_from(THRESHOLDS), st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False,
                                                allow_infinity=False), st.sets(st.sampled_from(THRESHOLDS)))
def test_raising_a_threshold_never_makes_a_difference_significant(diff, base, cost, values, key, raise_by, unset):
    values = {k: (None if k in unset and k != key else v) for k, v in values.items()}
    before = Tolerance(**values)
    after = Tolerance(**{**values, key: values[key] + raise_by})
    if not is_significant(diff, base, cost, before):
        assert not is_significant(diff, base, cost, after)


@given(signed, signed, quantities, tolerances)
def test_setting_the_first_threshold_never_adds_a_significant_difference(diff, base, cost, tol):
    if not is_significant(diff, base, cost, Tolerance()):
        assert not is_significant(diff, base, cost, tol)


@given(signed, signed, quantities, st.fixed_dictionaries({k: st.sampled_from([None, D(0)]) for k in THRESHOLDS}))
def test_zero_or_absent_thresholds_mean_an_exact_match(diff, base, cost, values):
    assert is_significant(diff, base, cost, Tolerance(**values)) == (diff != 0)


@given(quantities, quantities)
def test_without_tolerance_counts_agree_only_when_equal(count1, count2):
    decision = decide(count1, count2, count2, D(1), Tolerance(), Tolerance())
    assert (decision.outcome == "agreed") == (count1 == count2)


@given(tolerances, tolerances,
       st.dictionaries(st.sampled_from(THRESHOLDS), thresholds.map(lambda v: v or D(0))),
       st.dictionaries(st.sampled_from(THRESHOLDS), thresholds.map(lambda v: v or D(0))),
       st.sampled_from(sorted(CATEGORIES)))
def test_category_overrides_replace_exactly_the_keys_they_give(between, vs_book, over_between, over_book, category):
    overrides = {"between_counts": over_between, "vs_book": over_book}
    data = {"between_counts": between.to_dict(), "vs_book": vs_book.to_dict(),
            "category": {category: {k: {n: str(v) for n, v in o.items()} for k, o in overrides.items() if o}}}
    settings = ToleranceSettings.from_dict(data)
    got_between, got_book = settings.for_category(category)
    for key in THRESHOLDS:
        assert getattr(got_between, key) == (over_between[key] or None if key in over_between
                                             else getattr(between, key))
        assert getattr(got_book, key) == (over_book[key] or None if key in over_book else getattr(vs_book, key))
    other = next(c for c in CATEGORIES if c != category)
    assert settings.for_category(other) == (between, vs_book)
    assert ToleranceSettings.from_dict(settings.to_dict()) == settings


@given(quantities, quantities, quantities, quantities, tolerances, tolerances)
def test_a_decision_is_consistent_with_its_reasons(count1, count2, book, cost, between, vs_book):
    decision = decide(count1, count2, book, cost, between, vs_book)
    assert (decision.outcome == "agreed") == (decision.reasons == ())
    assert decision.needs_recount == (decision.outcome == "recount")
    far = [is_significant(c - book, book, cost, vs_book) for c in (count1, count2)]
    if "counts_disagree" in decision.reasons:
        assert decision.agreed_qty is None
        assert decision.reasons == (("counts_disagree", "far_from_book") if all(far) else ("counts_disagree",))
    else:
        assert decision.agreed_qty == count2
        assert decision.reasons == (("far_from_book",) if far[1] else ())


# --- properties of the decision (issue 6: symmetry, monotonicity, exact match, overrides, value) -------

@given(quantities, quantities, quantities, quantities, tolerances, tolerances)
def test_swapping_the_counts_gives_the_same_disagreement_and_reasons(count1, count2, book, cost, between, vs_book):
    one, other = (decide(count1, count2, book, cost, between, vs_book),
                  decide(count2, count1, book, cost, between, vs_book))
    assert ("counts_disagree" in one.reasons) == ("counts_disagree" in other.reasons)
    if "counts_disagree" in one.reasons:
        assert one == other   # no agreed count: the order of the counts cannot matter at all


def _raised(tol: Tolerance, by: dict) -> Tolerance:
    # A threshold that is set may only grow; one that is not set stays unset (setting it is a separate property).
    return Tolerance(**{k: (None if getattr(tol, k) is None else getattr(tol, k) + by[k]) for k in THRESHOLDS})


raises = st.fixed_dictionaries({k: st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False,
                                               allow_infinity=False) for k in THRESHOLDS})


@given(quantities, quantities, quantities, quantities, tolerances, tolerances, raises, raises)
def test_raising_thresholds_never_adds_a_recount_or_a_reason(count1, count2, book, cost, between, vs_book,
                                                             by_between, by_book):
    before = decide(count1, count2, book, cost, between, vs_book)
    after = decide(count1, count2, book, cost, _raised(between, by_between), _raised(vs_book, by_book))
    if before.outcome == "agreed":
        assert after == before
    # Loosening may move a ticket from "counts disagree" to "far from book" (the agreed count is then held
    # against book), never to a second reason that was not there.
    assert len(after.reasons) <= len(before.reasons)
    if "counts_disagree" in after.reasons:
        assert set(after.reasons) <= set(before.reasons)


@given(quantities, quantities, quantities, quantities, tolerances, tolerances)
def test_setting_thresholds_where_none_were_never_adds_a_recount(count1, count2, book, cost, between, vs_book):
    strict = decide(count1, count2, book, cost, Tolerance(), Tolerance())
    loose = decide(count1, count2, book, cost, between, vs_book)
    if strict.outcome == "agreed":
        assert loose == strict
    assert len(loose.reasons) <= len(strict.reasons)


@given(quantities, quantities, quantities, quantities,
       st.fixed_dictionaries({k: st.sampled_from([None, D(0), "0", 0]) for k in THRESHOLDS}))
def test_zero_thresholds_mean_the_counts_and_the_book_must_match_exactly(count1, count2, book, cost, zeros):
    zero = Tolerance(**zeros)
    decision = decide(count1, count2, book, cost, zero, zero)
    assert (decision.outcome == "agreed") == (count1 == count2 == book)
    assert ("counts_disagree" in decision.reasons) == (count1 != count2)


@given(st.just(D(1)), quantities, quantities)
def test_equal_counts_on_book_are_agreed_whatever_the_thresholds(_, quantity, cost):
    for between, vs_book in ((NONE, NONE), (t(qty=1), t(pct=5)), (t(value=10), t(qty=2, pct=1, value=3))):
        assert decide(quantity, quantity, quantity, cost, between, vs_book) == Decision("agreed", quantity, ())


@given(signed, signed, quantities, positive)
def test_a_quantity_threshold_alone_compares_the_size_of_the_difference(diff, base, cost, qty):
    assert is_significant(diff, base, cost, Tolerance(qty=qty)) == (abs(diff) > qty)


@given(signed, signed, quantities, positive)
def test_a_percent_threshold_alone_compares_with_the_base(diff, base, cost, pct):
    expected = diff != 0 and (base == 0 or abs(diff) / abs(base) * 100 > pct)
    assert is_significant(diff, base, cost, Tolerance(pct=pct)) == expected


@given(signed, signed, quantities, positive)
def test_a_value_threshold_alone_compares_the_difference_at_unit_cost(diff, base, cost, value):
    assert is_significant(diff, base, cost, Tolerance(value=value)) == (abs(diff) * cost > value)


@given(quantities, quantities, quantities)
def test_a_value_threshold_lets_cheap_differences_pass_and_stops_dear_ones(count, book, value):
    diff = abs(count - book)
    cheap, dear = D("0.01"), D(10**6)
    vs_book = Tolerance(value=value or None)
    assert decide(count, count, book, cheap, NONE, vs_book).outcome == (
        "agreed" if count == book or (value and diff * cheap <= value) else "recount")
    if diff * dear > value:
        assert decide(count, count, book, dear, NONE, vs_book).reasons == ("far_from_book",)


def test_a_category_override_decides_for_that_category_only():
    settings = ToleranceSettings.from_dict({"vs_book": {"pct": 1},
                                            "category": {"goods_for_resale": {"vs_book": {"pct": 0, "value": 100}},
                                                         "35": {"between_counts": {"qty": 2}}}})
    # 20 goods for resale at 4.00 short of book: 80 of value, within the category's 100
    assert decide(D(80), D(80), D(100), D(4), *settings.for_category("goods_for_resale")).outcome == "agreed"
    assert decide(D(80), D(80), D(100), D(4), *settings.for_category("raw_materials")).reasons == ("far_from_book",)
    # products accept counts 2 apart; others do not
    assert decide(D(98), D(100), D(100), D(4), *settings.for_category("products")).outcome == "agreed"
    assert decide(D(98), D(100), D(100), D(4), *settings.for_category("raw_materials")).reasons == (
        "counts_disagree",)
    assert decide(D(98), D(100), D(100), D(4), *settings.for_category(None)).reasons == ("counts_disagree",)


@given(st.one_of(st.none(), quantities), st.one_of(st.none(), quantities), st.one_of(st.none(), quantities),
       quantities, tolerances, tolerances)
def test_the_final_quantity_is_count_three_else_the_agreed_count_never_invented(count1, count2, count3, book,
                                                                                between, vs_book):
    decision = None if count1 is None or count2 is None else decide(count1, count2, book, D(1), between, vs_book)
    final = final_quantity(count1, count2, count3, decision)
    if count3 is not None:
        assert final == count3
    elif decision is None:
        assert final is None
    else:
        assert final == decision.agreed_qty
        assert final in (None, count2)
