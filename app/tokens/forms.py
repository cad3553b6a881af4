"""The form that makes a personal access token."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from app.formfields import VNDateField


class TokenForm(FlaskForm):
    """A name, read-only or read-write, an optional expiry (the rules live in the service)."""

    name = StringField(_l("Name (what the token is for)"),
                       validators=[DataRequired(_l("Give the token a name (what it is for).")),
                                   Length(max=100, message=_l("At most 100 characters."))])
    read_only = BooleanField(_l("Read only (cannot change anything)"), default=True)
    expires_on = VNDateField(_l("Expires on (dd/mm/yyyy, empty: never)"))
