"""Cell values into typed values: dates (Japanese formats and eras), numbers, scores, flags.

Spreadsheets made in Japan write full-width digits (２０２５/４/１), dates as 2025年4月1日 or in
the imperial era (令和7年4月1日, R7.4.1) and numbers with 円 or commas. Everything here is pure:
a value in, a typed value out, or `RowRejected` with a reason code and a bilingual reason.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from operator import attrgetter, itemgetter, methodcaller
from typing import Any
from zoneinfo import ZoneInfo

from kizuna.ingest.vocabulary import normalize_word, vocabulary

__all__ = [
    "DateParser",
    "RowRejected",
    "as_sent",
    "parse_bool",
    "parse_float",
    "parse_int",
    "to_text",
]

_UTC = dt.UTC
# DateParser.at_iso_all's steps, each mapped over a column.
_FIFTH = itemgetter(4)
_FROM_ISO = dt.datetime.fromisoformat
_TZINFO = attrgetter("tzinfo")
_IN_UTC = methodcaller("astimezone", _UTC)
_DATE = methodcaller("date")

# First day of each era (Cabinet Office era tables); year 1 of an era is 元年.
_ERAS = {
    "明治": 1868,
    "大正": 1912,
    "昭和": 1926,
    "平成": 1989,
    "令和": 2019,
    "m": 1868,
    "t": 1912,
    "s": 1926,
    "h": 1989,
    "r": 2019,
}
_TIME = r"(?:[ T]*(\d{1,2})[:時.](\d{1,2})(?:[:分.](\d{1,2})(?:\.(\d{1,6}))?)?秒?分?)?"
_ZONE = r"\s*(Z|[+-]\d{2}:?\d{2})?$"
_YMD = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?" + _TIME + _ZONE)
_DMY = re.compile(r"^(\d{1,2})[-.](\d{1,2})[-.](\d{4})" + _TIME + _ZONE)
_ERA = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHRmtshr])\s*(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    + _TIME
    + _ZONE
)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_NUMBER_NOISE = str.maketrans("", "", ",¥￥$円点 ")


class RowRejected(Exception):
    """A row that cannot be taken: a stable code and the reason in English and Japanese."""

    def __init__(self, code: str, en: str, ja: str) -> None:
        super().__init__(en)
        self.code = code
        self.en = en
        self.ja = ja

    def reason(self, language: str) -> str:
        return self.ja if language == "ja" else self.en


def _label(field: str) -> str:
    """The field's Japanese name, looked up only when a reason is written."""
    return vocabulary().label(field)


def to_text(value: Any) -> str | None:
    """A cell as stripped text, None when empty (full-width kept: free text is not ours)."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else str(value).strip()
    return text or None


def _fold(value: str) -> str:
    return value if value.isascii() else unicodedata.normalize("NFKC", value)


def parse_float(value: Any, field: str) -> float | None:
    if value is None or (isinstance(value, float) and value != value):  # NaN: pandas' empty
        return None
    if isinstance(value, float) or (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**1023
    ):
        return float(value)
    # Text, or a JSON integer too large for a float (it used to fail the whole batch).
    text = _fold(str(value)).strip().translate(_NUMBER_NOISE)
    if not text:
        return None
    try:
        number = float(text)
    except (ValueError, OverflowError):
        number = float("nan")
    if not math.isfinite(number) or isinstance(value, bool):
        label = _label(field)
        raise RowRejected(
            "invalid_number",
            f"{field} must be a number, got {str(value)!r}; fix the value or leave it empty.",
            f"{label}は数値で入力してください(入力値: {value})。値を直すか空欄にしてください。",
        )
    return number


def parse_int(value: Any, field: str, low: int, high: int) -> int | None:
    """A whole number in [low, high] (a score); 9.0 from a spreadsheet counts as 9."""
    if value is None or (isinstance(value, float) and value != value):  # NaN: pandas' empty
        return None
    if type(value) is str and value.isascii() and value.isdigit():
        number: int | float = int(value)  # the common case, first
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = value if isinstance(value, str) else str(value)
        text = _fold(text).strip().translate(_NUMBER_NOISE)
        if not text:
            return None
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
    if isinstance(number, float):
        if not number.is_integer():
            label = _label(field)
            raise RowRejected(
                "invalid_number",
                f"{field} must be a whole number from {low} to {high}, got {str(value)!r}; "
                "fix the value or leave it empty.",
                f"{label}は{low}〜{high}の整数で入力してください(入力値: {value})。"
                "値を直すか空欄にしてください。",
            )
        number = int(number)
    if not low <= number <= high:
        label = _label(field)
        raise RowRejected(
            "score_out_of_range",
            f"{field} must be from {low} to {high}, got {number}; fix the value or leave it empty.",
            f"{label}は{low}〜{high}の範囲で入力してください(入力値: {number})。"
            "値を直すか空欄にしてください。",
        )
    return number


def parse_bool(value: Any, words: dict[str, bool], field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if value in (0, 1):
            return bool(value)
    else:
        found = words.get(normalize_word(str(value)))
        if found is not None:
            return found
    label = _label(field)
    raise RowRejected(
        "invalid_boolean",
        f"{field} must be yes or no (true/false, 1/0), got {str(value)!r}; fix the value or "
        "leave it empty.",
        f"{label}は「はい」か「いいえ」(1/0)で入力してください(入力値: {value})。"
        "値を直すか空欄にしてください。",
    )


def _invalid_date(field: str, value: Any) -> RowRejected:
    label = _label(field)
    return RowRejected(
        "invalid_date",
        f"{field} is not a date we can read: {str(value)!r}. Write it as 2025-04-01, "
        "2025/4/1 10:30, 2025年4月1日 or 令和7年4月1日.",
        f"{label}を日付として読めません(入力値: {value})。2025-04-01、2025/4/1 10:30、"
        "2025年4月1日、令和7年4月1日 のように入力してください。",
    )


def _zone(text: str | None) -> dt.tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return _UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _build(year: int, parts: tuple[str | None, ...]) -> dt.datetime:
    month, day, hour, minute, second, fraction, zone = parts
    micro = int((fraction or "0").ljust(6, "0")[:6])
    return dt.datetime(
        year,
        int(month or 1),
        int(day or 1),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=_zone(zone),
    )


def _parse_text(text: str) -> dt.datetime | None:
    if text[4:5] == "-" or (len(text) == 8 and text.isdigit()):
        try:
            return dt.datetime.fromisoformat(text)  # C fast path: ISO 8601, zone or not
        except ValueError:
            pass
    text = _fold(text).strip()
    if m := _YMD.match(text):
        return _build(int(m[1]), (m[2], m[3], m[4], m[5], m[6], m[7], m[8]))
    if m := _DMY.match(text):
        return _build(int(m[3]), (m[2], m[1], m[4], m[5], m[6], m[7], m[8]))
    if m := _ERA.match(text):
        era = _ERAS[m[1].lower()] if m[1].isascii() else _ERAS[m[1]]
        year = era - 1 + (1 if m[2] == "元" else int(m[2]))
        return _build(year, (m[3], m[4], m[5], m[6], m[7], m[8], m[9]))
    return None


class DateParser:
    """Dates and times in one workspace's time zone; remembers what it has parsed.

    A value without a zone is a wall-clock time in the workspace's zone. `at` returns the
    instant in UTC and the calendar day in the workspace's zone (the `*_on` columns).
    """

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self._seen: dict[str, tuple[dt.datetime, dt.date]] = {}
        self._days: dict[str, dt.date] = {}
        self._clocks: dict[str, dt.time] = {}

    def _split(self, text: str) -> dt.datetime | None:
        """'<date> <H:MM[:SS]>' from two small caches: a year has 366 days and 1,440 minutes,
        so a file of a million timestamps parses each part only once."""
        head, space, tail = text.partition(" ")
        if not space:
            return None
        day = self._days.get(head)
        if day is None:
            moment = _parse_text(head)
            if moment is None or moment.tzinfo is not None or moment.time() != dt.time():
                return None
            day = self._days[head] = moment.date()
        clock = self._clocks.get(tail)
        if clock is None:
            match = _CLOCK.match(tail)
            if match is None:
                return None
            clock = dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
            self._clocks[tail] = clock
        if len(self._days) + len(self._clocks) > 100_000:  # bounded on any file
            self._days.clear()
            self._clocks.clear()
        return dt.datetime.combine(day, clock)

    def at(self, value: Any, field: str) -> tuple[dt.datetime, dt.date] | None:
        if value is None:
            return None
        key = value if isinstance(value, str) else None
        if key is not None:
            hit = self._seen.get(key)
            if hit is not None:
                return hit
            if not key.strip():
                return None
        if isinstance(value, dt.datetime):
            moment: dt.datetime | None = value
        elif isinstance(value, dt.date):
            moment = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            text = value.strip()
            try:
                moment = self._split(text) or _parse_text(text)
            except ValueError:  # 2025/2/30, 25時: looks like a date, is not one
                moment = None
        else:
            moment = None
        if moment is None:
            raise _invalid_date(field, value)
        try:
            found = self._place(moment)
        except OverflowError:  # 9999-12-31 23:00-05:00 is past the last instant Python has
            raise _invalid_date(field, value) from None
        if key is not None:
            if len(self._seen) > 50_000:  # bounded: memory stays flat on any file
                self._seen.clear()
            self._seen[key] = found
        return found

    def at_iso(self, text: str) -> tuple[dt.datetime, dt.date] | None:
        """`at` for stripped ISO 8601 text without a space (what API clients send), without
        `at`'s caches; None where `at` must decide (another form, or not a date)."""
        if text[4:5] != "-" or " " in text:
            return None
        try:
            return self._place(dt.datetime.fromisoformat(text))
        except (ValueError, OverflowError):
            return None

    def at_iso_all(
        self, texts: list[str]
    ) -> tuple[list[dt.datetime | None], list[dt.date | None]] | None:
        """`at_iso` of a whole column of text with a zone (what API clients send), in C-level
        passes with no call per value; None when any text is another form, has no zone or is
        not a date: the caller then reads them one by one, with the same results."""
        if " " in "".join(texts):
            return None
        try:
            if set(map(_FIFTH, texts)) != {"-"}:
                return None
            moments = list(map(_FROM_ISO, texts))
            if None in set(map(_TZINFO, moments)):
                return None
            at: list[dt.datetime | None] = list(map(_IN_UTC, moments))
            on: list[dt.date | None] = list(
                map(_DATE, map(methodcaller("astimezone", self.zone), moments))
            )
        except (IndexError, ValueError, OverflowError):
            return None
        return at, on

    def _place(self, moment: dt.datetime) -> tuple[dt.datetime, dt.date]:
        if moment.tzinfo is None:
            day = moment.date()
            moment = moment.replace(tzinfo=self.zone)
        else:
            day = moment.astimezone(self.zone).date()
        return moment.astimezone(_UTC), day

    def day(self, value: Any, field: str) -> dt.date | None:
        """A calendar date (a birthday): the date as written, no zone conversion."""
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            moment = _parse_text(str(value).strip())
        except ValueError:
            moment = None
        if moment is None:
            raise _invalid_date(field, value)
        return moment.date()


def as_sent(value: Any) -> Any:
    """A record's NaN or infinity is a value someone sent, not an empty cell (which is what
    a NaN read from a spreadsheet means): as text it is refused as "not a number"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
