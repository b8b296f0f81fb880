"""ABC classes by share of annual consumption value (Pareto), and which items go to the year-end count."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal


def classify(values: Mapping[str, int], class_a: Decimal, class_b: Decimal) -> dict[str, str]:
    """Each key's class: by value descending, A while the cumulative share before it is under ``class_a`` %,
    then B under ``class_a + class_b`` %, then C. Ties keep the key order; an item of no value is C.

    The item that crosses a threshold belongs to the class it starts in, so a single dominant item is A
    even when it alone passes 80 %.
    """
    total = sum(max(v, 0) for v in values.values())
    out: dict[str, str] = {}
    running = 0
    limit_a, limit_b = Decimal(class_a) * total, (Decimal(class_a) + Decimal(class_b)) * total
    for key, value in sorted(values.items(), key=lambda kv: -kv[1]):
        if value <= 0 or total == 0:
            out[key] = "C"
            continue
        before = running * 100
        out[key] = "A" if before < limit_a else "B" if before < limit_b else "C"
        running += value
    return out


def year_end_items(classes: Mapping[str, str], stock_cents: Mapping[str, int], year_end_classes: Iterable[str],
                   year_end_value_cents: int) -> set[str]:
    """Combined mode: the items counted at year end: in a chosen class, or worth at least the threshold (when set)."""
    chosen = set(year_end_classes)
    return {key for key, cls in classes.items()
            if cls in chosen or (year_end_value_cents > 0 and stock_cents.get(key, 0) >= year_end_value_cents)}
