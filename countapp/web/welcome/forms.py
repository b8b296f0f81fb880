from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class FirstManagerForm(FlaskForm):
    login = StringField(_l("Login"), validators=[DataRequired(), Length(max=80)],
                        render_kw={"autocomplete": "username", "autocapitalize": "none", "autofocus": True})
    name = StringField(_l("Full name"), validators=[Length(max=200)], render_kw={"autocomplete": "name"})
    language = SelectField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=200)],
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
