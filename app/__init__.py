"""Sáu Rõ: the six-clears task and accountability tracker."""

import logging
import sqlite3
from pathlib import Path

from babel import Locale
from flask import Flask, Request, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from werkzeug.middleware.proxy_fix import ProxyFix

import config
from app import errors, filters, formfields, settings
from app.admin.routes import bp as admin_bp
from app.api import routes as api_routes
from app.assessment.routes import bp as assessment_bp
from app.auth.routes import bp as auth_bp
from app.calendar.routes import bp as calendar_bp
from app.cli import register as register_cli
from app.dashboard.routes import bp as dashboard_bp
from app.extensions import babel, bootstrap, csrf, db, login_manager, migrate, passwords
from app.models import Notification, User
from app.notifications.routes import bp as notifications_bp
from app.org.routes import bp as org_bp
from app.plans.routes import bp as plans_bp
from app.quality.routes import bp as quality_bp
from app.tasks.routes import bp as tasks_bp
from app.tokens.routes import bp as tokens_bp
from config import Config

log = logging.getLogger(__name__)


def select_locale() -> str:
    """Vietnamese unless the session or the user chose English; CLI and jobs use Vietnamese."""
    if not has_request_context():
        return "vi"
    if "api_locale" in g:  # the API: the token owner's language (app/api/routes.py)
        return g.api_locale
    if request.blueprint == "api" and request.endpoint != "api.openapi_page":
        return "vi"  # the API before its token is known: never the session's choice
    lang = session.get("lang")
    if lang in ("vi", "en"):
        return lang
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale:
        return current_user.locale
    return "vi"


def _without_nul(params):
    return [(k.replace("\x00", ""), v.replace("\x00", "")) for k, v in params.items(multi=True)
            if k is not None and v is not None]


def _has_nul_or_none(params) -> bool:
    """A NUL in a name or value, or a part without a name (werkzeug keys it None)."""
    return any(k is None or v is None or "\x00" in k or "\x00" in v
               for k, v in params.items(multi=True))


class SauRoRequest(Request):
    """Drops NUL characters from form fields and query arguments: nobody types them, and
    PostgreSQL cannot store them in text (the statement would fail with a 500)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and _has_nul_or_none(form):
            self.__dict__["form"] = self.parameter_storage_class(_without_nul(form))

    @property
    def args(self):
        if "_clean_args" not in self.__dict__:
            args = Request.args.__get__(self)
            if any("\x00" in k or "\x00" in v for k, v in args.items(multi=True)):
                args = self.parameter_storage_class(_without_nul(args))
            self.__dict__["_clean_args"] = args
        return self.__dict__["_clean_args"]


def create_app(config_class: type = Config, **overrides) -> Flask:
    """Build the app; nothing runs at import time and no scheduler starts here."""
    app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    app.request_class = SauRoRequest
    app.config.from_object(config_class)
    app.config.update(overrides)
    # Read once, checked here: a wrong setting stops the app at start-up, naming it.
    settings.init_app(app)
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        # X-Forwarded-For / -Proto from exactly that many proxies: remote_addr becomes the
        # address the nearest trusted proxy saw (gunicorn's forwarded_allow_ips does not
        # change REMOTE_ADDR). With 0 the headers are ignored: anyone could forge them.
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0, x_port=0, x_prefix=0)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent.mkdir(
            parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config.BASE_DIR / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    # The selected language as babel's Locale, parsed once for the life of the app: given a
    # code, flask_babel parses it on every request (Locale.parse, ~12 us of every page, issue
    # 16 goal 4); given a Locale, it takes it as it is. A Locale is only read once made.
    locales = {code: Locale.parse(code) for code in app.config["LANGUAGES"]}

    def request_locale():
        code = select_locale()
        return locales.get(code, code)

    babel.init_app(app, locale_selector=request_locale,
                   default_translation_directories=str(
                       config.BASE_DIR / "app" / "translations"))
    bootstrap.init_app(app)
    passwords.init_app(app)

    app.register_blueprint(auth_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(assessment_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(calendar_bp)
    api_routes.init_app(app)  # /api/v1: bearer tokens, CSRF-exempt, problem documents
    app.register_blueprint(quality_bp)
    app.register_blueprint(org_bp)
    errors.register(app)
    filters.register(app)
    formfields.install_html_params()
    register_cli(app)

    # The navbar's bell (app/notifications/routes.py) counts the reader's unread
    # notifications once a request; on a GET (which writes nothing) that count rides along
    # with loading the user, one statement instead of two (issue 16: what every page pays).
    # Other methods may mark notifications read before the page renders: counted then.
    unread = (select(func.count(Notification.id))
              .where(Notification.user_id == User.id, Notification.read_at.is_(None))
              .correlate(User).scalar_subquery())
    # Both statements built once (the token a bound parameter): building them anew cost every
    # request a third of loading the user (docs/performance.md, fourth pass).
    where = (User.session_token == bindparam("token"), User.is_active)
    user_alone = select(User).where(*where)
    user_and_unread = select(User, unread).where(*where)

    @login_manager.user_loader
    def load_user(token: str):
        if request.method not in ("GET", "HEAD"):
            return db.session.scalar(user_alone, {"token": token})
        row = db.session.execute(user_and_unread, {"token": token}).first()
        if row is None:
            return None
        g.unread_notifications = row[1] or 0
        return row[0]

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                     "script-src 'self'; object-src 'none'; base-uri 'none'; "
                     "frame-ancestors 'none'; form-action 'self'")
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        if app.config.get("HSTS"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if getattr(current_user, "is_authenticated", False) and not request.path.startswith("/static/"):
            h["Cache-Control"] = "no-store"
        return response

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    if not app.testing:
        log.info("SQLite library %s", sqlite3.sqlite_version)
    return app


__all__ = ["create_app"]
