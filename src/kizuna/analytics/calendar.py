"""Business time on the Japanese calendar: deadlines counted in opening hours. Pure.

A `BusinessCalendar` is a workspace's opening hours per weekday (one or more windows a
day, in its time zone), Japan's national holidays (the `jpholiday` package, which follows
the Cabinet Office's list, substitute holidays and "citizens' holidays" included) and its
own closed days: recurring ranges such as the year-end closure (12-29 to 01-03) or Obon
(08-13 to 08-16), and single dates. On top of it:

    calendar.add(start, timedelta(hours=8))   # the moment 8 business hours after start
    calendar.between(a, b)                    # business time from a to b (negative if b < a)

Both take and give aware datetimes. A start outside opening hours counts from the next
opening; a deadline that uses up a day's last minute is that day's closing time.
Nothing here knows the database: the loop room builds the calendar from a workspace's
settings (`BusinessCalendar.from_config`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kizuna.errors import InvalidInput

__all__ = [
    "DEFAULT_CLOSED",
    "DEFAULT_HOURS",
    "WEEKDAYS",
    "BusinessCalendar",
    "ClosedRange",
    "national_holiday",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Window = tuple[dt.time, dt.time]
DEFAULT_HOURS: dict[str, str] = {day: "09:00-18:00" for day in WEEKDAYS[:5]}
_SEARCH_DAYS = 3 * 366  # a deadline further than three years away is a configuration error
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})-(\d{1,2})\s*$")


@dataclass(frozen=True)
class ClosedRange:
    """Days closed every year, `start` to `end` inclusive as (month, day); may wrap the year."""

    name: str
    start: tuple[int, int]
    end: tuple[int, int]

    def covers(self, day: dt.date) -> bool:
        here = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= here <= self.end
        return here >= self.start or here <= self.end


DEFAULT_CLOSED: tuple[dict[str, str], ...] = (
    {"name": "year_end", "from": "12-29", "to": "01-03"},
    {"name": "obon", "from": "08-13", "to": "08-16"},
)


@lru_cache(maxsize=4096)
def national_holiday(day: dt.date) -> str | None:
    """The name of Japan's national holiday on `day` (jpholiday), or None."""
    import jpholiday

    name = jpholiday.is_holiday_name(day)
    return str(name) if name else None


def _bad(en: str, ja: str, **details: Any) -> InvalidInput:
    return InvalidInput(en, ja, **details)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours, holidays and closed days of one workspace (see the module doc)."""

    timezone: str = "Asia/Tokyo"
    hours: Mapping[int, tuple[Window, ...]] = field(
        default_factory=lambda: {d: ((dt.time(9), dt.time(18)),) for d in range(5)}
    )
    closed: tuple[ClosedRange, ...] = ()
    closed_dates: frozenset[dt.date] = frozenset()
    national_holidays: bool = True

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _bad(
                f"'{self.timezone}' is not a time zone; use an IANA name such as Asia/Tokyo.",
                f"「{self.timezone}」はタイムゾーンではありません。Asia/Tokyo のような IANA 名を"
                "指定してください。",
            ) from None
        if not any(self.hours.get(d) for d in range(7)):
            raise _bad(
                "Business hours are empty: open at least one day, e.g. mon: 09:00-18:00.",
                "営業時間が空です。少なくとも1日は営業時間を設定してください(例: mon: 09:00-18:00)。",
            )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # --- building from settings ----------------------------------------------------------

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None, timezone: str) -> BusinessCalendar:
        """A calendar from a workspace's settings; InvalidInput says which entry is wrong.

        `{"hours": {"mon": "09:00-18:00", "sat": "10:00-12:00,13:00-17:00"}, "closed":
        [{"name": "year_end", "from": "12-29", "to": "01-03"}], "dates": ["2026-10-01"],
        "national_holidays": true}`; anything left out takes the default (weekdays 9-18,
        national holidays, the year-end closure and Obon).
        """
        config = dict(config or {})
        hours_spec = config.get("hours") or DEFAULT_HOURS
        if not isinstance(hours_spec, Mapping):
            raise _bad(
                "hours must map weekdays (mon..sun) to opening hours such as 09:00-18:00.",
                "hours は曜日(mon〜sun)と営業時間(例: 09:00-18:00)の組にしてください。",
            )
        hours: dict[int, tuple[Window, ...]] = {}
        for name, text in hours_spec.items():
            if name not in WEEKDAYS:
                raise _bad(
                    f"'{name}' is not a weekday; use {', '.join(WEEKDAYS)}.",
                    f"「{name}」は曜日ではありません。{', '.join(WEEKDAYS)} を使ってください。",
                    weekday=name,
                )
            hours[WEEKDAYS.index(name)] = _windows(str(text or ""), name)
        closed_spec = config.get("closed", DEFAULT_CLOSED)
        closed = tuple(_closed_range(entry) for entry in closed_spec or ())
        dates = frozenset(_date(text) for text in config.get("dates") or ())
        return cls(
            timezone=timezone,
            hours=hours,
            closed=closed,
            closed_dates=dates,
            national_holidays=bool(config.get("national_holidays", True)),
        )

    # --- days ------------------------------------------------------------------------------

    def closed_reason(self, day: dt.date) -> str | None:
        """Why the workspace is closed on `day` (a holiday's name, a closure's name), or None
        when it opens (a weekday without hours gives "no_hours")."""
        if day in self.closed_dates:
            return "closed_date"
        for closure in self.closed:
            if closure.covers(day):
                return closure.name
        if self.national_holidays:
            name = national_holiday(day)
            if name:
                return name
        if not self.hours.get(day.weekday()):
            return "no_hours"
        return None

    def windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The day's opening windows as aware moments (empty on a closed day)."""
        if self.closed_reason(day) is not None:
            return []
        zone = self.zone
        return [
            (dt.datetime.combine(day, start, zone), _end_moment(day, end, zone))
            for start, end in self.hours.get(day.weekday(), ())
        ]

    # --- time ------------------------------------------------------------------------------

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The moment `duration` of business time after `start` (aware, in the workspace zone)."""
        _aware(start)
        if duration < dt.timedelta(0):
            raise _bad(
                "A business-time duration cannot be negative.", "営業時間の長さは負にできません。"
            )
        remaining = duration
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            for opens, closes in self.windows(day):
                begin = max(opens, local)
                if begin >= closes:
                    continue
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += dt.timedelta(days=1)
        raise _bad(
            "No opening hours within three years of the start; check the calendar's hours "
            "and closed days.",
            "開始から3年以内に営業時間がありません。営業時間と休業日の設定を確認してください。",
        )

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time from `start` to `end` (negative when `end` is earlier)."""
        _aware(start)
        _aware(end)
        if end < start:
            return -self.between(end, start)
        total = dt.timedelta(0)
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        day = local_start.date()
        while day <= local_end.date():
            for opens, closes in self.windows(day):
                begin, finish = max(opens, local_start), min(closes, local_end)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total

    def next_open(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself when open, else the next opening."""
        return self.add(moment, dt.timedelta(0))

    def is_open(self, moment: dt.datetime) -> bool:
        local = _aware(moment).astimezone(self.zone)
        return any(o <= local < c for o, c in self.windows(local.date()))

    def closed_days(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """Days from start to end inclusive on which the workspace is closed, with why."""
        out = []
        day = start
        while day <= end:
            reason = self.closed_reason(day)
            if reason is not None and reason != "no_hours":
                out.append((day, reason))
            day += dt.timedelta(days=1)
        return out


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise _bad(
            "The time has no time zone; pass an aware datetime.",
            "日時にタイムゾーンがありません。タイムゾーン付きの日時を渡してください。",
        )
    return moment


def _end_moment(day: dt.date, end: dt.time, zone: ZoneInfo) -> dt.datetime:
    # "24:00" is stored as 23:59:59.999999 and means the end of the day.
    if end == dt.time.max:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
    return dt.datetime.combine(day, end, zone)


def _windows(text: str, weekday: str) -> tuple[Window, ...]:
    out: list[Window] = []
    for part in (p for p in text.split(",") if p.strip()):
        found = _HOURS.match(part)
        if not found:
            raise _bad(
                f"Opening hours '{part.strip()}' for {weekday} are not HH:MM-HH:MM (e.g. 09:00-18:00).",
                f"{weekday} の営業時間「{part.strip()}」は HH:MM-HH:MM の形式ではありません(例: 09:00-18:00)。",
                weekday=weekday,
            )
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        if not (0 <= h1 <= 23 and 0 <= m1 <= 59 and 0 <= h2 <= 24 and 0 <= m2 <= 59):
            raise _bad(
                f"Opening hours '{part.strip()}' for {weekday} are not real times.",
                f"{weekday} の営業時間「{part.strip()}」は実在する時刻ではありません。",
                weekday=weekday,
            )
        start = dt.time(h1, m1)
        end = dt.time.max if (h2, m2) == (24, 0) else dt.time(min(h2, 23), m2)
        if end <= start:
            raise _bad(
                f"Opening hours '{part.strip()}' for {weekday} close before they open.",
                f"{weekday} の営業時間「{part.strip()}」は終了が開始より前です。",
                weekday=weekday,
            )
        out.append((start, end))
    return tuple(sorted(out))


def _month_day(text: Any, name: str) -> tuple[int, int]:
    found = _MONTH_DAY.match(str(text))
    if found:
        month, day = int(found.group(1)), int(found.group(2))
        try:
            dt.date(2024, month, day)  # a leap year accepts 02-29
            return month, day
        except ValueError:
            pass
    raise _bad(
        f"Closed days '{name}': '{text}' is not a month and day such as 12-29.",
        f"休業日「{name}」: 「{text}」は 12-29 のような月日ではありません。",
        closed=name,
    )


def _closed_range(entry: Any) -> ClosedRange:
    if not isinstance(entry, Mapping) or not entry.get("name"):
        raise _bad(
            "Each closed-days entry needs a name, from and to, e.g. "
            "{name: year_end, from: 12-29, to: 01-03}.",
            "休業期間には name・from・to を指定してください(例: {name: year_end, from: 12-29, to: 01-03})。",
        )
    name = str(entry["name"])
    return ClosedRange(name, _month_day(entry.get("from"), name), _month_day(entry.get("to"), name))


def _date(text: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise _bad(
            f"Closed date '{text}' is not a date such as 2026-10-01.",
            f"休業日「{text}」は 2026-10-01 のような日付ではありません。",
        ) from None


def parse_hours(spec: Mapping[str, str]) -> dict[int, tuple[Window, ...]]:
    """Weekday name -> "HH:MM-HH:MM[,...]" as windows (for callers building a calendar)."""
    return {WEEKDAYS.index(k): _windows(v, k) for k, v in spec.items() if k in WEEKDAYS}


def closed_ranges(entries: Iterable[Mapping[str, Any]]) -> tuple[ClosedRange, ...]:
    return tuple(_closed_range(e) for e in entries)
