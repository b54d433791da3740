"""The service calendar's table of Japan's holidays (jichitai_ops/holidays_jp.py) against the library."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from jichitai_ops import holidays_jp, service_calendar


def test_the_table_is_written_from_the_pinned_library():
    assert holidays.__version__ == holidays_jp.LIBRARY_VERSION, "run tools/holidays_table.py"


@pytest.mark.parametrize("year", range(holidays_jp.FIRST_YEAR, holidays_jp.LAST_YEAR + 1))
def test_every_year_of_the_table_equals_the_library(year):
    library = dict(holidays.country_holidays("JP", years=year, language="ja"))
    table = {dt.date(*key): name for key, name in holidays_jp.HOLIDAYS.items() if key[0] == year}
    assert table == library, "run tools/holidays_table.py"


def test_the_calendar_reads_the_table_inside_it_and_the_library_outside():
    service_calendar._holidays_for.cache_clear()
    assert service_calendar.public_holiday(dt.date(2026, 11, 23)) == "勤労感謝の日"
    assert service_calendar.public_holiday(dt.date(2026, 11, 24)) is None
    before = holidays_jp.FIRST_YEAR - 1  # outside the table: asked of the library
    assert service_calendar.public_holiday(dt.date(before, 1, 1)) == "元日"
    assert service_calendar.public_holiday(dt.date(2019, 5, 1)) == "天皇の即位の日"
