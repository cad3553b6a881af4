"""Instants in local time. `*_at` columns hold instants in UTC (naive, as the database
returns them); wherever one is printed or exported it is shown in the province's time zone
(issue 17: a run frozen at 06:23 on 07/12 printed "chốt ngày 06/12")."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

# The province's time zone (config APP_TIMEZONE).
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_time(instant: datetime, tz: ZoneInfo = LOCAL_TZ) -> datetime:
    """An instant (aware, or naive UTC as the database returns it) in local time."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(tz)


def local_date(instant: datetime, tz: ZoneInfo = LOCAL_TZ) -> date:
    """The local calendar date of an instant: 23:30 UTC on 06/12 is 07/12 in Hà Nội."""
    return local_time(instant, tz).date()
