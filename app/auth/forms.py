"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username.")),
                                                       Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")),
                                                         Length(max=128)])
    submit = SubmitField(_l("Log in"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(_l("Enter your current password."))])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(_l("Enter a new password.")),
                                             Length(min=8, max=128,
                                                    message=_l("Use 8 to 128 characters."))])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[EqualTo("new_password",
                                                _l("The two new passwords differ."))])
    submit = SubmitField(_l("Change password"))
