from decimal import Decimal

import pytest

from tickets.errors import CountappError
from tickets.quantities import Packaging, parse_packaging, parse_quantity, unit_allows_decimals


@pytest.mark.parametrize("text, expected", [("12", "12"), ("12,5", "12.5"), ("0", "0"), (" 1 234,25 ", "1234.25"),
                                            (7, "7"), ("3.0001", "3.0001")])
def test_quantities_typed_with_comma_or_point(text, expected):
    assert parse_quantity(text, unit="kg") == Decimal(expected)


@pytest.mark.parametrize("text, message", [
    ("-1", "negative"), ("abc", "not a number"), ("", "required"), (None, "required"), ("1e13", "too large"),
    ("1.23456", "decimals"), ("NaN", "not a number"), ("Infinity", "not a number"), (True, "required"),
])
def test_bad_quantities_are_refused_with_a_reason(text, message):
    with pytest.raises(CountappError, match=message):
        parse_quantity(text, unit="kg")


def test_whole_units_refuse_decimals():
    with pytest.raises(CountappError, match="whole numbers"):
        parse_quantity("2.5", unit="pc")
    assert parse_quantity("2.0", unit="pc") == Decimal("2")
    assert unit_allows_decimals("KG") and not unit_allows_decimals("box")


def test_packaging_converts_to_units():
    packaging = parse_packaging({"pallets": "2", "cartons_per_pallet": "40", "units_per_carton": "12",
                                 "loose_cartons": "3", "loose_units": "5"}, unit="pc")
    assert packaging.total == Decimal(2 * 40 * 12 + 3 * 12 + 5)
    assert parse_packaging({}) is None
    assert Packaging(loose_units=Decimal(4)).total == 4


@pytest.mark.parametrize("data, field", [
    ({"pallets": "2", "units_per_carton": "5"}, "packaging.cartons_per_pallet"),
    ({"loose_cartons": "2"}, "packaging.units_per_carton"),
    ({"pallets": "1.5", "cartons_per_pallet": "2", "units_per_carton": "2"}, "packaging.pallets"),
    ({"crates": "1"}, "packaging.crates"),
])
def test_incomplete_packaging_is_refused(data, field):
    with pytest.raises(CountappError) as error:
        parse_packaging(data, unit="pc")
    assert error.value.field == field
