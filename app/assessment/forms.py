"""Assessment forms: the period picker (GET) and the freeze request (POST)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import Optional

from ..formfields import OptionalIdSelect, VNDateField


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
