"""Two mornings of the daily check on a healthy lab: each wrote its report and record, everything 正常,
and the record of the last check points at the newest run (the next check reads event logs from it)."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import openpyxl

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
REPORTS = EPHEMERAL / "reports"


def runs():
    return sorted(p for p in REPORTS.iterdir() if p.is_dir())


def test_each_morning_wrote_its_report_and_record():
    found = runs()
    assert len(found) == 2, found  # converge and idempotence
    for run in found:
        assert {p.name for p in run.iterdir()} == {
            "daily_check.md", "daily_check.html", "daily_check.xlsx", "daily_check.json"}


def test_the_lab_is_all_normal_and_every_server_has_its_line():
    record = json.loads((runs()[-1] / "daily_check.json").read_text(encoding="utf-8"))
    states = {i["state"] for i in record["items"]}
    assert states <= {"ok", "skipped"}, [i for i in record["items"] if i["state"] not in ("ok", "skipped")]
    hosts = {i["host"] for i in record["items"]}
    for name in ("ad01", "ad02", "dhcp01", "dhcp02", "radius01", "radius02", "ups01", "ups04",
                 "backup01", "mail01", "mnxfer01", "mon01"):
        assert name in hosts, name
    assert record["summary"]["verdict_ja"] == "正常"


def test_the_excel_report_has_a_row_per_item():
    run = runs()[-1]
    record = json.loads((run / "daily_check.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(run / "daily_check.xlsx")
    sheet = book["点検結果"]
    assert sheet.max_row - 1 == len(record["items"])


def test_the_next_check_reads_from_the_last_one():
    last = json.loads((REPORTS / "last_check.json").read_text(encoding="utf-8"))
    newest = json.loads((runs()[-1] / "daily_check.json").read_text(encoding="utf-8"))
    assert Path(last["report"]) == runs()[-1]
    assert datetime.fromisoformat(last["checked_at"]) == datetime.fromisoformat(newest["checked_at"])
