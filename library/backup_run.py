#!/usr/bin/python
# Copyright: jichitai-ops contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: backup_run
short_description: Take a new generation of one backup job and forget what exceeds the contract's generations
description:
  - One backup job (REQUIREMENTS OPS-BACKUP, §6-3(6)①②③) - a new generation of its paths through the
    backup engine adapter (C(plugins/module_utils/backup/engine.py), restic by default), then the
    retention of C(plugins/module_utils/backup/retention.py) - the newest O(generations) generations of
    the job are kept and every older one is forgotten by its id.
  - In check mode nothing is run against the repository but the list of generations - the diff names the
    generations the repository has, the new generation (its id is not known before it is taken, so the
    line says so) and each generation that will be forgotten with the Japanese reason of the retention plan.
  - In an apply under a work plan (O(journal)), the generations forgotten are exactly those the plan's
    diff for this job named (read from the plan beside the journal); a generation the plan did not name is
    never forgotten. The new generation is tagged with the plan id, so a second apply of the same plan
    takes no second generation and forgets nothing more (no change).
  - The password is written to a private temporary file for the engine (never an argument or an
    environment value) and removed afterwards.
version_added: "1.0.0"
author:
  - jichitai-ops maintainers (@jichitai-ops)
options:
  job:
    description:
      - The job, one entry of C(jichitai_backup_jobs) - C(name), C(repository), C(paths) (absolute),
        C(source_host) (the generation's host name), C(run_record) (where the engine keeps the last run
        record); other keys (C(description), C(kind), C(offsite), ...) are kept in the result.
    type: dict
    required: true
  password:
    description: The repository password (from the vault).
    type: str
    required: true
  generations:
    description: How many generations of the job are kept (the contract's three).
    type: int
    default: 3
  restic:
    description: The restic command.
    type: str
    default: restic
  cache_dir:
    description: restic's cache directory; restic's own default when not given.
    type: path
  journal:
    description:
      - The work plan's change journal (the fact C(workplan_journal) the guard sets in an apply run); the
        plan beside it gives the generations to forget, the change is journalled.
    type: dict
    suboptions:
      path:
        description: The journal file.
        type: path
        required: true
      controller_pid:
        description: The ansible-playbook process; no change is made once it is gone.
        type: int
      controller_start:
        description: That process's start time.
        type: str
      run:
        description: The run's token.
        type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  platform:
    platforms: posix
    details: Runs on the backup engine host, where the repositories are.
  check_mode:
    support: full
    details: >-
      Lists the generations only; the diff is the plan (the new generation, the generations forgotten
      with their reasons).
  diff_mode:
    support: full
    details: Before - the generations the job has; after - the new generation and the generations kept.
notes:
  - restic 0.14 takes a generation even when nothing changed at the source; that is the day's generation.
"""

EXAMPLES = r"""
- name: Back up the share and keep three generations
  backup_run:
    job: "{{ jichitai_backup_jobs | selectattr('name', 'eq', 'fs01-share') | first }}"
    password: "{{ vault_jichitai_backup_password }}"
    generations: 3
    journal: "{{ workplan_journal | default(omit) }}"
  register: backup_result
"""

RETURN = r"""
job:
  description: The job's name.
  returned: always
  type: str
  sample: ad01-share
run:
  description:
    - The run record of the new generation (engine.py's shape); null in check mode or when the plan's
      generation was taken already.
  returned: always
  type: dict
  sample: {result: success, rc: 0, snapshot_id: 8b309f70, changed_files: 4, bytes_processed: 2277888}
retention:
  description:
    - The retention plan - C(keep) and C(forget), each entry C({id, short_id, time, generation, reason_ja});
      the new generation is C(id) null in check mode. C(source) says where the forgotten ids came from
      (C(plan) - the work plan's diff; C(computed) - no plan beside the journal, or check mode).
  returned: always
  type: dict
forgotten:
  description: The ids forgotten by this run.
  returned: always
  type: list
  elements: str
msg:
  description: What was (or would be) done, in Japanese.
  returned: always
  type: str
"""

import json
import os
import re
import shutil
import tempfile
from datetime import UTC, datetime

from ansible.module_utils.backup import engine as engine_mod
from ansible.module_utils.backup import retention
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.workplan.journal import JOURNAL_ARGUMENT_SPEC, ControllerGone, Journal

NAME = re.compile(r"^[a-z0-9-]+$")
NEW_ID = "(new)"
NEW_LINE = "新しい世代（ID は取得時に決まる）"
PLAN_TAG = "workplan-"


def job_problems(job):
    """Every problem of one job entry, named."""
    name = job.get("name")
    where = f"job {name!r}" if name else "job"
    problems = []
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(f"{where}: name must be [a-z0-9-]+")
    for key in ("repository", "source_host", "run_record"):
        if not isinstance(job.get(key), str) or not job.get(key).strip():
            problems.append(f"{where}: {key} is required")
    paths = job.get("paths")
    if not isinstance(paths, list) or not paths:
        problems.append(f"{where}: paths must be a non-empty list of absolute paths")
    else:
        problems += [f"{where}: path {p!r} is not absolute" for p in paths
                     if not isinstance(p, str) or not p.startswith("/")]
    return problems


def generation_line(snap, reason=""):
    line = f"{snap.get('short_id') or snap['id'][:8]}  {retention.japan_time(snap['time'])}"
    return f"{line}  {reason}" if reason else line


def planned(snapshots, job, generations, now, taken=False):
    """The retention plan with the new generation (not yet taken unless TAKEN) and the diff texts."""
    new = {"id": NEW_ID, "short_id": NEW_ID, "time": now, "hostname": job["source_host"],
           "paths": sorted(job["paths"])}
    candidates = list(snapshots) + ([] if taken else [new])
    plan = retention.plan(candidates, generations)
    group = retention.group_key(new)
    # only this job's group (host and paths) is the job's; another group in the repository is left alone
    plan["forget"] = [e for e in plan["forget"] if retention.group_key(e) == group and e["id"] != NEW_ID]
    plan["keep"] = [e for e in plan["keep"] if retention.group_key(e) == group]
    forget_ids = {e["id"] for e in plan["forget"]}
    reasons = {e["id"]: e["reason_ja"] for e in plan["forget"]}
    before = [generation_line(s, reasons.get(s["id"], ""))
              for s in snapshots if retention.group_key(s) == group]
    after = [] if taken else [NEW_LINE]
    after += [generation_line(s) for s in snapshots
              if retention.group_key(s) == group and s["id"] not in forget_ids]
    return plan, before, after


def plan_forget_ids(journal_path, job_name):
    """The ids the work plan's diff for JOB_NAME removed, or None when the plan does not say."""
    if not journal_path:
        return None
    folder = os.path.dirname(os.path.dirname(journal_path))
    try:
        with open(os.path.join(folder, "plan.json"), encoding="utf-8") as handle:
            plan = json.load(handle)
    except (OSError, ValueError):
        return None
    found = None
    for diff in _job_diffs(plan, job_name):
        removed = set(_lines(diff.get("before"))) - set(_lines(diff.get("after")))
        found = sorted({line.split()[0] for line in removed if line.strip()})
    return found


def _lines(text):
    return [line for line in str(text or "").splitlines() if line.strip()]


def _job_diffs(node, job_name):
    """Every diff recorded for this module and this job anywhere in the plan ({before, after, header})."""
    prefix = f"backup_run [{job_name}] "
    if isinstance(node, dict):
        header = str(node.get("header") or node.get("after_header") or "")
        if "before" in node and "after" in node and header.startswith(prefix):
            yield node
        for value in node.values():
            yield from _job_diffs(value, job_name)
    elif isinstance(node, list):
        for value in node:
            yield from _job_diffs(value, job_name)


def main():
    module = AnsibleModule(
        argument_spec={
            "job": {"type": "dict", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "generations": {"type": "int", "default": 3},
            "restic": {"type": "str", "default": "restic"},
            "cache_dir": {"type": "path"},
            **JOURNAL_ARGUMENT_SPEC,
        },
        supports_check_mode=True,
    )
    p = module.params
    job = p["job"]
    problems = job_problems(job)
    if p["generations"] < 1:
        problems.append(f"generations must be at least 1, not {p['generations']}")
    if problems:
        module.fail_json(msg=f"バックアップの設定に誤りがあります（{len(problems)} 件）: "
                         + "; ".join(problems), problems=problems)
    journal = Journal.from_module(module, "backup_run")
    journal_path = (p["journal"] or {}).get("path")
    plan_id = os.path.basename(os.path.dirname(os.path.dirname(journal_path))) if journal_path else None
    tag = f"{PLAN_TAG}{plan_id}" if plan_id else None

    def run(argv, env):
        return module.run_command(argv, environ_update=env)

    private = tempfile.mkdtemp(prefix="backup-run-")
    try:
        pwfile = os.path.join(private, "password")
        with os.fdopen(os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(p["password"])
        eng = engine_mod.ResticEngine(job["repository"], pwfile, restic=p["restic"], cache_dir=p["cache_dir"],
                                      run=run, run_record=job["run_record"])
        result = apply(module, eng, job, p["generations"], tag, journal, journal_path)
    except engine_mod.EngineError as exc:
        module.fail_json(msg=f"{job['name']}: バックアップエンジンに接続できません: {exc}")
    except ControllerGone as exc:
        module.fail_json(msg=f"{job['name']}: {exc}")
    finally:
        shutil.rmtree(private, ignore_errors=True)
    module.exit_json(**result)


def apply(module, eng, job, generations, tag, journal, journal_path):
    name = job["name"]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    snapshots = eng.snapshots()
    taken = bool(tag) and any(tag in (s.get("tags") or []) for s in snapshots)
    plan, before, after = planned(snapshots, job, generations, now, taken)
    source = "computed"
    forget_ids = [e["id"] for e in plan["forget"]]
    if not module.check_mode and journal_path:
        from_plan = plan_forget_ids(journal_path, name)
        if from_plan is not None:
            source = "plan"
            present = {s.get("short_id"): s["id"] for s in snapshots}
            present.update({s["id"]: s["id"] for s in snapshots})
            forget_ids = [present[sid] for sid in from_plan if sid in present]
            listed = set(forget_ids)
            plan["forget"] = [e for e in plan["forget"] if e["id"] in listed]
            computed = {e["id"] for e in plan["forget"]}
            # a generation the plan named that the retention no longer would (a newer one came in between)
            # is still the plan's: it is forgotten as planned, with the plan's reason
            for sid in listed - computed:
                snap = next(s for s in snapshots if s["id"] == sid)
                plan["forget"].append({"id": sid, "short_id": snap.get("short_id"), "time": snap["time"],
                                       "generation": None, "reason_ja": "削除: 作業計画のとおり"})
            reasons = {e["id"]: e["reason_ja"] for e in plan["forget"]}
            group = retention.group_key({"hostname": job["source_host"], "paths": job["paths"]})
            mine = [s for s in snapshots if retention.group_key(s) == group]
            before = [generation_line(s, reasons.get(s["id"], "")) for s in mine]
            after = ([] if taken else [NEW_LINE]) + [
                generation_line(s) for s in mine if s["id"] not in listed]
    changed = not taken or bool(forget_ids)
    header = f"backup_run [{name}] {job['repository']}"
    diff = {"before_header": header, "after_header": header,
            "before": "".join(f"{line}\n" for line in before),
            "after": "".join(f"{line}\n" for line in after)}
    summary_forget = "、".join(f"{e['short_id']}（{e['reason_ja']}）" for e in plan["forget"]) or "なし"
    verb = "取得する" if module.check_mode else "取得した"
    new_ja = "取得済み（同じ作業計画で取得）" if taken else f"新しい世代を{verb}（ID は取得時に決まる）"
    msg = f"{name}: {new_ja}。削除する世代: {summary_forget}"
    out = {"changed": changed, "job": name, "run": None, "forgotten": [],
           "retention": {**plan, "source": source}, "diff": diff, "msg": msg}
    if module.check_mode:
        return out
    if not taken:
        journal.check_controller()
        run_record = eng.backup(job["paths"], host=job["source_host"], tags=[tag] if tag else None)
        journal.write("backup", target=name, obj=job["repository"], after=run_record.get("snapshot_id"),
                      ok=run_record["result"] != "failed")
        out["run"] = run_record
        if run_record["result"] == "failed":
            out["msg"] = (f"{name}: バックアップに失敗しました。世代は削除していません: "
                          + "; ".join(run_record["errors"]))
            out["changed"] = False
            module.fail_json(**out)
        out["msg"] = (f"{name}: 新しい世代 {run_record['snapshot_id']} を取得した。"
                      f"削除した世代: {summary_forget}")
    if forget_ids:
        journal.check_controller()
        result = eng.forget(forget_ids)
        journal.write("forget", target=name, obj=job["repository"], before=forget_ids, ok=result["ok"],
                      note="; ".join(result["errors"]))
        if not result["ok"]:
            module.fail_json(msg=f"{name}: 世代の削除に失敗しました: " + "; ".join(result["errors"]), **{
                k: v for k, v in out.items() if k != "msg"})
        out["forgotten"] = result["forgotten"]
    return out


if __name__ == "__main__":
    main()
