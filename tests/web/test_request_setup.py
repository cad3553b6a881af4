"""What every page pays once a request, done once for the life of the app where the result
cannot differ (issue 16 goal 4): the reader's language as a parsed Locale, and templates'
strings formatted only when there is something to format."""

import pytest
from flask import session
from flask_babel import get_locale, refresh


def test_the_language_is_parsed_once_for_the_life_of_the_app(app):
    seen = {}
    for lang in ("vi", "en", "vi", "en"):
        with app.test_request_context("/"):
            session["lang"] = lang
            refresh()
            locale = get_locale()
            assert str(locale) == lang
            seen.setdefault(lang, locale)
            assert locale is seen[lang]


def test_a_language_outside_the_list_is_still_parsed(app, monkeypatch):
    monkeypatch.setattr("app.select_locale", lambda: "fr")
    with app.test_request_context("/"):
        assert str(get_locale()) == "fr"


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ _('Plain words') }}", "Plain words"),
    ("{{ _('100%% done') }}", "100% done"),
    ("{{ _('%(who)s wrote', who='<b>') }}", "&lt;b&gt; wrote"),
    ("{{ _('Log out') }}", "Đăng xuất"),
])
def test_templates_strings_read_as_jinja_formats_them(app, source, expected):
    with app.test_request_context("/"):
        assert app.jinja_env.from_string(source).render() == expected
