"""Forms of the instructions pages: the facts, the section texts, a place added by hand."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateTimeLocalField, FieldList, Form, FormField, HiddenField, SelectField,
                     SelectMultipleField, StringField, TextAreaField, widgets)
from wtforms.validators import DataRequired, Length, Optional

from instructions import SECTION_KEYS

from ..labels import CATEGORIES

AUDITOR_KINDS = (("statutory_auditor", _l("Statutory auditor")), ("chartered_accountant", _l("Chartered accountant")),
                 ("internal_audit", _l("Internal audit")))
WHEN = "%Y-%m-%dT%H:%M"
EMPTY_AUDITOR_ROWS = 2


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class AuditorRow(Form):
    kind = SelectField(_l("Role"), choices=AUDITOR_KINDS)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    firm = StringField(_l("Firm"), validators=[Optional(), Length(max=200)])


class FactsForm(FlaskForm):
    person_in_charge = StringField(_l("Person in charge of the count"), validators=[Optional(), Length(max=200)])
    person_in_charge_title = StringField(_l("Their function"), validators=[Optional(), Length(max=200)])
    committee = TextAreaField(_l("Count committee (one name per line)"), validators=[Optional()])
    centraliser = StringField(_l("Centralisation of tickets and third counts"),
                              validators=[Optional(), Length(max=200)])
    count_start = DateTimeLocalField(_l("Counting starts"), validators=[Optional()], format=WHEN)
    count_end = DateTimeLocalField(_l("Counting ends"), validators=[Optional()], format=WHEN)
    freeze_from = DateTimeLocalField(_l("Movements stop at"), validators=[Optional()], format=WHEN)
    freeze_to = DateTimeLocalField(_l("Movements resume at"), validators=[Optional()], format=WHEN)
    categories = CheckboxesField(_l("Stock categories in scope"), choices=list(CATEGORIES.items()))
    auditors = FieldList(FormField(AuditorRow), min_entries=0)
    last_receipt_document = StringField(_l("Last receiving document before the count"),
                                        validators=[Optional(), Length(max=80)])
    last_shipment_document = StringField(_l("Last shipping document before the count"),
                                         validators=[Optional(), Length(max=80)])


class PlaceForm(FlaskForm):
    site = StringField(_l("Site"), validators=[DataRequired(), Length(max=80)])
    zone = StringField(_l("Zone"), validators=[DataRequired(), Length(max=80)])
    location = StringField(_l("Place"), validators=[DataRequired(), Length(max=80)])


class IssueForm(FlaskForm):
    allow_missing = BooleanField(_l("Issue even though points are still missing"))


class AckForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])


class TextsForm(FlaskForm):
    """One text area per section, named after its key; a ticked 'default' box restores the default."""


for _key in SECTION_KEYS:
    setattr(TextsForm, _key, TextAreaField(validators=[Optional(), Length(max=20000)]))
    setattr(TextsForm, f"reset_{_key}", BooleanField(_l("Restore the default text")))
