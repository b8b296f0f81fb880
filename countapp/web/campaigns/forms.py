from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..labels import CATEGORIES, VALUATIONS

THRESHOLDS = (("qty", _l("Quantity")), ("pct", _l("Percent")), ("value", _l("Value")))
SIDES = (("between_counts", _l("Between 1st and 2nd count")), ("vs_book", _l("Agreed count against book")))


def _threshold():
    return DecimalField(validators=[Optional(), NumberRange(min=0)], places=None,
                        render_kw={"inputmode": "decimal", "step": "any", "min": "0"})


class SettingsForm(FlaskForm):
    name = StringField(_l("Campaign name"))
    company = StringField(_l("Company"))
    person_in_charge = StringField(_l("Person in charge"))
    count_date = DateField(_l("Count date"), validators=[DataRequired()])
    closing_date = DateField(_l("Closing date"), validators=[DataRequired()])
    valuation = SelectField(_l("Valuation method"), choices=list(VALUATIONS.items()))
    language = SelectField(_l("Language of documents"), choices=[("fr", "Français"), ("en", "English")])
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
