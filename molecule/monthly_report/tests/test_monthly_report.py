"""Two runs on the lab's Prometheus: each wrote the month's report (one folder, rewritten), availability
per host from jichitai:host_up for the hosts Prometheus knows, the issue in the register, ARA said to be
記録なし, the xlsx with its charts."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
MONTH = dt.datetime.now(dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m")
FOLDER = EPHEMERAL / "reports" / MONTH


def record() -> dict:
    return json.loads((FOLDER / "monthly_report.json").read_text(encoding="utf-8"))


def test_the_month_has_its_report():
    names = {p.name for p in FOLDER.iterdir()}
    assert names == {f"monthly_report.{x}" for x in ("md", "html", "xlsx", "json")}


def test_availability_from_the_lab_prometheus():
    hosts = record()["availability"]["hosts"]
    assert hosts and all(h["samples"] > 0 for h in hosts)
    assert "dhcp01" in {h["host"] for h in hosts}  # a lab server the monitoring probes


def test_registers_and_absent_sources():
    r = record()
    assert [i["content"] for i in r["issues"]] == ["バックアップ領域の容量不足"]
    assert r["runs"] is None and "ARA" in r["runs_error"]
    html = (FOLDER / "monthly_report.html").read_text(encoding="utf-8")
    assert "課題管理表" in html and "記録なし" in html


def test_the_workbook_has_native_charts():
    from openpyxl import load_workbook

    wb = load_workbook(FOLDER / "monthly_report.xlsx")
    assert len(wb["日別稼働率"]._charts) == 1
