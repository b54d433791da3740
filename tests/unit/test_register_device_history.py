"""機器別 点検・修理履歴 (REQUIREMENTS MNT-FAULT §5-3(9)) from the records the other operations write:
the daily checks summarised per device and month with every 注意/異常 line, the fault and incident records
naming a device, the repaired-PC restores' work reports; only devices with history listed; missing folders
said as 記録なし; a bad file named, nothing built; a second build of the same records shows no change."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from ansible.module_utils.registers import build, device_history, model
from ansible.module_utils.registers.model import RegisterInputError
from openpyxl import load_workbook

from jichitai_ops.records import registers as records
from jichitai_ops.reports import registers as renderer

ROOT = Path(__file__).resolve().parents[2]
TZ = dt.timezone(dt.timedelta(hours=9))
SEGMENTS = {"lgwan": {"name": "LGWAN接続系"}}
SITES = [
    {"id": "hq", "name": "本庁舎", "kind": "head_office"},
    {"id": "br01", "name": "北出張所", "kind": "branch"},
]
HOSTS = [
    model.host_record(name, variables)
    for name, variables in (
        ("ad01", {"jichitai_segment": "lgwan", "jichitai_role": "ad_dc", "jichitai_site": "hq"}),
        (
            "fs01",
            {
                "jichitai_segment": "lgwan",
                "jichitai_role": "file_server",
                "jichitai_site": "hq",
                "jichitai_description": "ファイルサーバ1号機",
            },
        ),
        ("gw-br01", {"jichitai_segment": "lgwan", "jichitai_role": "gateway", "jichitai_site": "br01"}),
        ("quiet01", {"jichitai_segment": "lgwan", "jichitai_role": "app_server", "jichitai_site": "hq"}),
        (
            "lgnb0007",
            {
                "jichitai_segment": "lgwan",
                "jichitai_role": "pc",
                "jichitai_site": "hq",
                "jichitai_asset_no": "PC-0007",
            },
        ),
    )
]


def item(host, state, check="死活（ping）", detail="応答あり", category="server"):
    return {
        "category": category,
        "host": host,
        "label": host,
        "check": check,
        "state": state,
        "detail": detail,
        "action": "",
    }


def daily(folder: Path, stamp: str, items: list[dict]) -> None:
    run = folder / stamp
    run.mkdir(parents=True)
    at = dt.datetime.strptime(stamp, "%Y%m%dT%H%M").replace(tzinfo=TZ).isoformat()
    record = {"checked_at": at, "inventory": "test", "clauses": ["OPS-DAILY"], "items": items, "summary": {}}
    (run / "daily_check.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def restore_report(plans: Path, plan_id: str, stamp: str, playbook: str, hosts: list[str]) -> None:
    folder = plans / plan_id / "reports" / stamp
    folder.mkdir(parents=True)
    rows = [{"host": "localhost", "actual": "ok", "verdict": "unchanged"}]
    for host in hosts:
        rows += [
            {"host": host, "actual": "changed", "verdict": "matched"},
            {"host": host, "actual": "changed", "verdict": "matched"},
            {"host": host, "actual": "ok", "verdict": "unchanged"},
        ]
    report = {
        "playbook": playbook,
        "plan_id": plan_id,
        "started": "2026-11-20T18:40:00+09:00",
        "mode": "apply",
        "verdict": "done",
        "verdict_ja": "計画どおり完了",
        "rows": rows,
    }
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


@pytest.fixture()
def estate(tmp_path):
    """A month and a half of daily checks, two faults, an incident and one PC restore."""
    checks, recs, plans = tmp_path / "daily_check", tmp_path / "records", tmp_path / "plans"
    gateway_down = item(
        "br01", "critical", "拠点ネットワーク疎通（ゲートウェイ）", "gw-br01: 応答なし", "site"
    )
    daily(checks, "20261029T0730", [item("ad01", "ok"), item("fs01", "ok"), item("role_pc", "ok")])
    daily(
        checks,
        "20261104T0730",
        [
            item("ad01", "ok"),
            item("fs01", "warning", "ディスク使用率", "D: 85%"),
            item("fs01", "warning", "イベントログ", "エラー 3件", "eventlog"),
            item("fs01", "ok"),
            item("quiet01", "skipped"),
            item("elsewhere9", "critical"),
        ],
    )
    daily(
        checks,
        "20261105T0730",
        [
            item("ad01", "ok"),
            item("fs01", "warning", "イベントログ", "エラー 3件", "eventlog"),
            item("fs01", "warning", "ディスク使用率", "D: 85%"),
            gateway_down,
        ],
    )
    daily(
        checks,
        "20261106T0730",
        [
            item("ad01", "unknown"),
            item("fs01", "ok"),
            item("br01", "ok", "拠点ネットワーク疎通（ゲートウェイ）", "gw-br01: 応答あり", "site"),
        ],
    )
    daily(
        checks,
        "20261109T0730",
        [item("ad01", "ok"), item("fs01", "warning", "ディスク使用率", "D: 85%")],
    )
    at = dt.datetime(2026, 11, 5, 9, 30, tzinfo=TZ)
    fault = records.create(
        recs,
        "fault",
        {
            "title": "D ドライブの障害",
            "device": "FS01",
            "detected_at": at.isoformat(),
            "symptom": "D: が読めない",
        },
        "佐藤",
        at=at,
        root=str(ROOT),
    )
    records.close(
        recs,
        fault["id"],
        "佐藤",
        at=at + dt.timedelta(hours=5),
        root=str(ROOT),
        values={"cause": "ディスク故障", "measures": "予備ディスクの常備", "action": "ディスク交換"},
    )
    later = at + dt.timedelta(days=10)
    records.create(
        recs,
        "fault",
        {
            "title": "起動しない",
            "device": "PC-0007",
            "detected_at": later.isoformat(),
            "symptom": "電源が入らない",
        },
        "佐藤",
        at=later,
        root=str(ROOT),
    )
    records.create(
        recs,
        "fault",
        {"title": "紙詰まり", "device": "mfp-old-3", "detected_at": later.isoformat(), "symptom": "給紙不良"},
        "佐藤",
        at=later,
        root=str(ROOT),
    )
    records.create(
        recs,
        "incident",
        {
            "title": "共有フォルダに接続できない",
            "detected_at": at.isoformat(),
            "where": "本庁",
            "what": "共有が見えない",
            "hosts": ["fs01", "ad01", "fs01"],
        },
        "佐藤",
        at=at,
    )
    restore_report(
        plans, "20261118T100000-aaaaaaaa", "20261120T184000-111111", "playbooks/pc_restore.yml", ["lgnb0007"]
    )
    restore_report(
        plans, "20261118T110000-bbbbbbbb", "20261120T190000-222222", "playbooks/dhcp_sync.yml", ["ad01"]
    )
    return {"records_dir": str(recs), "daily_check_dir": str(checks), "plans_dir": str(plans)}


def make(dirs, read_at="2026-12-01 05:00:00"):
    return build.build(HOSTS, SEGMENTS, SITES, history_dirs=dirs, inventory="test", read_at=read_at)


def history(result) -> dict:
    return next(r for r in result["registers"] if r["id"] == "device_history")


def test_every_device_with_history_and_only_those(estate):
    reg = history(make(estate))
    rows = {r["host"]: r for r in reg["rows"]}
    # inventory order first, then the device the inventory does not hold; quiet01 (skipped only) has none
    assert list(rows) == ["ad01", "fs01", "gw-br01", "lgnb0007", "mfp-old-3"]
    assert reg["title"] == "機器別 点検・修理履歴" and reg["clause"] == "MNT-FAULT §5-3(9)"

    fs01 = rows["fs01"]
    assert fs01["description"] == "ファイルサーバ1号機" and fs01["role"] == "ファイルサーバ"
    assert fs01["inspections"].split("\n") == [
        "2026-10 点検 1回（すべて正常）",
        "2026-11 点検 4回（注意 3回）",
    ]
    # one line per finding, the same line on consecutive checks told once with its span
    assert fs01["findings"].split("\n") == [
        "2026-11-04〜2026-11-05（2回） 注意 ディスク使用率: D: 85%",
        "2026-11-04〜2026-11-05（2回） 注意 イベントログ: エラー 3件",
        "2026-11-09 注意 ディスク使用率: D: 85%",
    ]
    (fault,) = fs01["faults"].split("\n")
    assert fault.startswith("FLT-2026-0001 2026-11-05 D ドライブの障害（完了）")
    assert "原因: ディスク故障" in fault and "対処: ディスク交換" in fault and "復旧: 2026-11-05" in fault
    assert fs01["incidents"] == "INC-2026-0001 2026-11-05 共有フォルダに接続できない（対応中）"
    assert fs01["restores"] == "" and fs01["last"] == "2026-11-09"

    assert rows["ad01"]["inspections"].split("\n") == [
        "2026-10 点検 1回（すべて正常）",
        "2026-11 点検 4回（不明 1回）",
    ]
    assert rows["ad01"]["findings"] == "" and rows["ad01"]["incidents"].startswith("INC-2026-0001")
    # a branch's gateway is judged by its site's line that names it
    assert rows["gw-br01"]["inspections"] == "2026-11 点検 2回（異常 1回）"
    assert (
        rows["gw-br01"]["findings"]
        == "2026-11-05 異常 拠点ネットワーク疎通（ゲートウェイ）: gw-br01: 応答なし"
    )
    # the PC: a fault by its asset number, and its restore from pc_restore.yml's work report (not dhcp_sync's)
    pc = rows["lgnb0007"]
    assert pc["inspections"] == "" and pc["faults"].startswith(
        "FLT-2026-0002 2026-11-15 起動しない（対応中）"
    )
    assert (
        pc["restores"]
        == "2026-11-20 修理後の端末の復旧 計画どおり完了（変更 2件、作業計画 20261118T100000-aaaaaaaa）"
    )
    assert pc["last"] == "2026-11-20"
    assert "dhcp" not in rows["ad01"]["restores"] and rows["ad01"]["restores"] == ""
    assert rows["mfp-old-3"]["role"] == "インベントリにない機器"
    states = {s["name"]: s["state"] for s in reg["sources"]}
    assert states == {
        "日次点検": "5回、2026-10-29〜2026-11-09",
        "障害・インシデント記録": "障害 3件・インシデント 1件",
        "修理後の端末の復旧の作業報告": "1回",
    }
    assert estate["daily_check_dir"] in reg["source"] and reg["read_at"] == "2026-12-01 05:00:00"


def test_missing_folders_are_said_as_no_records(tmp_path):
    dirs = {k: str(tmp_path / k) for k in ("records_dir", "daily_check_dir", "plans_dir")}
    result = make(dirs)
    reg = history(result)
    assert reg["rows"] == [] and reg["empty"] == "記録なし"
    assert [s["state"] for s in reg["sources"]] == ["記録なし"] * 3 and "（記録なし）" in reg["source"]
    record, _ = build.compare(result, str(tmp_path / "reports"))
    record["diagrams"] = {}
    page = renderer.html(record)
    section = page.split('id="device_history"', 1)[1]
    assert '<p class="empty">記録なし</p>' in section and str(tmp_path / "plans_dir") in section
    buffer = io.BytesIO()
    renderer.workbook(record).save(buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["機器別 点検・修理履歴"]
    assert sheet["A4"].value == "記録なし" and "記録なし" in sheet["A2"].value
    # without the folders given at all there is no such register (the other registers unchanged)
    assert "device_history" not in {r["id"] for r in make(None)["registers"]}


def test_a_bad_file_is_named_and_nothing_built(estate):
    checks, recs, plans = (Path(estate[k]) for k in ("daily_check_dir", "records_dir", "plans_dir"))
    bad_check = checks / "20261110T0730" / "daily_check.json"
    bad_check.parent.mkdir()
    bad_check.write_text(
        '{"checked_at": "2026-11-10T07:30:00+09:00", "items": [{"host": "fs01"', encoding="utf-8"
    )
    odd_check = checks / "20261111T0730" / "daily_check.json"
    odd_check.parent.mkdir()
    odd_check.write_text(json.dumps({"checked_at": "yesterday", "items": []}), encoding="utf-8")
    bad_fault = recs / "faults" / "FLT-2026-0009.yml"
    bad_fault.write_text("番号: FLT-2026-0009\n件名: x\n状態: 壊れた\n", encoding="utf-8")
    bad_report = plans / "20261118T100000-aaaaaaaa" / "reports" / "20261121T100000-333333" / "report.json"
    bad_report.parent.mkdir()
    bad_report.write_text("{", encoding="utf-8")
    with pytest.raises(RegisterInputError) as err:
        make(estate)
    problems = err.value.problems
    assert len(problems) == 4, problems
    for path in (bad_check, odd_check, bad_fault, bad_report):
        assert sum(p.startswith(f"{path}: ") for p in problems) == 1, (path, problems)
    assert "checked_at 'yesterday' is not a time" in " ".join(problems)
    assert "状態 (status)" in next(p for p in problems if p.startswith(str(bad_fault)))


def test_a_second_build_of_the_same_records_shows_no_change_and_a_new_fault_shows(estate, tmp_path):
    reports = tmp_path / "reports"
    first = make(estate)
    record, current = build.compare(first, str(reports))
    reports.mkdir()
    (reports / build.LATEST).write_text(json.dumps(current, ensure_ascii=False), encoding="utf-8")
    again, _ = build.compare(make(estate, read_at="2026-12-02 05:00:00"), str(reports))
    assert next(c for c in again["changes"] if c["id"] == "device_history")["count"] == 0
    at = dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
    records.create(
        estate["records_dir"],
        "fault",
        {"title": "応答なし", "device": "quiet01", "detected_at": at.isoformat(), "symptom": "応答しない"},
        "佐藤",
        at=at,
        root=str(ROOT),
    )
    third, _ = build.compare(make(estate), str(reports))
    change = next(c for c in third["changes"] if c["id"] == "device_history")
    assert change["added"] == ["quiet01"] and change["removed"] == [] and change["changed"] == []


def test_the_html_and_the_workbook_carry_the_register(estate, tmp_path):
    record, _ = build.compare(make(estate), str(tmp_path))
    record["diagrams"] = {}
    page = renderer.html(record)
    section = page.split('id="device_history"', 1)[1]
    assert "機器別 点検・修理履歴" in page and 'class="reg history"' in section
    assert "2026-11 点検 4回（注意 3回）" in section and "修理後の端末の復旧の作業報告" in section
    buffer = io.BytesIO()
    renderer.workbook(record).save(buffer)
    book = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = book["機器別 点検・修理履歴"]
    assert [c.value for c in sheet[3]] == [label for _key, label in device_history.COLUMNS]
    assert [sheet.cell(row=r, column=1).value for r in range(4, sheet.max_row + 1)] == [
        "ad01",
        "fs01",
        "gw-br01",
        "lgnb0007",
        "mfp-old-3",
    ]
    assert "情報源: 日次点検" in sheet["A2"].value
    cover = [row[0].value for row in book["表紙"].iter_rows()]
    assert "機器別 点検・修理履歴" in cover


def test_a_cell_too_long_for_excel_keeps_the_newest_lines():
    lines = [f"2026-{i:05d} {'x' * 100}" for i in range(400)]
    text = device_history._cell(lines)
    assert len(text) <= device_history.CELL_LIMIT
    assert text.startswith("（古い ") and text.endswith(lines[-1])
