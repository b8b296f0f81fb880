from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from reports.audit_sample import MAX_SAMPLE

STATE_CHOICES = [("good", _l("Good")), ("damaged", _l("Damaged")), ("obsolete", _l("Obsolete")),
                 ("expired", _l("Expired"))]


class SealForm(FlaskForm):
    pass


class FloorForm(FlaskForm):
    team = SelectField(_l("Team"), coerce=int, validators=[DataRequired()])
    first = StringField(_l("First number seen"), validators=[DataRequired(), Length(max=40)],
                        render_kw={"inputmode": "numeric", "autocomplete": "off"})
    last = StringField(_l("Last number seen"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"inputmode": "numeric", "autocomplete": "off"})
    seen_at = DateTimeLocalField(_l("Seen at"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class DrawForm(FlaskForm):
    direction = SelectField(_l("Direction"), choices=[
        ("sheet_to_floor", _l("Sheet to floor: from book lines to the goods")),
        ("floor_to_sheet", _l("Floor to sheet: from the goods to the records"))])
    key_count = IntegerField(_l("Largest values always taken"), default=5,
                             validators=[Optional(), NumberRange(min=0, max=MAX_SAMPLE)])
    key_threshold = DecimalField(_l("…and every line worth at least"), places=2,
                                 validators=[Optional(), NumberRange(min=0)])
    random_count = IntegerField(_l("Lines drawn at random"), default=20,
                                validators=[DataRequired(), NumberRange(min=1, max=MAX_SAMPLE)])
    seed = IntegerField(_l("Seed (empty: chosen for you)"), validators=[Optional(), NumberRange(min=0)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class CountForm(FlaskForm):
    quantity = StringField(_l("Quantity counted"), validators=[DataRequired(), Length(max=40)],
                           render_kw={"inputmode": "decimal", "autocomplete": "off"})
    state = SelectField(_l("Physical state"), choices=STATE_CHOICES, default="good")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
    reason = StringField(_l("Reason for the correction"), validators=[Optional(), Length(max=2000)])


class ChosenForm(FlaskForm):
    ticket = StringField(_l("Ticket number on the goods"), validators=[Optional(), Length(max=40)],
                         render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reference = StringField(_l("Reference (goods without a ticket)"), validators=[Optional(), Length(max=120)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=120)])
    lot = StringField(_l("Lot"), validators=[Optional(), Length(max=80)])


class ConfirmationForm(FlaskForm):
    confirmed_qty = StringField(_l("Quantity confirmed"), validators=[DataRequired(), Length(max=40)],
                                render_kw={"inputmode": "decimal", "autocomplete": "off"})
    answered_on = DateField(_l("Date of the answer"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
