"""Working days (開庁日) from the city's service calendar: weekdays that are neither a national holiday
(the `holidays` library) nor a city closure (group_vars/all/service_calendar.yml, e.g. 年末年始).

A deadline of N working days counts from the day after the event: a fault found on a Friday before a
Monday holiday is due on the Thursday (Tue, Wed, Thu)."""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache

from jichitai_ops import service_calendar

CALENDAR_FILE = os.path.join("group_vars", "all", "service_calendar.yml")
FAULT_REPORT_WORKING_DAYS = 3  # MNT-FAULT §5-3(7): the fault report within 3 working days


@lru_cache(maxsize=4)
def load_calendar(root: str) -> dict:
    """The project's jichitai_service_calendar (an empty calendar, national holidays only, without one)."""
    import yaml

    path = os.path.join(root, CALENDAR_FILE)
    if not os.path.isfile(path):
        return {"public_holidays": "JP", "closures": []}
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return data.get("jichitai_service_calendar") or {"public_holidays": "JP", "closures": []}


def skipped_reason(day: dt.date, calendar: dict) -> str | None:
    """Why the day is not a working day (土曜日, 日曜日, the holiday's or closure's name), or None."""
    info = service_calendar.day_info(day, calendar)
    if info["open"]:
        return None
    return info["holiday"] or info["closure"] or ("土曜日" if day.weekday() == 5 else "日曜日")


def add_working_days(start: dt.date, count: int, calendar: dict) -> tuple[dt.date, list[dict]]:
    """The COUNT-th working day after START and the non-working days skipped on the way
    ([{date, reason}])."""
    if count < 1:
        raise ValueError(f"working days must be 1 or more: {count}")
    day, done, skipped = start, 0, []
    while done < count:
        day += dt.timedelta(days=1)
        reason = skipped_reason(day, calendar)
        if reason:
            skipped.append({"date": day.isoformat(), "reason": reason})
        else:
            done += 1
    return day, skipped


def fault_report_due(detected: dt.datetime, calendar: dict) -> dict:
    """The fault report's deadline: {due, working_days, skipped}."""
    due, skipped = add_working_days(detected.date(), FAULT_REPORT_WORKING_DAYS, calendar)
    return {"due": due.isoformat(), "working_days": FAULT_REPORT_WORKING_DAYS, "skipped": skipped}
