"""What every page pays once a request, done once for the life of the app where the result
cannot differ (issue 16 goal 4): the reader's language as a parsed Locale, the URLs templates
build without values, and templates' strings formatted only when there is something to format."""

import pytest
from flask import session
from flask_babel import get_locale, refresh
from werkzeug.routing import MapAdapter


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


def test_a_url_without_values_is_built_once_per_script_root(app, monkeypatch):
    url_for = app.jinja_env.globals["url_for"]
    plain = app.jinja_env.from_string("{{ url_for('auth.password') }}")
    with app.test_request_context("/"):
        assert plain.render() == "/password"
    built = []
    real = MapAdapter.build
    monkeypatch.setattr(MapAdapter, "build", lambda self, endpoint, *a, **k: (
        built.append(endpoint), real(self, endpoint, *a, **k))[1])
    with app.test_request_context("/"):
        assert plain.render() == "/password"
        assert url_for("auth.language", lang="en") == "/language/en"
    assert built == ["auth.language"]
    with app.test_request_context("/", base_url="http://localhost/sauro"):
        assert plain.render() == "/sauro/password"
        assert plain.render() == "/sauro/password"
        assert url_for("auth.language", lang="vi") == "/sauro/language/vi"
    assert built == ["auth.language", "auth.password", "auth.language"]
    app.config["SERVER_NAME"] = "sauro.example"
    with app.app_context():  # outside a request (a mail's links): Flask's, as before
        assert url_for("auth.password") == "http://sauro.example/password"
