"""Browser tests: a live server on 127.0.0.1 with its own database, driven by Debian's chromium.

Each test module gets a fresh server and a freshly seeded database (a copy of the migrated
SQLite template, or the session's PostgreSQL schema, truncated after the module). One
chromium serves the whole session; every test opens its own browser contexts, so cookies
never leak from one test (or one user) to another.

Screenshots of the main pages are written to docs/screenshots/ when SAURO_SCREENSHOTS=1.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from config import TestConfig
from tests.conftest import TODAY, Factory, truncate_all
from tests.e2e.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Live, login, seed


@pytest.fixture(scope="module")
def live(database, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    if database["kind"] == "sqlite":
        target = tmp / "e2e.db"
        shutil.copyfile(database["path"], target)
        url = f"sqlite:///{target}"
    else:
        url = database["url"]
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, WTF_CSRF_ENABLED=True,
                     UPLOAD_FOLDER=str(tmp / "uploads"), TODAY=TODAY)
    try:
        with app.app_context():
            ids = seed(Factory())
            db.session.remove()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
        thread.start()
        try:
            yield Live(app, f"http://127.0.0.1:{server.server_port}", ids)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if database["kind"] == "postgresql":
            truncate_all(url)


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_page(browser, live):
    """open_page(username=None, viewport=DESKTOP, locale="vi-VN") -> a page, logged in if asked."""
    contexts = []

    def _open(username: str | None = None, viewport: dict | None = None):
        ctx = browser.new_context(viewport=viewport or DESKTOP, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", accept_downloads=True)
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        # Script errors (CSP violations included) and failed assets; pages themselves may
        # answer 4xx on purpose (a refused form is a 422).
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: _console(page, msg))
        page.on("response", lambda resp: _asset(page, resp))
        if username:
            login(page, live, username)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


def _console(page, msg) -> None:
    # A failed request is logged without its address; _asset reports it with one.
    if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
        page.errors.append(f"console: {msg.text}")


def _asset(page, resp) -> None:
    if (resp.status >= 400 and resp.request.resource_type != "document"
            and not resp.url.endswith("/favicon.ico")):
        page.errors.append(f"{resp.status} {resp.url}")


