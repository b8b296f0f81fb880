from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..labels import ROLES

LANGUAGE_CHOICES = [("", _l("The browser's language")), ("fr", "Français"), ("en", "English")]


def role_choices():
    return list(ROLES.items())


class _UserFields(FlaskForm):
    name = StringField(_l("Full name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices(), validators=[DataRequired()])
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="")
    storekeeper = BooleanField(_l("Storekeeper (keeps stock in some zones: answers questions, never counts them)"))


class NewUserForm(_UserFields):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=80)],
                        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Initial password"), validators=[Optional()],
                             render_kw={"autocomplete": "new-password"})
    must_change = BooleanField(_l("The user chooses their own password at the first log-in"), default=True)
    campaign = SelectField(_l("Campaign"), choices=[], validate_choice=False)
    team = IntegerField(_l("Team number"), validators=[Optional(), NumberRange(min=1)])
    # Most new users count: a manager is never made by a slip of the default.
    role = SelectField(_l("Role"), choices=role_choices(), default="counter", validators=[DataRequired()])


class EditUserForm(_UserFields):
    pass


class TeamForm(FlaskForm):
    campaign = SelectField(_l("Campaign"), choices=[], validate_choice=False, validators=[DataRequired()])
    team = IntegerField(_l("Team number"), validators=[Optional(), NumberRange(min=1)])


class ActionForm(FlaskForm):
    """Disable, enable, reset a password: a button and the CSRF token."""
