"""Form fields shared by every blueprint: Vietnamese dates and numbers, optional ids."""

import functools
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import wtforms.widgets
import wtforms.widgets.core
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Field, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import TextInput

from app.domain import task_rules
from app.tasks import messages as task_messages

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")

# WTForms' own, kept to install ours in its place once and to test that both write the same.
WTFORMS_HTML_PARAMS = wtforms.widgets.core.html_params


def html_params(**kwargs) -> Markup:
    """The attributes of a form element, exactly as WTForms' `html_params` writes them (keys
    sorted, a trailing `_` dropped, `data_`/`aria_` keys hyphenated, True a bare attribute,
    False left out, the key and the value escaped and a `"` in a markup value written
    `&quot;`), with plain string formatting: WTForms formats each attribute through
    `Markup.format` (string.Formatter and an escaping pass per field), about a fifth of a
    page whose content is a small form (issue 16 goal 4: /password renders six elements).
    tests/web/test_form_html.py holds both to the same output."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(_attribute_name(key))
        elif value is not False:
            # str.replace: Markup.replace would escape its arguments
            value = str.replace(escape(value), '"', "&quot;")
            params.append(f'{_attribute_name(key)}="{value}"')
    return Markup(" ".join(params))  # nosec B704 - every key and value escaped above


@functools.lru_cache(maxsize=512)
def _attribute_name(key: str) -> str:
    """An attribute's name as WTForms writes it (`class_` -> `class`, `data_x_y` ->
    `data-x-y`), escaped; the keys are the code's own, so a few hundred at most."""
    key = key.rstrip("_")
    if key.startswith(("data_", "aria_")):
        key = key.replace("_", "-")
    return str(escape(key))


def install_html_params() -> None:
    """WTForms' widgets and labels write their attributes with `html_params` above. They
    find it as the module's function (selects, text areas, options), the package's (labels)
    and a static method of `Input` and `Button` (bound when WTForms was imported)."""
    core = wtforms.widgets.core
    core.html_params = wtforms.widgets.html_params = html_params
    core.Input.html_params = core.Button.html_params = staticmethod(html_params)


def parse_date(text: str) -> date | None:
    """dd/mm/yyyy (also d/m/yyyy and yyyy-mm-dd); None when blank; ValueError when not a date."""
    text = (text or "").strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            value = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if 1900 <= value.year <= 2200:
            return value
    raise ValueError(text)


def parse_decimal(text: str) -> Decimal | None:
    """Accepts 1.234,5 (Vietnamese) and 1234.5; None when blank."""
    text = (text or "").strip().replace(" ", "")
    if not text:
        return None
    if "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".")
    value = Decimal(text)
    # columns hold 14 digits before the point and 4 after (rounding may carry into a 15th)
    if not value.is_finite() or abs(value) >= Decimal("1e14") or abs(round(value, 4)) >= Decimal("1e14"):
        raise InvalidOperation(text)
    return value


class VNDateField(Field):
    """A text input showing and reading dates as dd/mm/yyyy."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).update({"placeholder": "dd/mm/yyyy", "inputmode": "numeric",
                                                   "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.raw = ""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.raw = valuelist[0]
        try:
            self.data = parse_date(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("%(text)s is not a valid date (dd/mm/yyyy).",
                                text=valuelist[0][:40])) from None


class DecimalTextField(Field):
    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).update({"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return format(self.data.normalize(), "f")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        try:
            self.data = parse_decimal(valuelist[0])
        except (InvalidOperation, ValueError):
            self.data = None
            raise ValueError(_l("Enter a number.")) from None


class WholeNumberField(IntegerField):
    """An integer field with its own message for text that is not a whole number ("abc",
    "50.5"): WTForms' "Not a valid integer value." has no Vietnamese. A blank is left to
    InputRequired/Optional, and text that does not parse skips the other validators, so
    the user reads one message, not two."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Enter a whole number.")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        if not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(self.message) from None

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


def _opt_int(value):
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1  # an id that exists nowhere: the service refuses it with a message
    # ids are 32-bit: a larger number would make the database raise (a 500), not refuse
    return number if -(2**31) < number < 2**31 else -1


class OptionalIdSelect(SelectField):
    """A select of ids where "none" is allowed; unknown ids go to the service to refuse."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("coerce", _opt_int)
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)


class IdMultiSelect(SelectMultipleField):
    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("coerce", _opt_int)
        kwargs.setdefault("validate_choice", False)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = [v for v in (_opt_int(x) for x in valuelist) if v is not None]


class TypedLength(Length):
    """Length without the browser's `maxlength`: WTForms renders Length's maximum as
    maxlength, and a browser then cuts what is pasted without a word (issue 17: a title
    over the limit must get a message, not a silent cut). The check stays on the server."""

    def __init__(self, min: int = -1, max: int = -1, message=None):
        super().__init__(min, max, message)
        self.field_flags = {}


class RuleLength:
    """A task text's length limit from the rule set (task_rules.TEXT_LIMITS), refused in the
    rule set's words (app/tasks/messages.py), so the form says what the import and the API
    say. Like TypedLength it sets no `maxlength`: a browser would cut a pasted text without
    a word (issue 17)."""

    def __init__(self, name: str):
        self.name = name
        self.field_flags: dict = {}

    def __call__(self, form, field) -> None:
        v = task_rules.check_text(self.name, field.data)
        if v is not None:
            raise ValidationError(str(task_messages.message(v)))
