"""Administration forms: units and users."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.formfields import OptionalIdSelect
from app.models import Role


class UnitForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the unit code.")),
                                               Length(max=32, message=_l("At most 32 characters."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the unit's name.")),
                                               Length(max=255, message=_l("At most 255 characters."))])
    kind = SelectField(_l("Kind"), default="office")
    parent_id = OptionalIdSelect(_l("Parent unit"))


class UnitEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the unit's name.")),
                                               Length(max=255, message=_l("At most 255 characters."))])
    kind = SelectField(_l("Kind"))
    parent_id = OptionalIdSelect(_l("Parent unit"))
    is_active = BooleanField(_l("Active (untick to retire the unit)"))


class MergeForm(FlaskForm):
    target_id = OptionalIdSelect(_l("Merge into"))
    confirm = BooleanField(_l("I understand that the merge cannot be undone"))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter a username.")),
                                                       Length(max=64, message=_l("At most 64 characters."))])
    full_name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")),
                                                         Length(max=255, message=_l("At most 255 characters."))])
    email = EmailField(_l("Email"), validators=[Optional(), Email(_l("Enter a valid email address.")),
                                                Length(max=255)])
    title = StringField(_l("Position"), validators=[Length(max=255, message=_l("At most 255 characters."))])
    unit_id = OptionalIdSelect(_l("Unit"))
    # A new account is a staff member unless the admin says otherwise: a form filled in a
    # hurry must never create another administrator.
    role = SelectField(_l("Role"), default=Role.STAFF.value)
    is_active = BooleanField(_l("Active"), default=True)
    new_password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=128,
                                                             message=_l("Use 8 to 128 characters."))])
