"""Ambiguous rules of the service calendar read on the safe side, 2026-2028.

「第n週」 is checked against an independent oracle (the standard library's month grid), and every
slot that rests on one reading only must say so in its finding.
"""

import calendar as stdcal
import copy
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from jichitai_ops import service_calendar as cal

ROOT = Path(__file__).resolve().parents[2]
TZ = ZoneInfo("Asia/Tokyo")
UTC = dt.UTC
CALENDAR = yaml.safe_load((ROOT / "group_vars/all/service_calendar.yml").read_text())[
    "jichitai_service_calendar"
]
YEARS = (2026, 2027, 2028)
INSURANCE_SUNDAY_MONTHS = (4, 5, 10, 11, 12, 1, 2, 3)


def at(text, tz=TZ):
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def evaluate(start, end, departments=("all",), calendar=CALENDAR, tz=TZ):
    return cal.evaluate(calendar, at(start, tz), at(end, tz), disruptive=True, departments=list(departments))


def slot_findings(found, rule):
    return [f for f in found if f["rule"] == rule]


def oracle_rows(year, month, firstweekday):
    """{day: row number} of the month grid, weeks starting on ``firstweekday`` (0 = Monday, 6 = Sunday)."""
    grid = stdcal.Calendar(firstweekday).monthdayscalendar(year, month)
    return {d: i + 1 for i, week in enumerate(grid) for d in week if d}


def oracle_readings(day, n):
    out = set()
    if oracle_rows(day.year, day.month, 6)[day.day] == n:
        out.add("row_sun")
    if oracle_rows(day.year, day.month, 0)[day.day] == n:
        out.add("row_mon")
    if 7 * n - 6 <= day.day <= 7 * n:
        out.add("nth_weekday")
    return out


def sundays(year, month):
    day = dt.date(year, month, 1)
    while day.month == month:
        if day.weekday() == 6:
            yield day
        day += dt.timedelta(days=1)


def with_confirmed(reading, rule_ids=None):
    data = copy.deepcopy(CALENDAR)
    for slot in data["service_slots"]:
        if "week_reading" in slot and (rule_ids is None or slot["id"] in rule_ids):
            slot["week_reading"] = {
                "confirmed": reading,
                "confirmed_by": "保険課 確認者",
                "confirmed_at": "2027-01-15",
            }
    return data


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("reading,firstweekday", [("row_sun", 6), ("row_mon", 0), ("nth_weekday", None)])
def test_each_reading_matches_the_oracle(year, reading, firstweekday):
    for month in range(1, 13):
        day = dt.date(year, month, 1)
        while day.month == month:
            if firstweekday is None:
                expected = (day.day - 1) // 7 + 1
            else:
                expected = oracle_rows(year, month, firstweekday)[day.day]
            assert cal.week_number(day, reading) == expected, (day, reading)
            day += dt.timedelta(days=1)


def test_the_sunday_readings_disagree_in_most_insurance_months():
    # the row-from-Sunday reading puts 「第4週 日」 on the 3rd Sunday unless the month starts on a Sunday
    months = [(y, m) for y in YEARS for m in INSURANCE_SUNDAY_MONTHS]
    third = [(y, m) for y, m in months if dt.date(y, m, 1).weekday() != 6]
    assert len(months) == 24 and len(third) == 20


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("month", INSURANCE_SUNDAY_MONTHS)
def test_fourth_week_sunday_blocks_the_union_of_readings(year, month):
    for sunday in sundays(year, month):
        expected = oracle_readings(sunday, 4)
        found = evaluate(f"{sunday}T10:00", f"{sunday}T11:00", departments=["150100"])
        hits = slot_findings(found, "insurance_sundays")
        if not expected:
            assert hits == [], sunday
            continue
        assert [h["severity"] for h in hits] == ["block"], sunday
        if expected == {"row_sun", "row_mon", "nth_weekday"}:
            assert not hits[0]["assumed"] and hits[0]["readings"] is None
        else:
            assert hits[0]["assumed"] and set(hits[0]["readings"]) == expected, sunday
            assert "時間帯は仮定（第4週の解釈: " in hits[0]["ja"] and "市の確認待ち" in hits[0]["ja"]


@pytest.mark.parametrize("year", YEARS)
def test_weekday_evenings_of_april_and_may_block_the_union(year):
    for month in (4, 5):
        day = dt.date(year, month, 1)
        while day.month == month:
            expected = oracle_readings(day, 2) | oracle_readings(day, 4)
            found = evaluate(f"{day}T18:00", f"{day}T19:00", departments=["150200"])
            hits = slot_findings(found, "insurance_collection_evenings_apr_may")
            if day.weekday() in (0, 1, 3, 4) and expected:
                assert len(hits) == 1 and hits[0]["severity"] == "block", day
                assert hits[0]["assumed"] == (expected != set(cal.WEEK_READINGS)), day
            else:
                assert hits == [], day
            day += dt.timedelta(days=1)


@pytest.mark.parametrize("reading", cal.WEEK_READINGS)
def test_a_confirmed_reading_blocks_only_its_own_days_and_is_not_marked_assumed(reading):
    data = with_confirmed(reading)
    for year in YEARS:
        for month in INSURANCE_SUNDAY_MONTHS:
            for sunday in sundays(year, month):
                found = evaluate(f"{sunday}T10:00", f"{sunday}T11:00", ["150100"], calendar=data)
                hits = slot_findings(found, "insurance_sundays")
                if reading in oracle_readings(sunday, 4):
                    assert len(hits) == 1 and not hits[0]["assumed"], (reading, sunday)
                else:
                    assert hits == [], (reading, sunday)


def test_confirmation_of_one_rule_leaves_the_others_on_the_union():
    data = with_confirmed("row_sun", {"insurance_sundays"})
    # 2027-04-25: 4th Sunday (days 22-28) but in the 5th row from Sunday
    found = evaluate("2027-04-25T10:00", "2027-04-25T11:00", calendar=data)
    assert slot_findings(found, "insurance_sundays") == []
    other = slot_findings(found, "insurance_collection_sundays")
    assert other and other[0]["readings"] == ["nth_weekday", "row_mon"]


@pytest.mark.parametrize(
    "confirmation,message",
    [
        (
            {"confirmed": "row_tue", "confirmed_by": "x", "confirmed_at": "2027-01-15"},
            "unknown reading 'row_tue'",
        ),
        ({"confirmed": "row_sun", "confirmed_by": None, "confirmed_at": "2027-01-15"}, "needs confirmed_by"),
        ({"confirmed": "row_sun", "confirmed_by": "x", "confirmed_at": "soon"}, "needs confirmed_at"),
        ({"confirmed": None, "by": "x"}, "unknown key 'by'"),
    ],
)
def test_a_confirmation_must_name_the_reading_who_and_when(confirmation, message):
    data = copy.deepcopy(CALENDAR)
    data["service_slots"][-2]["week_reading"] = confirmation
    with pytest.raises(cal.CalendarError, match=message):
        evaluate("2027-04-25T10:00", "2027-04-25T11:00", calendar=data)


def test_the_old_global_week_start_is_refused_rather_than_silently_ignored():
    data = dict(CALENDAR, week_starts_on="sun")
    with pytest.raises(cal.CalendarError, match="week_starts_on"):
        evaluate("2027-04-25T10:00", "2027-04-25T11:00", calendar=data)
