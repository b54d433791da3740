# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup jobs, one item each: the last run must have succeeded and be recent enough.

Two sources: the jobs' last runs as a list ({job, host, last_run, result, size_bytes}, a product's job
history), or the record of the backup check (playbooks/backup_daily_check.yml, library/backup_check.py)
given as {"path": ..., "text": <the file's text, empty when missing>}: one item per job with the check's
own verdict (stale, failed, repository damage are 異常), and one 異常 item when the record is missing,
unreadable or older than max_age_hours (the check did not run)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping

from ansible.module_utils.daily.common import (
    CRITICAL,
    OK,
    SKIPPED,
    WARNING,
    DailyInputError,
    gb,
    item,
    label_of,
    parse_moment,
)

RESULTS = {"success": OK, "warning": WARNING, "failed": CRITICAL, "running": WARNING}
RESULT_JA = {"success": "成功", "warning": "警告あり", "failed": "失敗", "running": "実行中",
             "partial": "一部読めず"}


CHECK_STATES = {"ok": OK, "warning": WARNING, "critical": CRITICAL}
CHECK_ACTION = "バックアップ点検（backup_daily_check）の実行結果と記録の場所を確認し、再実行する"


def record_items(source, max_age_hours=26, now=None, hostvars=None):
    """Items from the backup check's record: source {path, text}."""
    path = str(source.get("path") or "")
    text = source.get("text") or ""
    now = parse_moment(now, "now") if now else datetime.datetime.now().astimezone()

    def missing(detail):
        return [item("backup", "backup", "バックアップ", "バックアップ点検の記録", CRITICAL, detail,
                     CHECK_ACTION)]

    if not str(text).strip():
        return missing(f"バックアップ点検の記録がありません（{path}）")
    try:
        record = json.loads(text) if isinstance(text, str) else text
    except ValueError as exc:
        return missing(f"バックアップ点検の記録を読めません（{path}: {exc}）")
    if not isinstance(record, Mapping) or record.get("kind") != "backup_check" or \
            not isinstance(record.get("jobs"), list):
        return missing(f"バックアップ点検の記録ではありません（{path}）")
    checked = parse_moment(record.get("checked_at"), f"backup check record {path}", "checked_at")
    age = (now - checked).total_seconds() / 3600
    if age > max_age_hours:
        when = checked.astimezone(now.tzinfo).strftime("%m/%d %H:%M")
        return missing(f"バックアップ点検の記録が古い（{when}、{age:.0f} 時間前）。"
                       f"{max_age_hours} 時間以内の点検がありません")
    out = []
    for job in record["jobs"]:
        state = CHECK_STATES.get(job.get("state"), CRITICAL)
        run = job.get("last_run") or {}
        parts = []
        if run.get("finished"):
            finished = parse_moment(run["finished"], f"backup job {job.get('name')}", "finished")
            hours = (now - finished).total_seconds() / 3600
            local = finished.astimezone(now.tzinfo).strftime("%m/%d %H:%M")
            parts.append(f"最終実行 {local}（{hours:.0f} 時間前）")
            parts.append(RESULT_JA.get(run.get("result"), str(run.get("result"))))
        if run.get("bytes_processed") is not None:
            parts.append(f"容量 {gb(run['bytes_processed'])}")
        data = job.get("data") or {}
        if data.get("subset"):
            parts.append(f"データ検査 {data['subset']} {'正常' if data.get('ok') else '異常'}")
        parts += job.get("reasons_ja") or []
        host = str(job.get("source_host") or job.get("name"))
        out.append(item("backup", host, label_of(hostvars, host), f"バックアップ（{job.get('name')}）", state,
                        "・".join(parts) or "記録なし", job.get("action_ja") or CHECK_ACTION,
                        value=job.get("age_hours"), threshold=job.get("max_age_hours")))
    return out or missing(f"バックアップ点検の記録にジョブがありません（{path}）")


def backup_items(jobs, max_age_hours=26, now=None, hostvars=None):
    if isinstance(jobs, Mapping) and "text" in jobs:
        return record_items(jobs, max_age_hours, now, hostvars)
    if not jobs:
        return [item("backup", "backup", "バックアップ", "バックアップの実施状況", SKIPPED,
                     "バックアップの記録元が未設定",
                     "バックアップ製品のジョブ記録を点検に取り込む設定を行う")]
    if not isinstance(jobs, list):
        raise DailyInputError("jobs: expected a list of {job, host, last_run, result, size_bytes}")
    now = parse_moment(now, "now") if now else datetime.datetime.now().astimezone()
    out = []
    for index, job in enumerate(jobs):
        if not isinstance(job, Mapping) or not job.get("job") or not job.get("host"):
            raise DailyInputError(f"backup job #{index + 1}: job and host are required")
        host, name = str(job["host"]), str(job["job"])
        result = str(job.get("result") or "").lower()
        if result not in RESULTS:
            raise DailyInputError(f"{host}: backup job {name} result {job.get('result')!r} is not one of "
                                  f"{', '.join(RESULTS)}")
        last = parse_moment(job.get("last_run"), f"{host}: backup job {name}", "last_run")
        age = (now - last).total_seconds() / 3600
        state = RESULTS[result]
        parts = [f"最終実行 {last.strftime('%m/%d %H:%M')}（{age:.0f} 時間前）", RESULT_JA[result]]
        if job.get("size_bytes") is not None:
            parts.append(f"容量 {gb(job['size_bytes'])}")
            if not job["size_bytes"] and state == OK:
                state = WARNING
                parts.append("取得量が 0 です")
        if age > max_age_hours:
            state = CRITICAL
            parts.append(f"{max_age_hours} 時間以内の実行がありません")
        action = "バックアップ製品のジョブ履歴で失敗・未実行の原因を確認し、再実行する"
        out.append(item("backup", host, label_of(hostvars, host), f"バックアップ（{name}）", state,
                        "・".join(parts), action, value=round(age, 1), threshold=max_age_hours))
    return out
