"""Plan forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from app.formfields import (
    DecimalTextField,
    OptionalIdSelect,
    RuleLength,
    VNDateField,
    WholeNumberField,
)


class PlanForm(FlaskForm):
    unit_id = OptionalIdSelect(_l("Unit"))
    year = WholeNumberField(_l("Year"), message=_l("Enter a year between 2000 and 2100."),
                            validators=[InputRequired(_l("Enter the year.")),
                                        NumberRange(2000, 2100, _l("Enter a year between 2000 and 2100."))])
    kind = SelectField(_l("Kind of plan"), validate_choice=True)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the plan's title.")),
                                                 Length(max=500, message=_l("At most 500 characters."))])
    doc_number = StringField(_l("Document number"),
                             validators=[Length(max=64, message=_l("At most 64 characters."))])
    doc_date = VNDateField(_l("Document date"), validators=[Optional()])


class PlanEditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the plan's title.")),
                                                 Length(max=500, message=_l("At most 500 characters."))])
    doc_number = StringField(_l("Document number"),
                             validators=[Length(max=64, message=_l("At most 64 characters."))])
    doc_date = VNDateField(_l("Document date"), validators=[Optional()])


class ImportForm(FlaskForm):
    file = FileField(_l("Plan file (.xlsx, .xls, .docx)"),
                     validators=[FileRequired(_l("Choose the file of the plan."))])


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class RecurringRuleForm(FlaskForm):
    """A recurring task (nhiệm vụ định kỳ): when it recurs and the six clears of each
    occurrence. Shape only here; the schedule and the task rules are the service's."""

    version = HiddenField()
    frequency = SelectField(_l("Recurs"), validate_choice=True)
    cutoff_kind = SelectField(_l("Cut-off"), validate_choice=True)
    cutoff_day = WholeNumberField(_l("Cut-off day (custom)"),
                                  message=_l("The cut-off day must be between 1 and 31."),
                                  validators=[Optional(),
                                              NumberRange(1, 31, _l("The cut-off day must be between 1 and 31."))])
    due_kind = SelectField(_l("Due date"), validate_choice=True)
    due_day = WholeNumberField(_l("Due day of the month"),
                               message=_l("The due day must be between 1 and 31."),
                               validators=[Optional(),
                                           NumberRange(1, 31, _l("The due day must be between 1 and 31."))])
    due_next_month = BooleanField(_l("In the month after the period"))
    working_days = WholeNumberField(_l("Working days after the cut-off"),
                                    message=_l("Enter a whole number of working days."),
                                    validators=[Optional()])
    # The lengths are the task rule set's (task_rules.TEXT_LIMITS), said in its words.
    title = StringField(_l("Task"), validators=[DataRequired(_l("Enter the task's title.")),
                                                RuleLength("title")])
    description = TextAreaField(_l("Description"), validators=[RuleLength("description")])
    lead_unit_id = OptionalIdSelect(_l("Lead unit"))
    assignee_id = OptionalIdSelect(_l("Responsible person"))
    leader_id = OptionalIdSelect(_l("Accountable leader"))
    responsibility = TextAreaField(_l("What the person answers for"),
                                   validators=[RuleLength("responsibility")])
    steps_text = TextAreaField(_l("Process steps (one a line)"),
                               validators=[Length(max=5000, message=_l("At most 5,000 characters."))])
    output_product = TextAreaField(_l("Expected output product"),
                                   validators=[RuleLength("output_product")])
    weight = DecimalTextField(_l("Weight"), validators=[Optional()])
    reason = TextAreaField(_l("Reason for the change (after issue)"),
                           validators=[Length(max=2000, message=_l("At most 2,000 characters."))])


class RecurringDeleteForm(FlaskForm):
    reason = TextAreaField(_l("Reason"),
                           validators=[Length(max=2000, message=_l("At most 2,000 characters."))])


class ImportColumnsForm(FlaskForm):
    """The columns of a stored upload read again as the user says (issue 14): the token, and
    one select `column-<index>` per column of the file, read by the route against the
    columns stored with the upload (never cells from the browser)."""

    token = HiddenField(validators=[DataRequired()])
