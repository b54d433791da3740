# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup jobs, one item each: the last run must have succeeded and be recent enough."""

from __future__ import annotations

import datetime
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
RESULT_JA = {"success": "成功", "warning": "警告あり", "failed": "失敗", "running": "実行中"}


def backup_items(jobs, max_age_hours=26, now=None, hostvars=None):
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
