"""The daily backup check's decisions (library/backup_check.py): a job that never ran, ran too long ago
or failed is 異常, a partial run or a size swing beyond the policy is 注意, damage a repository check
found or a repository that does not open is 異常; the report in Japanese (jichitai_ops/reports/
backup_check.py) and the daily check's lines from the record (plugins/module_utils/daily/backup.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import ansible.module_utils
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "plugins" / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "plugins" / "module_utils"))
_spec = importlib.util.spec_from_file_location("backup_check_module", REPO / "library" / "backup_check.py")
bc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bc)
sys.path.insert(0, str(REPO / "filter_plugins"))
import daily_check  # noqa: E402
from ansible.module_utils.backup import engine  # noqa: E402

from jichitai_ops.reports import backup_check as report  # noqa: E402

NOW = datetime(2026, 12, 7, 6, 45, tzinfo=UTC)
JOB = {
    "name": "fs01-share",
    "description": "共有",
    "kind": "file_server",
    "source_host": "fs01",
    "max_age_hours": 26,
    "size_swing_percent": 50,
}


def run(hours_ago=8.0, result="success", size=1000, previous=None, errors=()):
    finished = datetime.fromtimestamp(NOW.timestamp() - hours_ago * 3600, UTC).isoformat()
    out = {
        "result": result,
        "finished": finished,
        "started": finished,
        "bytes_processed": size,
        "changed_files": 3,
        "errors": list(errors),
        "snapshot_id": "8b309f70",
    }
    if previous is not None:
        out["previous"] = {"result": "success", "bytes_processed": previous}
    return out


def judged(last):
    state, reasons, actions, _facts = bc.judge_run(JOB, last, NOW)
    return state, reasons


def test_a_recent_successful_run_within_the_swing_is_normal():
    assert judged(run(previous=1200)) == ("ok", [])


def test_a_job_that_never_ran_is_stale():
    assert judged(None) == ("critical", ["実行記録がない（一度も実行されていない）"])


def test_a_run_older_than_max_age_is_stale():
    state, reasons = judged(run(hours_ago=30))
    assert state == "critical" and reasons == ["26 時間以内の実行がない（最終実行は 30 時間前）"]


def test_a_failed_run_is_abnormal_with_its_errors_and_a_partial_one_is_a_warning():
    state, reasons = judged(run(result="failed", errors=["Fatal: unable to open config file"]))
    assert state == "critical" and reasons == ["最終実行が失敗（Fatal: unable to open config file）"]
    state, reasons = judged(run(result="partial", errors=["a: permission denied"]))
    assert state == "warning" and reasons[0].startswith("最終実行で一部のファイルを読めなかった")


def test_a_size_swing_beyond_the_policy_is_a_warning_both_ways():
    assert judged(run(size=1000, previous=400)) == ("warning", ["容量が前回から +150%（基準 ±50%）"])
    assert judged(run(size=400, previous=1000)) == ("warning", ["容量が前回から -60%（基準 ±50%）"])
    assert judged(run(size=1400, previous=1000))[0] == "ok"


def test_damage_found_by_a_check_is_abnormal_and_names_the_subset():
    data = {"ok": False, "errors": ["Pack ID does not match, want 1a2b"], "subset": "5/28"}
    state, reasons, _actions = bc.judge_checks({"ok": True, "errors": []}, data)
    assert state == "critical" and reasons == [
        "リポジトリのデータの検査（部分 5/28）で異常: Pack ID does not match, want 1a2b"
    ]


class Engine:
    def __init__(self, last, fail_open=False):
        self.last, self.fail_open = last, fail_open

    def last_run(self):
        return self.last

    def check_structure(self):
        if self.fail_open:
            raise engine.EngineError("restic: wrong password or no key found")
        return {"ok": True, "errors": [], "kind": "structure"}

    def check_data_subset(self, subset):
        return {"ok": True, "errors": [], "kind": "data", "subset": subset, "packs_read": 1, "packs_total": 9}


def test_a_repository_that_does_not_open_is_abnormal():
    entry = bc.check_job(Engine(run(), fail_open=True), JOB, NOW, "3/28")
    assert entry["state"] == "critical" and entry["reasons_ja"] == [
        "リポジトリを開けない: restic: wrong password or no key found"
    ]


def record():
    entries = [
        bc.check_job(Engine(run()), JOB, NOW, "3/28"),
        bc.check_job(Engine(None), {**JOB, "name": "ad01-system", "source_host": "ad01"}, NOW, "3/28"),
    ]
    return bc.summarise(entries, NOW.isoformat(), "3/28", 28)


def test_the_record_puts_the_abnormal_first_and_the_report_names_it():
    rec = record()
    assert rec["verdict_ja"] == "異常" and [j["name"] for j in rec["jobs"]] == ["ad01-system", "fs01-share"]
    assert rec["counts"] == {"total": 2, "ok": 1, "warning": 0, "critical": 1}
    md = report.render(rec, "md")
    assert md.startswith("# バックアップ点検結果") and "【異常】ad01-system" in md and "部分 3/28" in md
    assert '<td class="status">異常</td>' in report.render(rec, "html")


def items(text, now=None):
    return daily_check.daily_check_backup_items(
        {"path": "/w/latest.json", "text": text}, 26, now or NOW.isoformat()
    )


def test_the_daily_check_takes_each_job_verdict_from_the_record():
    lines = items(json.dumps(record()))
    assert {(i["check"], i["state"]) for i in lines} == {
        ("バックアップ（ad01-system）", "critical"),
        ("バックアップ（fs01-share）", "ok"),
    }


@pytest.mark.parametrize(
    "text, said",
    [
        ("", "バックアップ点検の記録がありません"),
        ("{not json", "バックアップ点検の記録を読めません"),
        (json.dumps({"kind": "other"}), "バックアップ点検の記録ではありません"),
    ],
)
def test_a_missing_or_unreadable_record_is_abnormal(text, said):
    lines = items(text)
    assert len(lines) == 1 and lines[0]["state"] == "critical" and lines[0]["detail"].startswith(said)


def test_a_record_older_than_a_day_is_abnormal():
    lines = items(json.dumps(record()), now="2026-12-08T12:00:00+00:00")
    assert [i["state"] for i in lines] == ["critical"] and "記録が古い" in lines[0]["detail"]


def test_the_job_list_of_a_product_still_works():
    lines = daily_check.daily_check_backup_items(
        [
            {
                "job": "nightly",
                "host": "fs01",
                "last_run": "2026-12-07T02:00:00+00:00",
                "result": "success",
                "size_bytes": 10,
            }
        ],
        26,
        NOW.isoformat(),
    )
    assert [i["state"] for i in lines] == ["ok"]
