"""Assessment forms: the period picker (GET), the freeze request (POST) and the final grade."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.formfields import OptionalIdSelect, VNDateField


class AssessmentFilterForm(FlaskForm):
    """Read from the query string: a bookmarkable address, no CSRF token."""

    class Meta:
        csrf = False

    period = SelectField(_l("Period"), validate_choice=False)
    as_of = VNDateField(_l("As of"), validators=[Optional()])
    unit = OptionalIdSelect(_l("Unit"))


class FreezeForm(FlaskForm):
    """The figures on screen, frozen: the same period, as-of date and unit."""

    period = HiddenField()
    as_of = HiddenField()
    unit = HiddenField()


class FinalGradeForm(FlaskForm):
    """The competent authority's final grade of one unit or leader of a frozen run. Shape
    only; the rules (dates, lengths) are the service's, shown beside the field."""

    grade = SelectField(_l("Final grade"), validate_choice=False)
    decision_no = StringField(_l("Decision number"))
    decision_on = VNDateField(_l("Decision date"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"))
