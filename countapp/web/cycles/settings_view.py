"""Between the programme's settings form and the ``[cycle]`` table that ``countapp cycle configure`` reads."""
from __future__ import annotations

from flask_babel import gettext as _

from cycles.settings import date_value

from ..campaigns.forms import SIDES, THRESHOLDS
from .forms import SettingsForm, tolerance_field


def fill_settings(form: SettingsForm, settings) -> None:
    """The form as the programme's settings (``cycles.settings.ProgrammeSettings``) stand."""
    form.abc_a.data, form.abc_b.data = settings.class_a, settings.class_b
    for cls in ("A", "B", "C"):
        getattr(form, f"freq_{cls}").data = settings.frequency.get(cls)
    form.daily_lines.data = settings.daily_lines
    form.weekdays.data = [str(d) for d in settings.weekdays]
    form.holidays.data = "\n".join(d.isoformat() for d in settings.holidays)
    form.year_end_classes.data = list(settings.year_end_classes)
    form.year_end_value.data = settings.year_end_value
    for side, _label in SIDES:
        thresholds = getattr(settings.tolerance, side)
        for key, _label2 in THRESHOLDS:
            getattr(form, tolerance_field(side, key)).data = getattr(thresholds, key)


def holidays_of(text: str) -> list[str]:
    """The holidays typed one a line (or separated by commas or spaces), each checked as a date."""
    words = (text or "").replace(",", " ").split()
    return [date_value(word, f"{_('Holidays')} « {word[:20]} »").isoformat() for word in words]


def given_settings(form: SettingsForm, *, combined: bool = False) -> dict:
    """The ``[cycle]`` table of what the form holds; an empty field keeps its value (0 clears a threshold).

    ``combined``: the programme has a year-end campaign, so the form also says which items that campaign
    counts (no class ticked is a choice: the value threshold alone decides).
    """
    given: dict = {"abc": {}, "frequency": {}, "holidays": holidays_of(form.holidays.data)}
    if form.abc_a.data is not None:
        given["abc"]["a"] = str(form.abc_a.data)
    if form.abc_b.data is not None:
        given["abc"]["b"] = str(form.abc_b.data)
    for cls in ("A", "B", "C"):
        value = getattr(form, f"freq_{cls}").data
        if value is not None:
            given["frequency"][cls] = value
    if form.daily_lines.data is not None:
        given["daily_lines"] = form.daily_lines.data
    if form.weekdays.data:
        given["weekdays"] = [int(d) for d in form.weekdays.data]
    tolerance = {}
    for side, _label in SIDES:
        tolerance[side] = {key: str(getattr(form, tolerance_field(side, key)).data or 0) for key, _l in THRESHOLDS}
    given["tolerance"] = tolerance
    if combined:
        given["year_end"] = {"classes": list(form.year_end_classes.data or [])}
        if form.year_end_value.data is not None:
            given["year_end"]["value"] = str(form.year_end_value.data)
    return {key: value for key, value in given.items() if value or key == "holidays"}
