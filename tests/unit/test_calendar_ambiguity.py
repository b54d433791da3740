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


# --- unstated hours: blocked where assumed, warned elsewhere, never silent ------------------------


def covered(found, day):
    """Minutes of ``day`` (Tokyo) that some finding covers."""
    start = dt.datetime.combine(day, dt.time(0), TZ)
    minutes = set()
    for f in found:
        a, b = dt.datetime.fromisoformat(f["start"]), dt.datetime.fromisoformat(f["end"])
        minutes |= set(range(int((a - start).total_seconds() // 60), int((b - start).total_seconds() // 60)))
    return minutes & set(range(24 * 60))


def days_of(years, months):
    for year in years:
        for month in months:
            day = dt.date(year, month, 1)
            while day.month == month:
                yield day
                day += dt.timedelta(days=1)


def test_taxation_closed_days_of_the_peak_season_are_never_silent():
    checked = 0
    for day in days_of(YEARS, (1, 2, 3, 4, 5)):
        info = cal.day_info(day, CALENDAR)
        if info["open"] or info["closure"]:
            continue
        nxt = day + dt.timedelta(days=1)
        found = evaluate(f"{day}T00:00", f"{nxt}T00:00", departments=["140100"])
        assert len(covered(found, day)) == 24 * 60, day
        slot = [f for f in found if f["rule"] == "taxation_peak_closed_days"]
        blocks = [(f["start"][11:16], f["end"][11:16]) for f in slot if f["severity"] == "block"]
        assert blocks == [("09:00", "17:00")], day
        assert all(f["assumed"] and "時間帯は仮定" in f["ja"] for f in slot), day
        checked += 1
    assert checked >= 140  # weekends and holidays of Jan-May, three years


@pytest.mark.parametrize(
    "start,end,department,rule",
    [
        ("2027-02-13T08:00", "2027-02-13T09:00", "140100", "taxation_peak_closed_days"),  # peak Saturday
        (
            "2027-02-11T19:00",
            "2027-02-11T22:00",
            "140100",
            "taxation_peak_closed_days",
        ),  # 建国記念の日 evening
        ("2027-04-03T19:00", "2027-04-03T23:00", "140200", "tax_collection_write_off"),  # write-off Saturday
        (
            "2027-04-04T06:00",
            "2027-04-04T08:30",
            "150200",
            "insurance_collection_write_off",
        ),  # write-off Sunday
        (
            "2026-05-07T22:00",
            "2026-05-08T02:00",
            "140100",
            "taxation_peak_weeknights",
        ),  # weeknight after 21:00
    ],
)
def test_hours_the_specification_does_not_state_are_warned(start, end, department, rule):
    found = evaluate(start, end, departments=[department])
    hits = slot_findings(found, rule)
    assert hits and {f["severity"] for f in hits} == {"warn"}, found
    assert all(f["code"] == "hours_unstated" and f["assumed"] and "時間帯は仮定（" in f["ja"] for f in hits)


def test_write_off_days_block_their_assumed_hours_in_every_year():
    for year in YEARS:
        for month in (4, 5):
            for weekday in (5, 6):
                day = dt.date(year, month, 1)
                while day.weekday() != weekday:
                    day += dt.timedelta(days=1)
                found = evaluate(f"{day}T12:00", f"{day}T13:00", departments=["140200", "150200"])
                blocks = {f["rule"] for f in found if f["severity"] == "block"}
                assert {"tax_collection_write_off", "insurance_collection_write_off"} <= blocks, day
                week_later = day + dt.timedelta(days=7)
                later = evaluate(f"{week_later}T12:00", f"{week_later}T13:00", departments=["140200"])
                assert not slot_findings(later, "tax_collection_write_off"), week_later


def test_hours_unstated_block_blocks_the_whole_span():
    data = copy.deepcopy(CALENDAR)
    for slot in data["service_slots"]:
        if slot["id"] == "tax_collection_write_off":
            slot["hours_unstated"] = "block"
    found = evaluate("2027-04-03T19:00", "2027-04-03T23:00", departments=["140200"], calendar=data)
    assert [(f["code"], f["severity"]) for f in found] == [("service_slot", "block")]
    data["service_slots"][0]["hours_unstated"] = "maybe"
    with pytest.raises(cal.CalendarError, match="hours_unstated must be warn or block"):
        evaluate("2027-04-03T19:00", "2027-04-03T23:00", calendar=data)


def test_march_evening_is_not_warned_about_the_daytime_holiday_filing():
    for year in YEARS:
        for day in days_of([year], (3,)):
            evening = evaluate(f"{day}T18:00", f"{day}T23:00", departments=["140100"])
            assert not slot_findings(evening, "taxation_holiday_filing"), day
            daytime = evaluate(f"{day}T12:00", f"{day}T13:00", departments=["140100"])
            assert [f["code"] for f in slot_findings(daytime, "taxation_holiday_filing")] == [
                "date_unregistered"
            ]
    assert not slot_findings(evaluate("2027-02-28T12:00", "2027-02-28T13:00"), "taxation_holiday_filing")


@pytest.mark.parametrize("year", YEARS)
def test_year_end_closure_days_are_flagged_as_assumed(year):
    for day in [dt.date(year, 12, d) for d in (29, 30, 31)] + [dt.date(year, 1, d) for d in (1, 2, 3)]:
        found = evaluate(f"{day}T09:00", f"{day}T21:00", departments=["140300"])
        assert not any(f["severity"] == "block" for f in found), day
        cert = slot_findings(found, "resident_certificates_daily")
        assert [(f["code"], f["start"][11:16], f["end"][11:16]) for f in cert] == [
            ("closure_assumed", "09:00", "21:00")
        ], day
    assert (
        slot_findings(evaluate(f"{year}-12-28T10:00", f"{year}-12-28T11:00"), "resident_certificates_daily")[
            0
        ]["severity"]
        == "block"
    )


# --- time zones, edges, midnight, multi-day windows, holidays -------------------------------------


@pytest.fixture
def controller_zone(monkeypatch):
    """The controller's own zone set far from Tokyo, as a CI runner or an EE container may have it."""
    import time

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("controller_zone")
def test_naive_datetimes_and_text_without_offset_are_read_as_tokyo():
    naive = cal.evaluate(
        CALENDAR,
        dt.datetime(2026, 12, 13, 9, 30),
        dt.datetime(2026, 12, 13, 11, 0),
        disruptive=True,
        departments=["140300"],
    )
    counter = slot_findings(naive, "resident_counter_sundays")
    assert counter and counter[0]["start"] == "2026-12-13T09:30:00+09:00"
    text = cal.evaluate(
        CALENDAR, "2026-12-13T09:30", "2026-12-13 11:00", disruptive=True, departments=["140300"]
    )
    assert text == naive
    days = cal.window_days(CALENDAR, dt.datetime(2026, 12, 12, 22, 0), dt.datetime(2026, 12, 13, 2, 0))
    assert [d["date"] for d in days] == ["2026-12-12", "2026-12-13"]
    with pytest.raises(cal.CalendarError, match="not a date-time"):
        cal.evaluate(CALENDAR, "next sunday", "2026-12-13T11:00", disruptive=True)


def test_windows_given_in_utc_are_converted():
    # 2027-04-24 23:00Z .. 04-25 04:00Z = Sunday 2027-04-25 08:00-13:00 in Tokyo (the 4th Sunday,
    # in the 4th row of weeks from Monday, in the 5th row of weeks from Sunday)
    found = evaluate("2027-04-24T23:00", "2027-04-25T04:00", departments=["150100"], tz=UTC)
    hits = slot_findings(found, "insurance_sundays")
    assert [(h["start"], h["end"], h["readings"]) for h in hits] == [
        ("2027-04-25T09:00:00+09:00", "2027-04-25T13:00:00+09:00", ["nth_weekday", "row_mon"])
    ]
    same = evaluate("2027-04-25T08:00", "2027-04-25T13:00", departments=["150100"])
    assert found == same


def test_a_window_ending_exactly_when_a_slot_starts_does_not_touch_it():
    before = evaluate("2026-12-13T07:00", "2026-12-13T09:00", departments=["140300"])
    assert before == []
    after = evaluate("2026-12-13T13:00", "2026-12-13T14:00", departments=["140300"])
    assert "resident_counter_sundays" not in {f["rule"] for f in after}
    evening = evaluate("2027-04-26T20:00", "2027-04-26T23:00", departments=["150100"])
    assert evening == []
    one_minute = evaluate("2027-04-26T16:00", "2027-04-26T17:31", departments=["150100"])
    hit = slot_findings(one_minute, "insurance_evenings_apr_may")
    assert [(h["start"], h["end"]) for h in hit] == [
        ("2027-04-26T17:30:00+09:00", "2027-04-26T17:31:00+09:00")
    ]


def test_a_window_across_midnight_meets_the_previous_nights_unstated_hours_and_the_next_mornings_slot():
    # Saturday 2027-04-24 22:00 .. Sunday 2027-04-25 10:00 (insurance collection)
    found = evaluate("2027-04-24T22:00", "2027-04-25T10:00", departments=["150200"])
    assert [(f["rule"], f["severity"], f["start"][:16]) for f in found] == [
        ("insurance_collection_sundays", "block", "2027-04-25T09:00")
    ]
    # a peak-season weeknight: warned past midnight until the next morning
    night = evaluate("2027-01-14T23:00", "2027-01-15T03:00", departments=["140100"])
    assert [(f["code"], f["date"], f["start"][:16], f["end"][:16]) for f in night] == [
        ("hours_unstated", "2027-01-14", "2027-01-14T23:00", "2027-01-15T03:00")
    ]


def test_a_multi_day_window_lists_every_slot_it_crosses():
    found = evaluate("2027-04-24T00:00", "2027-04-27T00:00", departments=["150100"])
    slots = [(f["rule"], f["date"], f["severity"]) for f in found if f["code"] == "service_slot"]
    assert slots == [
        ("insurance_sundays", "2027-04-25", "block"),
        ("insurance_evenings_apr_may", "2027-04-26", "block"),
    ]
    assert ("business_hours", "2027-04-26", "block") in {(f["rule"], f["date"], f["severity"]) for f in found}


def test_substitute_and_citizens_holidays_are_closed_days():
    # 2027-03-22: 振替休日 for 春分の日 on a Sunday; a taxation peak-season closed day
    found = evaluate("2027-03-22T10:00", "2027-03-22T11:00", departments=["140100"])
    assert "business_hours" not in {f["rule"] for f in found}
    assert "taxation_peak_closed_days" in {f["rule"] for f in found if f["severity"] == "block"}
    # 2026-05-06: 振替休日 for 憲法記念日 on a Sunday
    found = evaluate("2026-05-06T10:00", "2026-05-06T11:00", departments=["140100"])
    assert "taxation_peak_closed_days" in {f["rule"] for f in found if f["severity"] == "block"}
    # 2026-09-22: 国民の休日 between 敬老の日 and 秋分の日: no business hours, no slot of 保険課
    assert evaluate("2026-09-22T10:00", "2026-09-22T11:00", departments=["150100"]) == []
    assert {f["rule"] for f in evaluate("2026-09-24T10:00", "2026-09-24T11:00", ["150100"])} == {
        "business_hours"
    }


@pytest.mark.parametrize("rule", ["tax_collection_write_off", "insurance_collection_write_off"])
def test_write_off_sunday_blocks_both_readings_when_a_month_begins_on_sunday(rule):
    """April 2029 begins on a Sunday: 「第1土曜日及び日曜日」 is 4/1 (the first Sunday) or 4/8 (the
    Sunday after the first Saturday, 4/7). Both are blocked and both say the reading is assumed."""
    for day in ("2029-04-01", "2029-04-07", "2029-04-08"):
        found = cal.evaluate(CALENDAR, at(f"{day}T10:00"), at(f"{day}T11:00"), disruptive=True)
        hits = [f for f in found if f["rule"] == rule]
        assert hits and hits[0]["severity"] == "block" and hits[0]["assumed"], (day, found)
        assert "第1土曜日の翌日の日曜日" in hits[0]["ja"], hits[0]["ja"]
    # an ordinary month: the first Saturday and the Sunday after it are also the first Sunday
    found = cal.evaluate(CALENDAR, at("2027-04-11T10:00"), at("2027-04-11T11:00"), disruptive=True)
    assert rule not in {f["rule"] for f in found}


def test_a_bad_days_of_month_is_named():
    broken = copy.deepcopy(CALENDAR)
    broken["service_slots"][0]["when"] = {"weekdays": ["sun"], "days_of_month": [8, 2]}
    with pytest.raises(cal.CalendarError, match="resident_counter_sundays: bad days_of_month"):
        cal.validate(broken)
