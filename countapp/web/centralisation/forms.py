from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ...services.recounts import REASON_LENGTH
from .labels import DECISIONS


class DecisionForm(FlaskForm):
    kind = SelectField(_l("Final quantity"), choices=[(k, v) for k, v in DECISIONS.items()],
                       validators=[DataRequired()])
    reason = TextAreaField(_l("Written reason"), validators=[DataRequired(), Length(max=REASON_LENGTH)])


class SheetForm(FlaskForm):
    leader_round1 = SelectField(_l("Leader of a 1st-count team"), validators=[DataRequired()])
    leader_round2 = SelectField(_l("Leader of a 2nd-count team"), validators=[DataRequired()])
    supervisor = SelectField(_l("Supervisor"), validators=[DataRequired()])


class CountsImportForm(FlaskForm):
    file = FileField(_l("Counts transcribed from the paper parts (CSV or XLSX)"), validators=[FileRequired()])
