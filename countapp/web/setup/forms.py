from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DateTimeLocalField, HiddenField, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired, NumberRange, Optional


class TeamForm(FlaskForm):
    number = IntegerField(_l("Team number"), validators=[DataRequired(), NumberRange(min=1)])
    round = SelectField(_l("Round"), choices=[("1", _l("1st count")), ("2", _l("2nd count"))])
    leader = SelectField(_l("Team leader"), validators=[DataRequired()])
    members = SelectMultipleField(_l("Members"))
    zones = SelectMultipleField(_l("Zones"))
    starts_at = DateTimeLocalField(_l("Starts at"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_l("Ends at"), validators=[Optional()], format="%Y-%m-%dT%H:%M")


class StorekeeperForm(FlaskForm):
    zone = SelectField(_l("Zone"), validators=[DataRequired()])
    login = SelectField(_l("Storekeeper"), validators=[DataRequired()])


IMPORT_KINDS = [("stock", _l("Book stock at the count date")), ("movements", _l("Stock movements")),
                ("opening", _l("Opening values by category"))]


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the file holds"), choices=IMPORT_KINDS)
    file = FileField(_l("File (CSV or XLSX)"), validators=[FileRequired()])
    as_of = DateField(_l("Stock quantities at (stock file only)"), validators=[Optional()],
                      description=_l("Leave empty when the file gives the quantities at the count date."))


class ConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])
    kind = HiddenField(validators=[DataRequired()])
    as_of = HiddenField()
