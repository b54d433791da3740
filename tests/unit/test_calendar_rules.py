"""Service calendar rules (group_vars/all/service_calendar.yml) on fixed dates, Asia/Tokyo."""

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from jichitai_ops import service_calendar as cal

ROOT = Path(__file__).resolve().parents[2]


TZ = ZoneInfo("Asia/Tokyo")
CALENDAR = yaml.safe_load((ROOT / "group_vars/all/service_calendar.yml").read_text())[
    "jichitai_service_calendar"
]
SLA = yaml.safe_load((ROOT / "group_vars/all/sla.yml").read_text())["jichitai_sla"]


def at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


def findings(start, end, disruptive=True, departments=("all",)):
    return cal.evaluate(
        CALENDAR,
        at(start),
        at(end),
        disruptive=disruptive,
        departments=list(departments),
        support_desk=SLA["support_desk"],
    )


def rules(found, severity=None):
    return {f["rule"] for f in found if severity is None or f["severity"] == severity}


def test_second_sunday_morning_is_blocked():
    found = findings("2026-12-13T09:30", "2026-12-13T11:00")  # 2nd Sunday of December 2026
    assert cal.blocked(found)
    assert "resident_counter_sundays" in rules(found, "block")
    assert "business_hours" not in rules(found)  # Sunday is a closed day


def test_second_sunday_blocks_resident_services_only_for_affected_departments():
    assert "resident_counter_sundays" in rules(
        findings("2026-12-13T09:30", "2026-12-13T11:00", departments=["140300"])
    )
    found = findings("2026-12-13T09:30", "2026-12-13T11:00", departments=["150100"])
    assert not cal.blocked(found), found


def test_first_sunday_morning_is_not_a_resident_counter_day():
    found = findings("2026-12-06T09:30", "2026-12-06T11:00", departments=["140300"])
    assert "resident_counter_sundays" not in rules(found)
    assert "resident_certificates_daily" in rules(found, "block")  # certificates run every day


def test_weekday_evening_in_fourth_week_of_april_is_blocked():
    # 2027-04-22 is a Thursday in the 4th calendar row (and the 4th Thursday) of April 2027
    found = findings("2027-04-22T17:30", "2027-04-22T20:00", departments=["150100"])
    assert "insurance_evenings_apr_may" in rules(found, "block")


def test_weekday_evening_in_third_week_of_april_has_no_insurance_slot():
    found = findings("2027-04-15T18:00", "2027-04-15T20:00", departments=["150100"])
    assert not cal.blocked(found), found


def test_fourth_week_unconfirmed_blocks_every_reading_and_says_which():
    # 2027-04-26 is the 4th Monday of April (days 22-28) but in the 5th calendar row whether weeks
    # start on Sunday or on Monday: blocked, marked as resting on one reading only
    found = findings("2027-04-26T18:00", "2027-04-26T20:00", departments=["150100"])
    slot = next(f for f in found if f["rule"] == "insurance_evenings_apr_may")
    assert slot["severity"] == "block" and slot["assumed"]
    assert slot["readings"] == ["nth_weekday"]
    assert "時間帯は仮定（第2・4週の解釈: その曜日の第4回（22〜28日）として該当、" in slot["ja"]
    assert "日曜始まりの週の第5週・月曜始まりの週の第5週では対象外。市の確認待ち）" in slot["ja"]
    # 2027-04-19: 4th row either way, but only the 3rd Monday
    rows = findings("2027-04-19T18:00", "2027-04-19T20:00", departments=["150100"])
    assert [f["readings"] for f in rows if f["rule"] == "insurance_evenings_apr_may"] == [
        ["row_mon", "row_sun"]
    ]


def test_national_holiday_counts_as_closed_day_and_taxation_holiday():
    info = cal.day_info(dt.date(2027, 5, 3), CALENDAR)
    assert info["holiday"] == "憲法記念日" and not info["open"]
    found = findings("2027-05-03T10:00", "2027-05-03T12:00", departments=["140100"])
    assert "taxation_peak_closed_days" in rules(found, "block")
    assert "business_hours" not in rules(found)
    weekday = findings("2027-05-06T10:00", "2027-05-06T12:00", departments=["140100"])
    assert "taxation_peak_closed_days" not in rules(weekday)
    assert "business_hours" in rules(weekday, "block")


def test_substitute_and_citizens_holidays_come_from_the_library():
    assert cal.day_info(dt.date(2026, 5, 6), CALENDAR)["holiday"]  # 振替休日
    assert cal.day_info(dt.date(2026, 9, 22), CALENDAR)["holiday"]  # 国民の休日
    assert cal.day_info(dt.date(2026, 9, 24), CALENDAR)["open"]


def test_plain_weekday_daytime_disruptive_work_is_refused_by_working_rules():
    found = findings("2026-12-16T10:00", "2026-12-16T12:00", departments=["140200"])
    assert rules(found, "block") == {"business_hours"}
    assert found[0]["clause"].startswith("§9-2(6)")


def test_wednesday_night_is_allowed():
    assert findings("2026-12-16T22:00", "2026-12-16T23:30") == []


def test_wednesday_night_in_taxation_peak_is_warned_after_its_assumed_evening_hours():
    # 「平日夜間」 states no end: after the assumed 17:30-21:00 the night is warned, not silent
    late = findings("2027-02-17T22:00", "2027-02-17T23:30")
    assert not cal.blocked(late) and rules(late, "warn") == {"taxation_peak_weeknights"}
    assert late[0]["code"] == "hours_unstated" and late[0]["assumed"]
    assert "時間帯は仮定（「平日夜間」を17:30〜21:00と仮定）" in late[0]["ja"]
    assert "taxation_peak_weeknights" in rules(findings("2027-02-17T20:00", "2027-02-17T23:30"), "block")
    assert findings("2026-12-16T22:00", "2026-12-16T23:30") == []  # outside the peak season


def test_year_end_closure_is_closed_and_stops_the_certificate_service_as_an_assumption():
    info = cal.day_info(dt.date(2026, 12, 30), CALENDAR)
    assert info["closure"] == "年末年始" and not info["open"]
    found = findings("2026-12-30T10:00", "2026-12-30T12:00")
    assert not cal.blocked(found)
    assert {(f["rule"], f["code"]) for f in found} == {
        ("business_hours", "closure_assumed"),
        ("resident_certificates_daily", "closure_assumed"),
    }
    assert all(f["assumed"] and "時間帯は仮定（年末年始を12/29〜1/3と仮定" in f["ja"] for f in found)
    # a weekend evening of the closure: only the certificate service could be running
    sunday = findings("2027-01-03T19:00", "2027-01-03T22:00")
    assert [(f["rule"], f["end"]) for f in sunday] == [
        ("resident_certificates_daily", "2027-01-03T21:00:00+09:00")
    ]


def test_window_across_midnight_reaches_next_morning_slots():
    found = findings("2026-12-12T22:00", "2026-12-13T10:00")
    assert {"resident_counter_sundays", "resident_certificates_daily"} <= rules(found, "block")
    sunday = [f for f in found if f["rule"] == "resident_counter_sundays"][0]
    assert sunday["start"] == "2026-12-13T09:00:00+09:00" and sunday["end"] == "2026-12-13T10:00:00+09:00"


def test_non_disruptive_work_is_warned_not_blocked():
    found = findings("2026-12-13T09:30", "2026-12-13T11:00", disruptive=False)
    assert not cal.blocked(found)
    assert rules(found) == {"support_desk"}
    assert findings("2026-12-16T10:00", "2026-12-16T12:00", disruptive=False) == []


def test_tax_collection_sundays_by_month():
    assert "tax_collection_sundays" in rules(
        findings("2026-12-20T10:00", "2026-12-20T11:00", departments=["140200"])
    )
    assert "tax_collection_sundays" not in rules(
        findings("2026-12-27T10:00", "2026-12-27T11:00", departments=["140200"])
    )
    assert "tax_collection_sundays" in rules(
        findings("2027-05-09T10:00", "2027-05-09T11:00", departments=["140200"])
    )


def test_write_off_on_first_saturday_and_sunday_of_april():
    assert "insurance_collection_write_off" in rules(
        findings("2027-04-03T10:00", "2027-04-03T11:00", departments=["150200"])
    )  # 1st Saturday
    assert "insurance_collection_write_off" not in rules(
        findings("2027-04-10T10:00", "2027-04-10T11:00", departments=["150200"])
    )


def test_unregistered_holiday_filing_date_is_warned_in_march():
    found = findings("2027-03-14T10:00", "2027-03-14T11:00", departments=["140100"])
    assert "taxation_holiday_filing" in rules(found, "warn")
    # the filing is daytime: a March evening is not warned about it
    evening = findings("2027-03-14T18:00", "2027-03-14T23:00", departments=["140100"])
    assert "taxation_holiday_filing" not in rules(evening)
    dated = dict(
        CALENDAR,
        service_slots=[
            dict(s, when={"months": [3], "dates": ["2027-03-14"]})
            for s in CALENDAR["service_slots"]
            if s["id"] == "taxation_holiday_filing"
        ],
    )
    found = cal.evaluate(dated, at("2027-03-14T10:00"), at("2027-03-14T11:00"), disruptive=True)
    assert "taxation_holiday_filing" in rules(found, "block")


def test_bad_calendar_names_every_bad_rule():
    bad = {
        "service_slots": [
            {"id": "a", "when": {"weekdays": ["sunday"]}, "time": "09:00-13:00"},
            {"id": "b", "when": {"fortnight": [1]}, "time": "9-13"},
        ]
    }
    with pytest.raises(cal.CalendarError) as err:
        cal.evaluate(bad, at("2026-12-13T09:00"), at("2026-12-13T10:00"), disruptive=True)
    text = str(err.value)
    assert "a: unknown weekday 'sunday'" in text
    assert "b: unknown condition 'fortnight'" in text and "b: bad time" in text


def test_window_must_end_after_start():
    with pytest.raises(cal.CalendarError):
        findings("2026-12-16T23:00", "2026-12-16T22:00")


def test_window_days_lists_day_kinds():
    days = cal.window_days(CALENDAR, at("2026-12-12T22:00"), at("2026-12-13T02:00"))
    assert [(d["date"], d["weekday_ja"], d["open"]) for d in days] == [
        ("2026-12-12", "土", False),
        ("2026-12-13", "日", False),
    ]


def test_messages_name_the_slot_and_its_hours():
    found = findings("2026-12-13T09:30", "2026-12-13T11:00", departments=["140300"])
    sunday = next(f for f in found if f["rule"] == "resident_counter_sundays")
    expected = "総合窓口課 総合窓口業務および証明発行（本庁 総合窓口課）"
    assert sunday["ja"] == expected + "の時間外業務 令和8年12月13日（日）9:00〜13:00 と重なります"
    desk = findings("2026-12-16T18:30", "2026-12-16T19:30", disruptive=False)
    assert desk[0]["ja"].startswith("受付窓口の対応時間（平日 08:30〜18:00）外の作業です")
