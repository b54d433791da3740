"""The service calendar as month grids (HTML and xlsx) for the city to check its readings once a year."""

import calendar as stdcal
import copy
import re
from pathlib import Path

import pytest
import yaml

from jichitai_ops import calendar_view as cv
from jichitai_ops import cli

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = yaml.safe_load((ROOT / "group_vars/all/service_calendar.yml").read_text())[
    "jichitai_service_calendar"
]


@pytest.fixture(scope="module")
def april():
    return cv.month_grid(CALENDAR, 2027, 4)


def cell_of(grid, day):
    return next(c for week in grid["weeks"] for c in week if c and c["day"] == day)


def entry_of(cell, rule):
    found = [e for e in cell["entries"] if e["rule"] == rule]
    return found[0] if found else None


def test_april_2027_grid_starts_on_its_weekday(april):
    oracle = stdcal.Calendar(firstweekday=6).monthdayscalendar(2027, 4)  # weeks from Sunday
    assert [[c["day"] if c else 0 for c in week] for week in april["weeks"]] == oracle
    assert april["columns"] == ("日", "月", "火", "水", "木", "金", "土")
    first = april["weeks"][0]
    assert first[:4] == [None] * 4 and first[4]["weekday_ja"] == "木"  # 2027-04-01 is a Thursday
    assert april["title"] == "令和9年4月"
    assert cell_of(april, 29)["holiday"] == "昭和の日"


def test_known_blocked_slots_on_their_days(april):
    # 総合窓口課: 2nd and 4th Sunday 9:00-13:00 (2027-04-11, 04-25), not the 3rd (04-18)
    for day in (11, 25):
        entry = entry_of(cell_of(april, day), "resident_counter_sundays")
        assert entry["blocks"] == ["9:00〜13:00"] and entry["severity"] == "block"
        assert entry["department_name"] == "総合窓口課" and "住民記録" in entry["systems"]
        assert not entry["assumed"]
    assert entry_of(cell_of(april, 18), "resident_counter_sundays") is None
    # 納税課: 4th Sunday of April (22..28 -> 04-25) only
    assert entry_of(cell_of(april, 25), "tax_collection_sundays")["blocks"] == ["9:00〜13:00"]
    assert entry_of(cell_of(april, 18), "tax_collection_sundays") is None
    assert cell_of(april, 25)["severity"] == "block"
    # open days carry the business hours; Sundays do not
    assert cell_of(april, 1)["business_hours"] == "8:30〜18:00"
    assert cell_of(april, 25)["business_hours"] is None


def test_assumed_slots_marked_with_their_reading(april):
    # 保険課 「第4週 日」: 04-18 under weeks from Sunday only, 04-25 under the other two readings
    on_18 = entry_of(cell_of(april, 18), "insurance_sundays")
    on_25 = entry_of(cell_of(april, 25), "insurance_sundays")
    assert on_18["assumed"] and on_25["assumed"]
    assert on_18["notes"] == ["「第4週」を日曜始まりの週と読んだ場合のみ"]
    assert on_25["notes"] == ["「第4週」を月曜始まりの週・その曜日の第n回と読んだ場合のみ"]
    # assumed hours name their assumption; a slot both blocked and warned keeps both
    evening = entry_of(cell_of(april, 5), "taxation_peak_weeknights")
    assert evening["assumed"] and "「平日夜間」を17:30〜21:00と仮定" in evening["notes"]
    assert evening["blocks"] == ["17:30〜21:00"] and evening["warns"] == ["21:00〜翌8:30"]
    # the month's last night runs into the next month, shown whole
    assert entry_of(cell_of(april, 30), "taxation_peak_weeknights")["warns"] == ["21:00〜翌8:30"]
    html = cv.render_html(april)
    cell_18 = re.search(r'title="令和9年4月18日（日）">(.*?)</td>', html, re.S).group(1)
    assert "仮定</b> 「第4週」を日曜始まりの週と読んだ場合のみ" in cell_18
    assert "<script" not in html and "<style>" in html and "http" not in html


def test_confirmed_reading_removes_the_assumption():
    confirmed = copy.deepcopy(CALENDAR)
    for slot in confirmed["service_slots"]:
        if slot["id"] == "insurance_sundays":
            slot["week_reading"] = {
                "confirmed": "nth_weekday",
                "confirmed_by": "保険課 試験",
                "confirmed_at": "2027-01-15",
            }
    grid = cv.month_grid(confirmed, 2027, 4)
    assert entry_of(cell_of(grid, 18), "insurance_sundays") is None
    assert not entry_of(cell_of(grid, 25), "insurance_sundays")["assumed"]
    row = next(r for r in grid["readings"] if r["rule"] == "insurance_sundays")
    assert row["confirmed"] and row["confirmed_by"] == "保険課 試験" and row["confirmed_at"] == "2027-01-15"
    assert not next(r for r in grid["readings"] if r["rule"] == "insurance_collection_sundays")["confirmed"]


def test_xlsx_one_sheet_per_month_a4_landscape(tmp_path):
    import openpyxl

    written = cv.write_calendar(CALENDAR, 2027, 4, 2, str(tmp_path))
    assert [Path(p).name for p in written] == [
        "calendar-2027-04.html",
        "calendar-2027-05.html",
        "calendar.xlsx",
    ]
    wb = openpyxl.load_workbook(tmp_path / "calendar.xlsx", rich_text=True)
    assert wb.sheetnames == ["令和9年4月", "令和9年5月"]
    ws = wb["令和9年4月"]
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert ws.page_setup.orientation == ws.ORIENTATION_LANDSCAPE
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert [ws.cell(row=3, column=c).value for c in range(1, 8)] == list(cv.COLUMNS_JA)
    # 2027-04-11 (2nd Sunday) is in the grid's 3rd week row, Sunday column
    text = str(ws.cell(row=4 + 2, column=1).value)
    assert text.startswith("11") and "【停止不可】9:00〜13:00" in text and "総合窓口課 総合窓口業務" in text
    text_18 = str(ws.cell(row=4 + 3, column=1).value)
    assert "「仮定」「第4週」を日曜始まりの週と読んだ場合のみ" in text_18
    assert ws.cell(row=4, column=1).value is None  # before the 1st


def test_cli_writes_the_months(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "ROOT", ROOT)
    out = tmp_path / "cal"
    rc = cli.main(["calendar", "--month", "2027-12", "--months", "2", "--out", str(out)])
    assert rc == cli.EXIT_OK
    assert sorted(p.name for p in out.iterdir()) == [
        "calendar-2027-12.html",
        "calendar-2028-01.html",
        "calendar.xlsx",
    ]
    page = (out / "calendar-2027-12.html").read_text(encoding="utf-8")
    assert "令和9年12月" in page and "年末年始" in page
    with pytest.raises(SystemExit):
        cli.main(["calendar", "--month", "2027-13", "--out", str(out)])
    assert cv.months(2027, 11, 3) == [(2027, 11), (2027, 12), (2028, 1)]
    assert cv.find_calendar(ROOT, "inventories/moriguchi") == ROOT / "group_vars/all/service_calendar.yml"
