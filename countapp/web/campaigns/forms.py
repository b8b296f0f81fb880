from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..labels import CATEGORIES, VALUATIONS

THRESHOLDS = (("qty", _l("Quantity")), ("pct", _l("Percent")), ("value", _l("Value")))
SIDES = (("between_counts", _l("Between 1st and 2nd count")), ("vs_book", _l("Agreed count against book")))


def _threshold():
    return DecimalField(validators=[Optional(), NumberRange(min=0)], places=None,
                        render_kw={"inputmode": "decimal", "step": "any", "min": "0"})


LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]


class CampaignForm(FlaskForm):
    """A new campaign: what ``countapp campaign create`` asks for."""

    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)],
                       description=_l("A short name without spaces, like FY2025: it names the campaign everywhere."))
    name = StringField(_l("Campaign name"), validators=[Length(max=200)])
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[InputRequired(), NumberRange(1900, 2999)])
    count_date = DateField(_l("Count date"), validators=[InputRequired()])
    closing_date = DateField(_l("Closing date"), validators=[InputRequired()])
    valuation = SelectField(_l("Valuation method"), choices=list(VALUATIONS.items()), default="wac")
    language = SelectField(_l("Language of documents"), choices=LANGUAGE_CHOICES)


class StartForm(FlaskForm):
    override_reason = TextAreaField(_l("Reason for starting anyway"), validators=[Length(max=4000)])


class FinishCountingForm(FlaskForm):
    confirm = BooleanField(_l("End counting anyway: the open tickets stay open and may still be settled"))


class SettingsForm(FlaskForm):
    name = StringField(_l("Campaign name"))
    company = StringField(_l("Company"))
    siren = StringField(_l("SIREN"), render_kw={"inputmode": "numeric", "maxlength": "11", "autocomplete": "off"},
                        description=_l("The company's 9-digit number: it names the FEC file."))
    time_zone = StringField(_l("Time zone"), render_kw={"list": "time-zones", "autocomplete": "off"},
                            description=_l("Count times are read and shown in this zone, e.g. Europe/Paris."))
    person_in_charge = StringField(_l("Person in charge"))
    fiscal_year = IntegerField(_l("Fiscal year"), validators=[Optional(), NumberRange(1900, 2999)])
    count_date = DateField(_l("Count date"), validators=[DataRequired()])
    closing_date = DateField(_l("Closing date"), validators=[DataRequired()])
    valuation = SelectField(_l("Valuation method"), choices=list(VALUATIONS.items()))
    language = SelectField(_l("Language of documents"), choices=LANGUAGE_CHOICES)
    damaged = DecimalField(_l("Damaged (%)"), validators=[Optional(), NumberRange(0, 100)], places=None)
    obsolete = DecimalField(_l("Obsolete (%)"), validators=[Optional(), NumberRange(0, 100)], places=None)
    expired = DecimalField(_l("Expired (%)"), validators=[Optional(), NumberRange(0, 100)], places=None)
    slow_moving = DecimalField(_l("Slow-moving (%)"), validators=[Optional(), NumberRange(0, 100)], places=None)
    slow_moving_days = IntegerField(_l("Slow-moving after (days without movement)"),
                                    validators=[Optional(), NumberRange(min=1)])
    market_price = BooleanField(_l("Write down to market price when below cost"))


# One field per (scope, side, threshold): scope "" is the campaign, else a category override.
def tolerance_field_name(scope: str, side: str, key: str) -> str:
    return f"tol__{scope or 'all'}__{side}__{key}"


for _scope in ("", *CATEGORIES):
    for _side, _ in SIDES:
        for _key, _ in THRESHOLDS:
            setattr(SettingsForm, tolerance_field_name(_scope, _side, _key), _threshold())
