"""The one clock: today's date and the current instant in Asia/Ho_Chi_Minh.

Views, CLI commands and scheduler jobs ask here; services and the domain never read the
time themselves, they take `today` / `now` as parameters (so a test, a back-dated import or
a replayed tick can say which day it is). Timestamps of record (`*_at` columns, audit rows)
are stamped in UTC by `models.base.utcnow`, which is not a business date.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    """The app's time zone (APP_TIMEZONE, Asia/Ho_Chi_Minh)."""
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def now() -> datetime:
    """The current instant, timezone-aware, in the app's zone."""
    return datetime.now(zone())


def local_today() -> date:
    """Today's calendar date in Asia/Ho_Chi_Minh, whatever zone the server runs in.

    The TODAY config value pins the date (the tests use 2026-06-15; a demo can too)."""
    override = current_app.config.get("TODAY")
    if override:
        return override
    return now().date()


__all__ = ["local_today", "now", "zone"]
