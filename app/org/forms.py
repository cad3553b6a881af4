"""Forms of the organisation pages: a deputy's fields, a person's extra roles, the audit
browser's filter."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField

from app.formfields import IdMultiSelect


class FieldsForm(FlaskForm):
    # Unknown ids reach the service, which refuses them beside the list.
    field_ids = IdMultiSelect(_l("Fields of responsibility"))


class RolesForm(FlaskForm):
    extra_roles = SelectMultipleField(_l("Additional roles"), validate_choice=False)
