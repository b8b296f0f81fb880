from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

NUMBER_HINT = _l("As printed (000123/2025) or just 123.")


class GenerateForm(FlaskForm):
    blank = IntegerField(_l("Blank tickets to add"), default=0,
                         validators=[InputRequired(), NumberRange(min=0, max=100_000)])


class RangeForm(FlaskForm):
    team = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    first = StringField(_l("First number"), validators=[DataRequired(), Length(max=40)])
    last = StringField(_l("Last number"), validators=[DataRequired(), Length(max=40)])


class VoidForm(FlaskForm):
    number = StringField(_l("Ticket number"), validators=[DataRequired(), Length(max=40)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class PrintForm(FlaskForm):
    first = StringField(_l("From number"), validators=[Optional(), Length(max=40)])
    last = StringField(_l("To number"), validators=[Optional(), Length(max=40)])
    per_page = SelectField(_l("Tickets per A4 sheet"), coerce=int, default=3,
                           choices=[(3, _l("3 per sheet")), (2, _l("2 per sheet")), (1, _l("1 per sheet"))])
    language = SelectField(_l("Language of the tickets"), choices=[("fr", "Français"), ("en", "English")])
