"""The registers (incident, fault, issue): validated YAML records, the CLI, working-day deadlines from the
service calendar, incidents opened from Alertmanager's webhook, and the reports rendered from them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from jichitai_ops import cli
from jichitai_ops.alerts import receiver
from jichitai_ops.records import registers as reg
from jichitai_ops.records import workdays
from jichitai_ops.reports import fault_report, incident_report

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "alertmanager"
CALENDAR = workdays.load_calendar(str(ROOT))


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def open_incident(capsys, records, *extra):
    return run(
        capsys,
        "incident",
        "open",
        "--records",
        str(records),
        "--by",
        "山田",
        "--at",
        "2026-11-20T10:05",
        "--title",
        "ファイルサーバ停止",
        "--detected-at",
        "2026-11-20T10:00",
        "--where",
        "本庁 サーバ室",
        "--what",
        "fs01 が応答しない",
        "--severity",
        "critical",
        "--hosts",
        "fs01",
        *extra,
    )


def test_incident_open_update_close_through_the_cli(tmp_path, capsys):
    records = tmp_path / "records"
    code, out, _ = open_incident(capsys, records)
    assert code == 0 and "INC-2026-0001" in out
    path = records / "incidents" / "INC-2026-0001.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["件名"] == "ファイルサーバ停止" and data["状態"] == "対応中" and data["重要度"] == "重大"
    assert data["経過"][0] == {"日時": "2026-11-20T10:05:00+09:00", "記入者": "山田", "内容": "起票"}

    code, _, _ = run(
        capsys,
        "incident",
        "update",
        "INC-2026-0001",
        "--records",
        str(records),
        "--by",
        "山田",
        "--at",
        "2026-11-20T11:00",
        "--interim-action",
        "予備機へ切替",
        "--recovery-outlook",
        "本日中",
        "--hosts",
        "fs02",
        "--note",
        "予備機へ切替完了",
    )
    assert code == 0
    record = reg.get(records, "INC-2026-0001")
    assert record["hosts"] == ["fs01", "fs02"] and record["history"][-1]["text"] == "予備機へ切替完了"

    before = path.read_bytes()
    code, _, err = run(
        capsys, "incident", "close", "INC-2026-0001", "--records", str(records), "--at", "2026-11-20T12:00"
    )
    assert code == 3 and "原因 (cause): required to close" in err and "再発防止策 (measures)" in err
    assert path.read_bytes() == before

    code, _, _ = run(
        capsys,
        "incident",
        "close",
        "INC-2026-0001",
        "--records",
        str(records),
        "--at",
        "2026-11-20T12:00",
        "--cause",
        "電源ユニット故障",
        "--measures",
        "電源の冗長化",
    )
    assert code == 0
    record = reg.get(records, "INC-2026-0001")
    assert (
        record["status"] == "closed"
        and record["recovered_at"] == record["closed_at"] == "2026-11-20T12:00:00+09:00"
    )

    code, out, _ = run(
        capsys, "incident", "list", "--records", str(records), "--format", "json", "--month", "2026-11"
    )
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["INC-2026-0001"]
    assert run(capsys, "incident", "show", "INC-2026-0009", "--records", str(records))[0] == 4


def test_open_names_every_missing_and_bad_field_and_writes_nothing(tmp_path, capsys):
    records = tmp_path / "records"
    code, _, err = run(
        capsys,
        "incident",
        "open",
        "--records",
        str(records),
        "--title",
        "x",
        "--detected-at",
        "昨日",
        "--severity",
        "huge",
    )
    assert code == 3
    for text in (
        "検知日時 (detected_at)",
        "重要度 (severity)",
        "発生場所 (where): missing",
        "事象 (what): missing",
    ):
        assert text in err
    assert not list((records / "incidents").glob("*.yml"))


def test_fault_report_deadline_skips_the_national_holiday(tmp_path, capsys):
    # Friday 2026-11-20; Monday 2026-11-23 is 勤労感謝の日: Tue, Wed, Thu -> due Thursday the 26th
    due = workdays.fault_report_due(dt.datetime(2026, 11, 20, 10, 0), CALENDAR)
    assert due["due"] == "2026-11-26"
    assert [s["reason"] for s in due["skipped"]] == ["土曜日", "日曜日", "勤労感謝の日"]
    # the year-end closure (年末年始, the city's calendar) counts too: 12-28 Mon -> 1-4, 1-5, 1-6
    assert workdays.fault_report_due(dt.datetime(2026, 12, 28, 9, 0), CALENDAR)["due"] == "2027-01-06"

    records = tmp_path / "records"
    code, out, _ = run(
        capsys,
        "fault",
        "open",
        "--records",
        str(records),
        "--title",
        "電源故障",
        "--device",
        "fs01",
        "--detected-at",
        "2026-11-20T10:00",
        "--symptom",
        "電源が入らない",
    )
    assert code == 0 and "報告期限 2026-11-26" in out
    out_dir = tmp_path / "out"
    code, _, err = run(
        capsys, "fault", "report", "FLT-2026-0001", "--records", str(records), "--out", str(out_dir)
    )
    assert code == 3 and "対処 (action)" in err and "原因 (cause)" in err and not out_dir.exists()
    run(
        capsys,
        "fault",
        "update",
        "FLT-2026-0001",
        "--records",
        str(records),
        "--action",
        "電源ユニット交換",
        "--cause",
        "経年劣化",
        "--measures",
        "5年で予防交換",
    )
    code, _, _ = run(
        capsys, "fault", "report", "FLT-2026-0001", "--records", str(records), "--out", str(out_dir)
    )
    assert code == 0
    md = (out_dir / "fault-FLT-2026-0001.md").read_text(encoding="utf-8")
    assert "令和8年11月26日" in md and "勤労感謝の日を除く" in md and "電源ユニット交換" in md


def test_final_report_refuses_without_cause_and_measures(tmp_path, capsys):
    records = tmp_path / "records"
    open_incident(capsys, records)
    record = reg.get(records, "INC-2026-0001")
    with pytest.raises(incident_report.ReportRefused, match=r"原因 \(cause\).*再発防止策 \(measures\)"):
        incident_report.write(record, "final", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    paths = incident_report.write(record, "first", str(tmp_path / "out"))
    html = Path(paths["html"]).read_text(encoding="utf-8")
    assert "第一報" in html and "本庁 サーバ室" in html and "再発防止策" not in html
    code, _, err = run(
        capsys,
        "incident",
        "report",
        "INC-2026-0001",
        "--stage",
        "interim",
        "--records",
        str(records),
        "--out",
        str(tmp_path / "out"),
    )
    assert code == 3 and "暫定対応 (interim_action)" in err


def test_a_hand_edited_bad_record_is_named_with_every_problem(tmp_path, capsys):
    records = tmp_path / "records"
    open_incident(capsys, records)
    path = records / "incidents" / "INC-2026-0001.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update({"状態": "完了", "検知日時": "not a time", "謎": 1})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _, err = run(capsys, "incident", "list", "--records", str(records))
    assert code == 1
    assert "INC-2026-0001.yml" in err and "unknown field '謎'" in err and "検知日時 (detected_at)" in err
    assert "原因 (cause): required to close" in err


def test_issue_register(tmp_path, capsys):
    records = tmp_path / "records"
    code, _, _ = run(
        capsys,
        "issue",
        "open",
        "--records",
        str(records),
        "--content",
        "バックアップ容量不足",
        "--impact",
        "3世代を保持できない",
        "--priority",
        "high",
        "--owner",
        "佐藤",
        "--raised-on",
        "2026-11-02",
    )
    assert code == 0
    code, _, err = run(capsys, "issue", "close", "ISS-2026-0001", "--records", str(records))
    assert code == 3 and "結果 (result)" in err
    code, _, _ = run(
        capsys,
        "issue",
        "close",
        "ISS-2026-0001",
        "--records",
        str(records),
        "--result",
        "ディスク増設",
        "--at",
        "2026-11-30T17:00",
    )
    assert code == 0
    issue = reg.get(records, "ISS-2026-0001")
    assert (issue["status"], issue["resolved_on"], issue["priority"]) == ("resolved", "2026-11-30", "high")


def test_a_critical_alert_opens_one_incident_and_its_resolution_marks_it_recovered(tmp_path):
    records = tmp_path / "records"
    store = receiver.Store(records)
    firing = receiver.check_payload(json.loads((FIXTURES / "firing.json").read_text(encoding="utf-8")))
    received = dt.datetime(2027, 4, 12, 10, 3, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    store.apply(firing, received)
    store.apply(firing, received + dt.timedelta(minutes=5))  # re-sent: still one incident
    found, problems = reg.list_records(records, "incident")
    assert not problems and len(found) == 1
    incident = found[0]
    assert incident["source"] == "alert" and incident["severity"] == "critical"
    assert incident["hosts"] == ["radius01"] and incident["what"] == "radius01 が応答しません。"
    assert incident["alerts"] == ["20270412T100203.456789-8c1f2e9a4b7d3c60"]
    assert incident["first_report_at"] == "2027-04-12T10:03:00+09:00"

    resolved = receiver.check_payload(json.loads((FIXTURES / "resolved.json").read_text(encoding="utf-8")))
    store.apply(resolved, received + dt.timedelta(minutes=30))
    incident = reg.get(records, incident["id"])
    assert incident["status"] == "recovered" and incident["recovered_at"]
    alerts = incident_report.linked_alerts(incident, str(records))
    assert [a["fingerprint"] for a in alerts] == ["8c1f2e9a4b7d3c60"]


def test_a_warning_alert_opens_no_incident(tmp_path):
    payload = json.loads((FIXTURES / "firing.json").read_text(encoding="utf-8"))
    payload["alerts"][0]["labels"]["severity"] = "warning"
    receiver.Store(tmp_path).apply(receiver.check_payload(payload), dt.datetime.now(dt.UTC))
    assert reg.list_records(tmp_path, "incident") == ([], [])


def test_fault_report_marks_a_late_report(tmp_path):
    record = reg.create(
        tmp_path,
        "fault",
        {
            "title": "t",
            "device": "sw01",
            "detected_at": "2026-11-20T10:00",
            "symptom": "s",
            "action": "a",
            "cause": "c",
            "measures": "m",
            "reported_at": "2026-11-27",
        },
        "山田",
        root=str(ROOT),
    )
    html = fault_report.render(record, "html", str(ROOT))
    assert "期限超過" in html
