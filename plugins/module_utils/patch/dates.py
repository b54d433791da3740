# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Dates as PowerShell serialises them, read as the calendar day in Japan.

ConvertTo-Json on Windows PowerShell 5.1 writes a DateTime as ``/Date(1704844800000)/`` (milliseconds
since 1970 UTC, sometimes with an offset such as ``+0900`` that does not change the instant);
PowerShell 7 and ansible.windows.win_powershell write ISO 8601. Japan keeps no daylight saving time, so
a fixed +09:00 gives the city's calendar day without a time-zone database.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_instant(value) -> datetime:
    """A PowerShell date (``/Date(ms)/`` or ISO 8601) as an aware datetime; ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{value!r} is not a date")
    text = value.strip()
    match = _MS_DATE.match(text)
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    # .NET writes seven fractional digits; Python 3.11 reads up to six
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (expected /Date(ms)/ or ISO 8601)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def japan_day(value) -> date:
    """The calendar day in Japan of a PowerShell date."""
    return parse_instant(value).astimezone(JST).date()


def parse_day(value) -> date:
    """A day given as YYYY-MM-DD (or a date)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a day (YYYY-MM-DD)") from None


def today_in_japan() -> date:
    return datetime.now(JST).date()
