"""Forms of the cycle counting pages: what the ``countapp cycle`` commands ask for, in the browser."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..campaigns.forms import SIDES, THRESHOLDS
from ..review.labels import CAUSES

CLASS_CHOICES = [("A", "A"), ("B", "B"), ("C", "C")]
WEEKDAYS = [("0", _l("Monday")), ("1", _l("Tuesday")), ("2", _l("Wednesday")), ("3", _l("Thursday")),
            ("4", _l("Friday")), ("5", _l("Saturday")), ("6", _l("Sunday"))]


class ProgrammeForm(FlaskForm):
    """A new programme: what ``countapp cycle create`` asks for."""

    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)],
                       description=_l("A short name without spaces, like CC2026: it names the programme everywhere."))
    name = StringField(_l("Programme name"), validators=[Length(max=200)])
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[InputRequired(), NumberRange(1900, 2999)])
    start = DateField(_l("First day of the fiscal year"), validators=[Optional()],
                      description=_l("Leave empty for 1 January."))
    end = DateField(_l("Closing date"), validators=[Optional()], description=_l("Leave empty for 31 December."))
    campaign = SelectField(_l("Year-end campaign (combined mode)"), choices=[], validate_choice=False,
                           description=_l("Optional: the campaign that counts the most significant items at "
                                          "year-end; the programme counts the rest through the year."))


STOCK_KINDS = [("stock", _l("Book stock")), ("movements", _l("Stock movements"))]


class ImportForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=STOCK_KINDS)
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])
    as_of = DateField(_l("Stock quantities at (stock file only)"), validators=[Optional()],
                      description=_l("Leave empty for today."))


def _percent(label):
    return DecimalField(label, validators=[Optional(), NumberRange(0, 100)], places=None,
                        render_kw={"inputmode": "decimal", "step": "any", "min": "0", "max": "100"})


def _times(label):
    return IntegerField(label, validators=[Optional(), NumberRange(0, 366)], render_kw={"inputmode": "numeric", "min": "0"})


class SettingsForm(FlaskForm):
    abc_a = _percent(_l("Class A: share of the annual consumption value (%)"))
    abc_b = _percent(_l("Class B: share of the annual consumption value (%)"))
    freq_A = _times(_l("Class A: counts a year"))
    freq_B = _times(_l("Class B: counts a year"))
    freq_C = _times(_l("Class C: counts a year"))
    daily_lines = IntegerField(_l("Daily workload (lines a day)"), validators=[Optional(), NumberRange(min=0)],
                               render_kw={"inputmode": "numeric", "min": "0"},
                               description=_l("0: spread the counts evenly, with no cap."))
    weekdays = SelectMultipleField(_l("Working days"), choices=WEEKDAYS)
    holidays = TextAreaField(_l("Holidays (one date a line, YYYY-MM-DD)"),
                             description=_l("Days off besides the days that are not working days."))
    # Combined mode only: which items the year-end campaign counts instead of the programme.
    year_end_classes = SelectMultipleField(_l("Classes counted at year-end"), choices=CLASS_CHOICES)
    year_end_value = DecimalField(_l("And every item whose stock value is at least"),
                                  validators=[Optional(), NumberRange(min=0)], places=None,
                                  render_kw={"inputmode": "decimal", "step": "any", "min": "0"},
                                  description=_l("0: no threshold, the classes alone decide."))


def tolerance_field(side: str, key: str) -> str:
    return f"tol__{side}__{key}"


for _side, _ in SIDES:
    for _key, _ in THRESHOLDS:
        setattr(SettingsForm, tolerance_field(_side, _key),
                DecimalField(validators=[Optional(), NumberRange(min=0)], places=None,
                             render_kw={"inputmode": "decimal", "step": "any", "min": "0"}))


class ClassForm(FlaskForm):
    reference = StringField(validators=[InputRequired()])
    abc_class = SelectField(_l("Class"), choices=CLASS_CHOICES)


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (plan, re-plan, classify)."""


class PlanForm(FlaskForm):
    start = DateField(_l("Plan from"), validators=[Optional()],
                      description=_l("Leave empty to plan from the first day of the fiscal year (or from today, "
                                     "once it has begun)."))


class AcceptForm(FlaskForm):
    plans = SelectMultipleField(choices=[], validate_choice=False, coerce=int)
    cause = SelectField(_l("Cause"), choices=[("", "—")] + list(CAUSES.items()), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Length(max=500)])


class SampleForm(FlaskForm):
    size = IntegerField(_l("Lines to draw"), default=10, validators=[InputRequired(), NumberRange(1, 500)],
                        render_kw={"inputmode": "numeric", "min": "1", "max": "500"})
