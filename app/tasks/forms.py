"""The task form (the six clears) and the progress and review forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from app.formfields import (
    DecimalTextField,
    IdMultiSelect,
    OptionalIdSelect,
    RuleLength,
    TypedLength,
    VNDateField,
    WholeNumberField,
)


class StepForm(Form):
    id = HiddenField()
    title = StringField(_l("Step"), validators=[RuleLength("step")])
    due_on = VNDateField(_l("Date"), validators=[Optional()])


class TaskForm(FlaskForm):
    version = HiddenField()
    # 2. clear task
    title = StringField(_l("Task"), validators=[
        DataRequired(_l("Enter the task's title.")), RuleLength("title")])
    # The lengths are the rule set's (task_rules.TEXT_LIMITS), said in its words.
    description = TextAreaField(_l("Description"), validators=[RuleLength("description")])
    # 1. clear person
    lead_unit_id = OptionalIdSelect(_l("Lead unit"))
    # Searchable (app/static/js/searchable.js); the lead unit is not offered (and refused by
    # the rule set: coordinator_is_lead).
    coordinator_ids = IdMultiSelect(_l("Coordinating units"), render_kw={
        "data-search": "1", "data-exclude-from": "lead_unit_id",
        "data-placeholder": _l("Type to search units"), "data-no-results": _l("No unit matches")})
    assignee_id = OptionalIdSelect(_l("Responsible person"))
    # 3. clear responsibility
    leader_id = OptionalIdSelect(_l("Accountable leader"))
    responsibility = TextAreaField(_l("What the person answers for"),
                                   validators=[RuleLength("responsibility")])
    # 4. clear process
    # No max_entries: WTForms would silently drop the steps past it. The service refuses more
    # than MAX_STEPS with a message, and MAX_FORM_PARTS bounds how many rows a request holds.
    steps = FieldList(FormField(StepForm), min_entries=1)
    # 5. clear deadline
    start_on = VNDateField(_l("Start date"), validators=[Optional()])
    due_on = VNDateField(_l("Due date"), validators=[Optional()])
    # 6. clear result
    output_product = TextAreaField(_l("Expected output product"),
                                   validators=[RuleLength("output_product")])
    indicator_name = StringField(_l("Indicator"), validators=[RuleLength("indicator_name")])
    indicator_unit = StringField(_l("Unit of measure"), validators=[RuleLength("indicator_unit")])
    indicator_target = DecimalTextField(_l("Target value"), validators=[Optional()])
    indicator_direction = SelectField(_l("Better when the actual value is"), validate_choice=False,
                                      default="higher")
    field_id = OptionalIdSelect(_l("Field"))
    is_key = BooleanField(_l("Key task (nhiệm vụ trọng tâm)"))
    weight = DecimalTextField(_l("Weight"), validators=[Optional()])
    # After issue, reassigning the person, the leader or the lead unit, or changing the weight
    # is an amendment by the head of the plan's unit with a reason (DESIGN.md 4); the rule
    # set asks for it only then, beside this field.
    amendment_reason = TextAreaField(_l("Reason for the amendment"),
                                     validators=[Length(max=2000, message=_l("At most 2,000 characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator_direction.choices = [("higher", _l("higher (at least the target)")),
                                            ("lower", _l("lower (at most the target)"))]


class ProgressForm(FlaskForm):
    percent = WholeNumberField(_l("Progress (%)"),
                               message=_l("Enter the progress as a whole number from 0 to 100."),
                               validators=[InputRequired(_l("Enter the progress in percent.")),
                                           NumberRange(0, 100, _l("Progress must be between 0 and 100."))])
    note = TextAreaField(_l("Note"), validators=[Length(max=5000, message=_l("At most 5,000 characters."))])
    actual_value = DecimalTextField(_l("Actual indicator value"), validators=[Optional()])
    files = MultipleFileField(_l("Evidence files"))


class SubmitForm(FlaskForm):
    """Submitting for confirmation, with evidence unless the task already has some.

    Its fields are posted as submit-note and submit-files: the page also holds the progress
    form, whose note and files must not be filled with what was typed here, or the reverse."""

    note = TextAreaField(_l("Note"), validators=[Length(max=5000, message=_l("At most 5,000 characters."))])
    files = MultipleFileField(_l("Evidence files"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "submit")
        super().__init__(*args, **kwargs)


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Comment"),
                            validators=[Length(max=5000, message=_l("At most 5,000 characters."))])
    decision = HiddenField()


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give the reason for cancelling.")),
                                                     Length(max=2000, message=_l("At most 2,000 characters."))])


class SuspendForm(FlaskForm):
    """Suspending (tạm dừng) asks for the reason; ids apart from the cancel form's."""

    reason = TextAreaField(_l("Reason"), id="suspend-reason",
                           validators=[DataRequired(_l("Give the reason for suspending.")),
                                       Length(max=2000, message=_l("At most 2,000 characters."))])


class ResumeForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), id="resume-comment",
                            validators=[Length(max=2000, message=_l("At most 2,000 characters."))])


class WithdrawForm(FlaskForm):
    """Taking back a submission not yet decided (the reason is optional)."""

    note = TextAreaField(_l("Why withdraw (optional)"), id="withdraw-note",
                         validators=[Length(max=2000, message=_l("At most 2,000 characters."))])


class ExtensionRequestForm(FlaskForm):
    """Asking to move the due date; the rules on the date live in the service."""

    # Ids apart from the names: the page also shows the cancel form's "reason".
    proposed_due_on = VNDateField(_l("Proposed due date"), id="extension-proposed_due_on",
                                  validators=[InputRequired(_l("Enter the proposed due date."))])
    reason = TextAreaField(_l("Reason for the extension"), id="extension-reason",
                           validators=[DataRequired(_l("Give the reason for the extension.")),
                                       Length(max=2000, message=_l("At most 2,000 characters."))])


class ExtensionDecisionForm(FlaskForm):
    """Approve or refuse a pending request (the buttons carry `decision`)."""

    comment = TextAreaField(_l("Comment"), id="extension-comment",
                            validators=[Length(max=5000, message=_l("At most 5,000 characters."))])


class CoordinatorNoteForm(FlaskForm):
    """A coordinating unit's note on the task's progress (not a report: no percent)."""

    note = TextAreaField(_l("Note as coordinator"), id="coordinator-note", validators=[
        TypedLength(max=2000, message=_l("At most 2,000 characters.")),
        DataRequired(message=_l("Write the note."))])


class ContactsForm(FlaskForm):
    """The contact persons a coordinating unit's head names for the task."""

    user_ids = IdMultiSelect(_l("Contact persons"), render_kw={
        "data-search": "1", "data-placeholder": _l("Type to search people"),
        "data-no-results": _l("Nobody matches")})
