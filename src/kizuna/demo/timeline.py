"""The demo's fixed calendar: 18 months in Asia/Tokyo ending 2026-10-31.

Events are placed as fractional days since the window's start (local time) and turned
into UTC-aware datetimes and local calendar dates only when rows are written, so the
data never depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

__all__ = [
    "END_DAY",
    "SPAN_DAYS",
    "START",
    "TZ",
    "day_of",
    "local_moment",
    "month_of",
    "utc_moment",
]

TZ = ZoneInfo("Asia/Tokyo")
START = dt.datetime(2025, 5, 1, tzinfo=TZ)
END_DAY = dt.date(2026, 10, 31)  # the last day of data, inclusive
SPAN_DAYS = (END_DAY - START.date()).days + 1  # 549


def local_moment(day: float) -> dt.datetime:
    """The local (Asia/Tokyo) time `day` days after the start, to the second."""
    return START + dt.timedelta(seconds=math.floor(day * 86400))


def utc_moment(day: float) -> dt.datetime:
    """The same moment as an aware UTC datetime (what UTCDateTime columns take)."""
    return local_moment(day).astimezone(dt.UTC)


def day_of(day: float) -> dt.date:
    """The local calendar date (received_on / occurred_on)."""
    return local_moment(day).date()


def month_of(day: float) -> str:
    """The local month as YYYY-MM."""
    return _MONTHS[min(max(math.floor(day), 0), SPAN_DAYS - 1)]


_MONTHS = [(START.date() + dt.timedelta(days=d)).strftime("%Y-%m") for d in range(SPAN_DAYS)]
