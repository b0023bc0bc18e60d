"""Cell values Japanese spreadsheets write: eras, 年月日, full-width digits, zones, scores."""

from __future__ import annotations

import datetime as dt

import pytest

from kizuna.ingest.values import DateParser, RowRejected, parse_bool, parse_float, parse_int
from kizuna.ingest.vocabulary import normalize_word, vocabulary

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.mark.parametrize(
    ("written", "local"),
    [
        ("2025-04-01", dt.datetime(2025, 4, 1, 0, 0)),
        ("2025-04-01 10:30", dt.datetime(2025, 4, 1, 10, 30)),
        ("2025-04-01T10:30:15", dt.datetime(2025, 4, 1, 10, 30, 15)),
        ("2025/4/1", dt.datetime(2025, 4, 1)),
        ("2025/4/1 9:05", dt.datetime(2025, 4, 1, 9, 5)),
        ("2025年4月1日", dt.datetime(2025, 4, 1)),
        ("2025年4月1日 12時30分", dt.datetime(2025, 4, 1, 12, 30)),
        ("２０２５年４月１日", dt.datetime(2025, 4, 1)),
        ("２０２５／０４／０１　１０：３０", dt.datetime(2025, 4, 1, 10, 30)),
        ("令和7年4月1日", dt.datetime(2025, 4, 1)),
        ("令和元年5月1日", dt.datetime(2019, 5, 1)),
        ("R7.4.1", dt.datetime(2025, 4, 1)),
        ("平成31年4月30日", dt.datetime(2019, 4, 30)),
        ("H31/4/30", dt.datetime(2019, 4, 30)),
        ("昭和64年1月7日", dt.datetime(1989, 1, 7)),
        ("24-02-2015 11.35", dt.datetime(2015, 2, 24, 11, 35)),
        ("20250401", dt.datetime(2025, 4, 1)),
    ],
)
def test_dates_without_zone_are_wall_clock_in_the_workspace_zone(
    written: str, local: dt.datetime
) -> None:
    instant, day = DateParser("Asia/Tokyo").at(written, "received_at")  # type: ignore[misc]
    assert instant == local.replace(tzinfo=JST)
    assert instant.tzinfo == dt.UTC
    assert day == local.date()


def test_a_zone_in_the_value_wins_and_the_day_is_the_workspace_day() -> None:
    parser = DateParser("Asia/Tokyo")
    instant, day = parser.at("2025-03-31T20:00:00Z", "received_at")  # type: ignore[misc]
    assert instant == dt.datetime(2025, 3, 31, 20, tzinfo=dt.UTC)
    assert day == dt.date(2025, 4, 1)  # 05:00 on 1 April in Tokyo
    instant, day = parser.at("2025-04-01 08:00+09:00", "received_at")  # type: ignore[misc]
    assert instant == dt.datetime(2025, 3, 31, 23, tzinfo=dt.UTC)
    new_york = DateParser("America/New_York")
    instant, day = new_york.at("2025/7/1 12:00", "received_at")  # type: ignore[misc]
    assert instant == dt.datetime(2025, 7, 1, 16, tzinfo=dt.UTC)  # daylight saving time


@pytest.mark.parametrize("written", ["not a date", "2025/2/30", "2025/4/1 25:00", "4/1/2025"])
def test_unreadable_dates_are_rejected_with_both_languages(written: str) -> None:
    with pytest.raises(RowRejected) as err:
        DateParser("Asia/Tokyo").at(written, "received_at")
    assert err.value.code == "invalid_date"
    assert written in err.value.en
    assert "日時" in err.value.ja and "令和7年4月1日" in err.value.ja


def test_birthdays_are_calendar_dates() -> None:
    assert DateParser("Asia/Tokyo").day("昭和60年3月3日", "birthday") == dt.date(1985, 3, 3)
    assert DateParser("UTC").day(dt.datetime(1990, 1, 2, 23, 0), "birthday") == dt.date(1990, 1, 2)


def test_scores_accept_full_width_and_spreadsheet_floats_and_refuse_out_of_range() -> None:
    assert parse_int("９", "nps", 0, 10) == 9
    assert parse_int(" 10 ", "nps", 0, 10) == 10
    assert parse_int(7.0, "nps", 0, 10) == 7
    assert parse_int("", "nps", 0, 10) is None
    with pytest.raises(RowRejected) as err:
        parse_int("11", "nps", 0, 10)
    assert err.value.code == "score_out_of_range"
    assert "0〜10" in err.value.ja and "11" in err.value.en
    with pytest.raises(RowRejected) as err:
        parse_int("8.5", "nps", 0, 10)
    assert err.value.code == "invalid_number"
    with pytest.raises(RowRejected) as err:
        parse_int("とても良い", "csat", 1, 5)
    assert err.value.code == "invalid_number"
    assert "満足度" in err.value.ja


def test_amounts_drop_currency_marks_and_flags_read_japanese_and_english() -> None:
    assert parse_float("¥1,200", "amount") == 1200.0
    assert parse_float("３，５００円", "amount") == 3500.0
    with pytest.raises(RowRejected):
        parse_float("nan", "amount")
    words = vocabulary().booleans
    assert parse_bool("はい", words, "consent_email") is True
    assert parse_bool("No", words, "consent_email") is False
    assert parse_bool("同意する", words, "consent_email") is True
    with pytest.raises(RowRejected) as err:
        parse_bool("maybe", words, "consent_email")
    assert err.value.code == "invalid_boolean"


def test_headers_and_channels_match_after_normalisation() -> None:
    vocab = vocabulary()
    assert normalize_word("顧客ＩＤ") == normalize_word("顧客id")
    assert vocab.headers["feedback"][normalize_word("Customer ID")] == "customer_ref"
    assert vocab.headers["customers"][normalize_word("顧客ＩＤ")] == "external_id"
    assert vocab.headers["feedback"][normalize_word("コメント")] == "text"
    assert vocab.channel_code("コールセンター") == "call_center"
    assert vocab.channel_code("Ｗｅｂ") == "web"
    assert vocab.channel_code("口コミ") == "review_site"
    assert vocab.channel_code("伝書鳩") is None
