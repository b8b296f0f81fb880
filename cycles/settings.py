"""A programme's settings: ABC thresholds, counts a year per class, capacity, working days, year-end choice.

Stored as JSON on the programme (numbers as text), given as the ``[cycle]`` TOML table by the CLI.
The tolerances are the campaign's table (``tickets.tolerance``): the same thresholds decide a recount.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from tickets.errors import CountappError, N_
from tickets.tolerance import ToleranceSettings

CLASSES = ("A", "B", "C")


def _percent(value: object, key: str) -> Decimal:
    try:
        number = Decimal(str(value).strip().rstrip("%").replace(",", "."))
    except (InvalidOperation, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or not 0 <= number <= 100:
        raise CountappError(N_("%(key)s must be a percentage between 0 and 100, not %(value)s."), field=key, key=key,
                            value=str(value)[:40])
    return number


def _whole(value: object, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit() \
            or not low <= int(value) <= high:
        raise CountappError(N_("%(key)s must be a whole number from %(low)s to %(high)s, not %(value)s."), field=key,
                            key=key, low=low, high=high, value=str(value)[:40])
    return int(value)


def date_value(value: object, key: str) -> dt.date:
    """A date given as a date or as text YYYY-MM-DD; an error naming ``key`` otherwise."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise CountappError(N_("%(key)s must be a date (YYYY-MM-DD)."), field=key, key=key) from None


def _table(value: object, key: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise CountappError(N_("%(key)s must be a table."), field=key, key=key)
    return value


@dataclass(frozen=True)
class ProgrammeSettings:
    """What a programme's plan and counts follow; defaults: 80 / 15 / 5 %, A 4×, B 2×, C 1× a year."""

    class_a: Decimal = Decimal(80)          # cumulative share of consumption value of class A
    class_b: Decimal = Decimal(15)          # share of class B (C: the rest)
    frequency: Mapping[str, int] = field(default_factory=lambda: {"A": 4, "B": 2, "C": 1})
    daily_lines: int = 0                    # lines a day a team can count; 0: no cap, spread evenly
    holidays: tuple[dt.date, ...] = ()
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    year_end_classes: tuple[str, ...] = ("A",)   # combined mode: classes counted at year end
    year_end_value: Decimal = Decimal(0)         # combined mode: and items whose stock value is at least this
    tolerance: ToleranceSettings = field(default_factory=ToleranceSettings)

    @classmethod
    def from_dict(cls, data: Mapping | None) -> ProgrammeSettings:
        return cls().merged(data or {})

    def merged(self, given: Mapping) -> ProgrammeSettings:
        """These settings with the keys given applied over them; refuses unknown keys and bad values."""
        values = dict(class_a=self.class_a, class_b=self.class_b, frequency=dict(self.frequency),
                      daily_lines=self.daily_lines, holidays=self.holidays, weekdays=self.weekdays,
                      year_end_classes=self.year_end_classes, year_end_value=self.year_end_value,
                      tolerance=self.tolerance)
        for key, value in _table(given, "cycle").items():
            if key == "abc":
                for name, raw in _table(value, "abc").items():
                    if name.lower() not in ("a", "b"):
                        raise CountappError(N_("Unknown setting %(key)s."), field=f"abc.{name}", key=f"abc.{name}")
                    values[f"class_{name.lower()}"] = _percent(raw, f"abc.{name}")
            elif key == "frequency":
                for name, raw in _table(value, "frequency").items():
                    if name.upper() not in CLASSES:
                        raise CountappError(N_("Unknown setting %(key)s."), field=f"frequency.{name}",
                                            key=f"frequency.{name}")
                    values["frequency"][name.upper()] = _whole(raw, f"frequency.{name}", 1, 52)
            elif key == "daily_lines":
                values["daily_lines"] = _whole(value, key, 0, 10_000_000)
            elif key == "holidays":
                if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                    raise CountappError(N_("%(key)s must be a list of dates."), field=key, key=key)
                values["holidays"] = tuple(sorted({date_value(d, key) for d in value}))
            elif key == "weekdays":
                if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                    raise CountappError(N_("%(key)s must be a list of day numbers (Monday 0 to Sunday 6)."),
                                        field=key, key=key)
                days = tuple(sorted({_whole(d, key, 0, 6) for d in value}))
                if not days:
                    raise CountappError(N_("%(key)s must be a list of day numbers (Monday 0 to Sunday 6)."),
                                        field=key, key=key)
                values["weekdays"] = days
            elif key == "year_end":
                for name, raw in _table(value, "year_end").items():
                    if name == "classes":
                        classes = [str(c).upper() for c in (raw if isinstance(raw, (list, tuple)) else [raw])]
                        if any(c not in CLASSES for c in classes):
                            raise CountappError(N_("year_end.classes lists classes among A, B and C."),
                                                field="year_end.classes")
                        values["year_end_classes"] = tuple(sorted(set(classes)))
                    elif name == "value":
                        try:
                            number = Decimal(str(raw).replace(",", "."))
                        except InvalidOperation:
                            number = None
                        if isinstance(raw, bool) or number is None or not number.is_finite() or number < 0:
                            raise CountappError(N_("%(key)s must be a number of 0 or more, not %(value)s."),
                                                field="year_end.value", key="year_end.value", value=str(raw)[:40])
                        values["year_end_value"] = number
                    else:
                        raise CountappError(N_("Unknown setting %(key)s."), field=f"year_end.{name}",
                                            key=f"year_end.{name}")
            elif key == "tolerance":
                values["tolerance"] = values["tolerance"].merged(value)
            else:
                raise CountappError(N_("Unknown setting %(key)s."), field=key, key=key)
        if values["class_a"] + values["class_b"] > 100:
            raise CountappError(N_("The shares of classes A and B add up to more than 100 percent."), field="abc")
        return ProgrammeSettings(**values)

    def to_dict(self) -> dict:
        """The settings as JSON-ready values (exact numbers as text)."""
        def text(number: Decimal) -> str:
            return format(number.normalize(), "f")

        return {"abc": {"a": text(self.class_a), "b": text(self.class_b)}, "frequency": dict(self.frequency),
                "daily_lines": self.daily_lines, "holidays": [d.isoformat() for d in self.holidays],
                "weekdays": list(self.weekdays),
                "year_end": {"classes": list(self.year_end_classes), "value": text(self.year_end_value)},
                "tolerance": self.tolerance.to_dict()}
