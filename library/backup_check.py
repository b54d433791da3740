#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_check
short_description: The daily verification of every backup job - last run against policy, repository checks
description:
  - The daily check of the backups (REQUIREMENTS OPS-BACKUP, §6-3(6)①) for every job of
    C(jichitai_backup_jobs), through the backup engine adapter (C(plugins/module_utils/backup/engine.py)).
  - The job's last run record against its policy - a job that never ran or whose last run is older than
    C(max_age_hours) is stale (異常); a failed run is 異常; a partial run (some source files unreadable)
    is 注意; a size that moved more than C(size_swing_percent) against the run before is 注意.
  - The repository's structure check, and the data check of the day's subset
    (C(retention.subset_for(today)), C(n/28)), so that 28 consecutive days re-read every pack; damage found
    by either is 異常, as is a repository that does not open.
  - Returns the record the report module C(backup_check_report) writes and the daily check reads; changes
    nothing.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  jobs:
    description: The backup jobs (C(jichitai_backup_jobs)).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The job's id, [a-z0-9-]+.
        type: str
        required: true
      description:
        description: The job in Japanese.
        type: str
        default: ""
      kind:
        description: What is backed up.
        type: str
        choices: [file_server, server]
        default: server
      source_host:
        description: The inventory host whose data it is.
        type: str
        required: true
      paths:
        description: The backed-up paths on the engine host.
        type: list
        elements: str
        default: []
      repository:
        description: The job's repository.
        type: str
        required: true
      password:
        description: The repository password (a vault reference).
        type: str
        required: true
      run_record:
        description: The job's last run record on the engine host.
        type: str
        required: true
      max_age_hours:
        description: Hours after which a job without a run is stale.
        type: int
        default: 26
      size_swing_percent:
        description: A size change against the run before above this percentage is 注意.
        type: int
        default: 50
      offsite:
        description: Whether the job goes to the monthly off-site medium.
        type: bool
        default: false
  today:
    description: The day whose data subset is read (YYYY-MM-DD); today in Japan (at O(now)) when not given.
    type: str
  now:
    description: The time the age is measured at (ISO 8601 with offset); the module's own time when not given.
    type: str
  subsets:
    description: Into how many subsets the packs are split; the day reads one of them.
    type: int
    default: 28
  structure:
    description: Run the structure check.
    type: bool
    default: true
  read_data:
    description: Run the day's data subset check.
    type: bool
    default: true
  restic:
    description: The restic command.
    type: str
    default: restic
  cache_dir:
    description: restic's cache directory.
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
    details: Runs on the backup engine host.
  check_mode:
    support: full
    details: Only reads; the same checks run in check mode.
  diff_mode:
    support: none
    details: Changes nothing.
"""

EXAMPLES = r"""
- name: Check every backup job
  backup_check:
    jobs: "{{ jichitai_backup_jobs }}"
  register: backup_checked
"""

RETURN = r"""
record:
  description:
    - The check's record - C(checked_at), C(subset), C(subsets), C(verdict) (C(ok), C(warning), C(critical)),
      C(verdict_ja), C(counts), and C(jobs), one per job - C(name), C(description), C(kind), C(source_host),
      C(state), C(state_ja), C(reasons_ja), C(action_ja), C(last_run) (time, result, size, changed files),
      C(age_hours), C(swing_percent), C(structure), C(data).
  returned: always
  type: dict
"""

import os
import re
import shutil
import tempfile
from datetime import UTC, date, datetime

from ansible.module_utils.backup import engine as engine_mod
from ansible.module_utils.backup import retention
from ansible.module_utils.basic import AnsibleModule

OK = "ok"
WARNING = "warning"
CRITICAL = "critical"
STATE_JA = {OK: "正常", WARNING: "注意", CRITICAL: "異常"}
RANK = {OK: 0, WARNING: 1, CRITICAL: 2}
RESULT_JA = {"success": "成功", "partial": "一部のファイルを読めず", "failed": "失敗"}
NAME = re.compile(r"^[a-z0-9-]+$")
ACTION = {
    "never": "ジョブのスケジュールと設定を確認し、バックアップを実行する",
    "stale": "バックアップエンジンのスケジュールとジョブ履歴を確認し、再実行する",
    "failed": "ジョブ履歴のエラーを確認して原因を取り除き、再実行する",
    "partial": "読めなかったファイル（使用中・権限）を確認する",
    "swing": "容量の増減が業務によるものか確認する（大量削除・暗号化の兆候でないか）",
    "repository": "リポジトリの損傷を調べ、保守担当へ連絡する（損傷した世代を使わずに復元できるか確認）",
    "open": "リポジトリの場所・パスワード・ディスクを確認する",
}


def _instant(value):
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=retention.JST)


def judge_run(job, last, now):
    """The job's last run record against its policy: (state, reasons_ja, actions_ja, facts)."""
    max_age = job.get("max_age_hours") or 26
    swing_limit = job.get("size_swing_percent") or 50
    facts = {"last_run": None, "age_hours": None, "swing_percent": None}
    if last is None:
        return CRITICAL, ["実行記録がない（一度も実行されていない）"], [ACTION["never"]], facts
    state, reasons, actions = OK, [], []
    finished = last.get("finished") or last.get("started")
    keys = ("started", "finished", "result", "snapshot_id", "changed_files", "bytes_processed", "bytes_added",
            "errors")
    facts["last_run"] = {k: last.get(k) for k in keys}
    try:
        age = (now - _instant(finished)).total_seconds() / 3600
    except (TypeError, ValueError):
        return CRITICAL, [f"実行記録の時刻を読めない（{finished!r}）"], [ACTION["stale"]], facts
    facts["age_hours"] = round(age, 1)
    result = last.get("result")
    if result == "failed":
        state = CRITICAL
        errors = "; ".join(last.get("errors") or [])[:300]
        reasons.append(f"最終実行が失敗（{errors or '理由の記録なし'}）")
        actions.append(ACTION["failed"])
    elif result == "partial":
        state = WARNING
        reasons.append(f"最終実行で一部のファイルを読めなかった（{len(last.get('errors') or [])} 件）")
        actions.append(ACTION["partial"])
    elif result != "success":
        state = CRITICAL
        reasons.append(f"最終実行の結果が不明（{result!r}）")
        actions.append(ACTION["failed"])
    if age > max_age:
        state = CRITICAL
        reasons.append(f"{max_age} 時間以内の実行がない（最終実行は {age:.0f} 時間前）")
        actions.append(ACTION["stale"])
    previous = last.get("previous") or {}
    before, size = previous.get("bytes_processed"), last.get("bytes_processed")
    if result != "failed" and previous.get("result") != "failed" and before and size is not None:
        swing = (size - before) / before * 100
        facts["swing_percent"] = round(swing, 1)
        if abs(swing) > swing_limit:
            state = max(state, WARNING, key=RANK.__getitem__)
            reasons.append(f"容量が前回から {swing:+.0f}%（基準 ±{swing_limit}%）")
            actions.append(ACTION["swing"])
    return state, reasons, actions, facts


def judge_checks(structure, data):
    """The repository checks: (state, reasons_ja, actions_ja)."""
    reasons = []
    for check, what in ((structure, "構造の検査"), (data, "データの検査")):
        if check is not None and not check.get("ok"):
            subset = f"（部分 {check['subset']}）" if check.get("subset") else ""
            reasons.append(f"リポジトリの{what}{subset}で異常: " + "; ".join(check.get("errors") or [])[:300])
    return (CRITICAL, reasons, [ACTION["repository"]]) if reasons else (OK, [], [])


def check_job(eng, job, now, subset, structure=True, read_data=True):
    state, reasons, actions, facts = judge_run(job, eng.last_run(), now)
    entry = {k: job.get(k) for k in ("name", "description", "kind", "source_host", "repository", "offsite",
                                     "max_age_hours", "size_swing_percent")}
    entry.update(facts, structure=None, data=None)
    try:
        entry["structure"] = eng.check_structure() if structure else None
        entry["data"] = eng.check_data_subset(subset) if read_data else None
        checked = judge_checks(entry["structure"], entry["data"])
    except engine_mod.EngineError as exc:
        checked = (CRITICAL, [f"リポジトリを開けない: {exc}"], [ACTION["open"]])
    state = max(state, checked[0], key=RANK.__getitem__)
    reasons += checked[1]
    actions += checked[2]
    entry.update(state=state, state_ja=STATE_JA[state], reasons_ja=reasons,
                 action_ja="。".join(dict.fromkeys(actions)))
    return entry


def summarise(entries, checked_at, subset, subsets):
    counts = {s: sum(1 for e in entries if e["state"] == s) for s in (OK, WARNING, CRITICAL)}
    verdict = max((e["state"] for e in entries), key=RANK.__getitem__, default=OK)
    order = sorted(entries, key=lambda e: (-RANK[e["state"]], e["name"]))
    return {"kind": "backup_check", "checked_at": checked_at, "subset": subset, "subsets": subsets,
            "verdict": verdict, "verdict_ja": STATE_JA[verdict], "counts": {"total": len(entries), **counts},
            "jobs": order}


def main():
    job_spec = DOCUMENTATION_OPTIONS
    module = AnsibleModule(
        argument_spec={
            "jobs": {"type": "list", "elements": "dict", "required": True, "options": job_spec},
            "today": {"type": "str"},
            "now": {"type": "str"},
            "subsets": {"type": "int", "default": 28},
            "structure": {"type": "bool", "default": True},
            "read_data": {"type": "bool", "default": True},
            "restic": {"type": "str", "default": "restic"},
            "cache_dir": {"type": "path"},
        },
        supports_check_mode=True,
    )
    p = module.params
    problems = []
    names = [job["name"] for job in p["jobs"]]
    problems += [f"job {n!r}: name must be [a-z0-9-]+" for n in names if not NAME.match(n)]
    problems += [f"job {n!r}: named twice" for n in sorted(set(names)) if names.count(n) > 1]
    try:
        now = _instant(p["now"]) if p["now"] else datetime.now(UTC)
        today = date.fromisoformat(p["today"]) if p["today"] else now.astimezone(retention.JST).date()
        subset = retention.subset_for(today, p["subsets"])
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        module.fail_json(msg=f"バックアップ点検の入力に誤りがあります（{len(problems)} 件）: "
                         + "; ".join(problems), problems=problems)

    def run(argv, env):
        return module.run_command(argv, environ_update=env)

    private = tempfile.mkdtemp(prefix="backup-check-")
    entries = []
    try:
        for index, job in enumerate(p["jobs"]):
            pwfile = os.path.join(private, f"password-{index}")
            with os.fdopen(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                handle.write(job["password"])
            eng = engine_mod.ResticEngine(job["repository"], pwfile, restic=p["restic"],
                                          cache_dir=p["cache_dir"], run=run, run_record=job["run_record"])
            entries.append(check_job(eng, job, now, subset, p["structure"], p["read_data"]))
    finally:
        shutil.rmtree(private, ignore_errors=True)
    record = summarise(entries, now.isoformat(timespec="seconds"), subset, p["subsets"])
    module.exit_json(changed=False, record=record)


DOCUMENTATION_OPTIONS = {
    "name": {"type": "str", "required": True},
    "description": {"type": "str", "default": ""},
    "kind": {"type": "str", "choices": ["file_server", "server"], "default": "server"},
    "source_host": {"type": "str", "required": True},
    "paths": {"type": "list", "elements": "str", "default": []},
    "repository": {"type": "str", "required": True},
    "password": {"type": "str", "required": True, "no_log": True},
    "run_record": {"type": "str", "required": True},
    "max_age_hours": {"type": "int", "default": 26},
    "size_swing_percent": {"type": "int", "default": 50},
    "offsite": {"type": "bool", "default": False},
}


if __name__ == "__main__":
    main()
