"""Form elements' attributes are written by app.formfields.html_params in place of WTForms'
own (issue 16 goal 4: the same bytes, without `Markup.format` per attribute)."""

import pytest
import wtforms.widgets
import wtforms.widgets.core
from markupsafe import Markup
from wtforms import (
    Form,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from app.formfields import WTFORMS_HTML_PARAMS, html_params

CASES = [
    {},
    {"name": "text1", "id": "f", "class_": "text"},
    {"checked": True, "readonly": False, "name": "text1", "abc": "hello"},
    {"data_attr": "user.name", "aria_labeledby": "name", "data_a_b_c": 1},
    {"for_": "x", "class__": "y"},
    {"value": 'say "hi" & <b>bye</b>', "title": "it's"},
    {"value": Markup('a "quoted" <i>markup</i>'), "placeholder": Markup("&amp; done")},
    {"value": 3, "min": 0, "step": 0.5, "maxlength": None},
    {"value": "Nguyễn Văn Ánh — Sở Nội vụ", "lang": "vi"},
    {"z": "1", "a": "2", "m": True, "b": False},
    {'bad"key': "v", "<k>": True},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_the_attributes_are_those_wtforms_writes(kwargs):
    ours, theirs = html_params(**kwargs), WTFORMS_HTML_PARAMS(**kwargs)
    assert ours == theirs
    assert isinstance(ours, Markup)


class _Sample(Form):
    name = StringField("Name <1>", render_kw={"data_x": 'a"b'})
    secret = PasswordField("Secret")
    notes = TextAreaField("Notes")
    kind = SelectField("Kind", choices=[SelectChoice("a", "A & a"),
                                               SelectChoice("b", 'B "b"', render_kw={"data_n": 2})])
    go = SubmitField("Go")


def _render(form) -> list[str]:
    out = []
    for f in form:
        out.append(str(f(class_="form-control is-invalid", required=True)))
        out.append(str(f.label(class_="form-label")))
    return out


def test_the_app_renders_widgets_and_labels_with_it(app):
    core = wtforms.widgets.core
    assert core.html_params is html_params
    assert wtforms.widgets.html_params is html_params
    assert core.Input.html_params is html_params
    assert core.Button.html_params is html_params
    form = _Sample(data={"name": 'Ánh "A" <b>', "notes": "x & y", "kind": "b"})
    ours = _render(form)
    try:
        core.html_params = wtforms.widgets.html_params = WTFORMS_HTML_PARAMS
        core.Input.html_params = core.Button.html_params = staticmethod(WTFORMS_HTML_PARAMS)
        theirs = _render(form)
    finally:
        core.html_params = wtforms.widgets.html_params = html_params
        core.Input.html_params = core.Button.html_params = staticmethod(html_params)
    assert ours == theirs
    assert 'data-x="a&#34;b"' in ours[0]
