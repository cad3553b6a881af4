"""APScheduler: started only by init_scheduler(app), never at import, never in the
debug reloader's parent, off in tests. Jobs run in Asia/Ho_Chi_Minh time."""

import logging
import os
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from app import clock
from app.deadlines import sweep as overdue
from app.directory import users
from app.extensions import db
from app.notifications import mail
from app.quality import flow as quality_flow
from app.settings import Settings, settings_of

log = logging.getLogger(__name__)


def _tick(now: datetime, minutes: int) -> str:
    """The tick a moment belongs to: the scheduled slot, the same in every process."""
    slot = (now.hour * 60 + now.minute) // minutes * minutes
    return f"{now:%Y-%m-%d}T{slot // 60:02d}:{slot % 60:02d}"


def sweep_tick(job: str, tick: str, today, settings: Settings) -> "overdue.SweepResult | None":
    """One tick of the sweep, committed here (the job's boundary): the ledger row and the
    sweep commit together, so a process killed half-way leaves neither and the next tick
    does the work. None when another process already had the tick."""
    result = overdue.run_tick(job, tick, today, settings.reminders)
    if result is None:
        db.session.rollback()
        return None
    try:
        db.session.commit()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        return None
    return result


def sweep_job(app: Flask, now: datetime | None = None) -> None:
    """One tick: the overdue sweep (once across processes), then pending mail.
    `now` (timezone-aware, any zone; tests pass it) defaults to the current instant."""
    with app.app_context():
        settings = settings_of(app)
        now = (now or clock.now()).astimezone(clock.zone())
        try:
            result = sweep_tick("sweep", _tick(now, settings.sweep_interval_minutes), now.date(),
                                settings)
            if result is not None:
                log.info("overdue sweep %s", result)
            # Indicator sets whose entry window closed: freeze the open sheets' automatic
            # figures as of the cut-off (idempotent; set-based; app/quality/flow.py).
            frozen = quality_flow.freeze_due(now.date(), settings.scoring)
            db.session.commit()
            if frozen:
                log.info("quality cut-off: %s sheets frozen", frozen)
            sent = mail.send_pending(settings.mail, digest=False)
            # Expired failed-login rows go; a throttled window leaves one summary row.
            users.prune_login_failures(settings.login.window_seconds)
            if now.hour == settings.digest_hour and overdue.claim_tick("digest", f"{now:%Y-%m-%d}"):
                # Once a day: the ledger row makes later ticks of the hour (and other
                # processes) skip the digest.
                sent += mail.send_pending(settings.mail, digest=True)
            db.session.commit()
            if sent:
                log.info("sent %s emails", sent)
        except Exception:  # a failing tick must not kill the scheduler thread
            db.session.rollback()
            log.exception("scheduler tick failed")
        finally:
            db.session.remove()


def _add_jobs(scheduler, app: Flask) -> None:
    scheduler.add_job(sweep_job, "interval", args=[app], id="overdue-sweep",
                      minutes=app.config["SWEEP_INTERVAL_MINUTES"], next_run_time=datetime.now(
                          ZoneInfo(app.config["APP_TIMEZONE"])),
                      coalesce=True, max_instances=1, misfire_grace_time=300, replace_existing=True)


def _flask_command() -> str | None:
    """The `flask` subcommand this process runs, or None under gunicorn or another server."""
    if not sys.argv or os.path.basename(sys.argv[0]) != "flask":
        return None
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    return args[0] if args else ""


def init_scheduler(app: Flask) -> BackgroundScheduler | None:
    """Start the in-process scheduler when SCHEDULER_ENABLED is set (not in tests,
    not in the reloader's watching parent). Several processes may all run it: the
    job ledger lets exactly one of them do each tick."""
    if not app.config.get("SCHEDULER_ENABLED") or app.testing:
        return None
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the reloader's parent only watches files
    if _flask_command() not in (None, "run"):
        return None  # `flask db upgrade`, `flask scheduler run`...: not a web server
    if "sauro_scheduler" in app.extensions:
        return app.extensions["sauro_scheduler"]
    scheduler = BackgroundScheduler(timezone=ZoneInfo(app.config["APP_TIMEZONE"]), daemon=True)
    _add_jobs(scheduler, app)
    scheduler.start()
    app.extensions["sauro_scheduler"] = scheduler
    log.info("scheduler started in process %s", os.getpid())
    return scheduler


def run_blocking(app: Flask) -> None:
    """`flask scheduler run`: a dedicated scheduler process (recommended in production)."""
    scheduler = BlockingScheduler(timezone=ZoneInfo(app.config["APP_TIMEZONE"]))
    _add_jobs(scheduler, app)
    scheduler.start()
