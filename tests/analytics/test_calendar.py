"""Business time on the Japanese calendar: worked examples for 2025-2027 checked by hand
against the Cabinet Office's holiday list (through jpholiday), Golden Week, Silver Week,
Obon and the year-end closure included."""

from __future__ import annotations

import datetime as dt

import pytest

from kizuna.analytics.calendar import BusinessCalendar, national_holiday
from kizuna.errors import InvalidInput

JST = dt.timezone(dt.timedelta(hours=9))
CALENDAR = BusinessCalendar.from_config(None, "Asia/Tokyo")  # weekdays 9-18, holidays, closures


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=JST)


# start (JST), business hours to add, deadline (JST), why
WORKED_EXAMPLES = [
    ("2025-04-28 10:00", 4, "2025-04-28 14:00", "an ordinary Monday morning"),
    ("2025-04-28 16:00", 4, "2025-04-30 11:00", "4/29 昭和の日 is skipped"),
    ("2025-05-02 17:00", 2, "2025-05-07 10:00", "GW 2025: 5/3-5/6 (5/6 振替休日)"),
    ("2025-05-02 20:00", 1, "2025-05-07 10:00", "after hours before Golden Week"),
    ("2025-07-18 17:00", 2, "2025-07-22 10:00", "7/21 海の日"),
    ("2025-12-26 17:00", 4, "2026-01-05 12:00", "year-end closure 12/29-1/3, then Sunday 1/4"),
    ("2025-01-01 10:00", 1, "2025-01-06 10:00", "starts on New Year's Day"),
    ("2026-04-30 10:00", 17, "2026-05-01 18:00", "a deadline at closing time stays that day"),
    ("2026-05-01 15:00", 8, "2026-05-07 14:00", "GW 2026: 5/3-5/6 (5/6 振替休日)"),
    ("2026-08-12 17:00", 2, "2026-08-17 10:00", "Obon 8/13-8/16"),
    (
        "2026-09-18 17:00",
        2,
        "2026-09-24 10:00",
        "Silver Week 2026: 9/21 敬老の日, 9/22 国民の休日, 9/23 秋分の日",
    ),
    ("2026-12-28 17:30", 1, "2027-01-04 09:30", "year-end 2026: 12/28 is still open"),
    ("2027-04-28 16:00", 4, "2027-04-30 11:00", "GW 2027: 4/29 昭和の日"),
    ("2027-04-30 17:00", 9, "2027-05-06 17:00", "GW 2027: 5/3-5/5 on Mon-Wed, 5/6 open"),
    (
        "2027-05-06 09:00",
        9,
        "2027-05-06 18:00",
        "a full day ends at closing, not at the next opening",
    ),
    ("2027-12-28 17:30", 1, "2028-01-04 09:30", "year-end 2027: back on Tue 1/4"),
]


@pytest.mark.parametrize(("start", "hours", "deadline", "why"), WORKED_EXAMPLES)
def test_deadlines_in_business_hours_match_the_worked_examples(
    start: str, hours: float, deadline: str, why: str
) -> None:
    found = CALENDAR.add(at(start), dt.timedelta(hours=hours))
    assert found == at(deadline), why
    # and the business time between start and the deadline is what was added
    assert CALENDAR.between(at(start), found) == dt.timedelta(hours=hours), why


def test_the_holiday_package_names_the_days_the_examples_skip() -> None:
    assert national_holiday(dt.date(2025, 5, 6)) is not None  # 振替休日
    assert national_holiday(dt.date(2026, 9, 22)) == "国民の休日"
    assert national_holiday(dt.date(2027, 5, 6)) is None
    assert CALENDAR.closed_reason(dt.date(2026, 12, 31)) == "year_end"
    assert CALENDAR.closed_reason(dt.date(2026, 8, 14)) == "obon"
    assert CALENDAR.closed_reason(dt.date(2026, 5, 9)) == "no_hours"  # a Saturday
    assert CALENDAR.closed_reason(dt.date(2026, 5, 7)) is None


def test_a_workspace_sets_its_own_hours_closures_and_dates() -> None:
    shop = BusinessCalendar.from_config(
        {
            "hours": {"mon": "10:00-12:00,13:00-17:00", "sat": "10:00-15:00"},
            "closed": [],
            "dates": ["2026-06-01"],
            "national_holidays": False,
        },
        "Asia/Tokyo",
    )
    # Mon 2026-06-01 is a closed date; Sat 6/6 opens 10-15; Mon 6/8 has a lunch break.
    assert shop.add(at("2026-06-01 11:00"), dt.timedelta(hours=6)) == at("2026-06-08 11:00")
    assert shop.add(at("2026-06-08 11:30"), dt.timedelta(hours=1)) == at("2026-06-08 13:30")
    assert shop.closed_reason(dt.date(2026, 12, 31)) == "no_hours"  # Thursday, no hours set
    assert shop.between(at("2026-06-08 18:00"), at("2026-06-08 09:00")) == -dt.timedelta(hours=6)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"hours": {"mon": "9-18"}}, "HH:MM"),
        ({"hours": {"funday": "09:00-18:00"}}, "曜日"),
        ({"hours": {"mon": "18:00-09:00"}}, "終了"),
        ({"closed": [{"name": "obon", "from": "08-32", "to": "08-16"}]}, "月日"),
        ({"dates": ["someday"]}, "日付"),
        ({"hours": {"mon": ""}}, "営業時間が空"),
    ],
)
def test_bad_calendar_settings_are_refused_in_japanese(config: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInput) as refused:
        BusinessCalendar.from_config(config, "Asia/Tokyo")
    assert words in refused.value.message("ja")


def test_naive_times_and_unknown_zones_are_refused() -> None:
    with pytest.raises(InvalidInput):
        CALENDAR.add(dt.datetime(2026, 1, 5, 9), dt.timedelta(hours=1))
    with pytest.raises(InvalidInput):
        BusinessCalendar(timezone="Mars/Olympus")
