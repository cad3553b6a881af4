"""Typed settings: read once from app.config when the app is built, handed to services.

Services never read `current_app`: a view, a CLI command or a scheduler job takes the
settings with `current_settings()` (or `settings_of(app)`) and passes them in. A wrong value
(a misspelt SCORING_* name, a credit out of range) stops the app at start-up with a message
naming it, rather than at the first page that would use it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import Flask, current_app

from app.domain.scoring import ScoringSettings
from app.domain.task_rules import RuleSettings

KEY = "sauro_settings"

# The environment names of the scoring settings (DESIGN.md section 5: every number is a
# setting): SCORING_CREDIT_LATE=0.75 and so on, read by config.py into SCORING_SETTINGS.
SCORING_NAMES = tuple(ScoringSettings.__dataclass_fields__)


@dataclass(frozen=True)
class Files:
    """Where uploads are kept (evidence, and imports awaiting confirmation) and how large
    one evidence file may be."""

    upload_folder: Path
    max_evidence_bytes: int            # one file
    max_files_per_request: int         # files attached in one post
    max_bytes_per_task: int            # evidence held by one task
    max_bytes_per_day: int             # evidence one person uploads in any 24 hours


@dataclass(frozen=True)
class Reminders:
    """The overdue engine's numbers (DESIGN.md section 6)."""

    offsets: tuple[int, ...]   # days before the due date that remind (7, 3, 1, 0)
    repeat_days: int           # an overdue notice repeats every this many days
    escalate_days: int         # from this many days late the head is told too
    # Work that waits on a decider (a submission to confirm, an extension request): the
    # decider is reminded after each of these working days, the head told after the last.
    review_days: tuple[int, ...] = (2, 5)
    review_escalate_days: int = 7


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed per account and per address within the window."""

    window_seconds: int
    per_account: int
    per_address: int
    redis_url: str | None      # failures counted in Redis (several servers), else the database
    address_delay_seconds: float  # a wrong password from an address over its limit waits this long


@dataclass(frozen=True)
class Mail:
    """The SMTP server and the links written into emails; no server means no email."""

    server: str | None
    port: int
    use_tls: bool
    username: str | None
    password: str | None
    sender: str
    base_url: str


@dataclass(frozen=True)
class Settings:
    """Every setting a service uses, typed."""

    timezone: str
    due_soon_days: int
    page_size: int
    files: Files
    max_extensions: int
    max_unit_depth: int
    task_rules: RuleSettings
    reminders: Reminders
    login: LoginLimits
    mail: Mail
    scoring: ScoringSettings
    sweep_interval_minutes: int
    digest_hour: int

    @classmethod
    def from_config(cls, config: Mapping) -> "Settings":
        """Read (and check) the settings from a Flask config."""
        return cls(
            timezone=config["APP_TIMEZONE"],
            due_soon_days=int(config["DUE_SOON_DAYS"]),
            page_size=int(config["PAGE_SIZE"]),
            files=Files(
                upload_folder=Path(config["UPLOAD_FOLDER"]).resolve(),
                max_evidence_bytes=int(config["MAX_EVIDENCE_BYTES"]),
                max_files_per_request=int(config["MAX_EVIDENCE_FILES_PER_REQUEST"]),
                max_bytes_per_task=int(config["MAX_EVIDENCE_BYTES_PER_TASK"]),
                max_bytes_per_day=int(config["MAX_EVIDENCE_BYTES_PER_DAY"])),
            max_extensions=int(config.get("MAX_EXTENSIONS", 2)),
            max_unit_depth=int(config.get("MAX_UNIT_DEPTH", 10)),
            task_rules=task_rules_from_config(config),
            reminders=Reminders(
                offsets=tuple(sorted({int(x) for x in config["DUE_REMINDER_OFFSETS"]})),
                repeat_days=max(1, int(config["OVERDUE_REPEAT_DAYS"])),
                escalate_days=max(1, int(config["OVERDUE_ESCALATE_DAYS"])),
                review_days=tuple(sorted({max(1, int(x)) for x in config.get("REVIEW_REMINDER_DAYS", (2, 5))})),
                review_escalate_days=max(1, int(config.get("REVIEW_ESCALATE_DAYS", 7)))),
            login=LoginLimits(
                window_seconds=int(config["LOGIN_FAILURE_WINDOW_SECONDS"]),
                per_account=int(config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]),
                per_address=int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
                redis_url=config.get("REDIS_URL") or None,
                address_delay_seconds=float(config.get("LOGIN_ADDRESS_DELAY_SECONDS") or 0)),
            mail=Mail(
                server=config.get("MAIL_SERVER") or None, port=int(config["MAIL_PORT"]),
                use_tls=bool(config.get("MAIL_USE_TLS")),
                username=config.get("MAIL_USERNAME") or None,
                password=config.get("MAIL_PASSWORD") or None,
                sender=config["MAIL_SENDER"], base_url=config["BASE_URL"].rstrip("/")),
            scoring=scoring_from_config(config),
            sweep_interval_minutes=int(config["SWEEP_INTERVAL_MINUTES"]),
            digest_hour=int(config["DIGEST_HOUR"]),
        )


def task_rules_from_config(config: Mapping) -> RuleSettings:
    """The task rule settings (TASK_WEIGHT_MIN, TASK_WEIGHT_MAX), refused with a message
    naming the setting when invalid."""
    values = {}
    for key, name in (("weight_min", "TASK_WEIGHT_MIN"), ("weight_max", "TASK_WEIGHT_MAX")):
        raw = config.get(name)
        if raw is None or str(raw).strip() == "":
            continue
        try:
            values[key] = Decimal(str(raw).strip().replace(",", "."))
        except ArithmeticError:
            raise ValueError(f"{name}: not a number: {raw!r}") from None
    settings = RuleSettings(**values)
    settings.check()
    return settings


def scoring_from_config(config: Mapping) -> ScoringSettings:
    """The scoring settings in force: the Decree 335/2025 defaults, overridden by the
    app's SCORING_SETTINGS (a dict, filled by config.py from SCORING_* environment
    variables). A misspelt name or a value out of range is refused with a message that
    names it, so a wrong setting never scores anyone silently."""
    given = dict(config.get("SCORING_SETTINGS") or {})
    unknown = sorted(set(given) - set(SCORING_NAMES))
    if unknown:
        raise ValueError("unknown scoring setting(s): " + ", ".join(
            f"SCORING_{k.upper()}" for k in unknown)
            + "; known: " + ", ".join(f"SCORING_{k.upper()}" for k in SCORING_NAMES))
    values = {}
    for key, raw in given.items():
        try:
            value = Decimal(str(raw).strip().replace(",", "."))
        except ArithmeticError:
            value = None
        if value is None or not value.is_finite():
            raise ValueError(f"SCORING_{key.upper()}: not a number: {raw!r}")
        values[key] = value
    s = ScoringSettings(**values)
    for key in ("credit_on_time", "credit_late", "credit_overdue"):
        if not 0 <= getattr(s, key) <= 1:
            raise ValueError(f"SCORING_{key.upper()} must be between 0 and 1: {getattr(s, key)}")
    if not 0 <= s.pass_from <= s.good_from <= s.excellent_from <= 100:
        raise ValueError("the grade bands must satisfy 0 <= SCORING_PASS_FROM <= SCORING_GOOD_FROM"
                         f" <= SCORING_EXCELLENT_FROM <= 100: {s.pass_from}, {s.good_from},"
                         f" {s.excellent_from}")
    if not 0 <= s.excellent_quota <= 1:
        raise ValueError(f"SCORING_EXCELLENT_QUOTA must be between 0 and 1: {s.excellent_quota}")
    return s


def init_app(app: Flask) -> Settings:
    """Read the settings once and keep them on the app."""
    settings = Settings.from_config(app.config)
    app.extensions[KEY] = settings
    return settings


def settings_of(app: Flask) -> Settings:
    """The settings of this app."""
    return app.extensions[KEY]


def current_settings() -> Settings:
    """The settings of the app handling this request, command or job (for views, CLI
    commands and jobs; services receive them as a parameter)."""
    return current_app.extensions[KEY]


__all__ = ["Files", "LoginLimits", "Mail", "Reminders", "Settings", "current_settings",
           "init_app", "scoring_from_config", "settings_of", "task_rules_from_config"]
