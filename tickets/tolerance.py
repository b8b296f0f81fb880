"""Tolerances: when two counts, or a count and the book, differ significantly (DOMAIN.md, Rules).

A threshold that is absent or 0 is not set. A difference is significant when it exceeds any
threshold that is set; with none set, any difference that is not zero is. Thresholds come per
campaign, and a category may override them key by key (``[tolerance.category.<name>.vs_book]``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .errors import CountappError, N_

THRESHOLDS = ("qty", "pct", "value")
TABLES = ("between_counts", "vs_book")
# Stock categories and their PCG balance account; either spelling names a category.
CATEGORIES = {
    "raw_materials": "31", "other_supplies": "32", "wip_goods": "33", "wip_services": "34", "products": "35",
    "goods_for_resale": "37",
}
_BY_ACCOUNT = {account: name for name, account in CATEGORIES.items()}

AGREED = "agreed"
RECOUNT = "recount"
COUNTS_DISAGREE = "counts_disagree"
FAR_FROM_BOOK = "far_from_book"

Number = Decimal | int | str


def _dec(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _text(value: Decimal | None) -> str:
    # Plain digits, no exponent, no trailing zeros: what the settings JSON and TOML keep.
    return "0" if value is None else format(value.normalize(), "f")


@dataclass(frozen=True)
class Tolerance:
    """Thresholds in quantity, percent of the base quantity, and value; None (or 0) is not set."""

    qty: Decimal | None = None
    pct: Decimal | None = None
    value: Decimal | None = None

    def __post_init__(self) -> None:
        for name in THRESHOLDS:
            raw = getattr(self, name)
            number = None if raw is None else _dec(raw)
            if number is not None and (not number.is_finite() or number < 0):
                raise ValueError(f"tolerance {name} must be a number >= 0, not {raw!r}")
            # 0 and absent mean the same; keep one spelling so that equal settings compare equal.
            object.__setattr__(self, name, number if number else None)

    @property
    def is_set(self) -> bool:
        return any(getattr(self, name) is not None for name in THRESHOLDS)

    def replaced(self, partial: Mapping[str, Decimal]) -> Tolerance:
        """These thresholds with the keys of ``partial`` replaced (a category's overrides)."""
        return Tolerance(**{name: partial.get(name, getattr(self, name)) for name in THRESHOLDS})

    def to_dict(self) -> dict[str, str]:
        return {name: _text(getattr(self, name)) for name in THRESHOLDS}


def category_name(category: str | None) -> str | None:
    """The category's name from its name or its balance account number (``37``); None when unknown."""
    if category is None:
        return None
    key = str(getattr(category, "value", category)).strip().lower()
    return key if key in CATEGORIES else _BY_ACCOUNT.get(key)


def _number(value: object, key: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = None
    if not isinstance(value, bool) and isinstance(value, (int, float, Decimal, str)):
        text = str(value).strip()
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or number < 0:
        raise CountappError(N_("%(key)s must be a number of 0 or more, not %(value)s."), field=key, key=key,
                            value=str(value)[:40])
    return number


def _table(value: object, key: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise CountappError(N_("%(key)s must be a table."), field=key, key=key)
    return value


def _thresholds(value: object, key: str) -> dict[str, Decimal | None]:
    out = {}
    for name, raw in _table(value, key).items():
        if name not in THRESHOLDS:
            raise CountappError(N_("Unknown setting %(key)s."), field=f"{key}.{name}", key=f"{key}.{name}")
        out[name] = _number(raw, f"{key}.{name}")
    return out


@dataclass(frozen=True)
class ToleranceSettings:
    """A campaign's tolerances; ``categories`` maps category → table → the thresholds it overrides."""

    between_counts: Tolerance = field(default_factory=Tolerance)
    vs_book: Tolerance = field(default_factory=Tolerance)
    categories: Mapping[str, Mapping[str, Mapping[str, Decimal]]] = field(default_factory=dict)

    def for_category(self, category: str | None) -> tuple[Tolerance, Tolerance]:
        """The (between counts, vs book) thresholds for a category: its overrides replace the campaign's key by key."""
        overrides = self.categories.get(category_name(category) or "", {})
        return (self.between_counts.replaced(overrides.get("between_counts", {})),
                self.vs_book.replaced(overrides.get("vs_book", {})))

    @classmethod
    def from_dict(cls, data: Mapping | None) -> ToleranceSettings:
        """Settings from the ``[tolerance]`` table (TOML or the stored JSON); refuses unknown keys and bad numbers."""
        return cls().merged(data or {})

    def merged(self, given: Mapping) -> ToleranceSettings:
        """These settings with the keys of a ``[tolerance]`` table applied over them; keys not given keep theirs.

        An empty value (None or "") clears a threshold, or removes a category's override of it.
        """
        tables = {"between_counts": self.between_counts, "vs_book": self.vs_book}
        categories = {name: {t: dict(p) for t, p in by_table.items()} for name, by_table in self.categories.items()}
        for key, value in _table(given, "tolerance").items():
            if key in TABLES:
                tables[key] = tables[key].replaced(_thresholds(value, f"tolerance.{key}"))
            elif key == "category":
                for raw_name, by_table in _table(value, "tolerance.category").items():
                    where = f"tolerance.category.{raw_name}"
                    name = category_name(raw_name)
                    if name is None:
                        raise CountappError(N_("Unknown category %(category)s in %(key)s: choose one of "
                                               "%(choices)s."), field=where, key=where, category=raw_name,
                                            choices=", ".join(CATEGORIES))
                    for table, partial in _table(by_table, where).items():
                        if table not in TABLES:
                            raise CountappError(N_("Unknown setting %(key)s."), field=f"{where}.{table}",
                                                key=f"{where}.{table}")
                        current = categories.setdefault(name, {}).setdefault(table, {})
                        for threshold, number in _thresholds(partial, f"{where}.{table}").items():
                            if number is None:
                                current.pop(threshold, None)
                            else:
                                current[threshold] = number
            else:
                raise CountappError(N_("Unknown setting %(key)s."), field=f"tolerance.{key}", key=f"tolerance.{key}")
        # Drop what no longer overrides anything, so that equal settings compare (and print) equal.
        kept = {name: {t: p for t, p in by_table.items() if p} for name, by_table in categories.items()}
        return ToleranceSettings(tables["between_counts"], tables["vs_book"],
                                 {name: by_table for name, by_table in sorted(kept.items()) if by_table})

    def to_dict(self) -> dict:
        """The ``[tolerance]`` table with exact numbers as text (stored as JSON, printed as TOML)."""
        out: dict = {"between_counts": self.between_counts.to_dict(), "vs_book": self.vs_book.to_dict()}
        if self.categories:
            out["category"] = {name: {table: {k: _text(v) for k, v in partial.items()}
                                      for table, partial in by_table.items()}
                               for name, by_table in self.categories.items()}
        return out


def is_significant(diff: Number, base: Number, unit_cost: Number, t: Tolerance) -> bool:
    """True when the difference exceeds any threshold that is set, or is not zero when none is (DOMAIN.md, Rules)."""
    size = abs(_dec(diff))
    if not size:
        return False
    if not t.is_set:
        return True
    if t.qty is not None and size > t.qty:
        return True
    if t.pct is not None:
        # |d| / |b| > pct / 100, multiplied out to stay exact; b = 0 makes the ratio infinite.
        # A negative book quantity (a perpetual-inventory error) is measured by its size.
        magnitude = abs(_dec(base))
        if not magnitude or size * 100 > t.pct * magnitude:
            return True
    return t.value is not None and size * abs(_dec(unit_cost)) > t.value


@dataclass(frozen=True)
class Decision:
    """What counts 1 and 2 settle: an agreed quantity, or a third count and why."""

    outcome: str                      # "agreed" | "recount"
    agreed_qty: Decimal | None        # count 2 when the counts agree; None when they disagree
    reasons: tuple[str, ...] = ()     # "counts_disagree", "far_from_book"

    @property
    def needs_recount(self) -> bool:
        return self.outcome == RECOUNT


def decide(count1: Number, count2: Number, book_qty: Number, unit_cost: Number, between: Tolerance,
           vs_book: Tolerance) -> Decision:
    """Agreed (count 2) when the counts agree and sit near book; else a third count with the reasons.

    Counts that disagree have no agreed count to hold against book; they are also far from book
    when both of them are (whichever the third count confirms, the book is off): both reasons.
    """
    first, second, book = _dec(count1), _dec(count2), _dec(book_qty)
    if is_significant(second - first, max(first, second), unit_cost, between):
        far = all(is_significant(count - book, book, unit_cost, vs_book) for count in (first, second))
        return Decision(RECOUNT, None, (COUNTS_DISAGREE, FAR_FROM_BOOK) if far else (COUNTS_DISAGREE,))
    if is_significant(second - book, book, unit_cost, vs_book):
        return Decision(RECOUNT, second, (FAR_FROM_BOOK,))
    return Decision(AGREED, second, ())


def final_quantity(count1: Number | None, count2: Number | None, count3: Number | None,
                   decision: Decision | None) -> Decimal | None:
    """Count 3 when there is one, else the agreed count; None when the ticket is not counted (never zero)."""
    if count3 is not None:
        return _dec(count3)
    if count1 is None or count2 is None or decision is None:
        return None
    return decision.agreed_qty
