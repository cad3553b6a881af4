"""Plan forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from app.formfields import OptionalIdSelect, VNDateField, WholeNumberField


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


class ImportColumnsForm(FlaskForm):
    """The columns of a stored upload read again as the user says (issue 14): the token, and
    one select `column-<index>` per column of the file, read by the route against the
    columns stored with the upload (never cells from the browser)."""

    token = HiddenField(validators=[DataRequired()])
