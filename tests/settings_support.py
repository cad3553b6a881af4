"""Changing settings inside a test: the app reads its settings once (app/settings.py), so a
test that changes a config value after the app is built re-reads them too."""

from app.settings import KEY, Settings


def override_settings(monkeypatch, app, **config) -> Settings:
    """Set these config values and the settings read from them; both are restored after
    the test (the app may be shared by a module's tests)."""
    for key, value in config.items():
        monkeypatch.setitem(app.config, key, value)
    settings = Settings.from_config(app.config)
    monkeypatch.setitem(app.extensions, KEY, settings)
    return settings
