"""Japanese-era dates: era boundaries, 元年, weekday and time in the one style of the city's documents."""

import datetime as dt

import pytest

from jichitai_ops.workplan import model, presentation, wareki


@pytest.mark.parametrize(
    ("day", "era", "year"),
    [
        (dt.date(2026, 12, 6), "令和", 8),
        (dt.date(2019, 5, 1), "令和", 1),  # first day of 令和
        (dt.date(2019, 4, 30), "平成", 31),  # last day of 平成
        (dt.date(1989, 1, 8), "平成", 1),
        (dt.date(1989, 1, 7), "昭和", 64),
        (dt.date(1926, 12, 25), "昭和", 1),
        (dt.date(1926, 12, 24), "大正", 15),
        (dt.date(1912, 7, 30), "大正", 1),
        (dt.date(1912, 7, 29), "明治", 45),
        (dt.date(1873, 1, 1), "明治", 6),
    ],
)
def test_era_and_year_at_the_boundaries(day, era, year):
    assert wareki.era_year(day) == (era, year)
    assert wareki.era_year(dt.datetime.combine(day, dt.time(23, 59))) == (era, year)


def test_before_the_gregorian_calendar_there_is_no_era_date():
    with pytest.raises(ValueError):
        wareki.era_year(dt.date(1872, 12, 31))
    assert wareki.wareki_date(dt.date(1872, 12, 31)) == "1872年12月31日（火）"


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 12, 6), "令和8年12月6日（日）"),
        (dt.date(2026, 1, 1), "令和8年1月1日（木）"),
        (dt.date(2019, 5, 1), "令和元年5月1日（水）"),
        (dt.date(2019, 4, 30), "平成31年4月30日（火）"),
        (dt.date(1989, 1, 8), "平成元年1月8日（日）"),
        (dt.date(1989, 1, 7), "昭和64年1月7日（土）"),
    ],
)
def test_date_without_zero_padding_and_with_weekday(day, text):
    assert wareki.wareki_date(day) == text


def test_datetime_writes_the_time_after_the_weekday():
    assert wareki.wareki_datetime(dt.datetime(2026, 12, 6, 22, 0)) == "令和8年12月6日（日）22:00"
    assert wareki.wareki_datetime(dt.datetime(2026, 12, 7, 6, 5)) == "令和8年12月7日（月）6:05"


def test_fmt_jp_is_tokyo_time_in_the_era():
    assert model.fmt_jp("2026-12-13T09:30:00+09:00") == "令和8年12月13日（日）9:30"
    # 2019-04-30 15:00 UTC is the first hour of 令和 in Tokyo
    assert model.fmt_jp("2019-04-30T15:00:00+00:00") == "令和元年5月1日（水）0:00"
    assert model.fmt_jp("2019-04-30T23:59") == "平成31年4月30日（火）23:59"
    assert model.fmt_jp(None) == "未定"


def test_calendar_day_filter_and_clock():
    assert presentation.jp_date("2026-12-13") == "令和8年12月13日（日）"
    assert presentation.jp_date(dt.date(2019, 5, 1)) == "令和元年5月1日（水）"
    assert presentation.jp_date(None) == "—"
    assert wareki.clock(dt.time(6, 5)) == "6:05" and wareki.clock(dt.datetime(2026, 1, 1, 23, 0)) == "23:00"


def test_a_step_starts_at_a_clock_time_of_the_window():
    assert presentation.at_offset("2026-12-06T22:00:00+09:00", 12) == "22:12"
    assert presentation.at_offset("2026-12-06T22:00:00+09:00", 130) == "令和8年12月7日（月）0:10"
    assert presentation.at_offset("2026-12-06T13:00:00+00:00", 0) == "22:00"  # Tokyo time


def test_a_span_names_its_end_day_only_when_it_differs():
    start = "2026-12-06T21:00:00+09:00"
    assert presentation.jp_until("2026-12-06T23:00:00+09:00", start) == "23:00"
    assert presentation.jp_until("2026-12-07T09:00:00+09:00", start) == "令和8年12月7日（月）9:00"
    assert presentation.jp_until(None, start) == "未定"
