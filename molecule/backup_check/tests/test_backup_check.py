"""Two checks of the scenario's repository (converge and idempotence): each wrote バックアップ点検結果 and
its record; the job is 正常 with its last run, the structure check and the day's data subset; the
record the daily check reads is the last check's."""

from __future__ import annotations

import json
import os
from pathlib import Path

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
REPORTS = EPHEMERAL / "reports"


def runs():
    return sorted(p for p in REPORTS.iterdir() if p.is_dir())


def test_each_check_wrote_its_report_and_record():
    found = runs()
    assert len(found) == 2, found  # converge and idempotence (a second within the same second is one folder)
    for run in found:
        assert {p.name for p in run.iterdir()} == {f"backup_check.{ext}" for ext in ("md", "html", "json")}


def test_the_job_is_normal_with_its_run_and_both_repository_checks():
    record = json.loads((REPORTS / "latest.json").read_text(encoding="utf-8"))
    assert record == json.loads((runs()[-1] / "backup_check.json").read_text(encoding="utf-8"))
    assert record["verdict_ja"] == "正常" and record["counts"]["total"] == 1
    job = record["jobs"][0]
    assert job["name"] == "molecule-mail01" and job["state_ja"] == "正常" and job["reasons_ja"] == []
    assert job["last_run"]["result"] == "success" and job["age_hours"] < 1
    assert job["structure"]["ok"] and job["data"]["ok"] and job["data"]["subset"] == record["subset"]
    assert record["subset"].endswith("/28")
    md = (runs()[-1] / "backup_check.md").read_text(encoding="utf-8")
    assert md.startswith("# バックアップ点検結果") and "対応が必要なジョブはありません。" in md
