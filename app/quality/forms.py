"""Quality forms: a set, a criterion row, a self score, an appraisal, the results'
publication. Shape only; the rules (ranges, sums, who may) are the use cases'."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.formfields import (
    DecimalTextField,
    OptionalIdSelect,
    VNDateField,
    WholeNumberField,
)


class SetForm(FlaskForm):
    name = StringField(_l("Name"))
    year = WholeNumberField(_l("Year"), validators=[Optional()])
    unit_group = SelectField(_l("Group of units"), validate_choice=False)
    max_points = DecimalTextField(_l("Maximum points"), validators=[Optional()])


class CopySetForm(FlaskForm):
    year = WholeNumberField(_l("Year of the copy"), validators=[Optional()])


class CriterionForm(FlaskForm):
    parent_id = OptionalIdSelect(_l("Under"))
    code = StringField(_l("Code"))
    title = TextAreaField(_l("Criterion"))
    max_points = DecimalTextField(_l("Maximum points"), validators=[Optional()])
    method = SelectField(_l("How it is scored"), validate_choice=False)
    plan_kind = SelectField(_l("Only tasks of plans of kind"), validate_choice=False)
    is_evidence_required = BooleanField(_l("Evidence required"))
    # The scoring methods' parameters (commands.method_params checks them).
    field_id = OptionalIdSelect(_l("Only tasks of the field"))
    is_key_only = BooleanField(_l("Key tasks only"))
    basis = SelectField(_l("Steps applied to"), validate_choice=False)
    steps = StringField(_l("Steps (from %: points)"))
    event_kind = SelectField(_l("Events counted"), validate_choice=False)
    per_event = DecimalTextField(_l("Points deducted per event"), validators=[Optional()])
    min_points = DecimalTextField(_l("Not below (points)"), validators=[Optional()])
    is_na_allowed = BooleanField(_l("The unit may declare it not applicable (with a reason)"))


class SelfScoreForm(FlaskForm):
    points = DecimalTextField(_l("Self-assessed points"), validators=[Optional()])
    events = WholeNumberField(_l("Number of events"), validators=[Optional()])
    not_applicable = BooleanField(_l("Does not apply to the unit (explain why)"))
    note = TextAreaField(_l("Explanation"))
    files = MultipleFileField(_l("Evidence files"))
    # Or evidence given as a document: its number and date.
    doc_no = StringField(_l("Evidence document number"))
    doc_on = VNDateField(_l("Evidence document date"), validators=[Optional()])


class AppraisalForm(FlaskForm):
    points = DecimalTextField(_l("Appraised points"), validators=[Optional()])
    reason = TextAreaField(_l("Comment or reason for a change"))


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("Reason for sending back"))


class PublishResultsForm(FlaskForm):
    decision_no = StringField(_l("Decision number"))
    decision_on = VNDateField(_l("Decision date"), validators=[Optional()])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (publish a set, submit, finalize)."""


# ---- the set's file, the entry window, the explanation round (app/quality/flow.py) -----

class ImportSetForm(FlaskForm):
    file = FileField(_l("Excel file (.xlsx)"))


class ConfirmImportForm(FlaskForm):
    token = HiddenField()


class WindowForm(FlaskForm):
    opens_on = VNDateField(_l("Self-assessment opens on"), validators=[Optional()])
    closes_on = VNDateField(_l("Cut-off date"), validators=[Optional()])


class AskForm(FlaskForm):
    criterion_id = OptionalIdSelect(_l("About"))
    question = TextAreaField(_l("What the unit must explain"))
    due_on = VNDateField(_l("Answer by"), validators=[Optional()])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("The unit's explanation"))
    files = MultipleFileField(_l("Files"))
    doc_no = StringField(_l("Evidence document number"))
    doc_on = VNDateField(_l("Evidence document date"), validators=[Optional()])
