"""Forms of the report page: the manager's texts, generating a draft, closing and reopening."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

TEXT_MAX = 20_000


class TextsForm(FlaskForm):
    narrative = TextAreaField(_l("Account of how the count went"), validators=[Optional(), Length(max=TEXT_MAX)])
    difficulties = TextAreaField(_l("Difficulties met"), validators=[Optional(), Length(max=TEXT_MAX)])
    solutions = TextAreaField(_l("Solutions adopted"), validators=[Optional(), Length(max=TEXT_MAX)])
    proposals = TextAreaField(_l("Proposals to make the next count easier and better"),
                              validators=[Optional(), Length(max=TEXT_MAX)])


class GenerateForm(FlaskForm):
    """Only the CSRF token: generating changes no data."""


class CloseForm(FlaskForm):
    override_reason = TextAreaField(_l("Reason for closing despite the open points"),
                                    validators=[Optional(), Length(max=4000)])


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Why reopen the campaign"), validators=[DataRequired(), Length(max=4000)])
