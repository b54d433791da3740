"""The 作業計画書 / 作業報告書 workbooks as a city office opens and prints them: print setup, frozen
header rows, column widths for Japanese text, numbers and dates as real cells."""

import copy
import datetime as dt
import re

import openpyxl
import pytest
from test_workplan_render import guard, record

from jichitai_ops.workplan import documents, xlsx
from jichitai_ops.workplan import plan as plan_mod

A4, A3 = 9, 8  # ECMA-376 paper sizes
TASK = "Make each scope's reservations on both peers match the ledger"
LINE = "予約 PC-0001 hw-address 00:11:22:33:44:55 ip-address 192.168.10.20 hostname pc-0001.city.local\n"
NUMBER_AS_TEXT = re.compile(r"^\s*[+-]?[\d,]+(\.\d+)?\s*(件|分|台|時間)?\s*$")


def sample_guard():
    g = copy.deepcopy(guard())
    # the window given in UTC: the workbook shows Tokyo wall time
    g["window"] = {"start": "2026-12-13T00:30:00+00:00", "end": "2026-12-13T02:00:00+00:00", "minutes": 90}
    g["hosts"].append(dict(g["hosts"][0], name="dhcp02"))
    g["calendar"]["days"].append(
        {"date": "2026-12-14", "weekday_ja": "月", "open": True, "holiday": None, "closure": None}
    )
    return g


def sample_plan() -> dict:
    records = [
        record("dhcp01", TASK, {"changed": True, "diff": {"before": "", "after": LINE}}, 1),
        record("dhcp02", TASK, {"changed": True, "diff": {"before": "", "after": "b\n" * 50}}, 1),
        record(
            "dhcp01", "Restart", {"msg": "would run"}, 2, status="skipped", action="ansible.builtin.command"
        ),
    ]
    g = sample_guard()
    return plan_mod.assemble_plan(g, records, {"forks": 5, "check": True, "diff": True}, g["hosts"])


def sample_report(plan: dict) -> dict:
    """The plan applied: its change, and one change it did not plan."""
    actual = [
        record("dhcp01", TASK, {"changed": True, "diff": {"before": "", "after": LINE}}, 1),
        record(
            "dhcp01", "Someone else's change", {"changed": True, "diff": {"before": "x\n", "after": "y\n"}}, 5
        ),
    ]
    guard_info = {
        "id": plan["id"],
        "mode": "apply",
        "plan_digest": "d" * 64,
        "approval": {
            "approver": "守口 太郎",
            "approved_at": "2026-12-02T09:00:00+09:00",
            "override_calendar": False,
        },
        "applied_by": {"user": "ops", "host": "ctl01"},
    }
    return plan_mod.assemble_report(
        plan, guard_info, actual, {}, "2026-12-13T09:31:00+09:00", "2026-12-13T09:40:00+09:00", False
    )


@pytest.fixture
def plan():
    return sample_plan()


@pytest.fixture
def books(plan, tmp_path):
    documents.write_plan_files(str(tmp_path), plan, "d" * 64)
    written, errors = documents.write_report_files(str(tmp_path), sample_report(plan))
    assert errors == []
    return openpyxl.load_workbook(tmp_path / "plan.xlsx"), openpyxl.load_workbook(tmp_path / "report.xlsx")


def summary(sheet) -> dict:
    return {row[0].value: row[1] for row in sheet.iter_rows(min_row=2) if row[0].value}


def test_every_sheet_prints_one_page_wide_with_its_header_row_frozen_and_repeated(books):
    for book in books:
        for ws in book.worksheets:
            where = f"{ws.parent.properties.title or ''}{ws.title}"
            setup = ws.page_setup
            assert setup.paperSize in (A4, A3), where
            assert setup.orientation in ("portrait", "landscape"), where
            assert ws.sheet_properties.pageSetUpPr.fitToPage, where
            assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), where
            assert ws.freeze_panes == "A2", where
            assert ws.print_title_rows == "$1:$1", where
            assert all(c.font.b for c in ws[1] if c.value), where  # row 1 is the header


def test_paper_and_orientation_follow_the_table_width(books):
    plan_book, report_book = books
    assert (plan_book["概要"].page_setup.paperSize, plan_book["概要"].page_setup.orientation) == (
        A4,
        "portrait",
    )
    changes = plan_book["変更内容"]  # a long task name and long diff lines
    assert (changes.page_setup.paperSize, changes.page_setup.orientation) == (A3, "landscape")
    for ws in (ws for book in books for ws in book.worksheets):
        total = sum(ws.column_dimensions[c[0].column_letter].width for c in ws.iter_cols(max_row=1))
        expected = (A4, "portrait") if total <= xlsx.A4_PORTRAIT_MAX else (A4, "landscape")
        if total > xlsx.A4_LANDSCAPE_MAX:
            expected = (A3, "landscape")
        assert (ws.page_setup.paperSize, ws.page_setup.orientation) == expected, ws.title


@pytest.mark.parametrize(
    ("columns", "width", "paper"),
    [(3, 20, (A4, "portrait")), (5, 25, (A4, "landscape")), (8, 30, (A3, "landscape"))],
)
def test_wide_tables_print_landscape_and_very_wide_ones_on_a3(columns, width, paper):
    book = openpyxl.Workbook()
    ws = book.active
    xlsx._table(ws, 1, [f"列{i}" for i in range(columns)], [["あ" * width] * columns], [width] * columns)
    assert (ws.page_setup.paperSize, ws.page_setup.orientation) == paper


def test_columns_fit_japanese_text(books):
    plan_book, _ = books
    ws = plan_book["概要"]
    # the longest key, Japanese counted double, fits column A
    longest = max(xlsx._text_width(str(c.value)) for c in ws["A"] if c.value)
    assert ws.column_dimensions["A"].width >= longest
    assert xlsx._text_width("作業名") == 6 and xlsx._text_width("dhcp01\n長い行です") == 10
    steps = plan_book["作業手順"]
    assert steps.column_dimensions["B"].width >= 22  # 令和8年12月13日（日）9:30
    # rows tall enough for their wrapped lines (no application sizes them), up to Excel's limit
    changes = plan_book["変更内容"]
    heights = {
        row[1].value: changes.row_dimensions[row[0].row].height for row in changes.iter_rows(min_row=2)
    }
    assert heights["dhcp02"] == xlsx.MAX_ROW_HEIGHT  # a 50-line diff
    assert xlsx.ROW_HEIGHT * 3 <= heights["dhcp01"] < xlsx.MAX_ROW_HEIGHT
    assert ws.row_dimensions[1].height is None  # one line: left to the application
    # a column is never wider than its cap, however long its text
    assert plan_book["変更内容"].column_dimensions["G"].width <= 80


def test_plan_numbers_and_dates_are_real_cells(plan, books):
    plan_book, _ = books
    s = summary(plan_book["概要"])
    start = s["作業開始"]
    assert start.value == dt.datetime(2026, 12, 13, 9, 30) and start.is_date  # Tokyo wall time
    assert start.number_format == xlsx.DATETIME_FMT and "ggge" in start.number_format
    assert s["作業終了"].value == dt.datetime(2026, 12, 13, 11, 0)
    assert s["作業時間"].value == 90 and s["作業時間"].number_format == xlsx.MINUTES_FMT
    assert s["作成日時"].value == dt.datetime(2026, 12, 1, 10, 0) and s["作成日時"].is_date
    assert s["対象ホスト数"].value == 2 and s["対象ホスト数"].data_type == "n"
    assert s["変更件数"].value == 2 and s["変更件数"].number_format == xlsx.COUNT_FMT
    assert s["所要時間見込み"].data_type == "n"
    assert s["影響するセグメント"].value == "LGWAN接続系"

    steps = list(plan_book["作業手順"].iter_rows(min_row=2))
    assert [c.value for c in steps[0][:2]] == [1, dt.datetime(2026, 12, 13, 9, 30)]
    assert steps[0][1].number_format == xlsx.DATETIME_FMT
    assert all(row[4].data_type == "n" and row[4].number_format == xlsx.MINUTES_FMT for row in steps)
    offsets = [s["offset_minutes"] for s in plan["estimate"]["schedule"]]
    assert [row[1].value for row in steps] == [
        dt.datetime(2026, 12, 13, 9, 30) + dt.timedelta(minutes=m) for m in offsets
    ]

    cal = plan_book["カレンダー"]
    days = [row[0] for row in cal.iter_rows(min_row=2, max_row=3)]
    assert [d.value for d in days] == [dt.datetime(2026, 12, 13), dt.datetime(2026, 12, 14)]
    assert all(d.number_format == xlsx.DATE_FMT for d in days)
    finding = next(row for row in cal.iter_rows(min_row=4) if row[0].value == "不可")
    assert finding[1].value == dt.datetime(2026, 12, 13) and finding[1].is_date

    hosts = list(plan_book["影響範囲"].iter_rows(min_row=1, values_only=True))
    assert hosts[0][:5] == ("ホスト", "セグメント", "役割", "拠点", "変更")
    assert [h[0] for h in hosts[1:]] == ["dhcp01", "dhcp02"]


def test_report_numbers_and_dates_are_real_cells(books):
    _, report_book = books
    ws = report_book["概要"]
    s = summary(ws)
    assert s["総合判定"].value == "要確認" and s["総合判定"].font.b
    assert s["承認者"].value == "守口 太郎"
    assert s["承認日時"].value == dt.datetime(2026, 12, 2, 9, 0) and s["承認日時"].is_date
    assert s["実施開始"].value == dt.datetime(2026, 12, 13, 9, 31)
    assert s["実施終了"].value == dt.datetime(2026, 12, 13, 9, 40)
    assert s["所要時間（実績）"].value == 9 and s["所要時間（実績）"].number_format == xlsx.MINUTES_FMT
    assert s["実際の変更"].value == 2 and s["実際の変更"].data_type == "n"
    assert s["計画外の変更"].value == 1 and s["計画外の変更"].number_format == xlsx.COUNT_FMT
    rows = list(report_book["計画と実績"].iter_rows(min_row=2))
    assert [r[0].value for r in rows] == list(range(1, len(rows) + 1))
    assert all(r[0].data_type == "n" for r in rows)


def test_no_number_is_stored_as_text(books):
    for book in books:
        for ws in book.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        assert not NUMBER_AS_TEXT.match(cell.value), (ws.title, cell.coordinate, cell.value)


def test_a_plan_without_window_says_undecided():
    g = sample_guard()
    g["window"] = None
    p = plan_mod.assemble_plan(g, [], {"forks": 5, "check": True, "diff": True}, g["hosts"])
    ws = xlsx.plan_workbook(p, "d" * 64)["概要"]
    values = {row[0].value: row[1].value for row in ws.iter_rows(min_row=2) if row[0].value}
    assert values["作業日時"] == "未定" and "作業開始" not in values


def test_a_chart_sheet_gets_print_setup_and_its_header_row_repeated(plan):
    plan = dict(plan)
    plan["timelines"] = [
        {
            "kind": "gantt",
            "title": "計画停電に伴う順次停止",
            "origin": "21:00",
            "windows": [
                {"label": "作業枠", "start": "21:00", "end": "23:00", "start_offset": 0, "end_offset": 120}
            ],
            "bars": [
                {
                    "label": "第1段 端末",
                    "kind": "tier",
                    "tier": 1,
                    "hosts": 40,
                    "start_offset": 0,
                    "end_offset": 10,
                },
                {
                    "label": "第2段 サーバ",
                    "kind": "tier",
                    "tier": 2,
                    "hosts": 12,
                    "start_offset": 10,
                    "end_offset": 35,
                },
            ],
        }
    ]
    book = xlsx.plan_workbook(plan, "d" * 64)
    charts = [ws for ws in book.worksheets if ws.title.startswith("工程表")]
    assert charts, book.sheetnames
    for ws in book.worksheets:
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.page_setup.paperSize in (A4, A3), ws.title
    head = charts[0][charts[0].freeze_panes].row - 1  # the table under the chart's title
    assert head > 1 and charts[0].print_title_rows == f"${head}:${head}"
