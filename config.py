"""Configuration: reads the environment, nothing else."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("SAURO_INSTANCE_DIR", BASE_DIR / "instance"))


class Config:
    DEV_SECRET_KEY = "dev-only-change-me"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'sauro.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # SQLite: how long a write waits for the write lock before the request answers 503
    # "busy, try again" (app/extensions.py has the measurements behind the default).
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "30000"))
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    # Evidence files: 20 MB each; the whole request may carry a few of them.
    MAX_EVIDENCE_BYTES = int(os.environ.get("MAX_EVIDENCE_BYTES", 20 * 1024 * 1024))
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 64 * 1024 * 1024))
    # Evidence quotas: files in one post, bytes of evidence on one task, bytes one person may
    # upload in one day (Asia/Ho_Chi_Minh), all tasks together.
    MAX_EVIDENCE_FILES_PER_REQUEST = int(os.environ.get("MAX_EVIDENCE_FILES_PER_REQUEST", 10))
    MAX_EVIDENCE_BYTES_PER_TASK = int(os.environ.get("MAX_EVIDENCE_BYTES_PER_TASK", 200 * 1024 * 1024))
    MAX_EVIDENCE_BYTES_PER_DAY = int(os.environ.get("MAX_EVIDENCE_BYTES_PER_DAY", 200 * 1024 * 1024))
    # Depth of the unit tree (the province is 1): keeps `units.path` within its column.
    MAX_UNIT_DEPTH = int(os.environ.get("MAX_UNIT_DEPTH", 10))
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    APP_TIMEZONE = "Asia/Ho_Chi_Minh"
    BOOTSTRAP_SERVE_LOCAL = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    PERMANENT_SESSION_LIFETIME = 12 * 3600
    WTF_CSRF_TIME_LIMIT = 3600
    # Failed logins: at most this many per account and per address in the window.
    LOGIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10))
    LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 50))
    LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60))
    # An address over its limit is slowed, never locked out: each attempt from it waits this
    # long before the password is checked, and a wrong one answers 429.
    LOGIN_ADDRESS_DELAY_SECONDS = float(os.environ.get("LOGIN_ADDRESS_DELAY_SECONDS", 1))
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto are believed (0: none,
    # the headers are ignored and the client is the connection's address). One nginx: 1.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))
    REDIS_URL = os.environ.get("REDIS_URL")
    # Requests per API token and minute (docs/api.md); 0: no limit.
    API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", 600))
    DUE_SOON_DAYS = int(os.environ.get("DUE_SOON_DAYS", 3))
    # The home page's and the overdue list's content cached per reader until their data is
    # written (app/dashboard/fragments.py); 0: made on every request.
    HOME_CACHE = os.environ.get("HOME_CACHE", "1") != "0"
    PAGE_SIZE = 50
    SCHEDULER_ENABLED = os.environ.get("SCHEDULER_ENABLED", "0") == "1"
    # Overdue engine (DESIGN.md section 6): every number is a setting.
    SWEEP_INTERVAL_MINUTES = int(os.environ.get("SWEEP_INTERVAL_MINUTES", 10))
    DUE_REMINDER_OFFSETS = tuple(int(x) for x in os.environ.get("DUE_REMINDER_OFFSETS", "7,3,1,0").split(","))
    OVERDUE_REPEAT_DAYS = int(os.environ.get("OVERDUE_REPEAT_DAYS", 7))
    OVERDUE_ESCALATE_DAYS = int(os.environ.get("OVERDUE_ESCALATE_DAYS", 14))
    # A submission awaiting confirmation or an extension request awaiting a decision: the
    # decider is reminded after these working days, the head of the plan's unit told after
    # REVIEW_ESCALATE_DAYS working days (weekends skipped).
    REVIEW_REMINDER_DAYS = tuple(int(x) for x in os.environ.get("REVIEW_REMINDER_DAYS", "2,5").split(","))
    REVIEW_ESCALATE_DAYS = int(os.environ.get("REVIEW_ESCALATE_DAYS", 7))
    MAX_EXTENSIONS = int(os.environ.get("MAX_EXTENSIONS", 2))
    # A task's weight lies in this range (issue 11: a weight of 999,999 bent a score);
    # checked at start-up by app.tasks.commands.rule_settings.
    TASK_WEIGHT_MIN = os.environ.get("TASK_WEIGHT_MIN", "0.1")
    TASK_WEIGHT_MAX = os.environ.get("TASK_WEIGHT_MAX", "10")
    # Scoring (DESIGN.md section 5): SCORING_CREDIT_LATE=0.75, SCORING_EXCELLENT_FROM=90 ...
    # (README lists them); checked by app.assessment.service.settings_from_config.
    SCORING_SETTINGS: dict = {k[len("SCORING_"):].lower(): v for k, v in os.environ.items()
                              if k.startswith("SCORING_")}
    DIGEST_HOUR = int(os.environ.get("DIGEST_HOUR", 7))
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") == "1"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "sauro@localhost")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    MAIL_SERVER = os.environ.get("MAIL_SERVER")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    SCHEDULER_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Fast hashing in tests; production keeps argon2's defaults.
    PASSWORD_HASH_FAST = True
    LOGIN_ADDRESS_DELAY_SECONDS = float(os.environ.get("LOGIN_ADDRESS_DELAY_SECONDS", 0))


class ProductionConfig(Config):
    DEBUG = False
    SESSION_COOKIE_SECURE = True
    # Browsers accept a __Host- cookie only over HTTPS, for Path=/ and without Domain: no
    # subdomain or plain-HTTP page can plant or overwrite it (ASVS V3.3.3).
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    HSTS = True


def config_for(env: str | None) -> type[Config]:
    """The configuration SAURO_ENV names: "production" -> ProductionConfig, else Config."""
    return ProductionConfig if (env or "").strip().lower() == "production" else Config
