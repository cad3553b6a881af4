"""The notification settings form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField


class NotificationSettingsForm(FlaskForm):
    email_digest = BooleanField(_l("Send me one email a day with everything new, instead of one "
                                   "email per notification"))
