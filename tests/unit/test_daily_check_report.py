"""日次点検報告: the daily_check_report module writes Markdown, HTML, Excel and the JSON record, 異常
first, with the verdict and what to do; run through Ansible on the controller as the role runs it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import _adhoc

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "filter_plugins"))
import daily_check as dc  # noqa: E402

FILTERS = dc.FilterModule().filters()
CHECKED_AT = "2026-12-06T07:50:00+09:00"


def sample_items():
    fixtures = REPO / "tests" / "fixtures"
    ups = json.loads((fixtures / "daily/ups_info_loop.json").read_text(encoding="utf-8"))
    dhcp = json.loads((fixtures / "daily/dhcp_info.json").read_text(encoding="utf-8"))
    items = FILTERS["daily_check_ups_items"](ups) + FILTERS["daily_check_dhcp_items"](dhcp)
    items += FILTERS["daily_check_backup_items"]([], 26, CHECKED_AT)
    return items


def run_module(tmp_path, items, check=False, **extra):
    args = {
        "report_dir": str(tmp_path / "report"),
        "items": items,
        "checked_at": CHECKED_AT,
        "inventory": "lab",
        **extra,
    }
    options = ("--check",) if check else ()
    return _adhoc("localhost", "daily_check_report", json.dumps(args, ensure_ascii=False), options=options)[
        "localhost"
    ]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("daily")
    result = run_module(tmp, sample_items(), check=True)
    assert not result.get("failed"), result
    return tmp / "report", result


def test_module_writes_every_format_even_in_check_mode(written):
    report_dir, result = written
    assert result["changed"] is False
    assert {Path(p).name for p in result["files"].values()} == {
        "daily_check.md",
        "daily_check.html",
        "daily_check.xlsx",
        "daily_check.json",
    }
    for name in result["files"].values():
        assert Path(name).stat().st_size > 0
    assert result["summary"]["verdict_ja"] == "異常"


def test_record_is_json_with_clauses_and_critical_first(written):
    report_dir, _ = written
    record = json.loads((report_dir / "daily_check.json").read_text(encoding="utf-8"))
    assert record["checked_at"] == CHECKED_AT and record["inventory"] == "lab"
    assert record["clauses"] == ["OPS-DAILY", "OPS-MON"]
    states = [i["state"] for i in record["items"]]
    order = ["critical", "warning", "unknown", "ok", "skipped"]
    assert states == sorted(states, key=order.index) and states[0] == "critical" and states[-1] == "skipped"
    crit = [i for i in record["items"] if i["state"] == "critical"]
    assert [i["category"] for i in crit] == sorted((i["category"] for i in crit), key=["ups", "dhcp"].index)
    assert record["summary"]["counts"] == {"ok": 2, "warning": 3, "critical": 3, "unknown": 1, "skipped": 1}


def test_markdown_and_html_carry_title_era_date_verdict_and_actions(written):
    report_dir, _ = written
    md = (report_dir / "daily_check.md").read_text(encoding="utf-8")
    html = (report_dir / "daily_check.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "日次点検報告（業務開始前点検）" in text and "令和8年12月6日（日）7:50" in text
        assert "異常" in text and "バッテリーで運転中" in text
        assert "停電が続く場合は計画に沿ってサーバを停止する" in text  # what to do on the critical line
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("| 判定")]
    assert len(rows) == 10 and rows[0].startswith("| 異常") and rows[-1].startswith("| 対象外")
    assert html.index('class="critical"') < html.index('class="warning"') < html.index('class="ok"')


def test_workbook_opens_with_the_rows(written):
    report_dir, _ = written
    wb = openpyxl.load_workbook(report_dir / "daily_check.xlsx")
    assert wb.sheetnames == ["概要", "点検結果"]
    ws = wb["点検結果"]
    assert [c.value for c in ws[1]] == ["判定", "区分", "対象", "点検項目", "状況", "対応"]
    assert ws.max_row == 11 and ws["A2"].value == "異常" and ws.cell(ws.max_row, 1).value == "対象外"
    assert ws.freeze_panes == "A2" and ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    summary = wb["概要"]
    assert summary["B4"].value == "異常"
    assert summary["B3"].number_format.startswith("[$-411]ggge")


def test_module_refuses_an_item_with_an_unknown_state_naming_the_host(tmp_path):
    items = sample_items()
    items[1]["state"] = "down"
    result = run_module(tmp_path, items)
    assert result.get("failed")
    assert items[1]["host"] in result["msg"] and "down" in result["msg"]
    assert not (tmp_path / "report").exists()
