"""Two checks of the lab's endpoint stand-in and a small export: each wrote its report and record; the
endpoint's version is the one its databases hold (sigtool on the controller), its definitions 正常; the PC
five days behind is the one 異常; the metric has one sample per endpoint."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
REPORTS = EPHEMERAL / "reports"
LAB_RUN = Path(os.environ.get("LAB_RUN", Path(__file__).resolve().parents[3] / "lab" / "run"))
CONTAINER = LAB_RUN / "antivirus" / "endpoint" / "db" / "jichitai-lab.cud"


def runs():
    return sorted(p for p in REPORTS.iterdir() if p.is_dir())


def last_record():
    return json.loads((runs()[-1] / "av_definitions.json").read_text(encoding="utf-8"))


def test_each_check_wrote_its_report_and_record():
    found = runs()
    assert len(found) == 2, found  # converge and idempotence
    for run in found:
        assert {p.name for p in run.iterdir()} == {f"av_definitions.{ext}" for ext in ("md", "html", "json")}


def test_the_endpoint_holds_the_version_its_engine_reports(controller):
    info = controller.run(f"sigtool --info={CONTAINER}")
    assert info.rc == 0, info.stderr
    version = re.search(r"^Version: (\d+)$", info.stdout, flags=re.M).group(1)
    row = next(r for r in last_record()["rows"] if r["host"] == "av-ep01")
    assert row["version"] == f"jichitai-lab {version}"
    assert row["state_ja"] == "正常" and row["source"] == "engine" and row["update_ok"] is True
    assert row["update_ja"] == "最新（取得なし）"  # the second check fetched nothing new
    assert controller.socket(f"unix://{LAB_RUN / 'antivirus' / 'clamd.sock'}").is_listening


def test_only_the_pc_five_days_behind_is_abnormal():
    record = last_record()
    assert {r["host"] for r in record["rows"] if r["state"] == "critical"} == {"pc-0002"}
    assert record["verdict_ja"] == "異常" and record["counts"] == {"total": 4, "ok": 3, "critical": 1}
    md = (runs()[-1] / "av_definitions.md").read_text(encoding="utf-8")
    assert md.startswith("# ウイルス定義ファイル更新状況") and "【異常】pc-0002" in md


def test_the_metric_has_one_sample_per_endpoint(controller):
    text = controller.file(str(EPHEMERAL / "textfile" / "jichitai_av.prom")).content_string
    sample = r'^jichitai_av_definitions_updated_timestamp_seconds\{jichitai_host="([^"]+)"\} \d+$'
    hosts = re.findall(sample, text, re.M)
    assert sorted(hosts) == ["av-ep01", "opsmgmt01", "pc-0001", "pc-0002"]
