"""Forms of the review page: a line's cause, the sign-off and the reopening."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .labels import CAUSES


class CauseForm(FlaskForm):
    line = HiddenField(validators=[DataRequired(), Length(max=40)])
    back = HiddenField(validators=[Optional(), Length(max=2000)])
    cause = SelectField(_l("Cause"), choices=[("", _l("— none —"))] + [(k, v) for k, v in CAUSES.items()],
                        validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])


class SignOffForm(FlaskForm):
    name = StringField(_l("Signed by (name)"), validators=[DataRequired(), Length(max=200)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why reopen the reconciliation"), validators=[DataRequired(), Length(max=4000)])


class BulkCauseForm(FlaskForm):
    """One cause for the lines ticked on the page (their keys come as repeated ``lines`` fields)."""

    back = HiddenField(validators=[Optional(), Length(max=2000)])
    cause = SelectField(_l("Cause for the lines ticked"), choices=[("", _l("— none —"))] + [(k, v) for k, v in CAUSES.items()],
                        validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=2000)])
