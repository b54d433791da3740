"""Japanese-era (和暦) dates as municipal documents write them: 令和8年12月6日（日）22:00.

One style in every city-facing rendering (Markdown, HTML, Excel text): era name and year, month and
day without zero padding, the weekday in full-width brackets, the time (24-hour, hour unpadded)
straight after the closing bracket. The first year of an era is 元年 (令和元年5月1日). Machine files
(plan.json, report.json, the journal) keep ISO 8601; only renderings use this.
"""

from __future__ import annotations

import datetime as dt

# (first day, era name), newest first. 明治 dates are Gregorian only from 明治6年 (1873-01-01),
# when Japan adopted the Gregorian calendar; earlier dates are written in the Western calendar.
ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1873, 1, 1), "明治"),
)
MEIJI_FIRST_YEAR = 1868
WEEKDAYS = "月火水木金土日"


def era_year(day: dt.date) -> tuple[str, int]:
    """2026-12-06 -> ("令和", 8); 2019-04-30 -> ("平成", 31). ValueError before 1873."""
    if isinstance(day, dt.datetime):
        day = day.date()
    for first, name in ERAS:
        if day >= first:
            return name, day.year - (MEIJI_FIRST_YEAR if name == "明治" else first.year) + 1
    raise ValueError(f"no Gregorian Japanese-era date before 1873: {day.isoformat()}")


def wareki_date(day: dt.date) -> str:
    """2026-12-06 -> 令和8年12月6日（日）"""
    try:
        name, year = era_year(day)
        era = f"{name}{'元' if year == 1 else year}年"
    except ValueError:
        era = f"{day.year}年"
    return f"{era}{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def clock(moment: dt.datetime | dt.time) -> str:
    """06:05 -> 6:05 (24-hour, hour unpadded)"""
    return f"{moment.hour}:{moment.minute:02d}"


def wareki_datetime(moment: dt.datetime) -> str:
    """2026-12-06T22:00 -> 令和8年12月6日（日）22:00 (the moment's own clock; convert first)."""
    return f"{wareki_date(moment.date())}{clock(moment)}"
