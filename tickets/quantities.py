"""What a counted quantity may be: checks on typed input and counting by packaging.

Pure rules shared by the tablets, the API and ``import counts``: a quantity is a number ≥ 0 with
at most 4 decimals, and decimals only for units that are weighed or measured.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import CountappError, N_

MAX_QUANTITY = Decimal("1000000000000")  # 10^12: beyond any real stock, a typing slip
MAX_DECIMALS = 4
# Units whose quantities are weighed or measured; everything else is counted in whole units.
DECIMAL_UNITS = frozenset({
    "kg", "g", "mg", "t", "l", "ml", "cl", "hl", "m", "cm", "mm", "km", "m2", "m²", "m3", "m³", "lb", "oz", "gal",
    "ft", "in", "yd", "h", "kwh",
})


def unit_allows_decimals(unit: str | None) -> bool:
    """True for weighed or measured units (kg, l, m…); counted units take whole numbers."""
    return (unit or "").strip().lower().rstrip(".") in DECIMAL_UNITS


def parse_quantity(value, *, unit: str | None = None, field: str = "quantity") -> Decimal:
    """A quantity from user input (text with a comma or a point, or a number), or a clear refusal."""
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise CountappError(N_("A quantity is required."), field=field)
    if isinstance(value, float):
        value = repr(value)
    text = str(value).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        quantity = Decimal(text)
    except InvalidOperation:
        raise CountappError(N_("%(value)s is not a number."), field=field, value=str(value)[:40]) from None
    if not quantity.is_finite():
        raise CountappError(N_("%(value)s is not a number."), field=field, value=str(value)[:40])
    if quantity < 0:
        raise CountappError(N_("A counted quantity cannot be negative."), field=field)
    if quantity >= MAX_QUANTITY:
        raise CountappError(N_("%(value)s is too large to be a counted quantity: check for a typing slip."),
                            field=field, value=str(value)[:40])
    decimals = max(0, -quantity.normalize().as_tuple().exponent)
    if decimals > MAX_DECIMALS:
        raise CountappError(N_("At most %(n)s decimals are allowed."), field=field, n=MAX_DECIMALS)
    if decimals and unit is not None and not unit_allows_decimals(unit):
        raise CountappError(N_("The unit %(unit)s is counted in whole numbers: no decimals."), field=field,
                            unit=unit)
    return quantity


@dataclass(frozen=True)
class Packaging:
    """Pallets × cartons per pallet × units per carton + loose units."""

    pallets: Decimal = Decimal(0)
    cartons_per_pallet: Decimal = Decimal(0)
    units_per_carton: Decimal = Decimal(0)
    loose_cartons: Decimal = Decimal(0)
    loose_units: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        """The quantity the packaging stands for."""
        cartons = self.pallets * self.cartons_per_pallet + self.loose_cartons
        return cartons * self.units_per_carton + self.loose_units

    def as_dict(self) -> dict:
        return {k: str(getattr(self, k)) for k in ("pallets", "cartons_per_pallet", "units_per_carton",
                                                  "loose_cartons", "loose_units")}


def parse_packaging(data: dict | None, *, unit: str | None = None) -> Packaging | None:
    """Packaging from a form or JSON (missing parts are 0); None when nothing was given."""
    if not data:
        return None
    known = ("pallets", "cartons_per_pallet", "units_per_carton", "loose_cartons", "loose_units")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise CountappError(N_("Unknown packaging field %(name)s."), field=f"packaging.{unknown[0]}",
                            name=unknown[0])
    values = {}
    for key in known:
        raw = data.get(key)
        if raw in (None, ""):
            values[key] = Decimal(0)
        else:
            # pallets, cartons and units per carton are whole numbers; loose units follow the unit
            values[key] = parse_quantity(raw, unit=unit if key == "loose_units" else "pc", field=f"packaging.{key}")
    packaging = Packaging(**values)
    if packaging.pallets and not packaging.cartons_per_pallet:
        raise CountappError(N_("Give the number of cartons per pallet."), field="packaging.cartons_per_pallet")
    if (packaging.pallets or packaging.loose_cartons) and not packaging.units_per_carton:
        raise CountappError(N_("Give the number of units per carton."), field="packaging.units_per_carton")
    if packaging.total >= MAX_QUANTITY:
        raise CountappError(N_("%(value)s is too large to be a counted quantity: check for a typing slip."),
                            field="packaging", value=str(packaging.total))
    return packaging
